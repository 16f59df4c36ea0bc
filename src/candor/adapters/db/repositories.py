"""SQL repositories for the core records: incidents, timeline, tasks, sequences, audit."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import (
    Select,
    and_,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from candor.adapters.db.models import (
    IncidentRow,
    ParticipantRow,
    PhaseChangeRow,
    RoleRow,
    SequenceRow,
    TaskRow,
)
from candor.domain.errors import Conflict
from candor.domain.incidents import Clock, Incident, PhaseChange, parse_key
from candor.domain.lifecycle import Phase
from candor.domain.tasks import Task, TaskStatus
from candor.domain.vocabulary import Confidentiality, Kind, Role, Severity
from candor.services.ports import IncidentFilter


def dialect_of(session: Session) -> str:
    return session.get_bind().dialect.name


class SqlSequences:
    def __init__(self, session: Session) -> None:
        self.session = session

    def next(self, name: str) -> int:
        dialect = dialect_of(self.session)
        builder = pg_insert if dialect == "postgresql" else sqlite_insert
        stmt = builder(SequenceRow).values(name=name, value=1)
        stmt = stmt.on_conflict_do_update(
            index_elements=[SequenceRow.name], set_={"value": SequenceRow.value + 1}
        ).returning(SequenceRow.value)
        return int(self.session.execute(stmt).scalar_one())


_INCIDENT = tuple(IncidentRow.__table__.columns)


class SqlIncidents:
    def __init__(self, session: Session) -> None:
        self.session = session

    # -- writing -------------------------------------------------------------------------------

    def add(self, incident: Incident) -> None:
        year, seq = parse_key(incident.key)
        self.session.execute(
            insert(IncidentRow).values(
                **self._columns(incident),
                year=year,
                seq=seq,
                id=incident.id,
                key=incident.key,
                declared_at=incident.declared_at,
                declared_by=incident.declared_by,
                version=incident.version,
            )
        )
        self._write_children(incident, phases_from=0)

    def save(self, incident: Incident, *, expected_version: int) -> Incident:
        if dialect_of(self.session) == "postgresql":
            # serialise writers on this incident for the rest of the transaction
            self.session.execute(
                select(IncidentRow.id).where(IncidentRow.id == incident.id).with_for_update()
            )
        result = self.session.execute(
            update(IncidentRow)
            .where(IncidentRow.id == incident.id, IncidentRow.version == expected_version)
            .values(**self._columns(incident), version=expected_version + 1)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            current = self.session.execute(
                select(IncidentRow.version).where(IncidentRow.id == incident.id)
            ).scalar_one_or_none()
            raise Conflict(
                f"{incident.key} was changed by someone else since you read it "
                f"(now at version {current}, you had version {expected_version}). "
                "Reload it and apply your change again; nothing was overwritten."
            )
        stored = self.session.execute(
            select(func.count())
            .select_from(PhaseChangeRow)
            .where(PhaseChangeRow.incident_id == incident.id)
        ).scalar_one()
        self._write_children(incident, phases_from=stored, replace_people=True)
        return replace(incident, version=expected_version + 1)

    @staticmethod
    def _columns(incident: Incident) -> dict[str, Any]:
        return {
            "title": incident.title,
            "summary": incident.summary,
            "kind": incident.kind.value,
            "severity": incident.severity.value,
            "confidentiality": incident.confidentiality.value,
            "exercise": incident.exercise,
            "phase": incident.phase.value,
            "updated_at": incident.updated_at or incident.declared_at,
            **{clock.value: incident.clocks.get(clock) for clock in Clock},
        }

    def _write_children(
        self, incident: Incident, *, phases_from: int, replace_people: bool = False
    ) -> None:
        new_phases = incident.phase_history[phases_from:]
        if new_phases:
            self.session.execute(
                insert(PhaseChangeRow),
                [
                    {
                        "incident_id": incident.id,
                        "ordinal": phases_from + i + 1,
                        "phase": change.phase.value,
                        "entered_at": change.entered_at,
                        "by": change.by,
                        "reason": change.reason,
                    }
                    for i, change in enumerate(new_phases)
                ],
            )
        if replace_people:
            self.session.execute(delete(RoleRow).where(RoleRow.incident_id == incident.id))
            self.session.execute(
                delete(ParticipantRow).where(ParticipantRow.incident_id == incident.id)
            )
        if incident.roles:
            self.session.execute(
                insert(RoleRow),
                [
                    {"incident_id": incident.id, "role": role.value, "person": person}
                    for role, person in incident.roles.items()
                ],
            )
        if incident.participants:
            self.session.execute(
                insert(ParticipantRow),
                [
                    {"incident_id": incident.id, "person": person}
                    for person in sorted(incident.participants)
                ],
            )

    # -- reading -------------------------------------------------------------------------------

    # Reads use Core rows, not ORM instances: the dashboard and the list API load hundreds of
    # rows per request, and ORM bookkeeping was most of their cost.

    def get(self, key: str) -> Incident | None:
        row = self.session.execute(select(*_INCIDENT).where(IncidentRow.key == key)).first()
        return self._load([row])[0] if row else None

    def get_by_id(self, id: uuid.UUID) -> Incident | None:
        row = self.session.execute(select(*_INCIDENT).where(IncidentRow.id == id)).first()
        return self._load([row])[0] if row else None

    def _filtered(self, where: IncidentFilter) -> Select[Any]:
        query = select(*_INCIDENT)
        if where.open_only:
            query = query.where(
                IncidentRow.phase.not_in([Phase.CLOSED.value, Phase.DECLINED.value])
            )
        if where.phase is not None:
            query = query.where(IncidentRow.phase == where.phase.value)
        if where.severity is not None:
            query = query.where(IncidentRow.severity == where.severity.value)
        if where.exercise is not None:
            query = query.where(IncidentRow.exercise == where.exercise)
        if where.ids is not None:
            query = query.where(IncidentRow.id.in_(sorted(where.ids)))
        if where.declared_after is not None:
            query = query.where(IncidentRow.declared_at >= where.declared_after)
        if not where.see_all:
            member = where.member or ""
            query = query.where(
                or_(
                    IncidentRow.confidentiality == Confidentiality.NORMAL.value,
                    IncidentRow.declared_by == member,
                    exists().where(
                        and_(RoleRow.incident_id == IncidentRow.id, RoleRow.person == member)
                    ),
                    exists().where(
                        and_(
                            ParticipantRow.incident_id == IncidentRow.id,
                            ParticipantRow.person == member,
                        )
                    ),
                )
            )
        return query

    def list(self, where: IncidentFilter) -> list[Incident]:
        query = (
            self._filtered(where)
            .order_by(IncidentRow.declared_at.desc(), IncidentRow.seq.desc())
            .limit(where.limit)
            .offset(where.offset)
        )
        return self._load(list(self.session.execute(query)))

    def count(self, where: IncidentFilter) -> int:
        sub = self._filtered(where).with_only_columns(IncidentRow.id).subquery()
        return int(self.session.execute(select(func.count()).select_from(sub)).scalar_one())

    def people_in_role(self, where: IncidentFilter, role: Role) -> set[str]:
        chosen = self._filtered(where).with_only_columns(IncidentRow.id)
        query = (
            select(RoleRow.person)
            .distinct()
            .where(RoleRow.role == role.value, RoleRow.incident_id.in_(chosen))
        )
        return set(self.session.scalars(query))

    def _load(self, rows: Sequence[Any]) -> list[Incident]:
        if not rows:
            return []
        ids = [row.id for row in rows]
        phases: dict[uuid.UUID, list[PhaseChange]] = {i: [] for i in ids}
        for incident_id, phase, entered_at, by, reason in self.session.execute(
            select(
                PhaseChangeRow.incident_id,
                PhaseChangeRow.phase,
                PhaseChangeRow.entered_at,
                PhaseChangeRow.by,
                PhaseChangeRow.reason,
            )
            .where(PhaseChangeRow.incident_id.in_(ids))
            .order_by(PhaseChangeRow.incident_id, PhaseChangeRow.ordinal)
        ):
            phases[incident_id].append(PhaseChange(Phase(phase), entered_at, by, reason))
        roles: dict[uuid.UUID, dict[Role, str]] = {i: {} for i in ids}
        for incident_id, role, person in self.session.execute(
            select(RoleRow.incident_id, RoleRow.role, RoleRow.person).where(
                RoleRow.incident_id.in_(ids)
            )
        ):
            roles[incident_id][Role(role)] = person
        people: dict[uuid.UUID, set[str]] = {i: set() for i in ids}
        for incident_id, person in self.session.execute(
            select(ParticipantRow.incident_id, ParticipantRow.person).where(
                ParticipantRow.incident_id.in_(ids)
            )
        ):
            people[incident_id].add(person)
        out = []
        for row in rows:
            clocks = {
                clock: value for clock in Clock if (value := getattr(row, clock.value)) is not None
            }
            out.append(
                Incident(
                    id=row.id,
                    key=row.key,
                    title=row.title,
                    summary=row.summary,
                    kind=Kind(row.kind),
                    severity=Severity(row.severity),
                    confidentiality=Confidentiality(row.confidentiality),
                    exercise=row.exercise,
                    declared_at=row.declared_at,
                    declared_by=row.declared_by,
                    phase_history=tuple(phases[row.id]),
                    clocks=clocks,
                    roles=roles[row.id],
                    participants=frozenset(people[row.id]),
                    version=row.version,
                    updated_at=row.updated_at,
                )
            )
        return out


class SqlTasks:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, task: Task) -> None:
        self.session.execute(insert(TaskRow).values(**self._columns(task)))

    def save(self, task: Task) -> None:
        self.session.execute(
            update(TaskRow).where(TaskRow.id == task.id).values(**self._columns(task))
        )

    @staticmethod
    def _columns(task: Task) -> dict[str, Any]:
        return {
            "id": task.id,
            "incident_id": task.incident_id,
            "seq": task.seq,
            "title": task.title,
            "owner": task.owner,
            "due_at": task.due_at,
            "phase": task.phase.value if task.phase else None,
            "status": task.status.value,
            "created_at": task.created_at,
            "created_by": task.created_by,
            "completed_at": task.completed_at,
            "notes": task.notes,
            "source": task.source,
        }

    @staticmethod
    def _task(row: TaskRow) -> Task:
        return Task(
            id=row.id,
            incident_id=row.incident_id,
            seq=row.seq,
            title=row.title,
            owner=row.owner,
            due_at=row.due_at,
            phase=Phase(row.phase) if row.phase else None,
            status=TaskStatus(row.status),
            created_at=row.created_at,
            created_by=row.created_by,
            completed_at=row.completed_at,
            notes=row.notes,
            source=row.source,
        )

    def get(self, incident_id: uuid.UUID, seq: int) -> Task | None:
        row = self.session.execute(
            select(TaskRow).where(TaskRow.incident_id == incident_id, TaskRow.seq == seq)
        ).scalar_one_or_none()
        return self._task(row) if row else None

    def list(self, incident_id: uuid.UUID, *, open_only: bool = False) -> list[Task]:
        query = select(TaskRow).where(TaskRow.incident_id == incident_id)
        if open_only:
            query = query.where(TaskRow.status.in_([s.value for s in TaskStatus if s.is_open]))
        return [self._task(r) for r in self.session.execute(query.order_by(TaskRow.seq)).scalars()]

    def next_seq(self, incident_id: uuid.UUID) -> int:
        current = self.session.execute(
            select(func.max(TaskRow.seq)).where(TaskRow.incident_id == incident_id)
        ).scalar_one_or_none()
        return (current or 0) + 1
