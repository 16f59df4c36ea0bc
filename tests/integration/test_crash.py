"""Kill a writer with SIGKILL at random moments, on SQLite and PostgreSQL: after a restart
every committed change is there, nothing half-written is visible, and the chains verify. And
back up while it writes: every backup restores and verifies."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from candor.adapters.db import migrate
from candor.adapters.db.engine import make_engine
from candor.adapters.db.models import AuditRow, IncidentRow, TimelineRow
from candor.adapters.db.models_records import AttachmentRow
from candor.adapters.db.uow import SqlUnitOfWorkFactory
from candor.adapters.records import backup as backups
from candor.adapters.records import restore as restores
from candor.adapters.records.blobs import LocalBlobStore
from candor.domain.access import SYSTEM
from candor.services import audit, timeline
from candor.services.context import Context
from tests.conftest import BACKENDS, ROOT, drop_postgres_schema, new_postgres_schema
from tests.fakes import FakeClock

ROUNDS = 4


@pytest.fixture(params=BACKENDS)
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database of its own: the writer runs in another process and commits for real."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'crash.db'}"
        return
    schema, url = new_postgres_schema()
    try:
        yield url
    finally:
        drop_postgres_schema(schema)


def start_writer(url: str, blobs: Path, log: Path, seed: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.crash_writer", url, str(blobs), str(log), str(seed)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def wait_ready(writer: subprocess.Popen[bytes], log: Path, before: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if log.exists() and log.read_text().count("ready") > before:
            return
        if writer.poll() is not None:
            raise AssertionError(
                f"writer died: {writer.stderr.read().decode() if writer.stderr else ''}"
            )
        time.sleep(0.05)
    raise AssertionError("writer never became ready")


def count(engine: Engine, query: object) -> int:
    with engine.connect() as conn:
        return int(conn.execute(query).scalar_one())  # type: ignore[call-overload]


def test_sigkill_never_loses_a_commit_nor_leaves_half_a_change(
    fresh_url: str, tmp_path: Path
) -> None:
    engine = make_engine(fresh_url)
    migrate.upgrade(engine)
    blob_dir = tmp_path / "blobs"
    log = tmp_path / "committed.log"
    rng = random.Random(int.from_bytes(os.urandom(4), "big"))  # noqa: S311 - kill timing
    try:
        for round_ in range(ROUNDS):
            writer = start_writer(fresh_url, blob_dir, log, seed=round_)
            wait_ready(writer, log, round_)
            time.sleep(rng.uniform(0.2, 1.5))
            writer.send_signal(signal.SIGKILL)
            writer.wait(timeout=30)
            assert writer.returncode == -signal.SIGKILL
            engine.dispose()  # "restart": fresh connections, as a new server process would
            check(engine, blob_dir, log)
        lines = [ln for ln in log.read_text().splitlines() if ln != "ready"]
        assert len(lines) > 10, "the writer committed too little to test anything"
    finally:
        engine.dispose()


def check(engine: Engine, blob_dir: Path, log: Path) -> None:
    ctx = Context(
        uow=SqlUnitOfWorkFactory(engine), clock=FakeClock(), blobs=LocalBlobStore(blob_dir)
    )
    with engine.connect() as conn:
        entries = {
            (key, seq): hash_
            for key, seq, hash_ in conn.execute(
                select(IncidentRow.key, TimelineRow.seq, TimelineRow.hash).join(
                    IncidentRow, IncidentRow.id == TimelineRow.incident_id
                )
            )
        }
        files = {
            (key, seq): sha
            for key, seq, sha in conn.execute(
                select(IncidentRow.key, AttachmentRow.seq, AttachmentRow.sha256).join(
                    IncidentRow, IncidentRow.id == AttachmentRow.incident_id
                )
            )
        }
        keys = set(conn.execute(select(IncidentRow.key)).scalars())
    # every change the writer saw committed is there, exactly as it was
    for line in log.read_text().splitlines():
        kind, *rest = line.split()
        if kind == "incident":
            assert rest[0] in keys, line
        elif kind == "entry":
            assert entries.get((rest[0], int(rest[1]))) == rest[2], line
        elif kind == "attachment":
            assert files.get((rest[0], int(rest[1]))) == rest[2], line

    # nothing half-written: each change is its row, its timeline entry and its audit record
    def audits(action: str) -> int:
        return count(engine, select(func.count()).where(AuditRow.action == action))

    assert len(keys) == audits("incident.declare")
    assert len(files) == audits("attachment.upload")
    notes = count(engine, select(func.count()).where(TimelineRow.kind == "note"))
    evidence = count(engine, select(func.count()).where(TimelineRow.kind == "evidence"))
    assert notes == audits("timeline.append")
    assert evidence == len(files)
    for sha in set(files.values()):  # content stored before its row: every row has it
        assert ctx.blobs is not None
        with ctx.blobs.open(sha):
            pass
    assert audit.verify(ctx, SYSTEM).ok
    for key in keys:
        assert timeline.verify(ctx, SYSTEM, key).ok, key


def test_backups_taken_during_a_stream_of_writes_restore_and_verify(
    fresh_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """The snapshot is consistent while a writer commits: each backup restores, its row counts
    equal its manifest's, and every chain ends at the head the manifest recorded."""
    engine = make_engine(fresh_url)
    migrate.upgrade(engine)
    blob_dir = tmp_path / "blobs"
    log = tmp_path / "committed.log"
    writer = start_writer(fresh_url, blob_dir, log, seed=99)
    try:
        wait_ready(writer, log, 0)
        time.sleep(0.5)
        for n in range(2):
            out = tmp_path / f"backup-{n}"
            backups.backup(engine, LocalBlobStore(blob_dir), out, now=FakeClock().now())
            assert writer.poll() is None, "the writer must still be writing"
            if engine.dialect.name == "sqlite":
                target = f"sqlite:///{tmp_path / f'restored-{n}.db'}"
            else:
                schema, target = new_postgres_schema()
                request.addfinalizer(lambda schema=schema: drop_postgres_schema(schema))
            report = restores.restore(
                out, target, LocalBlobStore(tmp_path / f"restored-{n}"), clock=FakeClock()
            )
            assert report.timelines > 0 and report.audit_records > 0
            time.sleep(0.3)
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=30)
        engine.dispose()
