"""The responders' side: the reports queue and its forms, decryption in the page, triage on the
incident page (assess, apply, confirm a breach), the secret catalogue page, and the API for
triage."""

from __future__ import annotations

import random
import re
import string
from collections.abc import Callable
from pathlib import Path

import pysequoia
import pytest
from fastapi.testclient import TestClient

from candor import bootstrap
from candor.config import PgpSettings
from candor.domain.reports import Channel
from candor.services import reports
from tests.conftest import ALICE
from tests.web.conftest import Browser
from tests.web.test_pages import declare

TEST_KEY = Path(__file__).resolve().parents[1] / "data" / "pgp" / "TEST-ONLY-secret-key.pgp"
TEST_PASSPHRASE = "test-only-passphrase"  # see tests/data/pgp/README.md


def receive(application: bootstrap.Application, **fields: str) -> str:
    return reports.receive(application.context, fields, channel=Channel.CLI, actor=ALICE).key


def test_the_queue_is_for_responders_and_handles_reports(
    application: bootstrap.Application, browser: Callable[[str], Browser]
) -> None:
    first = receive(application, what_happened="Spam about cheap pills")
    second = receive(application, what_happened="Directory listing on files.example.com")
    alice, val = browser("alice"), browser("val")
    assert val.get("/reports").status_code == 403
    assert 'href="/reports"' not in val.get("/").text
    home = alice.get("/").text
    assert 'href="/reports"' in home and "2 reports" in home
    queue = alice.get("/reports").text
    assert first in queue and second in queue and "Directory listing" in queue
    assert alice.post(f"/reports/{first}/acknowledge", data={"version": "1"}).status_code == 303
    assert "Acknowledged" in alice.get(f"/reports/{first}").text
    empty = alice.post(f"/reports/{first}/decline", data={"version": "2", "reason": " "})
    assert empty.status_code == 422 and "must not be empty" in empty.text
    stale = alice.post(f"/reports/{first}/decline", data={"version": "1", "reason": "spam"})
    assert stale.status_code == 409 and 'value="spam"' in stale.text
    assert (
        alice.post(f"/reports/{first}/decline", data={"version": "2", "reason": "spam"})
    ).status_code == 303
    assert first not in alice.get("/reports").text
    assert "declined: spam" in alice.get("/reports?show=declined").text
    promoted = alice.post(
        f"/reports/{second}/promote",
        data={"version": "1", "title": "Directory listing", "severity": "SEV4", "kind": "event"},
    )
    assert promoted.status_code == 303
    key = promoted.headers["location"].split("?")[0].rsplit("/", 1)[1]
    incident = alice.get(f"/incidents/{key}").text
    assert f'href="/reports/{second}"' in incident
    assert "Directory listing on files.example.com" in incident
    report = alice.get(f"/reports/{second}").text
    assert f'href="/incidents/{key}"' in report and 'action="/reports' not in report


@pytest.fixture
def with_key(application: bootstrap.Application, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("CANDOR_TEST_PGP_PASSPHRASE", TEST_PASSPHRASE)
    application.settings.pgp = PgpSettings(
        private_key=TEST_KEY, passphrase_env="CANDOR_TEST_PGP_PASSPHRASE"
    )
    key = application.organisation_key()
    assert key is not None
    cert = pysequoia.Cert.from_bytes(key.public_key.encode())
    text = "We saw API calls with our key AKIA… from 198.51.100.7 <b>bold?</b>"
    return pysequoia.encrypt(text.encode(), recipients=[cert]).decode()


def test_an_encrypted_report_is_decrypted_in_the_page(
    application: bootstrap.Application, browser: Callable[[str], Browser], with_key: str
) -> None:
    key = receive(application, pgp_message=with_key)
    alice = browser("alice")
    page = alice.get(f"/reports/{key}").text
    assert "Encrypted message" in page and "Decrypt with the organisation" in page
    shown = alice.post(f"/reports/{key}/decrypt", data={})
    assert shown.status_code == 200
    plaintext = re.search(r'<pre class="report" id="plaintext">(.*?)</pre>', shown.text, re.S)
    assert plaintext and plaintext.group(1).startswith("We saw API calls")
    assert "&lt;b&gt;bold?&lt;/b&gt;" in plaintext.group(1)
    assert "not kept" in shown.text and shown.headers["cache-control"] == "no-store"
    assert "Decryption record" not in alice.get(f"/reports/{key}").text
    kept = alice.post(f"/reports/{key}/decrypt", data={"keep": "1"})
    assert "kept as a decryption record" in kept.text
    again = alice.get(f"/reports/{key}").text
    assert "Decryption record of" in again and "We saw API calls" in again
    assert with_key.splitlines()[3] in again  # the armour is still shown as received


def test_a_wrong_passphrase_is_explained_on_the_page(
    application: bootstrap.Application,
    browser: Callable[[str], Browser],
    with_key: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key = receive(application, pgp_message=with_key)
    monkeypatch.setenv("CANDOR_TEST_PGP_PASSPHRASE", "guess")
    response = browser("alice").post(f"/reports/{key}/decrypt", data={})
    assert response.status_code == 422
    assert "wrong passphrase for the organisation&#39;s private key" in response.text


TRIAGE_ANSWERS = {
    "customer_secrets": ["cloud_keys"],
    "access": "confirmed",
    "personal_data": "no",
    "customers_affected": "3",
}


def test_triage_in_the_incident_page_assess_apply_and_confirm(
    browser: Callable[[str], Browser],
) -> None:
    alice = browser("alice")
    key = declare(alice, "Customer reports AWS activity tied to keys we hold")
    page = alice.get(f"/incidents/{key}").text
    assert 'id="triage"' in page and "Not triaged yet" in page
    assert 'name="customer_secrets" value="cloud_keys"' in page
    saved = alice.post(f"/incidents/{key}/triage", data=TRIAGE_ANSWERS)
    assert saved.status_code == 303 and saved.headers["location"].endswith("#triage")
    page = alice.get(f"/incidents/{key}").text
    result = page[page.index('id="triage-result"') :]
    assert "supply chain breach" in result[:600] and "SEV1" in result[:600]
    assert "rule customer-secrets-confirmed" in result
    assert "customer_secrets = cloud_keys" in result
    assert 'value="cloud_keys" checked' in page  # the form starts from the latest answers
    assert "Confirm breach determination" in page
    version = re.search(
        r'action="/incidents/[^/]+/triage/apply".*?name="version" value="(\d+)"', page, re.S
    )
    assert version
    applied = alice.post(
        f"/incidents/{key}/triage/apply", data={"version": version.group(1), "assessment": "1"}
    )
    assert applied.status_code == 303
    page = alice.get(f"/incidents/{key}").text
    assert "Apply: set kind" not in page
    assert 'class="kind">supply chain breach' in page
    confirmed = alice.post(f"/incidents/{key}/triage/breach", data={"assessment": "1"})
    assert confirmed.status_code == 303
    page = alice.get(f"/incidents/{key}").text
    assert "Confirm breach determination" not in page
    assert "Breach determination confirmed by alice" in page


def test_contradictory_answers_are_refused_and_the_answers_kept(
    browser: Callable[[str], Browser],
) -> None:
    alice = browser("alice")
    key = declare(alice, "Odd logins")
    refused = alice.post(
        f"/incidents/{key}/triage",
        data={"access": "ruled_out", "exfiltration": "confirmed", "note": "first look"},
    )
    assert refused.status_code == 422
    assert "data cannot have been taken if access is ruled out" in refused.text
    assert 'value="ruled_out" checked' in refused.text
    assert 'value="first look"' in refused.text
    assert "Not triaged yet" in refused.text


def test_viewers_see_the_result_but_no_questionnaire(
    browser: Callable[[str], Browser],
) -> None:
    alice, val = browser("alice"), browser("val")
    key = declare(alice, "Port scan")
    alice.post(f"/incidents/{key}/triage", data={"access": "ruled_out"})
    page = val.get(f"/incidents/{key}").text
    assert "event" in page and 'action="/incidents/' + key + '/triage"' not in page
    assert val.post(f"/incidents/{key}/triage", data={"access": "confirmed"}).status_code == 403


def test_triage_through_the_api(anonymous: TestClient, token_for: Callable[..., str]) -> None:
    auth = {"authorization": f"Bearer {token_for('alice')}"}
    key = anonymous.post("/api/v1/incidents", json={"title": "Leak"}, headers=auth).json()["key"]
    made = anonymous.post(
        f"/api/v1/incidents/{key}/triage",
        json={"answers": {"access": "unknown"}, "note": "first"},
        headers=auth,
    )
    assert made.status_code == 201
    assert made.json()["assessment"]["kind"] == "event"
    assert made.json()["change"]["summary"].startswith("Triaged as event, SEV4")
    second = anonymous.post(
        f"/api/v1/incidents/{key}/triage",
        json={"answers": {"access": "confirmed", "personal_data": "yes"}},
        headers=auth,
    ).json()
    assert second["assessment"]["kind"] == "personal_data_breach"
    assert second["change"]["breach_escalation"] is True
    bad = anonymous.post(
        f"/api/v1/incidents/{key}/triage", json={"answers": {"access": "maybe"}}, headers=auth
    )
    assert bad.status_code == 422 and bad.json()["problems"][0]["field"] == "access"
    history = anonymous.get(f"/api/v1/incidents/{key}/triage", headers=auth).json()["items"]
    assert [a["version"] for a in history] == [1, 2]
    stale = anonymous.post(
        f"/api/v1/incidents/{key}/triage/apply", json={"assessment": 1}, headers=auth
    )
    assert stale.status_code == 409
    applied = anonymous.post(
        f"/api/v1/incidents/{key}/triage/apply", json={"assessment": 2}, headers=auth
    ).json()
    assert (applied["kind"], applied["severity"]) == ("personal_data_breach", "SEV1")
    assert applied["clocks"]["breach_determined_at"] is None
    confirmed = anonymous.post(
        f"/api/v1/incidents/{key}/triage/confirm-breach", json={}, headers=auth
    ).json()
    assert confirmed["clocks"]["breach_determined_at"] is not None


def _token() -> str:
    gen = random.Random(3)  # noqa: S311 - an invented sample, not cryptography
    return "gh" + "p_" + "".join(gen.choice(string.ascii_letters) for _ in range(36))


def test_the_secret_catalogue_page_never_echoes_the_value(
    browser: Callable[[str], Browser],
) -> None:
    alice = browser("alice")
    key = declare(alice, "Token in a public repository")
    token = _token()
    form = alice.get("/secrets").text
    assert 'spellcheck="false"' in form and "types recognised" in form
    shown = alice.post("/secrets", data={"value": f"GITHUB_TOKEN={token}"})
    assert shown.status_code == 200 and shown.headers["cache-control"] == "no-store"
    assert "GitHub personal access token (classic)" in shown.text
    assert "ghp_****" in shown.text
    assert token not in shown.text and token[4:12] not in shown.text
    assert "Revoke now" in shown.text
    recorded = alice.post("/secrets", data={"value": token, "incident": key})
    assert f'Recorded on the timeline of <a href="/incidents/{key}">' in recorded.text
    incident = alice.get(f"/incidents/{key}").text
    assert "Suspected leaked secret (masked)" in incident and token not in incident
    nothing = alice.post("/secrets", data={"value": "hello world"})
    assert "No known secret type recognised" in nothing.text
    refused = alice.post("/secrets", data={"value": "hello", "incident": key})
    assert refused.status_code == 422 and "nothing was recorded" in refused.text
