"""The metrics overview and the action-items list over many incidents with retros, on SQLite.

    uv run python bench/learn.py [--incidents 300] [--runs 20]

What the /metrics and /actions pages cost: every visible incident's metrics (timeline, tracked
obligations and indicators read per incident), medians and p90 across them, overdue items and
recurring root causes. The peer is the same figures computed from values already in memory
(``domain.metrics`` alone), the floor that reading the records is measured against.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from candor.adapters.db import migrate
from candor.adapters.db.engine import make_engine
from candor.adapters.db.uow import SqlUnitOfWorkFactory
from candor.domain import metrics
from candor.domain.access import Actor, OrgRole
from candor.domain.accounts import new_user
from candor.services import incidents, learn_metrics, retros
from candor.services.context import Context

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import describe

ACTOR = Actor("bench", OrgRole.ADMIN)
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.current = START

    def now(self) -> datetime:
        return self.current


def fill(ctx: Context, clock: Clock, count: int) -> None:
    with ctx.uow(write=True) as uow:
        uow.users.add(new_user(id=uuid.uuid4(), username="bench", role=OrgRole.ADMIN, now=START))
        uow.commit()
    for n in range(count):
        clock.current = START + timedelta(hours=n)
        made = incidents.declare(
            ctx, ACTOR, title=f"Incident {n}", detected_at=clock.current - timedelta(minutes=40)
        )
        clock.current += timedelta(minutes=20)
        incidents.assign_role(ctx, ACTOR, made.key, "incident_lead", "bench")
        retros.start(ctx, ACTOR, made.key)
        for c in range(2):
            retros.add_chain(
                ctx,
                ACTOR,
                made.key,
                problem=f"Problem {c} of incident {n}",
                steps=[
                    {"why": "Why?", "because": "No review caught it"},
                    {"why": "Why?", "because": f"No tool checks commits for secrets {n % 7}"},
                ],
            )
        for a in range(3):
            retros.add_action_item(
                ctx,
                ACTOR,
                made.key,
                title=f"Action {a}",
                kind="prevent",
                owner="bench",
                due_on=(START + timedelta(days=n % 60)).date(),
            )


def timed(runs: int, work) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        work()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--incidents", type=int, default=300)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        engine = make_engine(f"sqlite:///{Path(home) / 'candor.db'}")
        migrate.upgrade(engine)
        clock = Clock()
        ctx = Context(uow=SqlUnitOfWorkFactory(engine), clock=clock)
        t0 = time.perf_counter()
        fill(ctx, clock, args.incidents)
        fill_s = time.perf_counter() - t0
        clock.current = START + timedelta(days=90)
        overview = timed(args.runs, lambda: learn_metrics.overview(ctx, ACTOR))
        actions = timed(args.runs, lambda: retros.action_items(ctx, ACTOR))
        found = learn_metrics.overview(ctx, ACTOR)
        with ctx.uow() as uow:
            stored = [r for _, r in learn_metrics.visible_retros(uow, ACTOR)]
        peer = timed(
            args.runs,
            lambda: (
                metrics.summarise(found.incidents),
                metrics.overdue_action_items(stored, now=clock.current),
                metrics.recurring_root_causes(stored),
            ),
        )
    print(describe())
    print(f"command: uv run python bench/learn.py --incidents {args.incidents} --runs {args.runs}")
    print(f"filled {args.incidents} incidents (2 chains, 3 action items each) in {fill_s:.1f} s")
    print(f"overdue items: {len(found.overdue)}; recurring causes: {len(found.recurring)}")
    for name, values in (
        ("metrics overview (/metrics)", overview),
        ("action items (/actions)", actions),
        ("peer: domain only, in memory", peer),
    ):
        print(
            f"{name:<32} median {statistics.median(values):8.1f} ms  "
            f"max {max(values):8.1f} ms over {len(values)} runs"
        )


if __name__ == "__main__":
    main()
