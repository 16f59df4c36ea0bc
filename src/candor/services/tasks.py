"""Use cases for tasks: add, change status, reassign, list."""

from __future__ import annotations

import uuid
from datetime import datetime

from candor.domain import tasks as model
from candor.domain import timeline
from candor.domain.access import Actor, require_write
from candor.domain.audit import AuditDraft
from candor.domain.errors import NotFound
from candor.domain.lifecycle import Phase
from candor.domain.tasks import Task, TaskStatus
from candor.domain.timeline import EntryKind
from candor.services.context import Context
from candor.services.incidents import load
from candor.services.ports import UnitOfWork


def _snapshot(task: Task) -> dict[str, object]:
    return {
        "seq": task.seq,
        "title": task.title,
        "owner": task.owner,
        "due_at": task.due_at.isoformat() if task.due_at else None,
        "phase": task.phase.value if task.phase else None,
        "status": task.status.value,
    }


def add_in(
    ctx: Context,
    uow: UnitOfWork,
    actor: Actor,
    incident_key: str,
    incident_id: uuid.UUID,
    *,
    title: str,
    owner: str | None = None,
    due_at: datetime | None = None,
    phase: Phase | str | None = None,
    notes: str = "",
    source: str = "",
    now: datetime,
) -> Task:
    """Add a task inside an open unit of work (playbooks add many at once)."""
    task = model.new_task(
        id=ctx.new_id(),
        incident_id=incident_id,
        seq=uow.tasks.next_seq(incident_id),
        title=title,
        by=actor.username,
        now=now,
        owner=owner,
        due_at=due_at,
        phase=phase,
        notes=notes,
        source=source,
    )
    uow.tasks.add(task)
    who = f" → {task.owner}" if task.owner else ""
    due = f", due {task.due_at.isoformat()}" if task.due_at else ""
    uow.timeline.append(
        incident_id,
        timeline.draft(
            kind=EntryKind.TASK,
            author=actor.username,
            occurred_at=now,
            body=f"Task {task.seq} added: {task.title}{who}{due}.",
            data={"task": task.seq},
        ),
        recorded_at=now,
    )
    uow.audit.append(
        AuditDraft(
            at=now,
            actor=actor.username,
            action="task.add",
            target_type="task",
            target_id=str(task.id),
            incident_key=incident_key,
            after=_snapshot(task),
        )
    )
    return task


def add(
    ctx: Context,
    actor: Actor,
    key: str,
    *,
    title: str,
    owner: str | None = None,
    due_at: datetime | None = None,
    phase: Phase | str | None = None,
    notes: str = "",
) -> Task:
    now = ctx.clock.now()
    with ctx.uow(write=True) as uow:
        incident = load(uow, actor, key)
        require_write(actor, incident)
        task = add_in(
            ctx,
            uow,
            actor,
            incident.key,
            incident.id,
            title=title,
            owner=owner,
            due_at=due_at,
            phase=phase,
            notes=notes,
            now=now,
        )
        uow.commit()
    return task


def set_status(ctx: Context, actor: Actor, key: str, seq: int, status: TaskStatus | str) -> Task:
    now = ctx.clock.now()
    with ctx.uow(write=True) as uow:
        incident = load(uow, actor, key)
        require_write(actor, incident)
        before = uow.tasks.get(incident.id, seq)
        if before is None:
            raise NotFound(f"{incident.key} has no task {seq}")
        after = model.set_status(before, status, now=now)
        uow.tasks.save(after)
        uow.timeline.append(
            incident.id,
            timeline.draft(
                kind=EntryKind.TASK,
                author=actor.username,
                occurred_at=now,
                body=f"Task {seq} {after.status.value}: {after.title}.",
                data={"task": seq, "status": after.status.value},
            ),
            recorded_at=now,
        )
        uow.audit.append(
            AuditDraft(
                at=now,
                actor=actor.username,
                action="task.status",
                target_type="task",
                target_id=str(after.id),
                incident_key=incident.key,
                before=_snapshot(before),
                after=_snapshot(after),
            )
        )
        uow.commit()
    return after


def list_tasks(ctx: Context, actor: Actor, key: str, *, open_only: bool = False) -> list[Task]:
    with ctx.uow() as uow:
        incident = load(uow, actor, key)
        return uow.tasks.list(incident.id, open_only=open_only)
