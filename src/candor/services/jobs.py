"""Periodic jobs and the leases that let several workers share them.

A job is a function registered with ``@job("name", every=timedelta(...))``; ``candor worker``
runs each one when it is due. The ``job_leases`` table holds, per job, who runs it and until
when: taking the lease is one write transaction (``BEGIN IMMEDIATE`` on SQLite, a row lock on
PostgreSQL), so with several workers each job runs in one of them at a time. A worker that dies
keeps its lease until it expires; then another takes over. Long jobs renew the lease as they go
(``JobEnv.keep_going``).

The job modules are imported in one place, ``candor.bootstrap.JOB_MODULES``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from candor.domain.errors import Conflict
from candor.domain.outbox import Channel
from candor.services.context import Context
from candor.services.ports_delivery import JobLease, Transport, with_delivery

log = logging.getLogger("candor.worker")


@dataclass(frozen=True, slots=True)
class Job:
    name: str
    every: timedelta
    run: Callable[[JobEnv], str]
    doc: str = ""


REGISTRY: dict[str, Job] = {}


def job(
    name: str, *, every: timedelta
) -> Callable[[Callable[[JobEnv], str]], Callable[[JobEnv], str]]:
    def register(fn: Callable[[JobEnv], str]) -> Callable[[JobEnv], str]:
        if name in REGISTRY and REGISTRY[name].run is not fn:
            raise ValueError(f"two jobs are named {name!r}")
        REGISTRY[name] = Job(name, every, fn, (fn.__doc__ or "").strip().split("\n")[0])
        return fn

    return register


@dataclass
class JobEnv:
    """What a running job gets: the services' context, the transports, and a way to ask
    whether to go on."""

    ctx: Context
    transports: Callable[[Channel], Transport]
    worker: str
    stopping: Callable[[], bool] = lambda: False
    job: str = ""
    lease: timedelta = field(default=timedelta(seconds=120))

    def keep_going(self) -> bool:
        """False when the worker was asked to stop or lost the lease; renews it otherwise."""
        if self.stopping():
            return False
        if not self.job:
            return True
        until = self.ctx.clock.now() + self.lease
        with self.ctx.uow(write=True) as base:
            held = with_delivery(base).job_leases.renew(self.job, owner=self.worker, until=until)
            base.commit()
        return held


@dataclass(frozen=True, slots=True)
class Ran:
    job: str
    result: str
    ok: bool


def _due(job: Job, current: JobLease | None, *, worker: str, now: datetime) -> bool:
    if current is None or current.last_started_at is None:
        return True
    if current.owner not in (None, worker) and (current.lease_until or now) > now:
        return False  # another worker runs it
    return current.last_started_at + job.every <= now or current.owner not in (None, worker)


def _take(ctx: Context, job: Job, *, worker: str, now: datetime, lease: timedelta) -> bool:
    # a look without a write lock first: idle workers must not queue behind the busy one
    with ctx.uow() as base:
        if not _due(job, with_delivery(base).job_leases.get(job.name), worker=worker, now=now):
            return False
    try:
        with ctx.uow(write=True) as base:
            leases = with_delivery(base).job_leases
            if not _due(job, leases.get(job.name), worker=worker, now=now):
                return False
            if not leases.acquire(job.name, owner=worker, now=now, until=now + lease):
                return False  # another worker runs it
            leases.started(job.name, owner=worker, now=now)
            base.commit()
            return True
    except Conflict:
        return False  # another worker took it at the same moment


def run_due(env: JobEnv, *, names: list[str] | None = None) -> list[Ran]:
    """Run each registered job that is due and not leased by another worker, once."""
    ran: list[Ran] = []
    lease = timedelta(seconds=env.ctx.delivery.lease_seconds)
    for job in list(REGISTRY.values()):
        if names is not None and job.name not in names:
            continue
        if env.stopping():
            break
        if not _take(env.ctx, job, worker=env.worker, now=env.ctx.clock.now(), lease=lease):
            continue
        mine = JobEnv(env.ctx, env.transports, env.worker, env.stopping, job.name, lease)
        ok = True
        try:
            result = job.run(mine)
        except Exception as exc:  # one failing job must not stop the worker
            log.exception("job %s failed", job.name)
            result = f"failed: {exc}"
            ok = False
        with env.ctx.uow(write=True) as base:
            with_delivery(base).job_leases.release(
                job.name, owner=env.worker, now=env.ctx.clock.now(), result=result
            )
            base.commit()
        ran.append(Ran(job.name, result, ok))
    return ran


def leases(ctx: Context) -> list[JobLease]:
    with ctx.uow() as base:
        return with_delivery(base).job_leases.list()


def next_due(ctx: Context, *, now: datetime) -> datetime:
    """When the next job falls due (at most a minute ahead), for the worker's sleep."""
    known = {lease.name: lease for lease in leases(ctx)}
    soonest = now + timedelta(minutes=1)
    for job in REGISTRY.values():
        lease = known.get(job.name)
        if lease is None or lease.last_started_at is None:
            return now
        soonest = min(soonest, lease.last_started_at + job.every)
    return soonest
