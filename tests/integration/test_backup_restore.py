"""Backup, restore and export round trips: SQLite → SQLite, PostgreSQL → PostgreSQL and
SQLite → PostgreSQL, every record and attachment compared, the chains verified."""

from __future__ import annotations

import hashlib
import json
import shutil
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, inspect, select

from candor import bootstrap, config
from candor.adapters.db import tables
from candor.adapters.db.engine import make_engine
from candor.adapters.db.uow import SqlUnitOfWorkFactory
from candor.adapters.passwords import fast_hasher
from candor.adapters.records import backup as backups
from candor.adapters.records import restore as restores
from candor.adapters.records.blobs import LocalBlobStore
from candor.adapters.records.export_zip import zip_writer
from candor.domain.audit import AuditFilter
from candor.domain.chain import canonical_instant
from candor.domain.errors import Conflict, ContentTampered, IntegrityFailure, InvalidInput
from candor.services import attachments, audit, export, impact, timeline
from candor.services.context import Context
from tests import records_story
from tests.conftest import (
    ADMIN,
    ALICE,
    drop_postgres_schema,
    new_postgres_schema,
    seed_people,
)
from tests.fakes import FakeClock


def dump(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in primary-key order, with values in one comparable form."""

    def plain(value: Any) -> Any:
        if isinstance(value, datetime):
            return canonical_instant(value)
        if isinstance(value, uuid.UUID):
            return value.hex
        return value

    out = {}
    with engine.connect() as conn:
        for table in tables.metadata().sorted_tables:
            rows = conn.execute(select(table).order_by(*table.primary_key.columns))
            out[table.name] = [tuple(plain(v) for v in row) for row in rows]
    return out


@pytest.fixture
def source(sql_ctx: Context, clock: FakeClock, tmp_path: Path) -> tuple[Context, dict[str, str]]:
    ctx = replace(sql_ctx, blobs=LocalBlobStore(tmp_path / "source-blobs"))
    return ctx, records_story.build(ctx, clock)


@pytest.fixture
def pg_target() -> Iterator[str]:
    schema, url = new_postgres_schema()
    try:
        yield url
    finally:
        drop_postgres_schema(schema)


def _target_url(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'restored.db'}"
    return str(request.getfixturevalue("pg_target"))


@pytest.fixture(scope="module")
def wiring(tmp_path_factory: pytest.TempPathFactory) -> bootstrap.Application:
    """The rules, policies and setups of a configured workspace, read once for the module
    (parsing every obligation rule takes a second); each test wires them to its database."""
    settings = config.Settings(
        home=tmp_path_factory.mktemp("wiring"),
        organization={"name": "Example SaaS Inc.", "timezone": "America/New_York"},  # type: ignore[arg-type]
        obligations={"establishments": ["US-DE", "IE"], "eu_main_establishment": "IE"},  # type: ignore[arg-type]
    )
    return bootstrap.build(settings, hasher=fast_hasher())


def every_kind(
    wiring: bootstrap.Application, engine: Engine, clock: FakeClock, tmp_path: Path
) -> tuple[Context, dict[str, str]]:
    ctx = replace(
        wiring.context,
        uow=SqlUnitOfWorkFactory(engine),
        clock=clock,
        blobs=LocalBlobStore(tmp_path / "source-blobs"),
    )
    keys = records_story.build_every_kind(wiring, seed_people(ctx), clock)
    return ctx, keys


@pytest.mark.parametrize(
    "target_kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_round_trip_keeps_every_record_and_attachment(
    wiring: bootstrap.Application,
    engine: Engine,
    clock: FakeClock,
    tmp_path: Path,
    target_kind: str,
    request: pytest.FixtureRequest,
) -> None:
    """Runs SQLite → SQLite, SQLite → PostgreSQL (teams that grow) and PostgreSQL →
    PostgreSQL, from a workspace with a row in every table; PostgreSQL → SQLite is refused
    with a clear error."""
    url = _target_url(target_kind, tmp_path, request)
    out = tmp_path / "backup"
    target_blobs = LocalBlobStore(tmp_path / "target-blobs")
    if (engine.dialect.name, target_kind) == ("postgresql", "sqlite"):
        ctx, _ = request.getfixturevalue("source")
        backups.backup(engine, ctx.blobs, out, now=clock.now())
        with pytest.raises(InvalidInput, match="restores only into PostgreSQL"):
            restores.restore(out, url, target_blobs, clock=clock)
        return
    ctx, keys = every_kind(wiring, engine, clock, tmp_path)
    source_rows = dump(engine)
    # a table the story leaves empty is a kind of record the round trip does not prove
    empty = sorted(name for name, rows in source_rows.items() if not rows)
    assert not empty, f"give these tables a row in records_story.build_every_kind: {empty}"
    in_database = set(inspect(engine).get_table_names()) - {"alembic_version"}
    assert in_database == set(source_rows), "dump() must read every table of the schema"

    manifest = backups.backup(engine, ctx.blobs, out, now=clock.now())  # type: ignore[arg-type]
    assert manifest["counts"] == {name: len(rows) for name, rows in source_rows.items()}
    assert manifest["counts"]["redactions"] > 0  # the purged incident is in the round trip
    report = restores.restore(out, url, target_blobs, clock=clock)
    restored = make_engine(url)
    try:
        restored_rows = dump(restored)
        assert restored_rows.keys() == source_rows.keys()
        for name, rows in source_rows.items():
            assert restored_rows[name] == rows, f"{name} differs after the round trip"
        assert report.timelines == len(manifest["chains"]["timelines"]) == len(keys_of(restored))
        assert report.redacted > 0
        # every attachment's content (all but the purged one's), stored once per hash
        kept = content_hashes(restored)
        assert kept == {
            f["sha256"] for name, f in manifest["files"].items() if name.startswith("attachments/")
        }
        assert len(kept) < len(source_rows["attachments"])  # the same PDF twice: stored once
        for sha256 in kept:
            with target_blobs.open(sha256) as stream:  # opened means present and verified
                assert hashlib.sha256(stream.read()).hexdigest() == sha256
        restored_ctx = replace(ctx, uow=SqlUnitOfWorkFactory(restored), blobs=target_blobs)
        result = audit.verify(restored_ctx, ADMIN)
        assert result.ok and result.redacted
        for key in keys_of(restored):
            assert timeline.verify(restored_ctx, ADMIN, key).ok, key
            assert impact.verify_versions(restored_ctx, ADMIN, key) == [], key
        with attachments.opened(restored_ctx, ALICE, f"{keys['main']}/1") as found:
            assert found.stream.read() == records_story.PDF
    finally:
        restored.dispose()


def keys_of(engine: Engine) -> list[str]:
    incidents = tables.metadata().tables["incidents"]
    with engine.connect() as conn:
        return list(conn.execute(select(incidents.c.key)).scalars())


def content_hashes(engine: Engine) -> set[str]:
    """The content every attachment not purged refers to."""
    rows = tables.metadata().tables["attachments"]
    query = select(rows.c.sha256).where(rows.c.purged_at.is_(None))
    with engine.connect() as conn:
        return set(conn.execute(query).scalars())


def test_corrupt_backups_are_refused_naming_every_bad_file(
    source: tuple[Context, dict[str, str]],
    engine: Engine,
    clock: FakeClock,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    ctx, _ = source
    out = tmp_path / "backup"
    manifest = backups.backup(engine, ctx.blobs, out, now=clock.now())  # type: ignore[arg-type]
    content = next(f for f in manifest["files"] if f.startswith("attachments/"))
    (out / content).write_bytes(b"changed")
    (out / "stray.txt").write_text("x")
    target = _target_url(engine.dialect.name, tmp_path, request)
    with pytest.raises(InvalidInput) as caught:
        restores.restore(out, target, LocalBlobStore(tmp_path / "t"), clock=clock)
    assert str(out / content) in caught.value.message
    assert str(out / "stray.txt") in caught.value.message
    untouched = make_engine(target)
    try:
        assert restores.row_counts(untouched) == {}  # not even a table was made
    finally:
        untouched.dispose()
    manifest_path = out / "manifest.json"
    manifest_path.write_text("{not json")
    with pytest.raises(InvalidInput, match=r"manifest\.json: is not valid JSON"):
        restores.restore(out, target, LocalBlobStore(tmp_path / "t"), clock=clock)


def test_restore_refuses_a_database_that_is_not_empty_unless_forced(
    source: tuple[Context, dict[str, str]],
    engine: Engine,
    clock: FakeClock,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    ctx, _ = source
    out = tmp_path / "backup"
    backups.backup(engine, ctx.blobs, out, now=clock.now())  # type: ignore[arg-type]
    target = _target_url(engine.dialect.name, tmp_path, request)
    restores.restore(out, target, LocalBlobStore(tmp_path / "t"), clock=clock)
    with pytest.raises(Conflict, match="not empty"):
        restores.restore(out, target, LocalBlobStore(tmp_path / "t"), clock=clock)
    report = restores.restore(out, target, LocalBlobStore(tmp_path / "t"), clock=clock, force=True)
    assert report.rows["incidents"] == 5


def test_a_backup_whose_chain_was_rewritten_does_not_restore(
    source: tuple[Context, dict[str, str]],
    engine: Engine,
    clock: FakeClock,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    """Files consistent with the manifest, but the audit head differs from the one recorded
    (as when a log was rewritten consistently after the head was written down)."""
    ctx, _ = source
    out = tmp_path / "backup"
    backups.backup(engine, ctx.blobs, out, now=clock.now())  # type: ignore[arg-type]
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["chains"]["audit"]["hash"] = "f" * 64
    (out / "manifest.json").write_text(json.dumps(manifest))
    target = _target_url(engine.dialect.name, tmp_path, request)
    with pytest.raises(IntegrityFailure, match="audit log head") as caught:
        restores.restore(out, target, LocalBlobStore(tmp_path / "t"), clock=clock)
    assert "removed again" in caught.value.message
    check = make_engine(target)
    try:
        assert restores.is_empty(check)
    finally:
        check.dispose()


def test_export_holds_everything_about_one_incident_and_is_audited(
    source: tuple[Context, dict[str, str]], tmp_path: Path
) -> None:
    ctx, keys = source
    archive = tmp_path / "main.zip"
    receipt = export.export_incident(ctx, ALICE, keys["main"], zip_writer(archive))
    with zipfile.ZipFile(archive) as zf:
        names = set(zf.namelist())
        manifest = json.loads(zf.read("manifest.json"))
        for name, meta in manifest["files"].items():
            assert __import__("hashlib").sha256(zf.read(name)).hexdigest() == meta["sha256"]
        timeline_rows = json.loads(zf.read("records/timeline.json"))
        holds = json.loads(zf.read("records/legal_holds.json"))
        readme = zf.read("README.md").decode()
    assert {"records/incident.json", "records/audit.json", "records/tasks.json"} <= names
    assert {"attachments/1-cloudtrail.pdf", "attachments/2-screenshot.png"} <= names
    assert manifest["timeline"]["verified"] is True
    assert manifest["timeline"]["head"] == timeline_rows[-1]["hash"]
    assert [h["reason"] for h in holds][-1] == "Regulator inquiry 2026-41"
    assert keys["main"] in readme
    records = audit.list_records(ctx, ADMIN, AuditFilter(incident_key=keys["main"], limit=5))
    assert records[0].action == "attachment.export"
    assert any(
        r.action == "incident.export" and receipt.sha256 in (r.after_json or "")
        for r in audit.list_records(ctx, ADMIN, AuditFilter(incident_key=keys["main"], limit=10))
    )


def test_export_stops_at_an_altered_attachment_and_leaves_nothing(
    source: tuple[Context, dict[str, str]], tmp_path: Path
) -> None:
    ctx, keys = source
    found = attachments.list_attachments(ctx, ALICE, keys["main"])[1]
    assert isinstance(ctx.blobs, LocalBlobStore)
    path = ctx.blobs.path(found.sha256)
    path.chmod(0o644)
    path.write_bytes(b"\x89PNG altered")
    with pytest.raises(ContentTampered, match=f"{keys['main']}/2 \\(screenshot.png\\)"):
        export.export_incident(ctx, ALICE, keys["main"], zip_writer(tmp_path / "x.zip"))
    assert list(tmp_path.glob("*x.zip*")) == []
    shutil.rmtree(tmp_path / "source-blobs")
