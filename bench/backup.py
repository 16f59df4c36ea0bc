"""Backup and restore of a workspace with 10,000 incidents and 5 GB of attachments.

    uv run python bench/backup.py [--incidents 10000] [--gigabytes 5] [--files 2000]
                                  [--postgres URL] [--keep]

Target (issue 12): measure ``candor backup`` and ``candor restore`` (which also verifies every
hash and chain) at that size. For reference the same run times the peers a careful operator
would use without Candor: ``sqlite3 .backup`` (or ``pg_dump`` alone) for the database and
``cp -r`` and ``tar -cf`` of the attachment directory. Everything is generated under
``bench/out/`` and removed at the end (``--keep`` keeps it). Figures go to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

from candor.adapters.db import migrate
from candor.adapters.db.engine import make_engine
from candor.adapters.db.uow import SqlUnitOfWorkFactory
from candor.adapters.records import backup as backups
from candor.adapters.records import restore as restores
from candor.adapters.records.blobs import LocalBlobStore
from candor.domain.access import Actor, OrgRole
from candor.services import attachments, incidents, timeline
from candor.services.context import Context

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import describe

HERE = Path(__file__).resolve().parent
ACTOR = Actor("bench", OrgRole.ADMIN)


class Clock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def timed(label: str, figures: dict[str, float], action: object) -> object:
    started = time.perf_counter()
    result = action()  # type: ignore[operator]
    figures[label] = time.perf_counter() - started
    print(f"  {label:<44} {figures[label]:8.1f} s", flush=True)
    return result


def fill(ctx: Context, incidents_n: int, files: int, total_bytes: int) -> list[str]:
    keys = []
    for i in range(incidents_n):
        made = incidents.declare(ctx, ACTOR, title=f"Benchmark incident {i}", summary="x" * 200)
        timeline.add(ctx, ACTOR, made.key, kind="note", body=f"Observed activity {i}")
        keys.append(made.key)
        if i % 2000 == 1999:
            print(f"    {i + 1} incidents", flush=True)
    size = total_bytes // files
    for n in range(files):
        data = os.urandom(size)
        attachments.add_attachment(
            ctx, ACTOR, keys[n % len(keys)], f"capture-{n}.bin", io.BytesIO(data)
        )
        if n % 500 == 499:
            print(f"    {n + 1} attachments", flush=True)
    return keys


def run(command: list[str], **kwargs: object) -> None:
    subprocess.run(command, check=True, capture_output=True, **kwargs)  # type: ignore[call-overload]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--gigabytes", type=float, default=5.0)
    parser.add_argument("--files", type=int, default=2_000)
    parser.add_argument("--postgres", metavar="URL", help="run on PostgreSQL instead of SQLite")
    parser.add_argument("--keep", action="store_true", help="keep bench/out/backup-*")
    args = parser.parse_args()
    total = int(args.gigabytes * 1024**3)
    out = HERE / "out" / f"backup-{os.getpid()}"
    out.mkdir(parents=True)
    free = shutil.disk_usage(out).free
    need = total * 4.5  # source, backup, restore, baseline copy
    if free < need:
        sys.exit(f"needs {need / 1024**3:.1f} GiB free under {out}, has {free / 1024**3:.1f}")
    schemas: list[str] = []
    figures: dict[str, float] = {}
    try:
        if args.postgres:
            admin = make_engine(args.postgres)
            for name in ("bench_src", "bench_dst"):
                schema = f"{name}_{os.getpid()}"
                with admin.begin() as conn:
                    conn.execute(text(f'CREATE SCHEMA "{schema}"'))
                schemas.append(schema)
            sep = "&" if "?" in args.postgres else "?"
            source_url = f"{args.postgres}{sep}options=-csearch_path%3D{schemas[0]}"
            target_url = f"{args.postgres}{sep}options=-csearch_path%3D{schemas[1]}"
        else:
            source_url = f"sqlite:///{out / 'source.db'}"
            target_url = f"sqlite:///{out / 'restored.db'}"
        engine = make_engine(source_url)
        migrate.upgrade(engine)
        blobs = LocalBlobStore(out / "attachments")
        ctx = Context(uow=SqlUnitOfWorkFactory(engine), clock=Clock(), blobs=blobs)
        print(
            f"Generating {args.incidents} incidents and {args.gigabytes} GB in {args.files} files"
        )
        timed("generate workspace", figures, lambda: fill(ctx, args.incidents, args.files, total))
        print("Candor:")
        timed(
            "candor backup (snapshot, copy, hash, manifest)",
            figures,
            lambda: backups.backup(engine, blobs, out / "backup", now=Clock().now()),
        )
        target_blobs = LocalBlobStore(out / "restored-attachments")
        report = timed(
            "candor restore (check, load, verify chains)",
            figures,
            lambda: restores.restore(out / "backup", target_url, target_blobs, clock=Clock()),
        )
        print("Peers:")
        if args.postgres:
            url, env = backups.libpq(source_url)
            timed(
                "pg_dump -Fc (database only)",
                figures,
                lambda: run(
                    ["pg_dump", "-Fc", f"--schema={schemas[0]}", "-f", str(out / "p.dump"), url],
                    env=env,
                ),
            )
        else:
            timed(
                "sqlite3 .backup (database only)",
                figures,
                lambda: run(["sqlite3", str(out / "source.db"), f".backup {out / 'peer.db'}"]),
            )
        timed(
            "cp -r attachments",
            figures,
            lambda: run(["cp", "-r", str(out / "attachments"), str(out / "peer-copy")]),
        )
        timed(
            "tar -cf attachments",
            figures,
            lambda: run(["tar", "-cf", str(out / "peer.tar"), "-C", str(out), "attachments"]),
        )
        engine.dispose()
        lines = list(report.lines())  # type: ignore[attr-defined]
        for line in lines:
            print(line)
        record(args, figures, lines)
    finally:
        if not args.keep:
            shutil.rmtree(out, ignore_errors=True)
        if schemas:
            with admin.begin() as conn:
                for schema in schemas:
                    conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


def record(args: argparse.Namespace, figures: dict[str, float], lines: list[str]) -> None:
    results = HERE / "RESULTS.md"
    if not results.exists():
        results.write_text("# Benchmark results\n\nEach script appends its own section.\n")
    database = "PostgreSQL" if args.postgres else "SQLite"
    peer_db = figures.get("pg_dump -Fc (database only)") or figures.get(
        "sqlite3 .backup (database only)", 0.0
    )
    peer = peer_db + figures["cp -r attachments"]
    rows = "\n".join(f"| {label} | {value:.1f} |" for label, value in figures.items())
    command = " ".join(["uv run python bench/backup.py", *sys.argv[1:]])
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    gb = args.gigabytes
    section = f"""
## backup.py: backup and restore, {args.incidents} incidents, {gb} GB of attachments ({database})

{describe()}

Command: `{command}`

| step | seconds |
| --- | --- |
{rows}

Load average at the end of the run: {load} (the machine is shared; other work inflates every
figure above alike). Candor's backup took
{figures["candor backup (snapshot, copy, hash, manifest)"] / peer:.2f}× the time of the peer
(database copy + `cp -r` of the attachments, {peer:.1f} s) and hashes every file on the way;
the restore checks every hash, loads, and verifies: {"; ".join(x.strip() for x in lines[1:])}.
"""
    with results.open("a", encoding="utf-8") as handle:
        handle.write(section)
    print(f"Recorded in {results}")


if __name__ == "__main__":
    main()
