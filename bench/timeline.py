"""Append 100,000 timeline entries and verify the chain, on SQLite and PostgreSQL.

    uv run python bench/timeline.py [--entries 100000] [--postgres URL]

Target (issue 2): verification ≥ 200,000 entries/s. For reference the same run measures the
floor set by hashing alone (SHA-256 over the same canonical bytes, no database), so the cost of
reading rows back is visible.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import secrets
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text

from candor.adapters.db import migrate
from candor.adapters.db.engine import make_engine
from candor.adapters.db.uow import SqlUnitOfWorkFactory
from candor.domain import timeline
from candor.domain.access import Actor, OrgRole
from candor.services import incidents
from candor.services import timeline as timeline_service
from candor.services.context import Context

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import describe

ACTOR = Actor("bench", OrgRole.ADMIN)
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class Clock:
    def now(self) -> datetime:
        return START


def fill(ctx: Context, count: int, batch: int = 2_000) -> tuple[str, float]:
    made = incidents.declare(ctx, ACTOR, title="Benchmark incident")
    started = time.perf_counter()
    written = 1
    while written < count:
        n = min(batch, count - written)
        drafts = [
            timeline.draft(
                kind="note",
                author="bench",
                occurred_at=START + timedelta(seconds=written + i),
                body=f"Observed request {written + i} from 203.0.113.{(written + i) % 250} "
                "to the export endpoint; user agent python-requests/2.31",
                data={"n": written + i, "source": "cloudtrail"},
            )
            for i in range(n)
        ]
        with ctx.uow(write=True) as uow:
            uow.timeline.append_many(made.id, drafts, recorded_at=START)
            uow.commit()
        written += n
    return made.key, time.perf_counter() - started


def measure(name: str, url: str, count: int, runs: int) -> dict[str, float]:
    engine = make_engine(url)
    migrate.upgrade(engine)
    ctx = Context(uow=SqlUnitOfWorkFactory(engine), clock=Clock())
    key, append_s = fill(ctx, count)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        result = timeline_service.verify(ctx, ACTOR, key)
        times.append(time.perf_counter() - t0)
        assert result.ok and result.checked == count, result
    # the floor: hashing the same content with no database
    with ctx.uow() as uow:
        incident = uow.incidents.get(key)
        assert incident is not None
        links = list(uow.timeline.links(incident.id))
    t0 = time.perf_counter()
    for link in links:
        hashlib.sha256(link[1].encode()).hexdigest()
    hash_only = time.perf_counter() - t0
    engine.dispose()
    best = min(times)
    return {
        "append_per_s": count / append_s,
        "verify_median_s": statistics.median(times),
        "verify_per_s": count / statistics.median(times),
        "verify_best_per_s": count / best,
        "hash_only_per_s": count / hash_only,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "CANDOR_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
    )
    args = parser.parse_args()

    print(describe())
    print(f"entries: {args.entries:,}; verification runs: {args.runs} (median reported)")
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        results["SQLite (WAL)"] = measure(
            "sqlite", f"sqlite:///{Path(tmp) / 'bench.db'}", args.entries, args.runs
        )
    schema = f"candor_bench_{secrets.token_hex(4)}"
    admin = create_engine(args.postgres)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = f"{args.postgres}?options=-csearch_path%3D{schema}"
        results["PostgreSQL"] = measure("postgresql", url, args.entries, args.runs)
    except Exception as exc:  # report, do not hide, a missing server
        print(f"PostgreSQL skipped: {type(exc).__name__}: {exc}")
    finally:
        try:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        except Exception:  # noqa: S110 - nothing to clean when the server was never reached
            pass
    print()
    print(
        f"{'database':<14} {'append/s':>10} {'verify/s':>10} {'best/s':>10} "
        f"{'hash-only/s':>12}  target verify >= 200,000/s"
    )
    for name, r in results.items():
        verdict = "met" if r["verify_per_s"] >= 200_000 else "MISSED"
        print(
            f"{name:<14} {r['append_per_s']:>10,.0f} {r['verify_per_s']:>10,.0f} "
            f"{r['verify_best_per_s']:>10,.0f} {r['hash_only_per_s']:>12,.0f}  {verdict}"
        )
    print(f"python {platform.python_version()}")


if __name__ == "__main__":
    main()
