"""Shared fixtures: fake and real storage on SQLite and PostgreSQL, a fake clock, the CLI.

PostgreSQL: ``CANDOR_TEST_POSTGRES_URL`` (default the local server at 127.0.0.1:5432, user
postgres, database test). Each test session creates its own schema and drops it at the end;
when the server is unreachable the PostgreSQL tests are skipped with the reason.
"""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from candor.adapters.db import migrate, tables
from candor.adapters.db.engine import make_engine
from candor.adapters.db.uow import SqlUnitOfWorkFactory
from candor.adapters.passwords import fast_hasher
from candor.domain.access import Actor, OrgRole
from candor.domain.accounts import new_user
from candor.services.context import Context
from tests.fakes import FakeClock, FakeUnitOfWorkFactory

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
FIXTURES = SHARED / "fixtures"

POSTGRES_URL = os.environ.get(
    "CANDOR_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)

_pg_state: dict[str, object] = {}


def postgres_admin() -> Engine:
    """An engine on the server's default schema, or skip with the reason."""
    if "engine" not in _pg_state:
        engine = create_engine(
            POSTGRES_URL, connect_args={"connect_timeout": 3}, pool_pre_ping=True
        )
        try:
            with engine.connect() as conn:
                conn.execute(text("select 1"))
        except Exception as exc:  # any failure to connect means: no server here
            _pg_state["error"] = (
                f"PostgreSQL not reachable at {make_url(POSTGRES_URL)!r}: "
                f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
            )
            _pg_state["engine"] = None
        else:
            _pg_state["engine"] = engine
    engine = _pg_state["engine"]
    if engine is None:
        pytest.skip(str(_pg_state["error"]))
    assert isinstance(engine, Engine)
    return engine


def postgres_schema_url(schema: str) -> str:
    url = make_url(POSTGRES_URL)
    return url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False
    )


def new_postgres_schema() -> tuple[str, str]:
    admin = postgres_admin()
    schema = f"candor_test_{secrets.token_hex(4)}"
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    return schema, postgres_schema_url(schema)


def drop_postgres_schema(schema: str) -> None:
    admin = postgres_admin()
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


def truncate_all(engine: Engine) -> None:
    names = [t.name for t in reversed(tables.metadata().sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(f'"{n}"' for n in names) + " CASCADE"))
        else:
            for name in names:
                conn.execute(text(f'DELETE FROM "{name}"'))


BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session")
def _engines(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    made: dict[str, object] = {}
    yield made
    for name, value in made.items():
        if isinstance(value, Engine):
            value.dispose()
        if name.startswith("schema:"):
            drop_postgres_schema(name.removeprefix("schema:"))


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _real_engine(
    backend: str, made: dict[str, object], tmp_path_factory: pytest.TempPathFactory
) -> Engine:
    if backend not in made:
        if backend == "sqlite":
            url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'candor.db'}"
        else:
            schema, url = new_postgres_schema()
            made[f"schema:{schema}"] = True
        engine = make_engine(url)
        migrate.upgrade(engine)
        made[backend] = engine
    engine = made[backend]
    assert isinstance(engine, Engine)
    return engine


@pytest.fixture
def engine(
    backend: str, _engines: dict[str, object], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """A migrated database on ``backend`` (one per session), emptied after each test."""
    real = _real_engine(backend, _engines, tmp_path_factory)
    try:
        yield real
    finally:
        truncate_all(real)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


PEOPLE = {
    "alice": OrgRole.RESPONDER,
    "bob": OrgRole.RESPONDER,
    "carol": OrgRole.RESPONDER,
    "dan": OrgRole.RESPONDER,
    "erin": OrgRole.COUNSEL,
    "root": OrgRole.ADMIN,
    "val": OrgRole.VIEWER,
}


def seed_people(ctx: Context) -> Context:
    """The accounts the tests act as; added straight to storage, so nothing is audited."""
    with ctx.uow(write=True) as uow:
        for name, role in PEOPLE.items():
            uow.users.add(new_user(id=uuid.uuid4(), username=name, role=role, now=ctx.clock.now()))
        uow.commit()
    return ctx


@pytest.fixture
def sql_ctx(engine: Engine, clock: FakeClock) -> Context:
    return seed_people(Context(uow=SqlUnitOfWorkFactory(engine), clock=clock, hasher=fast_hasher()))


@pytest.fixture
def fake_ctx(clock: FakeClock) -> Context:
    return seed_people(Context(uow=FakeUnitOfWorkFactory(), clock=clock, hasher=fast_hasher()))


@pytest.fixture(params=["fake", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_ctx(
    request: pytest.FixtureRequest,
    clock: FakeClock,
    _engines: dict[str, object],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Context]:
    """The same use-case tests on the fake and on both real databases (the conformance suite)."""
    if request.param == "fake":
        yield seed_people(Context(uow=FakeUnitOfWorkFactory(), clock=clock, hasher=fast_hasher()))
        return
    real = _real_engine(str(request.param), _engines, tmp_path_factory)
    try:
        yield seed_people(
            Context(uow=SqlUnitOfWorkFactory(real), clock=clock, hasher=fast_hasher())
        )
    finally:
        truncate_all(real)


ALICE = Actor("alice", OrgRole.RESPONDER)
BOB = Actor("bob", OrgRole.RESPONDER)
ADMIN = Actor("root", OrgRole.ADMIN)
VIEWER = Actor("val", OrgRole.VIEWER)


def new_id() -> uuid.UUID:
    return uuid.uuid4()
