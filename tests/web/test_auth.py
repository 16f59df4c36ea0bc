"""Sign-in, sessions, CSRF, throttling and API tokens."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from candor import bootstrap
from candor.domain.access import SYSTEM, Actor, OrgRole
from candor.domain.audit import AuditFilter
from candor.services import accounts, audit
from tests.fakes import FakeClock
from tests.web.conftest import PASSWORD, PRESESSION, Browser


def presession(client: TestClient) -> str:
    found = PRESESSION.search(client.get("/signin").text)
    assert found
    return found.group(1)


def test_sign_in_sets_a_secure_cookie_and_rotates_it(anonymous: TestClient) -> None:
    anonymous.cookies.set("candor_session", "planted-by-an-attacker")
    response = anonymous.post(
        "/signin",
        data={"username": "alice", "password": PASSWORD, "presession": presession(anonymous)},
    )
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert "candor_session=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    value = response.cookies["candor_session"]
    assert value != "planted-by-an-attacker"
    anonymous.cookies.clear()
    again = anonymous.post(
        "/signin",
        data={"username": "alice", "password": PASSWORD, "presession": presession(anonymous)},
    )
    assert again.cookies["candor_session"] != value


def test_wrong_password_and_unknown_user_look_the_same(anonymous: TestClient) -> None:
    wrong = anonymous.post(
        "/signin",
        data={
            "username": "alice",
            "password": "nope-nope-nope",
            "presession": presession(anonymous),
        },
    )
    unknown = anonymous.post(
        "/signin",
        data={"username": "mallory", "password": "x", "presession": presession(anonymous)},
    )
    assert wrong.status_code == unknown.status_code == 401
    assert "User name or password is wrong" in wrong.text
    assert "User name or password is wrong" in unknown.text


def test_sign_in_without_the_forms_token_is_refused(anonymous: TestClient) -> None:
    response = anonymous.post("/signin", data={"username": "alice", "password": PASSWORD})
    assert response.status_code == 403


def test_repeated_failures_are_throttled_and_audited(
    anonymous: TestClient, application: bootstrap.Application, clock: FakeClock
) -> None:
    for _ in range(5):
        anonymous.post(
            "/signin",
            data={
                "username": "bob",
                "password": "guess-guess-guess",
                "presession": presession(anonymous),
            },
        )
    blocked = anonymous.post(
        "/signin",
        data={"username": "bob", "password": PASSWORD, "presession": presession(anonymous)},
    )
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) > 0
    clock.advance(minutes=1)
    allowed = anonymous.post(
        "/signin",
        data={"username": "bob", "password": PASSWORD, "presession": presession(anonymous)},
    )
    assert allowed.status_code == 303
    actions = [
        r.action for r in audit.list_records(application.context, SYSTEM, AuditFilter(actor="bob"))
    ]
    assert actions.count("user.signin_failed") == 5
    assert "user.signin_throttled" in actions
    assert actions[0] == "user.signin"


def test_forms_without_csrf_token_are_refused(browser: Callable[[str], Browser]) -> None:
    alice = browser("alice")
    response = alice.client.post("/incidents/new", data={"title": "no token"})
    assert response.status_code == 403
    response = alice.client.post("/incidents/new", data={"title": "bad", "csrf_token": "x"})
    assert response.status_code == 403


def test_cookie_api_calls_that_change_things_need_the_csrf_header(
    browser: Callable[[str], Browser],
) -> None:
    alice = browser("alice")
    assert alice.client.get("/api/v1/incidents").status_code == 200
    refused = alice.client.post("/api/v1/incidents", json={"title": "from a foreign page"})
    assert refused.status_code == 403
    accepted = alice.api("POST", "/api/v1/incidents", json={"title": "from our page"})
    assert accepted.status_code == 201


def test_sign_out_and_sign_out_everywhere(browser: Callable[[str], Browser]) -> None:
    first, second = browser("alice"), browser("alice")
    assert second.get("/").status_code == 200
    assert first.post("/account/signout-everywhere").status_code == 303
    assert second.get("/").status_code == 303
    assert first.get("/").status_code == 303
    third = browser("alice")
    assert third.post("/signout").status_code == 303
    assert third.get("/").status_code == 303


def test_sessions_expire(browser: Callable[[str], Browser], clock: FakeClock) -> None:
    alice = browser("alice")
    clock.advance(hours=13)
    assert alice.get("/").status_code == 303


def test_tokens_are_shown_once_stored_hashed_scoped_and_revocable(
    browser: Callable[[str], Browser], anonymous: TestClient, engine: Engine
) -> None:
    alice = browser("alice")
    page = alice.post("/account/tokens", data={"name": "SIEM export", "scopes": "read"})
    assert page.status_code == 201
    secret = page.text.split('id="new-token">')[1].split("<")[0]
    assert secret.startswith("cndr_")
    assert secret not in alice.get("/account").text  # never shown again
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT token_hash, prefix FROM api_tokens")).all()
    assert all(secret not in (h, p) for h, p in stored)
    auth = {"authorization": f"Bearer {secret}"}
    assert anonymous.get("/api/v1/incidents", headers=auth).status_code == 200
    write = anonymous.post("/api/v1/incidents", json={"title": "x"}, headers=auth)
    assert write.status_code == 403  # a read token cannot write
    token_id = anonymous.get("/api/v1/tokens", headers=auth).json()[0]["id"]
    assert alice.post(f"/account/tokens/{token_id}/revoke").status_code == 303
    assert anonymous.get("/api/v1/incidents", headers=auth).status_code == 401


def test_bearer_tokens_need_no_csrf_and_expire(
    anonymous: TestClient,
    token_for: Callable[..., str],
    clock: FakeClock,
    application: bootstrap.Application,
) -> None:
    secret = token_for("bob")
    auth = {"authorization": f"Bearer {secret}"}
    assert (
        anonymous.post("/api/v1/incidents", json={"title": "from CI"}, headers=auth).status_code
        == 201
    )
    assert anonymous.get("/api/v1/me", headers=auth).json()["via"] == "token"
    short = accounts.create_token(
        application.context,
        Actor("bob", OrgRole.RESPONDER),
        name="short",
        scopes=["read"],
        expires_days=1,
    )
    clock.advance(days=1, seconds=1)
    expired = anonymous.get("/api/v1/me", headers={"authorization": f"Bearer {short.secret}"})
    assert expired.status_code == 401
    assert clock.now() - short.token.created_at > timedelta(days=1)


def test_a_viewer_cannot_get_a_write_token(
    anonymous: TestClient, browser: Callable[[str], Browser]
) -> None:
    val = browser("val")
    page = val.post("/account/tokens", data={"name": "x", "scopes": "write"})
    assert page.status_code == 403


def test_a_remembered_caller_is_forgotten_the_moment_their_account_changes(
    browser: Callable[[str], Browser],
    anonymous: TestClient,
    token_for: Callable[..., str],
    application: bootstrap.Application,
    clock: FakeClock,
) -> None:
    """Resolved sessions and tokens are remembered between requests (keyed by the workspace
    version); a new role, a deactivation and a token's last-use record must still apply at once."""
    bob = browser("bob")
    auth = {"authorization": f"Bearer {token_for('bob', 'read', 'write')}"}
    for _ in range(2):  # the second call is answered from memory
        assert anonymous.get("/api/v1/me", headers=auth).json()["role"] == "responder"
        assert bob.get("/").status_code == 200
    first = accounts.list_tokens(application.context, Actor("bob", OrgRole.RESPONDER))[0]
    clock.advance(minutes=6)  # a remembered token still has its use recorded every few minutes
    assert anonymous.get("/api/v1/me", headers=auth).status_code == 200
    later = accounts.list_tokens(application.context, Actor("bob", OrgRole.RESPONDER))[0]
    assert first.last_used_at is not None and later.last_used_at == clock.now()
    accounts.update_user(application.context, SYSTEM, "bob", role="viewer")
    assert anonymous.get("/api/v1/me", headers=auth).json()["role"] == "viewer"
    denied = anonymous.post("/api/v1/incidents", json={"title": "x"}, headers=auth)
    assert denied.status_code == 403
    accounts.update_user(application.context, SYSTEM, "bob", active=False)
    assert anonymous.get("/api/v1/me", headers=auth).status_code == 401
    assert bob.get("/").status_code == 303
