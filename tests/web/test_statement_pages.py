"""Statements in the pages: the section, drafting, review, publishing, correcting; errors shown
on the form with nothing stored."""

from __future__ import annotations

from collections.abc import Callable

from candor import bootstrap
from candor.services import statements
from tests.web.conftest import Browser
from tests.web.test_status_site import incident


def test_the_whole_flow_in_the_pages(
    application: bootstrap.Application, browser: Callable[[str], Browser]
) -> None:
    key = incident(application, "Keys read")
    alice, bob, carol = browser("alice"), browser("bob"), browser("carol")
    assert "No statements yet" in alice.get(f"/incidents/{key}").text
    assert alice.get(f"/incidents/{key}/statements/new").status_code == 200
    bad = alice.post(
        f"/incidents/{key}/statements",
        data={"audience": "all_customers", "channels": "status_site", "title": "", "body": "x"},
    )
    assert bad.status_code == 422
    assert "only public statements go on the status site" in bad.text
    assert "must not be empty" in bad.text
    assert statements.statements(application.context, bob_actor(), key).statements == []
    made = alice.post(
        f"/incidents/{key}/statements",
        data={"template": "acknowledgement", "audience": "public", "channels": "status_site"},
    )
    assert made.status_code == 303, made.text
    page = alice.get(made.headers["location"].split("?")[0])
    assert "We are investigating a security incident" in page.text and "draft" in page.text
    assert alice.post(f"/incidents/{key}/statements/1/submit").status_code == 303
    early = bob.post(f"/incidents/{key}/statements/1/approve", data={"comment": ""})
    assert early.status_code == 403 and "awaits the counsel" in early.text
    assert carol.post(f"/incidents/{key}/statements/1/approve", data={}).status_code == 303
    assert bob.post(f"/incidents/{key}/statements/1/approve", data={}).status_code == 303
    assert "Publish now" in alice.get(f"/incidents/{key}/statements/1").text
    assert "Only the communications lead" in bob.get(f"/incidents/{key}/statements/1").text
    assert alice.post(f"/incidents/{key}/statements/1/publish").status_code == 303
    published = alice.get(f"/incidents/{key}/statements/1").text
    assert "SHA-256" in published and "Correct this statement" in published
    fixed = alice.post(
        f"/incidents/{key}/statements/1/correct",
        data={"what_was_wrong": "Wrong system.", "correction_body": "Billing, not auth."},
    )
    assert fixed.status_code == 303 and fixed.headers["location"].startswith(
        f"/incidents/{key}/statements/2"
    )
    section = alice.get(f"/incidents/{key}").text
    assert "corrects #1" in section and "published" in section


def bob_actor():  # type: ignore[no-untyped-def]
    from candor.domain.access import Actor, OrgRole

    return Actor("bob", OrgRole.RESPONDER)


def test_a_published_statement_shows_its_delivery(
    application: bootstrap.Application, browser: Callable[[str], Browser]
) -> None:
    from dataclasses import replace

    from tests.web.test_status_site import publish

    ctx = application.context
    with ctx.uow(write=True) as uow:
        for name in ("alice", "bob"):
            user = uow.users.get(name)
            assert user is not None
            uow.users.save(replace(user, email=f"{name}@example.org"))
        uow.commit()
    key = incident(application, "Keys read")
    number = publish(
        application, key, audience="internal", channels="email", title="Staff note", body="Hush."
    )
    alice = browser("alice")
    page = alice.get(f"/incidents/{key}/statements/{number}").text
    assert 'aria-labelledby="delivery-h"' in page
    assert '<tr data-state="queued"><td>queued</td><td>2</td></tr>' in page
    assert "2 message(s) for this statement" in page
    draft = statements.draft(
        ctx, bob_actor(), key, kind="update", audience="internal", channels="email",
        title="Not yet", body="Draft.",
    )  # fmt: skip
    assert "delivery-h" not in alice.get(f"/incidents/{key}/statements/{draft.number}").text
    regulator = publish(
        application, key, audience="regulator", audience_ref="#1", kind="regulator_notice",
        channels="email", title="To the regulator", body="Notice.",
    )  # fmt: skip
    text = alice.get(f"/incidents/{key}/statements/{regulator}").text
    assert "not emailed: counsel files it" in text and "No message was queued" in text
