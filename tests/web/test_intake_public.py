"""The public side of intake, and abuse of it: the report form and API, size limits, 100 rapid
submissions, markup in every field, bytes that are not UTF-8, the trap field, CSRF, and
/.well-known/security.txt with its warning on the dashboard."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi.testclient import TestClient

from candor import bootstrap
from candor.config import SecurityTxtSettings
from candor.domain.securitytxt import check
from candor.services import reports
from candor.services.ports_intake import ReportFilter
from tests.conftest import ADMIN
from tests.fakes import FakeClock
from tests.web.conftest import Browser

TOKEN = re.compile(r'name="form_token" value="([^"]+)"')
REFERENCE = re.compile(r'class="reference">(REP-\d{4}-\d+)<')
ARMOUR = "-----BEGIN PGP MESSAGE-----\n\nhQEMA0xyz\n=abcd\n-----END PGP MESSAGE-----\n"
XSS = '<script>alert(1)</script><img src=x onerror="alert(2)">[x](javascript:alert(3))'


def stored(application: bootstrap.Application) -> int:
    return reports.page(application.context, ADMIN, ReportFilter()).total


def form_token(client: TestClient) -> str:
    page = client.get("/report")
    assert page.status_code == 200
    found = TOKEN.search(page.text)
    assert found
    return found.group(1)


def submit(client: TestClient, **fields: str) -> httpx.Response:
    return client.post("/report", data={"form_token": form_token(client), **fields})


def test_a_report_through_the_form_gets_a_reference(
    anonymous: TestClient, application: bootstrap.Application
) -> None:
    page = anonymous.get("/report")
    assert "Report a security issue" in page.text
    assert "candor_report=" in page.headers["set-cookie"]
    assert "SameSite=strict" in page.headers["set-cookie"]
    token = TOKEN.search(page.text)
    assert token
    answer = anonymous.post(
        "/report",
        data={
            "form_token": token.group(1),
            "what_happened": "API calls with the AWS key we gave you, from 198.51.100.7",
            "reporter_email": "ana@example.com",
        },
    )
    assert answer.status_code == 200, answer.text
    found = REFERENCE.search(answer.text)
    assert found and found.group(1) == "REP-2026-1"
    assert answer.headers["cache-control"] == "no-store"
    # the token is spent: sending the same form again is refused, not stored twice
    again = anonymous.post("/report", data={"form_token": token.group(1), "what_happened": "again"})
    assert again.status_code == 403
    assert stored(application) == 1


def test_the_form_needs_its_token(
    anonymous: TestClient, application: bootstrap.Application
) -> None:
    form_token(anonymous)  # the cookie is set, but a forged form cannot know its value
    forged = anonymous.post("/report", data={"form_token": "guess", "what_happened": "x"})
    assert forged.status_code == 403
    assert "did not come from this site" in forged.text
    assert stored(application) == 0


def test_an_oversized_body_is_refused_before_reading(
    anonymous: TestClient, application: bootstrap.Application
) -> None:
    token = form_token(anonymous)
    body = f"form_token={token}&what_happened=" + "x" * (600 * 1024)
    response = anonymous.post(
        "/report",
        content=body.encode(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 413
    api = anonymous.post("/api/v1/reports", json={"what_happened": "x" * (600 * 1024)})
    assert api.status_code == 413
    assert api.headers["content-type"].startswith("application/problem+json")
    assert stored(application) == 0


def test_a_field_over_its_limit_is_named_and_the_input_kept(
    anonymous: TestClient, application: bootstrap.Application
) -> None:
    response = submit(anonymous, what_happened="x" * 20_001, affected="https://app.example.com")
    assert response.status_code == 422
    assert "at most 20000 allowed" in response.text
    assert 'value="https://app.example.com"' in response.text
    assert stored(application) == 0


def test_a_hundred_rapid_submissions_from_one_client(
    anonymous: TestClient, application: bootstrap.Application
) -> None:
    codes = [submit(anonymous, what_happened=f"flood {n}").status_code for n in range(100)]
    assert codes[:5] == [200] * 5
    assert set(codes[5:]) == {429}
    limited = submit(anonymous, what_happened="one more")
    assert int(limited.headers["retry-after"]) == 600 + 1
    assert "too many reports from your address" in limited.text
    api = anonymous.post("/api/v1/reports", json={"what_happened": "through the API"})
    assert api.status_code == 429 and api.headers["retry-after"]
    assert api.json()["status"] == 429
    assert stored(application) == 5


def test_the_api_has_its_own_limit_per_client_too(
    anonymous: TestClient, application: bootstrap.Application, clock: FakeClock
) -> None:
    codes = [
        anonymous.post("/api/v1/reports", json={"what_happened": f"n{n}"}).status_code
        for n in range(100)
    ]
    assert codes.count(201) == 5 and codes.count(429) == 95
    clock.advance(minutes=10, seconds=1)
    assert anonymous.post("/api/v1/reports", json={"what_happened": "later"}).status_code == 201
    assert stored(application) == 6


@pytest.mark.parametrize(
    "body",
    [
        b"what_happened=\xff\xfe%20broken",  # raw bytes
        b"what_happened=%ff%fe%20broken",  # percent-encoded
        b"what_happened=%ed%a0%80",  # an encoded surrogate
    ],
)
def test_bytes_that_are_not_utf8_get_a_clear_400(
    anonymous: TestClient, application: bootstrap.Application, body: bytes
) -> None:
    token = form_token(anonymous).encode()
    response = anonymous.post(
        "/report",
        content=b"form_token=" + token + b"&" + body,
        headers={"content-type": "application/x-www-form-urlencoded", "accept": "text/html"},
    )
    assert response.status_code == 400
    assert "not valid UTF-8" in response.text
    assert stored(application) == 0


def test_the_api_refuses_what_is_not_utf8_json(
    anonymous: TestClient, application: bootstrap.Application
) -> None:
    cases = [
        (b'{"what_happened": "\xff"}', "application/json", 400, "not valid UTF-8"),
        (b'{"what_happened": ', "application/json", 400, "not valid JSON"),
        (b'{"what_happened": "\\ud800"}', "application/json", 422, "not valid Unicode"),
        (b'["a list"]', "application/json", 422, "JSON object"),
        (b'{"what_happened": "x", "severity": 1}', "application/json", 422, "unknown field"),
        (b'{"what_happened": "x"}', "text/plain", 415, "application/json"),
    ]
    for body, content_type, status, words in cases:
        response = anonymous.post(
            "/api/v1/reports", content=body, headers={"content-type": content_type}
        )
        assert response.status_code == status, (body, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert words in response.json()["detail"]
    assert stored(application) == 0


def test_the_trap_field_is_hidden_and_refuses_quietly(
    anonymous: TestClient, application: bootstrap.Application
) -> None:
    page = anonymous.get("/report").text
    trap = re.search(r'<div class="trap" aria-hidden="true">.*?</div>', page, re.S)
    assert trap and 'name="website"' in trap.group(0) and 'tabindex="-1"' in trap.group(0)
    response = submit(anonymous, what_happened="cheap pills", website="https://spam.example")
    assert response.status_code == 403
    assert "could not be accepted" in response.text
    assert "website" not in response.text.split("<form")[0]  # nothing says why
    assert stored(application) == 0


def test_markup_in_every_field_is_inert_in_the_queue_the_report_and_the_incident(
    anonymous: TestClient, application: bootstrap.Application, browser: Callable[[str], Browser]
) -> None:
    refused = submit(anonymous, what_happened="x", reporter_email=f"{XSS}@example.com")
    assert refused.status_code == 422 and "<script>alert(1)" not in refused.text
    made = submit(
        anonymous,
        what_happened=XSS,
        how_found=XSS,
        affected=XSS,
        reporter_name=XSS,
        pgp_message=XSS + "\n" + ARMOUR,
    )
    assert made.status_code == 200, made.text
    alice = browser("alice")
    for path in ("/reports", "/reports/REP-2026-1", "/"):
        page = alice.get(path).text
        assert "<script>alert(1)" not in page and "<img src=x" not in page, path
    report = alice.get("/reports/REP-2026-1").text
    assert report.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 5
    promoted = alice.post("/reports/REP-2026-1/promote", data={"version": "1"})
    assert promoted.status_code == 303
    incident = alice.get(promoted.headers["location"]).text
    assert "<script>alert(1)" not in incident and "<img src=x" not in incident
    assert 'href="javascript:' not in incident
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in incident


def test_the_api_takes_reports_without_sign_in_and_reads_them_only_with_it(
    anonymous: TestClient, token_for: Callable[..., str]
) -> None:
    made = anonymous.post(
        "/api/v1/reports",
        json={"what_happened": "Open redirect at /login?next=", "affected": "app.example.com"},
    )
    assert made.status_code == 201
    assert made.json()["key"] == "REP-2026-1" and made.json()["status"] == "received"
    assert anonymous.get("/api/v1/reports").status_code == 401
    auth = {"authorization": f"Bearer {token_for('alice')}"}
    queue = anonymous.get("/api/v1/reports", headers=auth).json()
    assert queue["total"] == 1 and queue["items"][0]["excerpt"].startswith("Open redirect")
    full = anonymous.get("/api/v1/reports/REP-2026-1", headers=auth).json()
    assert full["affected"] == "app.example.com" and full["client_network"] == ""
    promoted = anonymous.post(
        "/api/v1/reports/REP-2026-1/promote", json={"severity": "SEV4"}, headers=auth
    )
    assert promoted.status_code == 201 and promoted.json()["incident_key"] == "INC-2026-1"
    declined = anonymous.post(
        "/api/v1/reports/REP-2026-1/decline", json={"reason": "dup"}, headers=auth
    )
    assert declined.status_code == 409
    viewer = {"authorization": f"Bearer {token_for('val', 'read')}"}
    assert anonymous.get("/api/v1/reports", headers=viewer).status_code == 403


def test_intake_can_be_switched_off(
    anonymous: TestClient, application: bootstrap.Application
) -> None:
    application.settings.intake.enabled = False
    assert anonymous.get("/report").status_code == 404
    assert anonymous.post("/api/v1/reports", json={"what_happened": "x"}).status_code == 404


def configure_security_txt(application: bootstrap.Application, expires: datetime) -> None:
    application.settings.security_txt = SecurityTxtSettings(
        contact=["mailto:security@example.com", "https://example.com/report"],
        expires=expires,
        encryption=["https://example.com/pgp-key.txt"],
        preferred_languages=["en", "de"],
    )


def test_security_txt_is_served_from_the_settings(
    anonymous: TestClient, application: bootstrap.Application, clock: FakeClock
) -> None:
    assert anonymous.get("/.well-known/security.txt").status_code == 404
    configure_security_txt(application, datetime(2026, 9, 1, tzinfo=UTC))
    response = anonymous.get("/.well-known/security.txt")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.text == application.security_txt()  # what `candor securitytxt` reads
    report = check(response.text, now=clock.now())
    assert report.valid and not report.warnings
    assert report.values("contact")[0] == "mailto:security@example.com"
    clock.current = datetime(2026, 9, 2, tzinfo=UTC)  # expired: never served stale
    assert anonymous.get("/.well-known/security.txt").status_code == 404


def test_admins_see_on_the_dashboard_when_security_txt_expires_soon(
    application: bootstrap.Application, browser: Callable[[str], Browser], clock: FakeClock
) -> None:
    admin, alice = browser("admin"), browser("alice")
    # settings change here without a restart, which the page cache cannot see (it keys on
    # the data's version); a real change of candor.toml restarts the server
    application.settings.web.page_cache = False
    configure_security_txt(application, clock.now() + timedelta(days=40))
    assert "security.txt expires" not in admin.get("/").text
    configure_security_txt(application, clock.now() + timedelta(days=12, hours=1))
    page = admin.get("/").text
    assert "security.txt expires soon" in page
    assert "expires in 12 days (2026-03-14T15:00:00Z)" in page
    assert "security.txt expires" not in alice.get("/").text
    configure_security_txt(application, clock.now() - timedelta(days=1))
    page = admin.get("/").text
    assert "security.txt is not served" in page and "is in the past" in page
