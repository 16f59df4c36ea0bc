"""Job leases on SQLite and PostgreSQL: with several workers each job runs in one at a time;
a dead worker's lease expires and another takes over; a job runs again only when due."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import pytest

from candor.domain.outbox import Channel
from candor.services import jobs
from candor.services.context import Context
from candor.services.ports_delivery import DeliverySetup, Transport


def no_transport(channel: Channel) -> Transport:
    raise AssertionError("this job sends nothing")


@pytest.fixture
def registry() -> Iterator[list[str]]:
    saved = dict(jobs.REGISTRY)
    jobs.REGISTRY.clear()
    ran: list[str] = []
    yield ran
    jobs.REGISTRY.clear()
    jobs.REGISTRY.update(saved)


def test_one_worker_at_a_time_and_takeover_after_expiry(
    sql_ctx: Context, registry: list[str]
) -> None:
    ctx = replace(sql_ctx, delivery=DeliverySetup(lease_seconds=30))
    inside: list[str] = []

    @jobs.job("test.tick", every=timedelta(seconds=10))
    def tick(env: jobs.JobEnv) -> str:
        # while w1 runs, w2 finds the job leased
        if env.worker == "w1" and not inside:
            inside.append("w2 tried")
            other = jobs.JobEnv(ctx, no_transport, "w2")
            assert jobs.run_due(other) == []
        registry.append(env.worker)
        return f"ticked by {env.worker}"

    first = jobs.run_due(jobs.JobEnv(ctx, no_transport, "w1"))
    assert [(r.job, r.result, r.ok) for r in first] == [("test.tick", "ticked by w1", True)]
    assert inside == ["w2 tried"]
    # not due again before `every`
    assert jobs.run_due(jobs.JobEnv(ctx, no_transport, "w2")) == []
    ctx.clock.advance(seconds=11)  # type: ignore[attr-defined]
    assert [r.result for r in jobs.run_due(jobs.JobEnv(ctx, no_transport, "w2"))] == [
        "ticked by w2"
    ]
    assert registry == ["w1", "w2"]
    lease = jobs.leases(ctx)[0]
    assert lease.owner is None and lease.last_result == "ticked by w2"


def test_a_dead_workers_lease_expires(sql_ctx: Context, registry: list[str]) -> None:
    ctx = replace(sql_ctx, delivery=DeliverySetup(lease_seconds=30))

    @jobs.job("test.crash", every=timedelta(seconds=1))
    def crash(env: jobs.JobEnv) -> str:
        registry.append(env.worker)
        return "ok"

    # w1 took the lease and died before releasing it
    with ctx.uow(write=True) as uow:
        now = ctx.clock.now()
        assert uow.job_leases.acquire(  # type: ignore[attr-defined]
            "test.crash", owner="w1", now=now, until=now + timedelta(seconds=30)
        )
        uow.job_leases.started("test.crash", owner="w1", now=now)  # type: ignore[attr-defined]
        uow.commit()
    ctx.clock.advance(seconds=5)  # type: ignore[attr-defined]
    assert jobs.run_due(jobs.JobEnv(ctx, no_transport, "w2")) == []
    ctx.clock.advance(seconds=30)  # type: ignore[attr-defined]
    assert [r.result for r in jobs.run_due(jobs.JobEnv(ctx, no_transport, "w2"))] == ["ok"]


def test_a_failing_job_is_reported_and_released(sql_ctx: Context, registry: list[str]) -> None:
    @jobs.job("test.fail", every=timedelta(seconds=1))
    def fail(env: jobs.JobEnv) -> str:
        raise RuntimeError("the mail server's certificate expired")

    ran = jobs.run_due(jobs.JobEnv(sql_ctx, no_transport, "w1"))
    assert [(r.ok, r.result) for r in ran] == [
        (False, "failed: the mail server's certificate expired")
    ]
    assert jobs.leases(sql_ctx)[0].owner is None
