"""The public advisory pages and the CSAF provider directory, without signing in: only published
TLP:CLEAR advisories, byte-identical documents, hash files that verify, cacheable answers."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Any

import pytest
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from candor import bootstrap
from candor.domain.access import Actor, OrgRole
from candor.domain.advisories import Reference, Tlp
from candor.services import advisories
from tests.contract.test_advisory_services import draft
from tests.fakes import FakeClock
from tests.golden.samples import SCHEMAS, load_json
from tests.golden.test_exports import shared_validator

ALICE = Actor("alice", OrgRole.RESPONDER)
WHITE = "/.well-known/csaf/white"


def shared_provider_validator() -> Any:
    folder = SCHEMAS / "csaf-2.0" / "json_schema"
    csaf = Resource.from_contents(load_json(folder / "csaf_json_schema.json"))
    registry: Registry[Any] = Registry().with_resource(
        "https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json", csaf
    )
    return Draft202012Validator(load_json(folder / "provider_json_schema.json"), registry=registry)


def publish(app: bootstrap.Application, **changes: Any) -> str:
    made = advisories.create(app.context, ALICE, app.advisories, draft(**changes))
    advisories.publish(app.context, ALICE, app.advisories, made.key, summary="Initial publication.")
    return made.key


@pytest.fixture
def site(application: bootstrap.Application, clock: FakeClock) -> dict[str, str]:
    keys = {"clear": publish(application)}
    clock.advance(hours=1)
    keys["amber"] = publish(application, tlp=Tlp.AMBER, title="For customers only")
    keys["draft"] = advisories.create(
        application.context, ALICE, application.advisories, draft(title="Not yet")
    ).key
    return keys


def test_only_published_clear_advisories_are_public(
    anonymous: TestClient, site: dict[str, str]
) -> None:
    index = anonymous.get("/advisories/public")
    assert index.status_code == 200
    assert site["clear"] in index.text and site["amber"] not in index.text
    assert site["draft"] not in index.text
    page = anonymous.get(f"/advisories/public/{site['clear']}")
    assert page.status_code == 200
    assert "Access tokens written to the acme-agent debug log" in page.text
    assert "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N" in page.text and "5.5" in page.text
    assert "Initial publication." in page.text
    for hidden in (site["amber"], site["draft"], "NOPE-SA-2026-001"):
        assert anonymous.get(f"/advisories/public/{hidden}").status_code == 404
        assert anonymous.get(f"/advisories/public/{hidden}/csaf.json").status_code == 404


def test_documents_at_stable_urls_are_the_published_bytes(
    anonymous: TestClient, application: bootstrap.Application, site: dict[str, str]
) -> None:
    key = site["clear"]
    revision = advisories.get(application.context, ALICE, key).revisions[0]
    for document in revision.documents:
        served = anonymous.get(f"/advisories/public/{key}/{document.name}")
        assert served.status_code == 200
        assert served.content == document.data
        assert hashlib.sha256(served.content).hexdigest() == document.sha256
        assert list(shared_validator(document.format).iter_errors(served.json())) == []
    assert anonymous.get(f"/advisories/public/{key}/nothing.json").status_code == 404


def test_the_csaf_provider_directory(anonymous: TestClient, site: dict[str, str]) -> None:
    metadata = anonymous.get("/.well-known/csaf/provider-metadata.json")
    assert metadata.status_code == 200
    assert metadata.headers["content-type"] == "application/json"
    assert list(shared_provider_validator().iter_errors(metadata.json())) == []
    assert metadata.json()["canonical_url"].endswith("/.well-known/csaf/provider-metadata.json")
    assert metadata.json()["distributions"] == [
        {"directory_url": "http://127.0.0.1:8000/.well-known/csaf/white/"}
    ]
    filename = f"{site['clear'].lower()}.json"
    path = f"2026/{filename}"
    assert anonymous.get(f"{WHITE}/index.txt").text == f"{path}\n"
    assert anonymous.get(f"{WHITE}/changes.csv").text == f'"{path}","2026-03-02T14:00:00Z"\n'
    document = anonymous.get(f"{WHITE}/{path}")
    assert (
        document.content == anonymous.get(f"/advisories/public/{site['clear']}/csaf.json").content
    )
    assert document.json()["document"]["distribution"]["tlp"]["label"] == "WHITE"
    for algorithm in ("sha256", "sha512"):
        line = anonymous.get(f"{WHITE}/{path}.{algorithm}").text
        digest, name = line.split()
        assert digest == hashlib.new(algorithm, document.content).hexdigest()
        assert name == filename and line.endswith("\n")
    amber = f"2026/{site['amber'].lower()}.json"
    assert anonymous.get(f"{WHITE}/{amber}").status_code == 404
    assert anonymous.get(f"{WHITE}/{amber}.sha256").status_code == 404
    listing = anonymous.get(f"{WHITE}/").text
    assert 'href="index.txt"' in listing and 'href="2026/"' in listing
    assert f'href="{filename}.sha512"' in anonymous.get(f"{WHITE}/2026/").text
    assert anonymous.get(f"{WHITE}/2025/").status_code == 404


def test_changes_csv_is_newest_first_and_follows_new_revisions(
    anonymous: TestClient,
    application: bootstrap.Application,
    clock: FakeClock,
    site: dict[str, str],
) -> None:
    second = publish(application, title="Another flaw")
    clock.advance(days=2)
    current = advisories.get(application.context, ALICE, site["clear"]).stored.advisory
    advisories.update(application.context, ALICE, site["clear"], replace(current, title="New"))
    advisories.publish(
        application.context, ALICE, application.advisories, site["clear"], summary="Retitled."
    )
    lines = anonymous.get(f"{WHITE}/changes.csv").text.splitlines()
    assert lines == [
        f'"2026/{site["clear"].lower()}.json","2026-03-04T15:00:00Z"',
        f'"2026/{second.lower()}.json","2026-03-02T15:00:00Z"',
    ]
    document = anonymous.get(f"{WHITE}/2026/{site['clear'].lower()}.json").json()
    assert document["document"]["tracking"]["version"] == "2"
    assert document["document"]["tracking"]["initial_release_date"] == "2026-03-02T14:00:00Z"


def test_public_answers_are_cacheable(anonymous: TestClient, site: dict[str, str]) -> None:
    for path in (
        f"/advisories/public/{site['clear']}",
        f"/advisories/public/{site['clear']}/csaf.json",
        "/.well-known/csaf/provider-metadata.json",
        f"{WHITE}/changes.csv",
    ):
        first = anonymous.get(path)
        assert first.headers["cache-control"] == "public, max-age=300"
        assert first.headers["last-modified"].endswith(" GMT")
        etag = first.headers["etag"]
        again = anonymous.get(path, headers={"if-none-match": etag})
        assert again.status_code == 304 and again.content == b""
        since = anonymous.get(path, headers={"if-modified-since": first.headers["last-modified"]})
        assert since.status_code == 304
        stale = anonymous.get(path, headers={"if-none-match": '"something-else"'})
        assert stale.status_code == 200 and stale.content == first.content
    assert (
        anonymous.get(f"/advisories/public/{site['clear']}/csaf.json").headers[
            "access-control-allow-origin"
        ]
        == "*"
    )


def test_an_empty_directory_is_still_valid(anonymous: TestClient) -> None:
    metadata = anonymous.get("/.well-known/csaf/provider-metadata.json")
    assert list(shared_provider_validator().iter_errors(metadata.json())) == []
    assert anonymous.get(f"{WHITE}/index.txt").text == ""
    assert "No advisories have been published." in anonymous.get("/advisories/public").text


def test_only_web_addresses_become_links(
    anonymous: TestClient, application: bootstrap.Application
) -> None:
    # the record takes any scheme://…; the static copy has no server sending a CSP header
    sneaky = "javascript://x%0Aalert(document.domain)"
    key = publish(application, references=(Reference(sneaky, name="Details"),))
    page = anonymous.get(f"/advisories/public/{key}").text
    assert sneaky in page and f'href="{sneaky}"' not in page
    assert 'href="https://acme.example/security/ACME-SA-2026-001"' in page
    assert "Content-Security-Policy" in page  # the meta element, for the static copy


def test_the_status_page_lists_published_advisories_only(
    anonymous: TestClient, site: dict[str, str]
) -> None:
    page = anonymous.get("/status")
    assert page.status_code == 200
    section = page.text.split('<h2 id="advisories">', 1)[1].split("</section>", 1)[0]
    assert f'<a href="/advisories/public/{site["clear"]}">{site["clear"]}</a>' in section
    assert "Access tokens written to the acme-agent debug log" in section
    assert "revision 1" in section
    assert "No advisories have been published." not in section
    for hidden in (site["draft"], "Not yet", site["amber"], "For customers only"):
        assert hidden not in page.text


def test_the_status_page_says_when_no_advisory_is_published(
    anonymous: TestClient, application: bootstrap.Application
) -> None:
    made = advisories.create(
        application.context, ALICE, application.advisories, draft(title="Not yet")
    )
    page = anonymous.get("/status")
    section = page.text.split('<h2 id="advisories">', 1)[1].split("</section>", 1)[0]
    assert "No advisories have been published." in section
    assert made.key not in page.text and "Not yet" not in page.text
