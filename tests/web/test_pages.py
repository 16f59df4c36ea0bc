"""The incident pages: declare, roles with the lead/investigator warning, tasks, timeline,
need-to-know, conflicts, admin."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi.testclient import TestClient

from candor import bootstrap
from candor.domain.access import Actor, OrgRole
from candor.services import audit, incidents, timeline
from tests.fakes import FakeClock
from tests.web.conftest import Browser

VERSION = re.compile(r'name="version" value="(\d+)"')


def declare(browser: Browser, title: str, **extra: str) -> str:
    response = browser.post(
        "/incidents/new",
        data={"title": title, "kind": "security_incident", "severity": "SEV2", **extra},
    )
    assert response.status_code == 303, response.text
    return response.headers["location"].split("?")[0].rsplit("/", 1)[1]


def test_declare_assign_roles_and_see_the_warning(browser: Callable[[str], Browser]) -> None:
    alice = browser("alice")
    key = declare(alice, "Token committed to a public repository")
    page = alice.get(f"/incidents/{key}")
    assert "No incident lead is assigned" in page.text
    for role in ("incident_lead", "technical_lead", "comms_lead"):
        response = alice.post(f"/incidents/{key}/roles", data={"role": role, "person": "alice"})
        assert response.status_code == 303
    page = alice.get(f"/incidents/{key}")
    assert 'data-code="lead-is-investigator"' in page.text
    assert "alice is both incident lead and technical lead" in page.text
    assert (
        alice.post(
            f"/incidents/{key}/roles", data={"role": "technical_lead", "person": "bob"}
        ).status_code
        == 303
    )
    assert 'data-code="lead-is-investigator"' not in alice.get(f"/incidents/{key}").text


def test_declare_form_errors_name_the_field_and_keep_the_input(
    browser: Callable[[str], Browser],
) -> None:
    alice = browser("alice")
    response = alice.post(
        "/incidents/new",
        data={"title": "Odd logins", "kind": "event", "severity": "SEV4", "aware_at": "yesterday"},
    )
    assert response.status_code == 422
    assert "aware_at" in response.text
    assert 'value="Odd logins"' in response.text


def test_timeline_entries_tasks_and_corrections(browser: Callable[[str], Browser]) -> None:
    alice = browser("alice")
    key = declare(alice, "Phishing wave")
    assert (
        alice.post(
            f"/incidents/{key}/timeline",
            data={"kind": "finding", "body": "12 users clicked the link"},
        ).status_code
        == 303
    )
    assert (
        alice.post(
            f"/incidents/{key}/timeline",
            data={"kind": "finding", "body": "It was 21 users, not 12", "corrects": "2"},
        ).status_code
        == 303
    )
    assert (
        alice.post(
            f"/incidents/{key}/tasks",
            data={"title": "Reset passwords of the 21 users", "owner": "bob"},
        ).status_code
        == 303
    )
    page = alice.get(f"/incidents/{key}").text
    assert "12 users clicked the link" in page
    assert "corrected later" in page
    assert "Reset passwords of the 21 users" in page
    assert alice.post(f"/incidents/{key}/tasks/1", data={"status": "done"}).status_code == 303
    timeline = alice.get(f"/incidents/{key}/timeline").text
    assert "Task 1 done" in timeline
    assert "Verified" in alice.get(f"/incidents/{key}/verify").text


def test_user_text_is_rendered_inert(browser: Callable[[str], Browser]) -> None:
    alice = browser("alice")
    key = declare(alice, "<script>alert(1)</script>")
    alice.post(
        f"/incidents/{key}/timeline",
        data={"kind": "note", "body": "<img src=x onerror=alert(2)> **bold**"},
    )
    page = alice.get(f"/incidents/{key}").text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page
    assert "<img src=x" not in page
    assert "<strong>bold</strong>" in page


def test_restricted_incidents_are_404_for_non_members(browser: Callable[[str], Browser]) -> None:
    alice, val, admin = browser("alice"), browser("val"), browser("admin")
    key = declare(alice, "Insider exports customer data", restricted="1")
    assert val.get(f"/incidents/{key}").status_code == 404
    assert val.api("GET", f"/api/v1/incidents/{key}").status_code == 404
    assert key not in val.get("/").text
    assert key not in val.get("/incidents?show=all").text
    assert val.get(f"/incidents/{key}/timeline").status_code == 404
    assert admin.get(f"/incidents/{key}").status_code == 200
    assert alice.post(f"/incidents/{key}/participants", data={"add": "val"}).status_code == 303
    assert val.get(f"/incidents/{key}").status_code == 200


def test_viewers_see_no_forms_and_cannot_post(browser: Callable[[str], Browser]) -> None:
    alice, val = browser("alice"), browser("val")
    key = declare(alice, "Lost laptop")
    page = val.get(f"/incidents/{key}").text
    assert f'action="/incidents/{key}/timeline"' not in page
    assert (
        val.post(f"/incidents/{key}/timeline", data={"kind": "note", "body": "x"}).status_code
        == 403
    )


def test_a_stale_edit_is_refused_and_nothing_is_lost(browser: Callable[[str], Browser]) -> None:
    alice, bob = browser("alice"), browser("bob")
    key = declare(alice, "Exposed bucket")
    seen = VERSION.search(bob.get(f"/incidents/{key}").text)
    assert seen
    assert (
        alice.post(
            f"/incidents/{key}/edit",
            data={
                "title": "Exposed S3 bucket",
                "summary": "",
                "kind": "security_incident",
                "severity": "SEV1",
                "version": seen.group(1),
            },
        ).status_code
        == 303
    )
    stale = bob.post(
        f"/incidents/{key}/edit",
        data={
            "title": "Bucket",
            "summary": "public 2 days",
            "kind": "security_incident",
            "severity": "SEV3",
            "version": seen.group(1),
        },
    )
    assert stale.status_code == 409
    assert "changed by someone else" in stale.text
    assert 'value="Bucket"' in stale.text  # bob's input is kept on the page to re-apply
    page = alice.get(f"/incidents/{key}").text
    assert "Exposed S3 bucket" in page


def test_illegal_phase_change_shows_the_allowed_moves(browser: Callable[[str], Browser]) -> None:
    alice = browser("alice")
    key = declare(alice, "Scan")
    response = alice.post(f"/incidents/{key}/transition", data={"phase": "closed"})
    assert response.status_code == 409
    assert "Allowed from triage" in response.text


def test_admin_pages_are_for_admins(browser: Callable[[str], Browser]) -> None:
    alice, admin = browser("alice"), browser("admin")
    assert alice.get("/admin/users").status_code == 403
    assert alice.get("/admin/audit").status_code == 403
    assert (
        admin.post(
            "/admin/users",
            data={"username": "dave", "role": "responder", "password": "another long passphrase"},
        ).status_code
        == 303
    )
    assert "dave" in admin.get("/admin/users").text
    audit = admin.get("/admin/audit?action=user.").text
    assert "user.create" in audit
    assert "user.signin" in audit
    assert "Verified" in admin.get("/admin/audit/verify").text


def test_dashboard_lists_open_incidents_with_lead_and_age(
    browser: Callable[[str], Browser],
) -> None:
    alice = browser("alice")
    key = declare(alice, "Ransomware on build server", severity="SEV1")
    alice.post(f"/incidents/{key}/roles", data={"role": "incident_lead", "person": "bob"})
    page = alice.get("/").text
    assert key in page
    assert "sev-sev" in page
    assert ">bob<" in page


def test_help_pages_render_the_guide(browser: Callable[[str], Browser]) -> None:
    alice = browser("alice")
    index = alice.get("/help")
    assert index.status_code == 200
    names = re.findall(r'href="/help/([a-z0-9-]+)"', index.text)
    assert names, "the guide has no pages"
    assert alice.get(f"/help/{names[0]}").status_code == 200
    assert alice.get("/help/..%2Fpyproject").status_code == 404


def test_cached_pages_change_as_soon_as_anything_changes(
    browser: Callable[[str], Browser], application: bootstrap.Application
) -> None:
    alice = browser("alice")
    key = declare(alice, "Cache check")
    # the cache key: the audit chain's length, read without a unit of work
    before = application.workspace_version()
    assert before == audit.version(application.context) > 0
    first = alice.get(f"/incidents/{key}").text
    assert alice.get(f"/incidents/{key}").text == first  # served from the cache
    # a change made outside this web process (the CLI, another worker) shows at once
    timeline.add(
        application.context,
        Actor("bob", OrgRole.RESPONDER),
        key,
        kind="note",
        body="Written from the command line",
    )
    assert "Written from the command line" in alice.get(f"/incidents/{key}").text
    assert application.workspace_version() == audit.version(application.context) > before
    assert alice.client.app.state.response_cache.hits >= 1  # type: ignore[attr-defined]


def test_the_cached_incident_list_api_keeps_ages_to_the_second_and_sees_changes_at_once(
    anonymous: TestClient,
    token_for: Callable[..., str],
    application: bootstrap.Application,
    clock: FakeClock,
) -> None:
    auth = {"authorization": f"Bearer {token_for('alice')}"}
    made = anonymous.post("/api/v1/incidents", json={"title": "Listed"}, headers=auth).json()
    first = anonymous.get("/api/v1/incidents", headers=auth).json()
    assert anonymous.get("/api/v1/incidents", headers=auth).json() == first  # from the cache
    assert [i["key"] for i in first["items"]] == [made["key"]] and first["total"] == 1
    clock.advance(seconds=7)
    cache = anonymous.app.state.response_cache  # type: ignore[attr-defined]
    hits = cache.hits
    assert anonymous.get("/api/v1/incidents", headers=auth).json()["items"][0]["age_seconds"] == (
        first["items"][0]["age_seconds"] + 7
    )
    assert cache.hits == hits + 1  # only the clock moved: the incidents kept for this version
    incidents.declare(application.context, Actor("bob", OrgRole.RESPONDER), title="From the CLI")
    again = anonymous.get("/api/v1/incidents", headers=auth).json()
    assert again["total"] == 2 and "From the CLI" in [i["title"] for i in again["items"]]
