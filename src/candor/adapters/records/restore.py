"""``candor restore``: a backup into an empty database, proven complete and unaltered.

1. The manifest and every file it lists are checked (size and SHA-256) before anything is
   written; every bad file is named.
2. The database is loaded: SQLite → SQLite with SQLite's backup API; PostgreSQL → PostgreSQL
   with ``pg_restore`` in one transaction (into another schema when the target's differs);
   SQLite → PostgreSQL by creating the schema with the migrations, at the backup's revision,
   and copying every table's rows through SQLAlchemy Core in dependency order. The schema is
   then upgraded to the current revision.
3. Attachments are put into the configured store (local or S3), each checked against its hash.
4. The result is verified: row counts equal the manifest's, the audit chain and every timeline
   chain verify, and their heads equal the ones recorded at backup time (so nothing was
   rewritten, not even consistently), and every attachment's content is present.

If loading or verification fails, the target's tables are dropped again: a restore is
complete and verified, or not there at all.
"""

from __future__ import annotations

import re
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Engine, MetaData, Table, func, inspect, select, text

from candor.adapters.db import migrate, tables
from candor.adapters.db.chains import canonical_sql
from candor.adapters.db.engine import make_engine
from candor.adapters.db.uow import SqlUnitOfWorkFactory
from candor.adapters.records import backup as fmt
from candor.adapters.records.blobs import human_size
from candor.domain import chain
from candor.domain.access import SYSTEM
from candor.domain.chain import Verification
from candor.domain.errors import CandorError, Conflict, IntegrityFailure, InvalidInput, Problem
from candor.services import audit as audit_service
from candor.services.context import Context
from candor.services.ports import BlobStore, Clock
from candor.services.redactions import vouched

BATCH = 2_000


@dataclass
class Report:
    source_dialect: str
    target: str
    rows: dict[str, int] = field(default_factory=dict)
    attachments: int = 0
    attachment_bytes: int = 0
    audit_records: int = 0
    timelines: int = 0
    redacted: int = 0

    def lines(self) -> Iterator[str]:
        yield f"Restored into {self.target} (from {self.source_dialect})."
        yield f"  rows: {sum(self.rows.values())} in {len(self.rows)} tables"
        yield f"  attachments: {self.attachments} ({human_size(self.attachment_bytes)})"
        yield f"  audit chain verified: {self.audit_records} records, head matches the backup"
        yield f"  timeline chains verified: {self.timelines}, heads match the backup"
        if self.redacted:
            yield f"  redacted under the retention policy (vouched for): {self.redacted} entries"


def row_counts(engine: Engine) -> dict[str, int]:
    present = set(inspect(engine).get_table_names())
    with engine.connect() as connection:
        return {
            table.name: int(
                connection.execute(select(func.count()).select_from(table)).scalar_one()
            )
            for table in tables.metadata().sorted_tables
            if table.name in present
        }


def is_empty(engine: Engine) -> bool:
    return not any(row_counts(engine).values())


def wipe(engine: Engine) -> None:
    """Drop every Candor table and the migration marker (``--force``, or a failed restore)."""
    present = set(inspect(engine).get_table_names())
    with engine.begin() as connection:
        for table in reversed(tables.metadata().sorted_tables):
            if table.name in present:
                table.drop(connection)
        if "alembic_version" in present:
            connection.execute(text("DROP TABLE alembic_version"))


def restore(
    folder: Path,
    target_url: str,
    blobs: BlobStore,
    *,
    clock: Clock,
    force: bool = False,
) -> Report:
    manifest = fmt.read_manifest(folder)
    fmt.check_files(folder, manifest)
    source = manifest["database"]
    dialect = source.get("dialect")
    engine = make_engine(target_url)
    try:
        target = engine.dialect.name
        if (dialect, target) == ("postgresql", "sqlite"):
            raise InvalidInput(
                Problem(
                    "a PostgreSQL backup restores only into PostgreSQL",
                    field="--database-url",
                    hint="restore into a PostgreSQL database",
                )
            )
        if dialect not in ("sqlite", "postgresql"):
            raise InvalidInput(
                Problem(
                    f"names an unknown database {dialect!r}", file=str(folder / "manifest.json")
                )
            )
        if not force and not is_empty(engine):
            counts = row_counts(engine)
            raise Conflict(
                f"the database at {engine.url.render_as_string(hide_password=True)} is not "
                f"empty ({counts.get('incidents', 0)} incidents, "
                f"{counts.get('audit_log', 0)} audit records); restore only into an empty "
                "database, or pass --force to replace everything in it"
            )
        wipe(engine)
        report = Report(str(dialect), engine.url.render_as_string(hide_password=True))
        try:
            database = folder / source["file"]
            if dialect == "sqlite" and target == "sqlite":
                engine.dispose()
                _sqlite_copy(database, engine)
            elif dialect == "postgresql":
                _pg_restore(database, str(source.get("schema") or "public"), engine)
            else:
                _copy_rows(database, engine, source.get("revision"))
            engine.dispose()
            migrate.upgrade(engine)
            _put_contents(folder, manifest, blobs, report)
            _verify(engine, manifest, blobs, clock, report)
        except BaseException:
            engine.dispose()
            wipe(engine)
            raise
        return report
    finally:
        engine.dispose()


def _sqlite_copy(database: Path, engine: Engine) -> None:
    path = engine.url.database
    assert path
    source = sqlite3.connect(fmt.readonly_uri(database), uri=True)
    target = sqlite3.connect(path)
    try:
        source.backup(target, pages=-1)
    finally:
        target.close()
        source.close()


_SCHEMA_STATEMENT = re.compile(r"^(CREATE SCHEMA|ALTER SCHEMA|COMMENT ON SCHEMA)\b")


def _pg_restore(dump: Path, source_schema: str, engine: Engine) -> None:
    """pg_restore writes the dump as SQL; psql runs it in one transaction, stopping at the
    first error. Objects in the dump are qualified with the source schema; when the target
    schema differs, statement lines (never the COPY data between them) are re-qualified."""
    url, env = fmt.libpq(engine.url.render_as_string(hide_password=False))
    target_schema = fmt.postgres_schema(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{target_schema}"'))
    dump_sql = subprocess.Popen(
        [fmt.tool("pg_restore"), "--no-owner", "--no-privileges", "--file=-", str(dump)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    psql = subprocess.Popen(
        [
            fmt.tool("psql"),
            "--no-psqlrc",
            "--quiet",
            "--single-transaction",
            "--set=ON_ERROR_STOP=1",
            f"--dbname={url}",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert dump_sql.stdout is not None and psql.stdin is not None
    pattern = re.compile(rf'(?<![\w"])("?){re.escape(source_schema)}\1\.')
    in_copy = False
    try:
        for line in dump_sql.stdout:
            if in_copy:
                in_copy = line != b"\\.\n"
            else:
                decoded = line.decode("utf-8")
                if _SCHEMA_STATEMENT.match(decoded):
                    continue  # the target schema exists already
                if source_schema != target_schema:
                    decoded = pattern.sub(f'"{target_schema}".', decoded)
                in_copy = decoded.startswith("COPY ") and decoded.rstrip().endswith("FROM stdin;")
                line = decoded.encode("utf-8")
            psql.stdin.write(line)
        psql.stdin.close()
    except BrokenPipeError:
        pass  # psql stopped at an error: reported below
    assert dump_sql.stderr is not None and psql.stderr is not None
    dump_err = dump_sql.stderr.read()
    dump_sql.wait()
    psql_err = psql.stderr.read()
    psql.wait()
    if dump_sql.returncode != 0:
        raise CandorError(f"pg_restore failed: {dump_err.decode(errors='replace').strip()}")
    if psql.returncode != 0:
        raise CandorError(
            f"loading the dump into PostgreSQL failed: {psql_err.decode(errors='replace').strip()}"
        )


def _copy_rows(database: Path, engine: Engine, revision: str | None) -> None:
    """SQLite → PostgreSQL: tables made by the migrations (at the backup's revision, so the
    columns match), rows copied in dependency order, values converted by the column types."""
    migrate.upgrade(engine, revision or "heads")
    source = fmt.readonly_sqlite(database)
    try:
        present_source = set(inspect(source).get_table_names())
        target_meta = MetaData()
        target_meta.reflect(engine)
        with source.connect() as reading, engine.begin() as writing:
            for model in tables.metadata().sorted_tables:
                if model.name not in present_source or model.name not in target_meta.tables:
                    continue
                names = [c.name for c in target_meta.tables[model.name].columns]
                columns = [model.c[n] for n in names if n in model.c]
                table = Table(model.name, MetaData(), *[Column(c.name, c.type) for c in columns])
                result = reading.execution_options(yield_per=BATCH).execute(select(*columns))
                for rows in result.partitions(BATCH):
                    writing.execute(table.insert(), [dict(row._mapping) for row in rows])
            if engine.dialect.name == "postgresql":
                _reset_serials(writing)
    finally:
        source.dispose()


def _reset_serials(connection: Any) -> None:
    """Rows copied with their ids leave PostgreSQL's sequences behind; move them past the ids."""
    rows = connection.execute(
        text(
            # sequences owned by this schema's columns, from the catalogue alone: asking
            # information_schema or pg_get_expr() opens relations of every schema in the
            # database and so waits on locks held there
            "SELECT t.relname, a.attname FROM pg_class s "
            "JOIN pg_namespace n ON n.oid = s.relnamespace "
            "JOIN pg_depend d ON d.objid = s.oid AND d.deptype IN ('a', 'i') "
            "JOIN pg_class t ON t.oid = d.refobjid "
            "JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid "
            "WHERE s.relkind = 'S' AND n.nspname = current_schema()"
        )
    ).all()
    for table_name, column in rows:
        connection.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence(:t, :c), "  # noqa: S608
                f'COALESCE((SELECT MAX("{column}") FROM "{table_name}"), 0) + 1, false)'
            ),
            {"t": table_name, "c": column},
        )


def _put_contents(
    folder: Path, manifest: Mapping[str, Any], blobs: BlobStore, report: Report
) -> None:
    for relative, meta in sorted(manifest["files"].items()):
        if not relative.startswith("attachments/"):
            continue
        with (folder / relative).open("rb") as stream:
            stored = blobs.put(stream, max_bytes=int(meta["size"]), name=str(folder / relative))
        if stored.sha256 != meta["sha256"]:
            raise IntegrityFailure(f"{folder / relative} changed while it was restored")
        report.attachments += 1
        report.attachment_bytes += stored.size


def _verify(
    engine: Engine, manifest: Mapping[str, Any], blobs: BlobStore, clock: Clock, report: Report
) -> None:
    problems: list[str] = []
    counts = row_counts(engine)
    for name, expected in manifest["counts"].items():
        if counts.get(name) != expected:
            problems.append(f"table {name}: {counts.get(name)} rows, the backup has {expected}")
    report.rows = counts
    ctx = Context(uow=SqlUnitOfWorkFactory(engine), clock=clock, blobs=blobs)
    chains = manifest["chains"]
    result = audit_service.verify(ctx, SYSTEM)
    report.audit_records = result.checked
    report.redacted += len(result.redacted)
    if not result.ok:
        assert result.first_bad is not None
        problems.append(f"audit log: {result.first_bad.label}: {result.first_bad.reason}")
    expected_audit = chains.get("audit")
    if expected_audit and (result.checked, result.head) != (
        expected_audit["seq"],
        expected_audit["hash"],
    ):
        problems.append(
            f"audit log head is #{result.checked} {result.head[:16]}…, the backup recorded "
            f"#{expected_audit['seq']} {expected_audit['hash'][:16]}…"
        )
    recorded = chains.get("timelines", {})
    for key, found in verify_timelines(engine, ctx):
        report.timelines += 1
        report.redacted += len(found.redacted)
        head = recorded.get(key)
        if not found.ok:
            assert found.first_bad is not None
            problems.append(f"timeline {found.first_bad.label}: {found.first_bad.reason}")
        elif head is None:
            problems.append(f"timeline of {key} is not in the backup's manifest")
        elif (found.checked, found.head) != (head["seq"], head["hash"]):
            problems.append(
                f"timeline of {key}: head is #{found.checked}, the backup recorded #{head['seq']}"
            )
    if report.timelines != len(recorded):
        problems.append(
            f"{report.timelines} timelines restored, the backup recorded {len(recorded)}"
        )
    with engine.connect() as connection:
        missing = [
            sha256
            for sha256 in connection.execute(
                text("SELECT DISTINCT sha256 FROM attachments WHERE purged_at IS NULL")
            ).scalars()
            if not blobs.exists(sha256)
        ]
    problems += [f"attachment content {sha256[:16]}… is missing" for sha256 in missing]
    if problems:
        raise IntegrityFailure(
            "the restored workspace did not verify, so it was removed again:\n"
            + "\n".join(f"  - {p}" for p in problems)
        )


def verify_timelines(engine: Engine, ctx: Context) -> Iterator[tuple[str, Verification]]:
    """Every incident's timeline chain in one streamed pass (one query, not one per incident),
    with the same canonical content and redaction rules as ``candor timeline verify``."""
    dialect = engine.dialect.name
    content = canonical_sql(
        dialect,
        [
            ("uuid", "id"),
            ("uuid", "incident_id"),
            ("int", "seq"),
            ("text", "kind"),
            ("text", "author"),
            ("instant", "occurred_at"),
            ("instant", "recorded_at"),
            ("text", "body"),
            ("text", "data_json"),
            ("int?", "corrects"),
        ],
    )
    with engine.connect() as connection:
        keys = {_hex(i): k for i, k in connection.execute(text("SELECT id, key FROM incidents"))}
        redacted_chains = set(
            connection.execute(text("SELECT DISTINCT chain FROM redactions")).scalars()
        )
    vouched_for: dict[str, dict[int, tuple[str, int]]] = {}
    with ctx.uow() as uow:
        for name in redacted_chains:
            vouched_for[name] = vouched(uow, name)
    query = (
        f"SELECT incident_id, seq, {content}, content_hash, prev_hash, hash "  # noqa: S608
        "FROM timeline_entries ORDER BY incident_id, seq"
    )
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(query).yield_per(5_000)
        for incident_id, group in groupby(rows, key=lambda row: _hex(row[0])):
            key = keys.get(incident_id, incident_id)
            yield (
                key,
                chain.verify(
                    (tuple(row[1:]) for row in group),  # type: ignore[misc]
                    prefix=f"{key} #",
                    redactions=vouched_for.get(f"timeline:{incident_id}"),
                ),
            )


def _hex(value: object) -> str:
    return value.hex if isinstance(value, uuid.UUID) else str(value).replace("-", "")
