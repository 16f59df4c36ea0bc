"""/api/v1 impact statement, findings and status reports: every route, versions that cannot be
edited, the diff, need-to-know; and the pages for the review cadence and status reports."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from candor import bootstrap
from candor.services import incidents
from tests.conftest import ALICE
from tests.fakes import FakeClock
from tests.web.conftest import Browser
from tests.web.test_pages import declare
from tests.web.test_statement_api import auth
from tests.web.test_status_site import incident

Client = Callable[..., object]


@pytest.fixture
def alice(token_for: Callable[..., str]) -> dict[str, str]:
    return auth(token_for("alice"))


def test_versions_are_saved_listed_diffed_and_never_edited(
    application: bootstrap.Application, anonymous: TestClient, alice: dict[str, str]
) -> None:
    key = incident(application, "Keys read")
    base = f"/api/v1/incidents/{key}/impact"
    assert anonymous.get(base, headers=alice).json() == {
        "incident": key,
        "current": None,
        "versions": [],
    }
    first = anonymous.post(
        base,
        json={
            "reason": "first take",
            "sections": {
                "what_happened": "An attacker used a stolen key. We rotated all keys.",
                "not_affected": {"text": "Passwords are not affected.", "confidence": "confirmed"},
            },
            "affected": {"customers": 40, "confidence": "suspected"},
        },
        headers=alice,
    )
    assert first.status_code == 201, first.text
    assert first.json()["number"] == 1
    second = anonymous.post(
        base,
        json={
            "reason": "scoping narrowed it",
            "based_on": 1,
            "sections": {"what_happened": "We rotated all keys. An attacker used a stolen key."},
            "affected": {"customers": 12, "confidence": "confirmed"},
        },
        headers=alice,
    )
    assert second.status_code == 201, second.text
    stale = anonymous.post(
        base,
        json={"reason": "old tab", "based_on": 1, "sections": {"what_data": "x"}},
        headers=alice,
    )
    assert stale.status_code == 409 and "changed while you edited it" in stale.json()["detail"]
    listed = anonymous.get(base, headers=alice).json()
    assert [v["number"] for v in listed["versions"]] == [1, 2]
    assert listed["versions"][1]["changed"] == ["what_happened", "who_is_affected"]
    assert listed["current"]["number"] == 2
    one = anonymous.get(f"{base}/versions/1", headers=alice).json()
    assert one["sections"]["not_affected"]["confidence"] == "confirmed"
    assert anonymous.get(f"{base}/versions/9", headers=alice).status_code == 404
    # the API offers no way to change or remove a saved version
    for method in ("PUT", "PATCH", "DELETE"):
        for path in (f"{base}/versions/1", base):
            response = anonymous.request(method, path, json={"reason": "x"}, headers=alice)
            assert response.status_code == 405, (method, path)
    assert anonymous.get(f"{base}/versions/1", headers=alice).json() == one
    delta = anonymous.get(f"{base}/diff?a=1&b=2", headers=alice).json()
    assert delta["changed_sections"] == ["what_happened", "who_is_affected"]
    changes = delta["sections"]["what_happened"]["changes"]
    moved = {(c["op"], (c["new"] or c["old"]).strip(), c["move"]) for c in changes if c["move"]}
    assert moved == {
        ("moved_from", "We rotated all keys.", 1),
        ("moved_to", "We rotated all keys.", 1),
    }
    # every operation keeps its old and new text: the old text rebuilds version 1 exactly
    assert "".join(c["old"] for c in changes) == one["sections"]["what_happened"]["text"]
    assert anonymous.get(f"{base}/diff?a=1&b=7", headers=alice).status_code == 404


def test_findings_review_dismiss_integrate_and_due(
    application: bootstrap.Application,
    anonymous: TestClient,
    alice: dict[str, str],
    clock: FakeClock,
) -> None:
    key = incident(application, "Odd logins", severity="SEV1")
    base = f"/api/v1/incidents/{key}/findings"
    for summary in ("Attacker IP hit the VPN", "Old bucket was public", "Login from Ohio"):
        made = anonymous.post(base, json={"summary": summary, "source": "logs"}, headers=alice)
        assert made.status_code == 201, made.text
    assert made.json()["number"] == 3 and made.json()["state"] == "new"
    answers = {"changes_customer_impact": "yes", "new_access_path": "yes", "new_data": "no"}
    reviewed = anonymous.post(f"{base}/1/review", json=answers, headers=alice)
    assert reviewed.status_code == 200 and reviewed.json()["relevance"] == "relevant"
    early = anonymous.post(f"{base}/2/dismiss", json={"reason": "noise"}, headers=alice)
    assert early.status_code == 409  # review first
    no = {"changes_customer_impact": "no", "new_access_path": "no", "new_data": "no"}
    anonymous.post(f"{base}/2/review", json=no, headers=alice)
    dismissed = anonymous.post(f"{base}/2/dismiss", json={"reason": "noise"}, headers=alice)
    assert dismissed.json()["state"] == "dismissed"
    anonymous.post(
        f"/api/v1/incidents/{key}/impact",
        json={"reason": "VPN", "sections": {"what_happened": "In over the VPN."}},
        headers=alice,
    )
    integrated = anonymous.post(f"{base}/1/integrate", json={"version": 1}, headers=alice)
    assert integrated.status_code == 200 and integrated.json()["state"] == "integrated"
    missing = anonymous.post(f"{base}/3/integrate", json={"version": 1}, headers=alice)
    assert missing.status_code == 409  # not reviewed
    assert anonymous.get("/api/v1/findings/due", headers=alice).json() == []
    clock.advance(hours=1)
    listed = anonymous.get(base, headers=alice).json()
    assert listed["review_every_minutes"] == 60
    assert [f["state"] for f in listed["findings"]] == ["integrated", "dismissed", "new"]
    assert listed["overdue"] == [listed["findings"][2]["id"]]
    due = anonymous.get("/api/v1/findings/due", headers=alice).json()
    assert [(d["incident"], [o["summary"] for o in d["overdue"]]) for d in due] == [
        (key, ["Login from Ohio"])
    ]
    bad = anonymous.post(f"{base}/3/review", json={**answers, "new_data": "maybe"}, headers=alice)
    assert bad.status_code == 422


def test_status_reports_schedule_draft_and_edited_post(
    application: bootstrap.Application,
    anonymous: TestClient,
    alice: dict[str, str],
    clock: FakeClock,
) -> None:
    key = incident(application, "Keys read", severity="SEV2")
    base = f"/api/v1/incidents/{key}/status-reports"
    schedule = anonymous.get(f"{base}/schedule", headers=alice).json()
    assert schedule["every_minutes"] == 240 and schedule["overdue"] is False
    clock.advance(hours=5)
    draft = anonymous.get(f"{base}/draft", headers=alice).json()
    assert draft["schedule"]["overdue"] is True
    assert draft["impact_version"] is None
    assert "An impact statement: nobody has written one yet." in draft["needs"]
    edited = {
        "conditions": ["SEV2, contained."],
        "actions": ["Rotated keys."],
        "needs": ["A forensic image."],
        "impact_version": None,
    }
    posted = anonymous.post(base, json=edited, headers=alice)
    assert posted.status_code == 201, posted.text
    assert posted.json()["conditions"] == ["SEV2, contained."]
    after = anonymous.get(f"{base}/schedule", headers=alice).json()
    assert after["overdue"] is False and after["last_report_at"] == clock.now().isoformat()
    empty = anonymous.post(base, json={**edited, "conditions": [" "]}, headers=alice)
    assert empty.status_code == 422 and "conditions" in empty.text
    anonymous.post(
        f"/api/v1/incidents/{key}/impact",
        json={"reason": "first", "sections": {"what_happened": "Keys read."}},
        headers=alice,
    )
    stale = anonymous.post(base, json=edited, headers=alice)
    assert stale.status_code == 409 and "Read the new draft" in stale.json()["detail"]
    as_drafted = anonymous.post(base, headers=alice)
    assert as_drafted.status_code == 201 and as_drafted.json()["impact_version"] == 1


def test_every_route_is_404_on_a_restricted_incident_for_non_members(
    application: bootstrap.Application, anonymous: TestClient, token_for: Callable[..., str]
) -> None:
    key = incidents.declare(
        application.context, ALICE, title="Quiet", confidentiality="restricted"
    ).key
    alice, bob = (auth(token_for(n)) for n in ("alice", "bob"))
    val = auth(token_for("val", "read"))
    base = f"/api/v1/incidents/{key}"
    reads = ("/impact", "/impact/versions/1", "/impact/diff?a=1&b=1", "/findings")
    reads += ("/status-reports/draft", "/status-reports/schedule")
    for path in reads:
        assert anonymous.get(base + path, headers=bob).status_code == 404, path
    writes = {
        "/impact": {"reason": "x", "sections": {"what_happened": "y"}},
        "/findings": {"summary": "x", "source": "y"},
        "/findings/1/review": {"changes_customer_impact": "no"}
        | {"new_access_path": "no"}
        | {"new_data": "no"},
        "/findings/1/dismiss": {"reason": "x"},
        "/findings/1/integrate": {"version": 1},
        "/status-reports": None,
    }
    for path, body in writes.items():
        assert anonymous.post(base + path, json=body, headers=bob).status_code == 404, path
    assert anonymous.get(base + "/status-reports/schedule", headers=alice).status_code == 200
    assert anonymous.get(base + "/findings").status_code == 401  # no credentials
    # a viewer may read an ordinary incident but not write to it
    open_key = incident(application, "Open")
    assert anonymous.get(f"/api/v1/incidents/{open_key}/impact", headers=val).status_code == 200
    refused = anonymous.post(f"/api/v1/incidents/{open_key}/status-reports", headers=val)
    assert refused.status_code == 403


def test_the_review_cadence_form(browser: Callable[[str], Browser], clock: FakeClock) -> None:
    alice = browser("alice")
    key = declare(alice, "Odd logins")  # SEV2: reviewed every 2 hours by default
    alice.post(f"/incidents/{key}/findings", data={"summary": "A new IP", "source": "logs"})
    page = alice.get(f"/incidents/{key}").text
    assert "reviewed every 120 minutes (SEV2 default)" in page
    set_ = alice.post(f"/incidents/{key}/findings/cadence", data={"minutes": "30"})
    assert set_.status_code == 303
    page = alice.get(f"/incidents/{key}").text
    assert "reviewed every 30 minutes (set for this incident)" in page
    assert 'name="minutes" inputmode="numeric" pattern="[0-9]*" size="6" value="30"' in page
    clock.advance(minutes=31)
    assert alice.get(f"/incidents/{key}").text.count("overdue-badge") == 1
    assert (
        "Findings review cadence: every 30 minutes." in alice.get(f"/incidents/{key}/timeline").text
    )
    too_short = alice.post(f"/incidents/{key}/findings/cadence", data={"minutes": "2"})
    assert too_short.status_code == 422 and "must be between" in too_short.text
    back = alice.post(f"/incidents/{key}/findings/cadence", data={"minutes": ""})
    assert back.status_code == 303
    assert "(SEV2 default)" in alice.get(f"/incidents/{key}").text
    val = browser("val")
    assert val.post(f"/incidents/{key}/findings/cadence", data={"minutes": "60"}).status_code == 403


def test_status_report_section_edit_and_post(
    browser: Callable[[str], Browser], clock: FakeClock
) -> None:
    alice = browser("alice")
    key = declare(alice, "Keys read")  # SEV2: a report every 4 hours
    page = alice.get(f"/incidents/{key}").text
    assert 'id="status-reports"' in page
    assert "Next status report due" in page and "status-report-overdue" not in page
    clock.advance(hours=4, minutes=1)
    page = alice.get(f"/incidents/{key}").text
    assert "status-report-overdue" in page and "overdue" in page
    form = alice.get(f"/incidents/{key}/status-report/edit")
    assert form.status_code == 200
    assert "SEV2 security_incident, phase triage." in form.text
    empty = alice.post(
        f"/incidents/{key}/status-report",
        data={"conditions": "", "actions": "Rotated keys.", "needs": "", "impact_version": ""},
    )
    assert empty.status_code == 422 and "at least one condition" in empty.text
    assert "Rotated keys." in empty.text  # what was typed is kept
    posted = alice.post(
        f"/incidents/{key}/status-report",
        data={
            "conditions": "- SEV2, contained.\n- Two customers affected.",
            "actions": "Rotated keys.",
            "needs": "",
            "impact_version": "",
        },
    )
    assert posted.status_code == 303
    assert posted.headers["location"].endswith("#status-reports")
    timeline = alice.get(f"/incidents/{key}/timeline").text
    assert "Two customers affected." in timeline and "SEV2, contained." in timeline
    page = alice.get(f"/incidents/{key}").text
    assert "status-report-overdue" not in page
    assert alice.post(f"/incidents/{key}/status-report").status_code == 303  # the draft as is
    val = browser("val")
    assert val.post(f"/incidents/{key}/status-report").status_code == 403
