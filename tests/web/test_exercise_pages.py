"""Tabletop exercises through the pages and the API, on SQLite and PostgreSQL: the scenario
library, start, the facilitator's view (only the facilitator or an admin releases injects), the
participants' view and decisions, the after-action report, the EXERCISE banner on every page
about the exercise, and re-running a closed incident as practice."""

from __future__ import annotations

import re
from collections.abc import Callable

from markupsafe import escape

from candor.adapters import prepare_files
from tests.fakes import FakeClock
from tests.web.conftest import Browser
from tests.web.test_pages import declare

SCENARIO = prepare_files.load_scenarios().require().get("cloud-credentials-breach").value
BANNER = "EXERCISE — a practice incident"


def start(browser: Browser, scenario: str = "cloud-credentials-breach") -> str:
    response = browser.post("/exercises", data={"scenario": scenario})
    assert response.status_code == 303, response.text
    found = re.match(r"/exercises/(EX-\d{4}-\d+)/facilitate", response.headers["location"])
    assert found, response.headers["location"]
    return found.group(1)


def incident_of(browser: Browser, key: str) -> str:
    found = re.search(r'href="/incidents/(INC-\d{4}-\d+)"', browser.get(f"/exercises/{key}").text)
    assert found
    return found.group(1)


def test_the_scenario_library(browser: Callable[[str], Browser]) -> None:
    alice, val = browser("alice"), browser("val")
    page = alice.get("/exercises/scenarios").text
    names = re.findall(r'href="/exercises/scenarios/([a-z0-9-]+)"', page)
    assert set(names) == set(prepare_files.load_scenarios().entries)
    assert page.count("Start this exercise") == len(names)
    assert "Start this exercise" not in val.get("/exercises/scenarios").text
    one = alice.get("/exercises/scenarios/cloud-credentials-breach").text
    assert escape(SCENARIO.title) in one and "Facilitators only" in one
    assert alice.get("/exercises/scenarios/no-such").status_code == 404
    assert "No exercises yet" in alice.get("/exercises").text


def test_a_tabletop_through_the_pages(browser: Callable[[str], Browser], clock: FakeClock) -> None:
    alice, bob, carol, admin = browser("alice"), browser("bob"), browser("carol"), browser("admin")
    key = start(alice)
    incident = incident_of(bob, key)
    first, second = SCENARIO.injects[0], SCENARIO.injects[1]

    # the participants see the first inject and its facts, never what comes next
    view = bob.get(f"/exercises/{key}").text
    assert BANNER in view
    assert escape(first.title) in view
    assert "Are secrets or code we hold for customers involved? <strong>cloud keys" in view
    assert escape(second.title) not in view
    assert bob.get(f"/exercises/{key}/facilitate").status_code == 403
    assert escape(second.title) in alice.get(f"/exercises/{key}/facilitate").text
    assert admin.get(f"/exercises/{key}/facilitate").status_code == 200

    # only the facilitator or an admin releases injects
    assert bob.post(f"/exercises/{key}/release", data={"inject": "2"}).status_code == 403
    clock.advance(minutes=8)
    released = alice.post(f"/exercises/{key}/release", data={"inject": "2"})
    assert released.status_code == 303
    assert "injects" in released.headers["location"]
    twice = alice.post(f"/exercises/{key}/release", data={"inject": "2"})
    assert twice.status_code == 422 and "the next is 3" in twice.text
    view = bob.get(f"/exercises/{key}").text
    assert escape(second.title) in view and "confirmed" in view  # access: confirmed
    assert escape(SCENARIO.injects[2].title) not in view

    # the team works the real incident; decisions land on its timeline
    bob.post(f"/incidents/{incident}/roles", data={"role": "incident_lead", "person": "bob"})
    bob.post(f"/incidents/{incident}/roles", data={"role": "technical_lead", "person": "carol"})
    assert 'id="meets-keys-decision"' in view
    empty = carol.post(f"/exercises/{key}/decisions", data={"body": " "})
    assert empty.status_code == 422 and "body" in empty.text
    made = carol.post(
        f"/exercises/{key}/decisions",
        data={"body": "Disable the stored keys after notice", "meets-keys-decision": "1"},
    )
    assert made.status_code == 303 and made.headers["location"].endswith("#decisions")
    assert "Disable the stored keys after notice" in bob.get(f"/exercises/{key}").text
    timeline = bob.get(f"/incidents/{incident}/timeline").text
    assert "Disable the stored keys after notice" in timeline and "decision" in timeline
    assert BANNER in timeline  # every page about the exercise says so
    assert BANNER in bob.get(f"/incidents/{incident}/verify").text
    page = bob.get(f"/incidents/{incident}").text
    assert f'href="/exercises/{key}"' in page and f'href="/exercises/{key}/facilitate"' not in page
    assert f'href="/exercises/{key}/facilitate"' in alice.get(f"/incidents/{incident}").text

    # the interim report scores what was due
    report = alice.get(f"/exercises/{key}/report").text
    assert BANNER in report and "Interim" in report
    assert re.search(r'id="result-lead-assigned".*?outcome-met', report, re.S)
    assert re.search(r'id="result-keys-decision".*?outcome-met', report, re.S)

    # the end: decisions close, what was not done is missed
    assert bob.post(f"/exercises/{key}/end").status_code == 403
    clock.advance(minutes=52)
    assert alice.post(f"/exercises/{key}/end").status_code == 303
    closed = carol.post(f"/exercises/{key}/decisions", data={"body": "Too late"})
    assert closed.status_code == 409 and "decisions are closed" in closed.text
    report = bob.get(f"/exercises/{key}/report").text
    assert "Interim" not in report
    assert re.search(r'id="result-comms-lead-assigned".*?outcome-missed', report, re.S)
    # impact statements are tracked: none was written, so that expectation is missed
    assert re.search(r'id="result-impact-statement-started".*?outcome-missed', report, re.S)
    score = re.search(r"Score: <strong>(\d+)%</strong>", report)
    assert score
    # met: lead, lead-not-investigator, keys decision; 9 missed (impact statement,
    # obligations, their deadlines and the customer notice are read from the records, and nobody
    # did them)
    assert int(score.group(1)) == round(100 * 3 / 12)
    assert re.search(
        r'id="result-deadlines-met".*?outcome-missed.*?no obligations computed', report, re.S
    )
    assert "Missed — comms lead assigned" in report
    assert escape(SCENARIO.questions[0]) in report
    listing = bob.get("/exercises").text
    assert f'href="/exercises/{key}"' in listing and "ended" in listing


def test_viewers_watch_but_do_not_play(browser: Callable[[str], Browser]) -> None:
    alice, val = browser("alice"), browser("val")
    assert val.post("/exercises", data={"scenario": "insider-export"}).status_code == 403
    key = start(alice, "insider-export")
    view = val.get(f"/exercises/{key}").text
    assert BANNER in view and 'action="/exercises/' not in view
    assert val.post(f"/exercises/{key}/decisions", data={"body": "x"}).status_code == 403
    assert val.post(f"/exercises/{key}/release").status_code == 403
    assert alice.client.post(f"/exercises/{key}/release").status_code == 403  # no CSRF token
    assert alice.post("/exercises", data={"scenario": "no-such"}).status_code == 422


def test_re_run_a_closed_incident_as_practice(browser: Callable[[str], Browser]) -> None:
    alice, val = browser("alice"), browser("val")
    real = declare(alice, "Odd logins", summary="Alerts from SSO")
    assert 'id="practice"' not in alice.get(f"/incidents/{real}").text  # still open
    alice.post(f"/incidents/{real}/roles", data={"role": "incident_lead", "person": "alice"})
    for phase in ("post_incident", "closed"):
        assert alice.post(f"/incidents/{real}/transition", data={"phase": phase}).status_code == 303
    page = alice.get(f"/incidents/{real}").text
    assert "Re-run this incident as practice" in page
    assert "Re-run this incident as practice</button>" not in val.get(f"/incidents/{real}").text
    response = alice.post(f"/incidents/{real}/practice")
    assert response.status_code == 303
    found = re.match(r"/exercises/(EX-\d{4}-\d+)/facilitate", response.headers["location"])
    assert found
    facilitate = alice.get(response.headers["location"]).text
    assert "Alerts from SSO" in facilitate
    report = alice.get(f"/exercises/{found.group(1)}/report").text
    assert f'href="/incidents/{real}"' in report and "practice of" in report


def test_the_exercises_api(
    browser: Callable[[str], Browser], token_for: Callable[..., str], clock: FakeClock
) -> None:
    alice = {"authorization": f"Bearer {token_for('alice')}"}
    bob = {"authorization": f"Bearer {token_for('bob')}"}
    reader = {"authorization": f"Bearer {token_for('bob', 'read')}"}
    client = browser("alice").client
    library = client.get("/api/v1/exercises/scenarios", headers=bob).json()
    assert {s["scenario"] for s in library} == set(prepare_files.load_scenarios().entries)
    both = client.post(
        "/api/v1/exercises", json={"scenario": "token-in-public-repo", "practice_of": "INC-1"}
    )
    assert both.status_code == 403  # a session call without the CSRF header
    both = client.post(
        "/api/v1/exercises",
        json={"scenario": "token-in-public-repo", "practice_of": "INC-2026-1"},
        headers=alice,
    )
    assert both.status_code == 422
    made = client.post(
        "/api/v1/exercises", json={"scenario": "token-in-public-repo"}, headers=alice
    )
    assert made.status_code == 201, made.text
    body = made.json()
    key = body["key"]
    assert made.headers["location"] == f"/api/v1/exercises/{key}"
    assert body["exercise"] is True and body["injects_released"] == 1
    assert [r["inject"] for r in body["released"]] == [1]
    assert client.get(f"/api/v1/exercises/{key}", headers=reader).status_code == 200

    refused = client.post(f"/api/v1/exercises/{key}/release", json={}, headers=bob)
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")
    clock.advance(minutes=5)
    out = client.post(f"/api/v1/exercises/{key}/release", json={"inject": 2}, headers=alice)
    assert out.status_code == 200 and out.json()["injects_released"] == 2
    assert out.json()["released"][1]["released_by"] == "alice"

    entry = client.post(
        f"/api/v1/exercises/{key}/decisions",
        json={"text": "Revoke the token now", "meets": []},
        headers=bob,
    )
    assert entry.status_code == 201 and entry.json()["kind"] == "decision"
    denied = client.post(f"/api/v1/exercises/{key}/decisions", json={"text": "x"}, headers=reader)
    assert denied.status_code == 403
    unknown = client.post(
        f"/api/v1/exercises/{key}/decisions",
        json={"text": "x", "meets": ["telepathy"]},
        headers=bob,
    )
    assert unknown.status_code == 422
    assert client.post(f"/api/v1/exercises/{key}/end", headers=bob).status_code == 403
    ended = client.post(f"/api/v1/exercises/{key}/end", headers=alice)
    assert ended.status_code == 200 and ended.json()["ended_at"]
    report = client.get(f"/api/v1/exercises/{key}/report", headers=bob).json()
    assert report["is_exercise"] is True and report["decisions"] == 1
    assert {r["outcome"] for r in report["results"]} <= {"met", "late", "missed", "not_measured"}
    assert [e["key"] for e in client.get("/api/v1/exercises", headers=bob).json()] == [key]
    assert client.get("/api/v1/exercises/EX-2026-99", headers=bob).status_code == 404
    assert client.get("/api/v1/exercises/nonsense", headers=bob).status_code == 422
