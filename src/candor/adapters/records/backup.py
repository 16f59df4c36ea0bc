"""``candor backup``: a consistent snapshot of the workspace while it is in use.

    OUT/
      manifest.json            format, time, schema revision, row counts, the head of the audit
                               chain and of every timeline chain, and every file's SHA-256
      database.sqlite          SQLite: made with SQLite's online backup API
      database.pgdump          PostgreSQL: ``pg_dump --format=custom`` of the workspace's schema
      attachments/sha256/ab/<hash>   the content of every attachment the snapshot refers to

The database snapshot comes first; the chain heads, row counts and the list of attachments are
read from that same snapshot (on PostgreSQL, ``pg_dump`` joins a transaction's exported
snapshot), so the manifest describes exactly what was dumped however busy the server is.
Attachments are write-once and content-addressed, so copying them after the snapshot is safe.
The backup is assembled in a hidden directory beside OUT and renamed into place when complete.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import uuid
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, func, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from candor import __version__
from candor.adapters.db import tables
from candor.adapters.db.models import AuditRow, IncidentRow, TimelineRow
from candor.adapters.db.models_records import AttachmentRow
from candor.adapters.records.blobs import CHUNK
from candor.domain.errors import CandorError, InvalidInput, Problem
from candor.services.ports import BlobStore

FORMAT = "candor-backup"
VERSION = 1
MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite"
PG_FILE = "database.pgdump"


class ToolMissing(CandorError):
    status = 503
    title = "A required program is missing"
    code = "tool-missing"


def blob_path(sha256: str) -> str:
    return f"attachments/sha256/{sha256[:2]}/{sha256}"


def postgres_schema(url: str) -> str:
    """The schema a PostgreSQL URL works in: its ``-csearch_path=`` option, else ``public``."""
    options = make_url(url).query.get("options", "")
    for part in (options if isinstance(options, str) else " ".join(options)).split():
        if part.startswith("-csearch_path="):
            return part.split("=", 1)[1].split(",")[0].strip('"')
    return "public"


def libpq(url: str) -> tuple[str, dict[str, str]]:
    """A URL for the PostgreSQL command-line tools, and the environment that carries the
    password (so it never shows in the process list)."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    query = {k: v for k, v in parsed.query.items() if k != "options"}
    plain = parsed.set(drivername="postgresql", password=None, query=query)
    return plain.render_as_string(hide_password=False), env


def tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise ToolMissing(
            f"{name} is not installed; it comes with the PostgreSQL client programs "
            "(Debian and Ubuntu: apt-get install postgresql-client)"
        )
    return found


def readonly_uri(path: Path) -> str:
    # as_uri() percent-encodes the path, so names with ? or # still open the right file
    return path.resolve().as_uri() + "?mode=ro"


def readonly_sqlite(path: Path) -> Engine:
    """An engine that only reads a SQLite file: no WAL switch, no journal files beside it."""
    return create_engine(
        "sqlite://",
        creator=lambda: sqlite3.connect(readonly_uri(path), uri=True),
        poolclass=NullPool,
    )


def snapshot_info(connection: Connection) -> dict[str, Any]:
    """Row counts, chain heads and referenced content, read inside the snapshot's transaction."""
    present = set(inspect(connection).get_table_names())
    counts = {
        table.name: int(connection.execute(select(func.count()).select_from(table)).scalar_one())
        for table in tables.metadata().sorted_tables
        if table.name in present
    }
    audit = connection.execute(
        select(AuditRow.seq, AuditRow.hash).order_by(AuditRow.seq.desc()).limit(1)
    ).first()
    last = (
        select(TimelineRow.incident_id, func.max(TimelineRow.seq).label("seq"))
        .group_by(TimelineRow.incident_id)
        .subquery()
    )
    heads = connection.execute(
        select(IncidentRow.key, TimelineRow.seq, TimelineRow.hash)
        .join(
            last, (last.c.incident_id == TimelineRow.incident_id) & (last.c.seq == TimelineRow.seq)
        )
        .join(IncidentRow, IncidentRow.id == TimelineRow.incident_id)
        .order_by(IncidentRow.key)
    )
    contents = sorted(
        connection.execute(
            select(AttachmentRow.sha256).where(AttachmentRow.purged_at.is_(None)).distinct()
        ).scalars()
    )
    revision = None
    if "alembic_version" in present:
        revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    return {
        "revision": revision,
        "counts": counts,
        "chains": {
            "audit": {"seq": audit.seq, "hash": audit.hash} if audit else None,
            "timelines": {row.key: {"seq": row.seq, "hash": row.hash} for row in heads},
        },
        "contents": contents,
    }


def backup(
    engine: Engine, blobs: BlobStore, out: Path, *, now: datetime, source_label: str = ""
) -> dict[str, Any]:
    """Write a backup to ``out`` (which must not exist, or be an empty directory)."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InvalidInput(Problem("exists and is not an empty directory", file=str(out)))
    out.parent.mkdir(parents=True, exist_ok=True)
    work = out.parent / f".{out.name}.{uuid.uuid4().hex[:8]}.partial"
    work.mkdir()
    try:
        dialect = engine.dialect.name
        if dialect == "sqlite":
            database = _sqlite_snapshot(engine, work / SQLITE_FILE)
            snap_engine = readonly_sqlite(work / SQLITE_FILE)
            try:
                with snap_engine.connect() as connection:
                    info = snapshot_info(connection)
            finally:
                snap_engine.dispose()
        else:
            database, info = _postgres_snapshot(engine, work / PG_FILE)
        files: dict[str, dict[str, Any]] = {database: _file_entry(work / database)}
        for sha256 in info.pop("contents"):
            relative = blob_path(sha256)
            files[relative] = _copy_content(blobs, sha256, work / relative)
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "created_at": now.isoformat().replace("+00:00", "Z"),
            "candor_version": __version__,
            "database": {
                "dialect": dialect,
                "file": database,
                "schema": postgres_schema(str(engine.url)) if dialect == "postgresql" else None,
                "source": source_label or engine.url.render_as_string(hide_password=True),
                "revision": info["revision"],
            },
            "counts": info["counts"],
            "chains": info["chains"],
            "files": files,
        }
        (work / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        if out.exists():
            out.rmdir()
        os.replace(work, out)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return manifest


def _sqlite_snapshot(engine: Engine, target: Path) -> str:
    path = engine.url.database
    if not path or path == ":memory:":
        raise InvalidInput(Problem("an in-memory database cannot be backed up", field="database"))
    source = sqlite3.connect(readonly_uri(Path(path)), uri=True)
    copy = sqlite3.connect(target)
    try:
        # one step (pages=-1): the copy is taken under a single read transaction, so it is
        # consistent while writers go on (WAL lets them)
        source.backup(copy, pages=-1)
        # the copy inherits WAL mode, which would make every reader write -wal and -shm files
        # beside it; a backup is one self-contained file
        copy.execute("PRAGMA journal_mode=DELETE")
    finally:
        copy.close()
        source.close()
    return SQLITE_FILE


def _postgres_snapshot(engine: Engine, target: Path) -> tuple[str, dict[str, Any]]:
    url, env = libpq(engine.url.render_as_string(hide_password=False))
    schema = postgres_schema(engine.url.render_as_string(hide_password=False))
    reading = engine.connect().execution_options(isolation_level="REPEATABLE READ")
    with reading as connection, connection.begin():
        snapshot = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
        done = subprocess.run(
            [
                tool("pg_dump"),
                "--format=custom",
                f"--schema={schema}",
                f"--snapshot={snapshot}",
                "--no-owner",
                "--no-privileges",
                f"--file={target}",
                f"--dbname={url}",
            ],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise CandorError(f"pg_dump failed: {done.stderr.strip()}")
        info = snapshot_info(connection)
    return PG_FILE, info


def _copy_content(blobs: BlobStore, sha256: str, target: Path) -> dict[str, Any]:
    target.parent.mkdir(parents=True, exist_ok=True)
    hasher = hashlib.sha256()
    size = 0
    with blobs.open(sha256) as source, target.open("wb") as out:
        while chunk := source.read(CHUNK):
            hasher.update(chunk)
            size += len(chunk)
            out.write(chunk)
    if hasher.hexdigest() != sha256:
        raise CandorError(f"attachment content {sha256[:16]}… changed while it was copied")
    return {"sha256": sha256, "size": size}


def _file_entry(path: Path) -> dict[str, Any]:
    hasher = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            hasher.update(chunk)
            size += len(chunk)
    return {"sha256": hasher.hexdigest(), "size": size}


def read_manifest(folder: Path) -> Mapping[str, Any]:
    path = folder / MANIFEST
    if not folder.is_dir():
        raise InvalidInput(Problem("is not a backup directory", file=str(folder)))
    if not path.exists():
        raise InvalidInput(Problem("is missing: this is not a Candor backup", file=str(path)))
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput(Problem(f"is not valid JSON: {exc}", file=str(path))) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise InvalidInput(Problem(f"is not a {FORMAT} manifest", file=str(path)))
    if manifest.get("version") != VERSION:
        raise InvalidInput(
            Problem(
                f"has format version {manifest.get('version')!r}; this Candor reads {VERSION}",
                file=str(path),
            )
        )
    for field in ("database", "counts", "chains", "files"):
        if not isinstance(manifest.get(field), dict):
            raise InvalidInput(Problem(f"has no {field!r} section", file=str(path)))
    return manifest


def check_files(folder: Path, manifest: Mapping[str, Any]) -> None:
    """Every file the manifest lists is there with its size and hash, and nothing else is.
    Every problem is reported at once, each naming its file."""
    problems: list[Problem] = []
    listed = manifest["files"]
    for relative, meta in sorted(listed.items()):
        path = folder / relative
        if not path.is_file():
            problems.append(Problem("is missing from the backup", file=str(path)))
            continue
        found = _file_entry(path)
        if found["size"] != meta.get("size") or found["sha256"] != meta.get("sha256"):
            problems.append(
                Problem(
                    f"does not match the manifest (SHA-256 {found['sha256'][:16]}…, "
                    f"{found['size']} bytes; expected {str(meta.get('sha256'))[:16]}…, "
                    f"{meta.get('size')} bytes)",
                    file=str(path),
                )
            )
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder).as_posix()
        if path.is_file() and relative != MANIFEST and relative not in listed:
            problems.append(Problem("is not listed in the manifest", file=str(path)))
    if problems:
        raise InvalidInput(problems)
