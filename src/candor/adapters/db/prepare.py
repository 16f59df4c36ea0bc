"""Tables and repositories of the prepare features: the contacts directory and exercises.

Importing this module registers ``contacts`` and ``exercises`` on every SQL unit of work.
"""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from candor.adapters.db.models import Base, IncidentRow
from candor.adapters.db.uow import register_repository
from candor.domain import contacts as contact_model
from candor.domain.contacts import Category, Contact, Details, NoticeClause, OutOfBand, Person
from candor.domain.contacts import Retainer as RetainerTerms
from candor.domain.errors import Conflict
from candor.domain.exercises import Exercise, Release
from candor.domain.scenarios import parse_scenario


class ContactRow(Base):
    __tablename__ = "contacts"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    handle: Mapped[str] = mapped_column(String(63), unique=True)
    category: Mapped[str] = mapped_column(String(32), index=True)
    organisation: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(Text, default="")
    people: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    oob_phone: Mapped[str] = mapped_column(String(40), default="")
    oob_signal: Mapped[str] = mapped_column(String(100), default="")
    pgp_fingerprint: Mapped[str] = mapped_column(String(64), default="")
    # retainer_in_place is NULL when nothing about a retainer was recorded
    retainer_in_place: Mapped[bool | None] = mapped_column(Boolean)
    retainer_number: Mapped[str] = mapped_column(String(100), default="")
    retainer_hours: Mapped[int | None] = mapped_column(Integer)
    retainer_expires_on: Mapped[date | None] = mapped_column(Date)
    retainer_terms: Mapped[str] = mapped_column(Text, default="")
    notice_text: Mapped[str | None] = mapped_column(Text)
    notice_hours: Mapped[int | None] = mapped_column(Integer)
    portal_url: Mapped[str] = mapped_column(String(500), default="")
    jurisdiction: Mapped[str] = mapped_column(String(20), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    last_verified_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(Integer, default=1)


class ExerciseRow(Base):
    __tablename__ = "exercises"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(32), unique=True)
    scenario_name: Mapped[str] = mapped_column(String(63))
    scenario_json: Mapped[str] = mapped_column(Text)  # the scenario as run
    incident_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey(IncidentRow.id, ondelete="CASCADE"), unique=True
    )
    facilitator: Mapped[str] = mapped_column(String(100))
    started_at: Mapped[datetime] = mapped_column(index=True)
    ended_at: Mapped[datetime | None]
    practice_of: Mapped[str | None] = mapped_column(String(32))


class InjectReleaseRow(Base):
    __tablename__ = "exercise_injects"

    exercise_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey(ExerciseRow.id, ondelete="CASCADE"), primary_key=True
    )
    inject: Mapped[int] = mapped_column(Integer, primary_key=True)
    released_at: Mapped[datetime]
    released_by: Mapped[str] = mapped_column(String(100))
    entry: Mapped[int] = mapped_column(Integer)


class SqlContacts:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, contact: Contact) -> None:
        self.session.execute(
            insert(ContactRow).values(
                id=contact.id,
                handle=contact.handle,
                created_at=contact.created_at,
                created_by=contact.created_by,
                version=contact.version,
                **self._columns(contact),
            )
        )

    def save(self, contact: Contact, *, expected_version: int) -> Contact:
        result = self.session.execute(
            update(ContactRow)
            .where(ContactRow.id == contact.id, ContactRow.version == expected_version)
            .values(**self._columns(contact), version=expected_version + 1)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict(
                f"contact {contact.handle} was changed by someone else since you read it; "
                "reload it and apply your change again"
            )
        return Contact(
            contact.id,
            contact.handle,
            contact.details,
            contact.created_at,
            contact.created_by,
            contact.updated_at,
            expected_version + 1,
        )

    def remove(self, contact: Contact) -> None:
        self.session.execute(delete(ContactRow).where(ContactRow.id == contact.id))

    def get(self, handle: str) -> Contact | None:
        row = self.session.execute(
            select(ContactRow).where(ContactRow.handle == handle)
        ).scalar_one_or_none()
        return self._contact(row) if row else None

    def list(self, *, category: Category | None = None) -> list[Contact]:
        query = select(ContactRow).order_by(ContactRow.category, ContactRow.handle)
        if category is not None:
            query = query.where(ContactRow.category == category.value)
        return [self._contact(row) for row in self.session.execute(query).scalars()]

    @staticmethod
    def _columns(contact: Contact) -> dict[str, Any]:
        d = contact.details
        r = d.retainer
        return {
            "category": d.category.value,
            "organisation": d.organisation,
            "purpose": d.purpose,
            "people": [
                {"name": p.name, "role": p.role, "email": p.email, "phone": p.phone}
                for p in d.people
            ],
            "oob_phone": d.out_of_band.phone,
            "oob_signal": d.out_of_band.signal,
            "pgp_fingerprint": d.out_of_band.pgp_fingerprint,
            "retainer_in_place": r.in_place if r else None,
            "retainer_number": r.number if r else "",
            "retainer_hours": r.hours if r else None,
            "retainer_expires_on": r.expires_on if r else None,
            "retainer_terms": r.terms if r else "",
            "notice_text": d.notice.text if d.notice else None,
            "notice_hours": d.notice.hours if d.notice else None,
            "portal_url": d.portal_url,
            "jurisdiction": d.jurisdiction,
            "notes": d.notes,
            "last_verified_on": d.last_verified_on,
            "updated_at": contact.updated_at,
        }

    @staticmethod
    def _contact(row: ContactRow) -> Contact:
        retainer = None
        if row.retainer_in_place is not None:
            retainer = RetainerTerms(
                row.retainer_in_place,
                row.retainer_number,
                row.retainer_hours,
                row.retainer_expires_on,
                row.retainer_terms,
            )
        details = Details(
            category=Category(row.category),
            organisation=row.organisation,
            purpose=row.purpose,
            people=tuple(Person(**p) for p in row.people),
            out_of_band=OutOfBand(row.oob_phone, row.oob_signal, row.pgp_fingerprint),
            retainer=retainer,
            notice=NoticeClause(row.notice_text, row.notice_hours)
            if row.notice_text is not None
            else None,
            portal_url=row.portal_url,
            jurisdiction=row.jurisdiction,
            notes=row.notes,
            last_verified_on=row.last_verified_on,
        )
        return contact_model.Contact(
            row.id, row.handle, details, row.created_at, row.created_by, row.updated_at, row.version
        )


class SqlExercises:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, exercise: Exercise) -> None:
        self.session.execute(
            insert(ExerciseRow).values(
                id=exercise.id,
                key=exercise.key,
                scenario_name=exercise.scenario.name,
                scenario_json=json.dumps(exercise.scenario_data, sort_keys=True, default=str),
                incident_id=exercise.incident_id,
                facilitator=exercise.facilitator,
                started_at=exercise.started_at,
                ended_at=exercise.ended_at,
                practice_of=exercise.practice_of,
            )
        )
        for release in exercise.releases:
            self.add_release(exercise.id, release)

    def add_release(self, exercise_id: uuid.UUID, release: Release) -> None:
        self.session.execute(
            insert(InjectReleaseRow).values(
                exercise_id=exercise_id,
                inject=release.inject,
                released_at=release.released_at,
                released_by=release.released_by,
                entry=release.entry,
            )
        )

    def save(self, exercise: Exercise) -> None:
        self.session.execute(
            update(ExerciseRow)
            .where(ExerciseRow.id == exercise.id)
            .values(ended_at=exercise.ended_at)
        )

    def get(self, key: str) -> Exercise | None:
        row = self.session.execute(
            select(ExerciseRow).where(ExerciseRow.key == key)
        ).scalar_one_or_none()
        return self._load([row])[0] if row else None

    def for_incident(self, incident_id: uuid.UUID) -> Exercise | None:
        row = self.session.execute(
            select(ExerciseRow).where(ExerciseRow.incident_id == incident_id)
        ).scalar_one_or_none()
        return self._load([row])[0] if row else None

    def list(self, *, limit: int = 100) -> list[Exercise]:
        rows = self.session.execute(
            select(ExerciseRow).order_by(ExerciseRow.started_at.desc()).limit(limit)
        ).scalars()
        return self._load(list(rows))

    def last_started_at(self) -> datetime | None:
        value: datetime | None = self.session.execute(
            select(func.max(ExerciseRow.started_at))
        ).scalar_one()
        return value

    def _load(self, rows: list[ExerciseRow]) -> list[Exercise]:
        if not rows:
            return []
        ids = [row.id for row in rows]
        keys = {
            incident_id: key
            for incident_id, key in self.session.execute(
                select(IncidentRow.id, IncidentRow.key).where(
                    IncidentRow.id.in_([row.incident_id for row in rows])
                )
            )
        }
        releases: dict[uuid.UUID, list[Release]] = {i: [] for i in ids}
        for r in self.session.execute(
            select(InjectReleaseRow)
            .where(InjectReleaseRow.exercise_id.in_(ids))
            .order_by(InjectReleaseRow.exercise_id, InjectReleaseRow.inject)
        ).scalars():
            releases[r.exercise_id].append(Release(r.inject, r.released_at, r.released_by, r.entry))
        out = []
        for row in rows:
            data = json.loads(row.scenario_json)
            out.append(
                Exercise(
                    id=row.id,
                    key=row.key,
                    scenario=parse_scenario(data),
                    scenario_data=data,
                    incident_id=row.incident_id,
                    incident_key=keys[row.incident_id],
                    facilitator=row.facilitator,
                    started_at=row.started_at,
                    ended_at=row.ended_at,
                    practice_of=row.practice_of,
                    releases=tuple(releases[row.id]),
                )
            )
        return out


register_repository("contacts", SqlContacts)
register_repository("exercises", SqlExercises)
