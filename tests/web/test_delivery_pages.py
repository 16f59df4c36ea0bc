"""Subscribers through the web app (double opt-in, one-click unsubscribe, throttling) and the
admin pages and API of the outbox and webhooks."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from candor import bootstrap
from candor.domain.outbox import State
from candor.domain.subscriptions import SubscriberState
from candor.services import outbox, subscriptions
from candor.services.ports_delivery import with_delivery
from tests.conftest import ADMIN
from tests.fakes import FakeClock
from tests.web.conftest import Browser, make_application, seed_users

TOKEN = re.compile(r'name="form_token" value="([^"]+)"')
CONFIRM = re.compile(r"/subscriptions/confirm/([A-Za-z0-9_\-]+)")


@pytest.fixture
def application(engine: Engine, clock: FakeClock, tmp_path: Path) -> bootstrap.Application:
    made = make_application(engine, clock, tmp_path)
    made.settings.secret_key = "a-test-secret-key-for-links"
    return seed_users(made)


def ask(client: TestClient, email: str) -> tuple[int, str]:
    page = client.get("/subscriptions")
    found = TOKEN.search(page.text)
    assert found
    answer = client.post("/subscriptions", data={"form_token": found.group(1), "email": email})
    return answer.status_code, answer.text


def confirmation_token(application: bootstrap.Application, address: str) -> str:
    mails = [
        m
        for m in outbox.messages(application.context, ADMIN, limit=100)
        if m.recipient == address and m.key.startswith("subscriber:")
    ]
    assert mails, f"no confirmation to {address}"
    found = CONFIRM.search(mails[0].body)
    assert found
    return found.group(1)


def subscribed(application: bootstrap.Application) -> list[str]:
    with application.context.uow() as uow:
        return [s.address for s in subscriptions.subscribers_for(uow, "status")]


def test_double_opt_in_then_one_click_unsubscribe(
    anonymous: TestClient, application: bootstrap.Application
) -> None:
    status, text = ask(anonymous, "Reader@News.Example")
    assert status == 200 and "Check your inbox" in text
    token = confirmation_token(application, "Reader@news.example")
    assert subscribed(application) == []  # not before the link is followed
    page = anonymous.get(f"/subscriptions/confirm/{token}")
    assert page.status_code == 200 and "Confirm my subscription" in page.text
    assert subscribed(application) == []  # a GET (a mail scanner) confirms nothing
    done = anonymous.post(f"/subscriptions/confirm/{token}")
    assert done.status_code == 200 and "confirmed" in done.text
    assert subscribed(application) == ["Reader@news.example"]
    assert anonymous.post(f"/subscriptions/confirm/{token}").status_code == 404  # spent
    # the token is stored hashed only
    with application.context.uow() as uow:
        rows = with_delivery(uow).subscribers.list()
    assert token not in repr(rows)

    with application.context.uow() as uow:
        reader = subscriptions.subscribers_for(uow)[0]
    headers = subscriptions.unsubscribe_headers(application.delivery, reader)
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = headers["List-Unsubscribe"].strip("<>")
    path = link.split("://", 1)[1].split("/", 1)[1]
    # a mail client's one-click POST: no cookie, no CSRF token, the RFC 8058 body
    fresh = TestClient(anonymous.app)
    bad = fresh.post(f"/{path[:-4]}beef", data={"List-Unsubscribe": "One-Click"})
    assert bad.status_code == 404
    gone = fresh.post(f"/{path}", data={"List-Unsubscribe": "One-Click"})
    assert gone.status_code == 200 and "unsubscribed" in gone.text
    assert subscribed(application) == []
    listed = subscriptions.subscribers(application.context, ADMIN)
    assert [s.state for s in listed] == [SubscriberState.UNSUBSCRIBED]


def test_the_form_names_a_bad_address_and_throttles(
    anonymous: TestClient, application: bootstrap.Application
) -> None:
    status, text = ask(anonymous, "not an address")
    assert status == 422 and "email" in text
    for n in range(4):
        assert ask(anonymous, f"person{n}@example.com")[0] == 200
    status, text = ask(anonymous, "one-too-many@example.com")
    assert status == 429 and "try again" in text
    assert outbox.counts(application.context, ADMIN)[State.QUEUED] == 4


def test_asking_again_sends_at_most_one_confirmation_an_hour(
    anonymous: TestClient, application: bootstrap.Application, clock: FakeClock
) -> None:
    assert ask(anonymous, "target@example.com")[0] == 200
    assert ask(anonymous, "target@example.com")[0] == 200  # the same answer
    assert outbox.counts(application.context, ADMIN)[State.QUEUED] == 1
    clock.advance(hours=1, seconds=1)
    assert ask(anonymous, "target@example.com")[0] == 200
    assert outbox.counts(application.context, ADMIN)[State.QUEUED] == 2


def test_a_form_without_its_cookie_is_refused(anonymous: TestClient) -> None:
    answer = TestClient(anonymous.app).post(
        "/subscriptions", data={"form_token": "forged", "email": "a@example.com"}
    )
    assert answer.status_code == 403


def test_admin_pages_and_api(
    browser: Callable[[str], Browser],
    application: bootstrap.Application,
    token_for: Callable[..., str],
) -> None:
    with application.context.uow(write=True) as uow:
        outbox.enqueue(
            uow,
            key="statement:7:recipient:cto@customer.example",
            channel="email",
            recipient="cto@customer.example",
            subject="About the incident",
            body="Dear CTO",
            now=application.clock.now(),
        )
        uow.commit()
    admin = browser("admin")
    page = admin.get("/admin/outbox")
    assert page.status_code == 200
    assert "statement:7:recipient:cto@customer.example" in page.text
    assert browser("alice").get("/admin/outbox").status_code == 403

    added = admin.post(
        "/admin/webhooks", data={"url": "https://hooks.example.com/candor", "description": "SIEM"}
    )
    assert added.status_code == 200
    secret = re.search(r'id="webhook-secret">([^<]+)<', added.text)
    assert secret and secret.group(1).startswith("whsec_")
    again = admin.get("/admin/webhooks")
    assert secret.group(1) not in again.text and "hooks.example.com" in again.text
    refused = admin.post("/admin/webhooks", data={"url": "http://plain.example.com/"})
    assert refused.status_code == 422 and "https" in refused.text

    token = token_for("admin", "read", "write", "admin")
    auth = {"Authorization": f"Bearer {token}"}
    client = admin.client
    listed = client.get("/api/v1/outbox", params={"state": "queued"}, headers=auth)
    assert listed.status_code == 200
    assert [m["key"] for m in listed.json()] == ["statement:7:recipient:cto@customer.example"]
    hooks = client.get("/api/v1/webhooks", headers=auth).json()
    assert len(hooks) == 1 and hooks[0]["secret"] != secret.group(1)
    wrong = client.post(
        "/api/v1/outbox/resolve",
        json={"key": "statement:7:recipient:cto@customer.example", "answer": "received"},
        headers=auth,
    )
    assert wrong.status_code == 409  # only unconfirmed messages are resolved
    assert wrong.headers["content-type"].startswith("application/problem+json")
    removed = client.delete(f"/api/v1/webhooks/{hooks[0]['id']}", headers=auth)
    assert removed.status_code == 204
    assert client.get("/api/v1/webhooks", headers=auth).json() == []
    user_token = token_for("alice")
    denied = client.get("/api/v1/outbox", headers={"Authorization": f"Bearer {user_token}"})
    assert denied.status_code == 403
