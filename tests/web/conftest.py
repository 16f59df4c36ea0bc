"""A web application on a real database (SQLite and PostgreSQL), and signed-in clients."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from candor import bootstrap, config
from candor.adapters.passwords import fast_hasher
from candor.domain.access import SYSTEM, Actor, OrgRole
from candor.services import accounts
from candor.web.app import create_app
from tests.fakes import FakeClock

PASSWORD = "correct horse battery staple"


def make_application(
    engine: Engine, clock: FakeClock, tmp_path: Path, **overrides: object
) -> bootstrap.Application:
    settings = config.Settings(
        home=tmp_path,
        database_url=engine.url.render_as_string(hide_password=False),
        **overrides,  # type: ignore[arg-type]
    )
    application = bootstrap.build(settings, clock=clock, hasher=fast_hasher())
    application.__dict__["engine"] = engine  # share the test's migrated engine
    return application


def seed_users(application: bootstrap.Application) -> bootstrap.Application:
    for name, role in (
        ("admin", OrgRole.ADMIN),
        ("alice", OrgRole.RESPONDER),
        ("bob", OrgRole.RESPONDER),
        ("carol", OrgRole.COUNSEL),
        ("val", OrgRole.VIEWER),
    ):
        accounts.create_user(
            application.context,
            SYSTEM,
            username=name,
            password=PASSWORD,
            role=role,
            display_name=name.title(),
        )
    return application


@pytest.fixture
def application(engine: Engine, clock: FakeClock, tmp_path: Path) -> bootstrap.Application:
    return seed_users(make_application(engine, clock, tmp_path))


@pytest.fixture
def web(application: bootstrap.Application) -> FastAPI:
    return create_app(application)


@pytest.fixture
def anonymous(web: FastAPI) -> Iterator[TestClient]:
    with TestClient(web, follow_redirects=False) as client:
        yield client


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PRESESSION = re.compile(r'name="presession" value="([^"]+)"')


class Browser:
    """A test client that signs in through the real form and keeps the CSRF token."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.csrf = ""

    def sign_in(self, username: str, password: str = PASSWORD) -> Browser:
        page = self.client.get("/signin")
        token = PRESESSION.search(page.text)
        assert token, page.text
        answer = self.client.post(
            "/signin",
            data={
                "username": username,
                "password": password,
                "presession": token.group(1),
                "next": "/",
            },
        )
        assert answer.status_code == 303, answer.text
        self.refresh_csrf()
        return self

    def refresh_csrf(self) -> None:
        found = CSRF.search(self.client.get("/account").text)
        assert found
        self.csrf = found.group(1)

    def get(self, path: str, **kwargs: object):  # type: ignore[no-untyped-def]
        return self.client.get(path, **kwargs)  # type: ignore[arg-type]

    def post(self, path: str, data: dict[str, str] | None = None, **kwargs: object):  # type: ignore[no-untyped-def]
        form = {"csrf_token": self.csrf, **(data or {})}
        return self.client.post(path, data=form, **kwargs)  # type: ignore[arg-type]

    def api(self, method: str, path: str, **kwargs: object):  # type: ignore[no-untyped-def]
        headers = {"x-csrf-token": self.csrf}
        return self.client.request(method, path, headers=headers, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def browser(web: FastAPI) -> Iterator[Callable[[str], Browser]]:
    clients: list[TestClient] = []

    def make(username: str) -> Browser:
        client = TestClient(web, follow_redirects=False)
        clients.append(client)
        return Browser(client).sign_in(username)

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def token_for(application: bootstrap.Application) -> Callable[..., str]:
    """An API token of a user, with the given scopes (default read and write)."""

    def make(username: str, *scopes: str) -> str:
        user = accounts.get_user(application.context, username)
        made = accounts.create_token(
            application.context,
            Actor(user.username, user.role),
            name="tests",
            scopes=list(scopes or ("read", "write")),
        )
        return made.secret

    return make
