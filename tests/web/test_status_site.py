"""The public status site: only public statements, corrections inline, feeds, caching, 304s,
and the static copy written by ``candor site build``."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from fastapi.testclient import TestClient

from candor import bootstrap
from candor.domain.access import Actor, OrgRole
from candor.services import incidents, statements
from candor.web.status_site import routes as status_routes
from candor.web.status_site import site
from tests.fakes import FakeClock

ATOM = "{http://www.w3.org/2005/Atom}"
ALICE = Actor("alice", OrgRole.RESPONDER)
BOB = Actor("bob", OrgRole.RESPONDER)
CAROL = Actor("carol", OrgRole.COUNSEL)


def incident(app: bootstrap.Application, title: str, **kwargs: object) -> str:
    ctx = app.context
    key = incidents.declare(ctx, ALICE, title=title, **kwargs).key  # type: ignore[arg-type]
    incidents.assign_role(ctx, ALICE, key, "counsel", "carol")
    incidents.assign_role(ctx, ALICE, key, "incident_lead", "bob")
    incidents.assign_role(ctx, ALICE, key, "comms_lead", "alice")
    return key


def publish(app: bootstrap.Application, key: str, **kwargs: str) -> int:
    ctx = app.context
    values = {"kind": "update", "audience": "public", "channels": "status_site"} | kwargs
    s = statements.draft(ctx, ALICE, key, **values)  # type: ignore[arg-type]
    review_and_publish(app, key, s.number)
    return s.number


def review_and_publish(app: bootstrap.Application, key: str, number: int) -> None:
    ctx = app.context
    statements.submit(ctx, ALICE, key, number)
    statements.approve(ctx, CAROL, key, number)
    statements.approve(ctx, BOB, key, number)
    statements.publish(ctx, ALICE, key, number)


def seed(app: bootstrap.Application, clock: FakeClock) -> str:
    key = incident(app, "Secret internal title: attacker in vault-prod")
    publish(app, key, title="We are investigating", body="Some API keys were *read*.")
    clock.advance(hours=2)
    publish(app, key, title="Keys rotated", body="We rotated every key.")
    clock.advance(hours=1)
    c = statements.correct(
        app.context,
        ALICE,
        key,
        1,
        title="Correction",
        body="Keys were read, not written.",
        what_was_wrong="The first statement did not say whether keys were changed.",
    )
    review_and_publish(app, key, c.number)
    # never shown: internal, a draft, and an exercise
    statements.draft(
        app.context,
        ALICE,
        key,
        kind="update",
        audience="internal",
        channels="email",
        title="INTERNAL ONLY",
        body="staff note",
    )
    statements.draft(
        app.context,
        ALICE,
        key,
        kind="update",
        audience="public",
        channels="status_site",
        title="UNPUBLISHED DRAFT",
        body="draft",
    )
    ex = incident(app, "Tabletop", exercise=True)
    s = statements.draft(
        app.context,
        ALICE,
        ex,
        kind="update",
        audience="internal",
        channels="email",
        title="EXERCISE NOTE",
        body="practice",
    )
    review_and_publish(app, ex, s.number)
    return key


def test_public_pages_show_only_public_statements(
    application: bootstrap.Application, anonymous: TestClient, clock: FakeClock
) -> None:
    key = seed(application, clock)
    page = anonymous.get("/status")
    assert page.status_code == 200
    for hidden in (key, "Secret internal title", "INTERNAL ONLY", "UNPUBLISHED", "EXERCISE"):
        assert hidden not in page.text
    assert "We are investigating" in page.text and "Current incidents" in page.text
    [slug] = [i.slug for i in statements.public_incidents(application.context)]
    detail = anonymous.get(f"/status/incidents/{slug}")
    assert detail.status_code == 200
    text = detail.text
    assert key not in text and "Secret internal" not in text
    assert (
        text.index("We are investigating") < text.index("Correction") < text.index("Keys rotated")
    )
    assert "<em>read</em>" in text  # Markdown, and both texts stay
    assert "Keys were read, not written." in text and "did not say whether" in text
    assert text.count("<time") >= 4  # both times of the corrected statement and the correction
    assert anonymous.get("/status/incidents/000000000000").status_code == 404


def test_feeds_parse_and_carry_every_public_statement(
    application: bootstrap.Application, anonymous: TestClient, clock: FakeClock
) -> None:
    seed(application, clock)
    atom = anonymous.get("/status/feed.atom")
    assert atom.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(atom.content)  # noqa: S314 - the feed Candor just wrote
    assert root.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated"):
        assert root.find(f"{ATOM}{required}") is not None
    entries = root.findall(f"{ATOM}entry")
    titles = [e.findtext(f"{ATOM}title") for e in entries]
    assert titles == ["Correction: We are investigating", "Keys rotated", "We are investigating"]
    for entry in entries:
        for required in ("id", "title", "updated", "content"):
            assert entry.find(f"{ATOM}{required}") is not None
    feed = json.loads(anonymous.get("/status/feed.json").content)
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["title"] and feed["items"]
    assert [i["title"] for i in feed["items"]] == titles
    for item in feed["items"]:
        assert {"id", "url", "content_html", "date_published"} <= set(item)
    assert feed["items"][0]["tags"] == ["correction"]


def test_caching_headers_and_conditional_requests(
    application: bootstrap.Application, anonymous: TestClient, clock: FakeClock
) -> None:
    seed(application, clock)
    for path in ("/status", "/status/feed.atom", "/status/feed.json"):
        first = anonymous.get(path)
        etag, modified = first.headers["etag"], first.headers["last-modified"]
        assert "max-age" in first.headers["cache-control"]
        assert "default-src 'none'" in first.headers["content-security-policy"]
        assert first.headers["x-content-type-options"] == "nosniff"
        head = anonymous.head(path)
        assert head.status_code == 200 and head.content == b"" and head.headers["etag"] == etag
        assert anonymous.get(path, headers={"If-None-Match": etag}).status_code == 304
        assert anonymous.get(path, headers={"If-Modified-Since": modified}).status_code == 304
        assert anonymous.get(path, headers={"If-None-Match": '"other"'}).status_code == 200


def test_a_new_publication_changes_the_page_at_once(
    application: bootstrap.Application, anonymous: TestClient, clock: FakeClock
) -> None:
    key = seed(application, clock)
    before = anonymous.get("/status")
    clock.advance(hours=1)
    publish(application, key, kind="resolution", title="Resolved now", body="All fixed.")
    after = anonymous.get("/status", headers={"If-None-Match": before.headers["etag"]})
    assert after.status_code == 200 and "Past incidents" in after.text
    assert "Resolved" in after.text and after.headers["etag"] != before.headers["etag"]
    assert status_routes.RECHECK_SECONDS <= 1.0


def test_static_build_writes_the_same_site(
    application: bootstrap.Application, clock: FakeClock, tmp_path: Path
) -> None:
    seed(application, clock)
    from candor.web.templating import Templates

    templates = Templates(organization="Example", timezone="UTC", clock=clock)
    files = site.static_files(
        status_routes.content(application), templates, public_url="https://candor.example"
    )
    [slug] = [i.slug for i in statements.public_incidents(application.context)]
    assert {
        "index.html",
        f"incidents/{slug}/index.html",
        "feed.atom",
        "feed.json",
        "static/candor.css",
    } <= set(files)
    page = files[f"incidents/{slug}/index.html"].content.decode()
    assert "Correction" in page and 'href="/feed.atom"' in page
    ET.fromstring(files["feed.atom"].content)  # noqa: S314 - the feed Candor just wrote
