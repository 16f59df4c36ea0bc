"""Evidence on the incident page and in the API: list, upload, download, tampering, limits and
need-to-know, with the chain of custody in the audit log."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from candor import bootstrap
from candor.adapters.records.blobs import LocalBlobStore
from candor.domain.access import SYSTEM
from candor.domain.audit import AuditFilter
from candor.services import audit
from candor.web.app import create_app
from candor.web.attachment_download import content_disposition
from tests.fakes import FakeClock
from tests.records_story import PDF
from tests.web.conftest import Browser, make_application, seed_users
from tests.web.test_pages import declare

HTML = b"<html><body><script>alert(document.cookie)</script></body></html>\n"


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def custody(application: bootstrap.Application, key: str) -> list[tuple[str, str]]:
    records = audit.list_records(
        application.context, SYSTEM, AuditFilter(incident_key=key, limit=100)
    )
    return [(r.action, r.actor) for r in reversed(records) if r.action.startswith("attachment.")]


def attach(browser: Browser, key: str, name: str, content: bytes, **form: str):  # type: ignore[no-untyped-def]
    return browser.client.post(
        f"/incidents/{key}/attachments",
        data={"csrf_token": browser.csrf, **form},
        files={"file": (name, content, "application/octet-stream")},
    )


def test_attach_list_and_download_on_the_incident_page(
    browser: Callable[[str], Browser], application: bootstrap.Application
) -> None:
    alice, bob = browser("alice"), browser("bob")
    key = declare(alice, "Phishing page hosted on our CDN")
    assert "No files attached yet." in alice.get(f"/incidents/{key}").text
    done = attach(alice, key, "../../evil page.html", HTML, note="copy of the phishing page")
    assert done.status_code == 303, done.text
    assert done.headers["location"].endswith("notice=attached#evidence")
    page = alice.get(f"/incidents/{key}").text
    assert 'id="attachment-1"' in page and "evil page.html" in page
    assert "copy of the phishing page" in page and "the incident" in page
    assert f'href="/incidents/{key}/attachments/1"' in page
    got = bob.get(f"/incidents/{key}/attachments/1")
    assert got.status_code == 200 and got.content == HTML
    assert got.headers["content-type"] == "application/octet-stream"  # never rendered as HTML
    assert got.headers["content-disposition"] == (
        "attachment; filename=\"evil page.html\"; filename*=UTF-8''evil%20page.html"
    )
    assert got.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in got.headers["content-security-policy"]
    assert got.headers["repr-digest"].startswith("sha-256=:")
    assert custody(application, key) == [
        ("attachment.upload", "alice"),
        ("attachment.download", "bob"),
    ]


def test_a_file_name_with_quotes_and_accents_is_offered_safely(
    browser: Callable[[str], Browser],
) -> None:
    alice = browser("alice")
    key = declare(alice, "Names")
    assert attach(alice, key, "reçu; final.pdf", PDF).status_code == 303
    got = alice.get(f"/incidents/{key}/attachments/1")
    assert got.headers["content-type"] == "application/octet-stream"  # PDFs render inline
    assert got.headers["content-disposition"] == (
        "attachment; filename=\"re_u_ final.pdf\"; filename*=UTF-8''re%C3%A7u%3B%20final.pdf"
    )
    # what a browser's multipart encoding would not let through: quotes, backslashes, CR LF
    assert content_disposition('a"b\\c\r\nSet-Cookie: x.txt') == (
        'attachment; filename="a_b_c__Set-Cookie_ x.txt"; '
        "filename*=UTF-8''a%22b%5Cc%0D%0ASet-Cookie%3A%20x.txt"
    )


def test_the_owner_record_must_exist_and_the_form_says_which_field(
    browser: Callable[[str], Browser],
) -> None:
    alice = browser("alice")
    key = declare(alice, "Filing")
    wrong = attach(alice, key, "receipt.pdf", PDF, owner_type="obligation", owner_id="7")
    assert wrong.status_code == 422
    assert f"{key} has no obligation 7" in wrong.text and "<strong>owner_id</strong>" in wrong.text
    assert 'value="7"' in wrong.text  # the form keeps what was typed
    alice.post(f"/incidents/{key}/tasks", data={"title": "File with the regulator"})
    on_task = attach(alice, key, "receipt.pdf", PDF, owner_type="task", owner_id="1")
    assert on_task.status_code == 303
    page = alice.get(f"/incidents/{key}").text
    assert "task 1" in page and "No files attached yet." not in page
    missing = alice.client.post(f"/incidents/{key}/attachments", data={"csrf_token": alice.csrf})
    assert missing.status_code == 422 and "choose the file to attach" in missing.text


def test_a_tampered_file_is_refused_with_a_clear_error_and_audited(
    browser: Callable[[str], Browser], application: bootstrap.Application, tmp_path: Path
) -> None:
    alice = browser("alice")
    key = declare(alice, "Tamper")
    attach(alice, key, "log.txt", b"GET /admin 200\n")
    listed = alice.client.get(f"/api/v1/incidents/{key}/attachments").json()
    stored = LocalBlobStore(tmp_path / "attachments").path(listed[0]["sha256"])
    stored.chmod(0o644)
    stored.write_bytes(b"GET /admin 404\n")
    page = alice.get(f"/incidents/{key}/attachments/1")
    assert page.status_code == 500
    assert f"attachment {key}/1 (log.txt) failed verification and was not served" in page.text
    assert "GET /admin 404" not in page.text
    api = alice.client.get(f"/api/v1/incidents/{key}/attachments/1")
    assert api.status_code == 500 and api.json()["title"] == "Stored content altered"
    assert custody(application, key)[-2:] == [
        ("attachment.integrity_failure", "alice"),
        ("attachment.integrity_failure", "alice"),
    ]


def test_no_access_means_not_found_everywhere_and_the_refusal_is_audited(
    browser: Callable[[str], Browser],
    application: bootstrap.Application,
    anonymous: TestClient,
    token_for: Callable[..., str],
) -> None:
    alice, bob, val = browser("alice"), browser("bob"), browser("val")
    secret = declare(alice, "HR files copied", restricted="on")
    attach(alice, secret, "hr.csv", b"name,salary\n")
    for path in (f"/incidents/{secret}/attachments/1", f"/api/v1/incidents/{secret}/attachments/1"):
        assert bob.get(path).status_code == 404, path
    assert anonymous.get(f"/incidents/{secret}/attachments/1").status_code == 303  # sign in
    assert anonymous.get(f"/api/v1/incidents/{secret}/attachments/1").status_code == 401
    assert bob.get(f"/api/v1/incidents/{secret}/attachments").status_code == 404
    assert attach(bob, secret, "x.txt", b"x").status_code == 404
    assert custody(application, secret) == [
        ("attachment.upload", "alice"),
        ("attachment.download_refused", "bob"),
        ("attachment.download_refused", "bob"),
    ]
    normal = declare(alice, "Open to everyone")
    attach(alice, normal, "a.txt", b"hello\n")
    assert val.get(f"/incidents/{normal}/attachments/1").content == b"hello\n"
    assert 'id="attachment-file"' not in val.get(f"/incidents/{normal}").text  # no upload form
    assert attach(val, normal, "b.txt", b"x").status_code == 403
    forged = alice.client.post(
        f"/incidents/{normal}/attachments",
        data={"csrf_token": "forged"},
        files={"file": ("c.txt", b"x", "text/plain")},
    )
    assert forged.status_code == 403
    api_viewer = anonymous.post(
        f"/api/v1/incidents/{normal}/attachments",
        files={"file": ("d.txt", b"x", "text/plain")},
        headers=auth(token_for("val", "read")),
    )
    assert api_viewer.status_code == 403


def test_the_api_lists_uploads_and_downloads(
    anonymous: TestClient,
    token_for: Callable[..., str],
    application: bootstrap.Application,
) -> None:
    alice = auth(token_for("alice"))
    key = anonymous.post("/api/v1/incidents", json={"title": "API"}, headers=alice).json()["key"]
    made = anonymous.post(
        f"/api/v1/incidents/{key}/attachments",
        data={"note": "console export"},
        files={"file": ("cloudtrail.pdf", PDF, "image/gif")},
        headers=alice,
    )
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["attachment"] == f"{key}/1" and body["owner_type"] == "incident"
    assert (body["media_type"], body["claimed_type"]) == ("application/pdf", "image/gif")
    assert body["size"] == len(PDF) and body["uploaded_by"] == "alice"
    assert body["download"] == f"/api/v1/incidents/{key}/attachments/1"
    listed = anonymous.get(f"/api/v1/incidents/{key}/attachments", headers=alice).json()
    assert [a["sha256"] for a in listed] == [body["sha256"]]
    got = anonymous.get(body["download"], headers=alice)
    assert got.content == PDF and got.headers["content-disposition"].startswith("attachment;")
    wrong = anonymous.post(
        f"/api/v1/incidents/{key}/attachments",
        data={"owner_type": "statement", "owner_id": "3"},
        files={"file": ("a.txt", b"x", "text/plain")},
        headers=alice,
    )
    assert wrong.status_code == 422
    assert wrong.headers["content-type"].startswith("application/problem+json")
    assert wrong.json()["problems"][0]["field"] == "owner_id"
    assert custody(application, key) == [
        ("attachment.upload", "alice"),
        ("attachment.download", "alice"),
    ]
    assert (
        "/api/v1/incidents/{key}/attachments/{number}"
        in anonymous.get("/api/v1/openapi.json").json()["paths"]
    )


@pytest.fixture
def small(engine: Engine, clock: FakeClock, tmp_path: Path) -> Iterator[TestClient]:
    application = seed_users(
        make_application(engine, clock, tmp_path, attachments={"max_size_mb": 1})
    )
    with TestClient(create_app(application), follow_redirects=False) as client:
        yield client


def test_files_over_the_limit_get_a_413_that_says_so(small: TestClient) -> None:
    browser = Browser(small).sign_in("alice")
    key = declare(browser, "Big")
    just_over = attach(browser, key, "dump.bin", b"x" * (1024 * 1024 + 1))
    assert just_over.status_code == 413
    assert "dump.bin" in just_over.text and "attachment limit of 1.0 MiB" in just_over.text
    far_over = small.post(
        f"/api/v1/incidents/{key}/attachments",
        files={"file": ("huge.bin", b"x" * (3 * 1024 * 1024), "application/octet-stream")},
        headers={"x-csrf-token": browser.csrf},
    )
    assert far_over.status_code == 413
    assert far_over.json()["title"] == "Request too large"
    assert "1.0 MiB" in browser.get(f"/incidents/{key}").text  # the form says the limit
    assert "No files attached yet." in browser.get(f"/incidents/{key}").text
