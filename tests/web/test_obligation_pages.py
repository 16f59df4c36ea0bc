"""Obligations on the incident page and the dashboard, and their API, on SQLite and PostgreSQL:
the facts form, the table with deadlines in three zones and countdowns, filing with the chained
deadline, the not-required proposal and counsel's approval, the counsel packet read back."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from docx import Document as Docx
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import Engine

from candor import bootstrap, config
from candor.adapters.passwords import fast_hasher
from tests.fakes import FakeClock
from tests.web.conftest import Browser, seed_users

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


@pytest.fixture
def application(engine: Engine, clock: FakeClock, tmp_path: Path) -> bootstrap.Application:
    settings = config.Settings(
        home=tmp_path,
        database_url=engine.url.render_as_string(hide_password=False),
        organization={"name": "Example SaaS Inc.", "timezone": "America/New_York"},
        obligations={"establishments": ["US-DE", "IE"], "eu_main_establishment": "IE"},
    )
    clock.current = NOW
    made = bootstrap.build(settings, clock=clock, hasher=fast_hasher())
    made.__dict__["engine"] = engine
    return seed_users(made)


def declare_breach(browser: Browser) -> str:
    response = browser.post(
        "/incidents/new",
        data={
            "title": "Support tool export copied by an attacker",
            "kind": "personal_data_breach",
            "severity": "SEV1",
            "detected_at": "2026-11-20T09:00Z",
            "aware_at": "2026-11-20T14:00Z",
        },
    )
    assert response.status_code == 303, response.text
    return response.headers["location"].split("?")[0].rsplit("/", 1)[1]


FACTS_FORM = {
    "facts_version": "0",
    "de-name": "1",
    "de-ssn": "1",
    "affected": "US-CA 600\nUS-TX 1,200\nUS-NY 300\nDE 3000",
    "risk_of_harm": "likely",
    "reason": "first count from the support tool's export",
}


def rows(page: str) -> dict[str, str]:
    """rule id @ jurisdiction → the row's HTML."""
    found = re.findall(
        r'<tr id="obligation-\d+"[^>]*data-rule="([^"]+)" data-jurisdiction="([^"]+)">(.*?)</tr>',
        page,
        re.S,
    )
    return {f"{rule}@{place}": body for rule, place, body in found}


def seq_of(page: str, rule: str) -> str:
    match = re.search(rf'<tr id="obligation-(\d+)"[^>]*data-rule="{rule}"', page)
    assert match, rule
    return match.group(1)


def test_enter_facts_and_see_obligations_with_deadlines_in_three_zones(
    browser: Callable[[str], Browser],
) -> None:
    alice = browser("alice")
    key = declare_breach(alice)
    page = alice.get(f"/incidents/{key}").text
    assert "Notification obligations" in page and "No facts recorded yet" in page
    saved = alice.post(f"/incidents/{key}/obligations/facts", data=FACTS_FORM)
    assert saved.status_code == 303
    assert saved.headers["location"].endswith("notice=obligation-facts#obligations")
    page = alice.get(f"/incidents/{key}").text
    table = rows(page)
    assert {"us-ca-individuals@US-CA", "us-tx-regulator@US-TX", "eu-gdpr-33-1@EU"} <= set(table)
    texas = table["us-tx-regulator@US-TX"]
    assert "2026-12-21 05:59 UTC" in texas
    assert "2026-12-21 00:59 America/New_York" in texas
    assert "2026-12-20 23:59 America/Chicago" in texas
    assert (
        '<time data-countdown datetime="2026-12-21T05:59:00Z">28 d 17 h 59 min left</time>' in texas
    )
    assert "verified" in texas and "pending" in texas
    assert "This prepares counsel's decision; it is not legal advice." in page
    assert "Rules shown were last reviewed 2026-11-22" in page
    assert "Determinations needed" in page and "US-CA/individuals" in page
    assert "Version 1, recorded 2026-11-22 12:00 UTC by alice" in page
    assert "first count from the support tool" in page
    assert "Obligations recomputed (facts version 1)" in page  # on the timeline
    # the form shows what was entered, for the next change
    assert "US-TX 1200" in page and 'id="de-ssn" name="de-ssn" value="1" checked' in page


def test_a_form_mistake_is_shown_at_its_field_and_the_input_kept(
    browser: Callable[[str], Browser],
) -> None:
    alice = browser("alice")
    key = declare_breach(alice)
    response = alice.post(
        f"/incidents/{key}/obligations/facts", data={**FACTS_FORM, "affected": "Califronia 600"}
    )
    assert response.status_code == 422
    assert "affected.Califronia" in response.text
    assert "Califronia 600" in response.text


def test_filing_gives_the_chained_notice_its_deadline(browser: Callable[[str], Browser]) -> None:
    alice = browser("alice")
    key = declare_breach(alice)
    alice.post(f"/incidents/{key}/obligations/facts", data=FACTS_FORM)
    page = alice.get(f"/incidents/{key}").text
    assert "pending: clock not started" in rows(page)["us-ca-regulator@US-CA"]
    seq = seq_of(page, "us-ca-individuals")
    done = alice.post(
        f"/incidents/{key}/obligations/{seq}/file",
        data={"reference": "Letters mailed, batch 7", "filed_at": "2026-11-22T10:00Z"},
    )
    assert done.status_code == 303
    page = alice.get(f"/incidents/{key}").text
    residents = rows(page)["us-ca-individuals@US-CA"]
    assert "filed" in residents and "Letters mailed, batch 7" in residents
    regulator = rows(page)["us-ca-regulator@US-CA"]
    # 15 days after the residents' notice, to the end of the day in California
    assert (
        "2026-12-08 07:59 UTC" in regulator and "2026-12-07 23:59 America/Los_Angeles" in regulator
    )
    assert "data-countdown" in regulator
    again = alice.post(f"/incidents/{key}/obligations/{seq}/file", data={"reference": "twice"})
    assert again.status_code == 409 and "already recorded as filed" in again.text


def test_not_required_is_proposed_by_a_responder_and_approved_by_counsel_only(
    browser: Callable[[str], Browser],
) -> None:
    alice, carol = browser("alice"), browser("carol")
    key = declare_breach(alice)
    alice.post(f"/incidents/{key}/obligations/facts", data=FACTS_FORM)
    seq = seq_of(alice.get(f"/incidents/{key}").text, "us-tx-regulator")
    proposed = alice.post(
        f"/incidents/{key}/obligations/{seq}/not-required",
        data={"determination": "The Texas count includes business contacts; under 250 residents."},
    )
    assert proposed.status_code == 303
    page = alice.get(f"/incidents/{key}").text
    assert "awaiting counsel" in rows(page)["us-tx-regulator@US-TX"]
    assert f"/obligations/{seq}/approve" not in page
    refused = alice.post(f"/incidents/{key}/obligations/{seq}/approve")
    assert refused.status_code == 403 and "counsel role" in refused.text
    counsel_page = carol.get(f"/incidents/{key}").text
    assert f"/obligations/{seq}/approve" in counsel_page
    assert carol.post(f"/incidents/{key}/obligations/{seq}/approve").status_code == 303
    row = rows(carol.get(f"/incidents/{key}").text)["us-tx-regulator@US-TX"]
    assert "not required (counsel)" in row and "approved by counsel carol" in row
    assert "data-countdown" not in row


def test_the_dashboard_lists_the_next_deadlines_and_flags_overdue_ones(
    browser: Callable[[str], Browser], clock: FakeClock
) -> None:
    alice = browser("alice")
    key = declare_breach(alice)
    alice.post(f"/incidents/{key}/obligations/facts", data=FACTS_FORM)
    board = alice.get("/").text
    assert "Notification deadlines" in board and f'href="/incidents/{key}#obligation-' in board
    assert "overdue" not in board.split("Notification deadlines")[1]
    clock.current = NOW + timedelta(days=2)  # GDPR's 72 hours from awareness have passed
    board = browser("alice").get("/").text  # signed in again: the first session has expired
    assert "1 overdue" in board.split("Notification deadlines")[1]
    assert "overdue</span>" in board


def test_the_counsel_packet_downloads_in_three_formats(browser: Callable[[str], Browser]) -> None:
    alice = browser("alice")
    key = declare_breach(alice)
    alice.post(f"/incidents/{key}/obligations/facts", data=FACTS_FORM)
    md = alice.get(f"/incidents/{key}/obligations/packet.md")
    assert md.status_code == 200 and md.headers["content-type"].startswith("text/markdown")
    assert "attachment" in md.headers["content-disposition"]
    text = md.text
    assert "This prepares counsel's decision; it is not legal advice." in text
    assert "Tex. Bus. & Com. Code" in text and "2026-12-21 05:59 UTC" in text
    assert "Determinations needed" in text and "The rules' review dates" in text
    docx = alice.get(f"/incidents/{key}/obligations/packet.docx")
    body = "\n".join(p.text for p in Docx(io.BytesIO(docx.content)).paragraphs)
    assert "not legal advice" in body and "Determinations needed" in body
    pdf = alice.get(f"/incidents/{key}/obligations/packet.pdf?privileged=true")
    pages = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "PRIVILEGED & CONFIDENTIAL" in pages and "not legal advice" in pages
    assert alice.get(f"/incidents/{key}/obligations/packet.txt").status_code == 422


def test_the_api_records_facts_files_and_needs_counsel_to_approve(
    web_client: TestClient, token_for: Callable[..., str]
) -> None:
    alice = {"Authorization": f"Bearer {token_for('alice')}"}
    carol = {"Authorization": f"Bearer {token_for('carol')}"}
    viewer = {"Authorization": f"Bearer {token_for('val', 'read')}"}
    made = web_client.post(
        "/api/v1/incidents",
        headers=alice,
        json={"title": "Keys exposed", "aware_at": "2026-11-20T14:00:00Z"},
    ).json()
    base = f"/api/v1/incidents/{made['key']}/obligations"
    body = {"changes": {"data_elements": ["name", "ssn"], "affected": {"US-TX": 1200}}}
    assert web_client.patch(f"{base}/facts", headers=viewer, json=body).status_code == 403
    recorded = web_client.patch(f"{base}/facts", headers=alice, json=body)
    assert recorded.status_code == 200, recorded.text
    assert recorded.json()["facts"]["version"] == 1
    assert {c["rule_id"] for c in recorded.json()["obligation_changes"]} >= {"us-tx-regulator"}
    bad = web_client.patch(f"{base}/facts", headers=alice, json={"changes": {"affected": 3}})
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")
    view = web_client.get(base, headers=viewer).json()
    regulator = next(o for o in view["obligations"] if o["rule_id"] == "us-tx-regulator")
    assert regulator["deadline_local"]["jurisdiction"]["zone"] == "America/Chicago"
    assert regulator["tracking"] == "pending" and regulator["verified"] is True
    seq = regulator["seq"]
    proposed = web_client.post(
        f"{base}/{seq}/not-required", headers=alice, json={"text": "Under the threshold."}
    )
    assert proposed.json()["tracking"] == "not_required_proposed"
    assert web_client.post(f"{base}/{seq}/approve", headers=alice).status_code == 403
    approved = web_client.post(f"{base}/{seq}/approve", headers=carol).json()
    assert approved["tracking"] == "not_required"
    assert approved["determination"]["approved_by"] == "carol"
    other = next(o for o in view["obligations"] if o["rule_id"] == "us-tx-individuals")
    filed = web_client.post(
        f"{base}/{other['seq']}/file", headers=alice, json={"reference": "Letters, batch 1"}
    ).json()
    assert filed["filing"]["reference"] == "Letters, batch 1"
    due = web_client.get("/api/v1/obligations/due", headers=alice).json()["items"]
    assert made["key"] not in {i["incident"] for i in due if i["seq"] in (seq, other["seq"])}
    packet = web_client.get(f"{base}/packet?format=md", headers=alice)
    assert packet.status_code == 200 and "not legal advice" in packet.text
    history = web_client.get(f"{base}/facts", headers=alice).json()["items"]
    assert [v["version"] for v in history] == [1]


@pytest.fixture
def web_client(web):  # type: ignore[no-untyped-def]
    with TestClient(web, follow_redirects=False) as client:
        yield client
