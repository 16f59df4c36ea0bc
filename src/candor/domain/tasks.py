"""Tasks: who does what by when, in which phase of the response."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from candor.domain.errors import InvalidInput, Problem, ProblemCollector
from candor.domain.incidents import check_person
from candor.domain.lifecycle import Phase
from candor.domain.vocabulary import parse_enum, require_aware

TITLE_MAX = 300
NOTES_MAX = 10_000


class TaskStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANCELLED = "cancelled"

    @property
    def is_open(self) -> bool:
        return self in (TaskStatus.OPEN, TaskStatus.IN_PROGRESS)


@dataclass(frozen=True, slots=True)
class Task:
    id: uuid.UUID
    incident_id: uuid.UUID
    seq: int  # number within the incident, as people say it: "task 3"
    title: str
    owner: str | None
    due_at: datetime | None
    phase: Phase | None
    status: TaskStatus
    created_at: datetime
    created_by: str
    completed_at: datetime | None = None
    notes: str = ""
    source: str = ""  # e.g. "playbook:leaked-secret" when a playbook created it

    def is_overdue(self, now: datetime) -> bool:
        return self.status.is_open and self.due_at is not None and self.due_at < now


def new_task(
    *,
    id: uuid.UUID,
    incident_id: uuid.UUID,
    seq: int,
    title: str,
    by: str,
    now: datetime,
    owner: str | None = None,
    due_at: datetime | None = None,
    phase: Phase | str | None = None,
    notes: str = "",
    source: str = "",
) -> Task:
    problems = ProblemCollector()
    text = title.strip()
    if not text:
        problems.add("must not be empty", field="title")
    if len(text) > TITLE_MAX:
        problems.add(f"is longer than {TITLE_MAX} characters", field="title")
    if len(notes) > NOTES_MAX:
        problems.add(f"is longer than {NOTES_MAX} characters", field="notes")
    problems.raise_if_any()
    return Task(
        id=id,
        incident_id=incident_id,
        seq=seq,
        title=text,
        owner=check_person(owner, field="owner") if owner else None,
        due_at=require_aware(due_at, field="due_at") if due_at else None,
        phase=parse_enum(Phase, phase, field="phase") if phase else None,
        status=TaskStatus.OPEN,
        created_at=require_aware(now, field="now"),
        created_by=check_person(by, field="by"),
        notes=notes.strip(),
        source=source,
    )


def set_status(task: Task, status: TaskStatus | str, *, now: datetime) -> Task:
    target = parse_enum(TaskStatus, status, field="status")
    now = require_aware(now, field="now")
    if target is task.status:
        raise InvalidInput(Problem(f"task {task.seq} is already {target.value}", field="status"))
    completed = now if not target.is_open else None
    return replace(task, status=target, completed_at=completed)


def reassign(task: Task, owner: str | None, *, due_at: datetime | None = None) -> Task:
    return replace(
        task,
        owner=check_person(owner, field="owner") if owner else None,
        due_at=require_aware(due_at, field="due_at") if due_at else task.due_at,
    )
