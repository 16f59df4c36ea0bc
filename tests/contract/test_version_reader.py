"""The workspace version read on the event loop (PostgreSQL): right, fresh, and back after the
server drops its connection."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from candor.adapters.db import chains
from candor.adapters.db.version_reader import AsyncVersionReader
from candor.domain.access import SYSTEM, Actor
from candor.services import accounts, incidents
from candor.web.app import create_app
from tests.fakes import FakeClock
from tests.web.conftest import make_application, seed_users


def test_sqlite_has_no_reader(engine: Engine, backend: str) -> None:
    reader = AsyncVersionReader.for_engine(engine)
    assert (reader is None) == (backend == "sqlite")


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_reads_the_version_and_survives_a_dropped_connection(
    engine: Engine, backend: str, tmp_path: Path
) -> None:
    application = make_application(engine, FakeClock(), tmp_path)
    reader = AsyncVersionReader.for_engine(engine)
    assert reader is not None

    async def story() -> tuple[int, int, int]:
        first = await reader.read()
        incidents.declare(application.context, SYSTEM, title="A change")
        second = await reader.read()
        # the server ends every other session (a restart, a failover): the next read reconnects
        # (only the reader's own sessions: other test workers share this database)
        before = {c.info.backend_pid for c in reader._idle}
        with engine.connect() as conn:
            conn.execute(
                text("SELECT pg_terminate_backend(pid) FROM unnest(CAST(:pids AS int[])) pid"),
                {"pids": sorted(before)},
            )
        third = await reader.read()
        assert before and not before & {c.info.backend_pid for c in reader._idle}  # reconnected
        await reader.close()
        return first, second, third

    first, second, third = asyncio.run(story())
    assert second == third == chains.audit_head_seq(engine) > first


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_the_web_application_reads_on_the_loop_while_it_runs(
    engine: Engine, backend: str, tmp_path: Path
) -> None:
    application = seed_users(make_application(engine, FakeClock(), tmp_path))
    user = accounts.get_user(application.context, "alice")
    secret = accounts.create_token(
        application.context, Actor(user.username, user.role), name="tests", scopes=["read"]
    ).secret
    auth = {"authorization": f"Bearer {secret}"}
    app = create_app(application)
    assert app.state.version_reader is None
    with TestClient(app) as client:
        reader = app.state.version_reader
        assert reader is not None
        reads = 0
        read = reader.read

        async def counted() -> int:
            nonlocal reads
            reads += 1
            return await read()

        reader.read = counted
        before = client.get("/api/v1/incidents", headers=auth)
        assert before.status_code == 200
        incidents.declare(application.context, SYSTEM, title="Seen at once")
        after = client.get("/api/v1/incidents", headers=auth).json()
        assert "Seen at once" in str(after)  # the new version, read on the loop, is seen
        assert reads >= 2
        assert reader._open > 0
    assert app.state.version_reader is None  # closed with the loop
    assert reader._open == 0 and not reader._idle
