"""Tables and repository for statements and publishing delegates.

A published statement's row is never updated: ``save`` only touches rows whose stored state is
not ``published``, so even a bug in a use case cannot edit what was published.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from candor.adapters.db.models import Base, IncidentRow
from candor.adapters.db.uow import register_repository
from candor.domain.chain import canonical_json
from candor.domain.errors import Conflict
from candor.domain.statements import (
    Audience,
    Channel,
    Decision,
    Element,
    Kind,
    Review,
    State,
    Statement,
)


class StatementRow(Base):
    __tablename__ = "statements"
    __table_args__ = (
        UniqueConstraint("incident_id", "number"),
        Index("ix_statements_public", "audience", "state"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    incident_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(32))
    audience: Mapped[str] = mapped_column(String(32))
    audience_ref: Mapped[str] = mapped_column(String(200), default="")
    channels: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(16))
    review_chain: Mapped[str] = mapped_column(String(200))
    reviews_json: Mapped[str] = mapped_column(Text, default="[]")
    round: Mapped[int] = mapped_column(Integer, default=1)
    corrects: Mapped[int | None] = mapped_column(Integer)
    correction_note: Mapped[str] = mapped_column(Text, default="")
    elements_json: Mapped[str] = mapped_column(Text, default="[]")
    phasing_allowed: Mapped[bool] = mapped_column(Boolean, default=False)
    template: Mapped[str] = mapped_column(String(100), default="")
    published_at: Mapped[datetime | None]
    published_by: Mapped[str | None] = mapped_column(String(100))
    content_hash: Mapped[str | None] = mapped_column(String(64))
    withdrawn_reason: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)


class StatementDelegateRow(Base):
    """People the communications lead named to publish statements of an incident."""

    __tablename__ = "statement_delegates"

    incident_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True
    )
    username: Mapped[str] = mapped_column(String(100), primary_key=True)
    named_by: Mapped[str] = mapped_column(String(100))
    named_at: Mapped[datetime]


def _values(s: Statement) -> dict[str, Any]:
    return {
        "kind": s.kind.value,
        "audience": s.audience.value,
        "audience_ref": s.audience_ref,
        "channels": ",".join(c.value for c in s.channels),
        "title": s.title,
        "body": s.body,
        "author": s.author,
        "created_at": s.created_at,
        "updated_at": s.updated_at,
        "state": s.state.value,
        "review_chain": ",".join(s.review_chain),
        "reviews_json": canonical_json([r.as_dict() for r in s.reviews]),
        "round": s.round,
        "corrects": s.corrects,
        "correction_note": s.correction_note,
        "elements_json": canonical_json([e.as_dict() for e in s.elements]),
        "phasing_allowed": s.phasing_allowed,
        "template": s.template,
        "published_at": s.published_at,
        "published_by": s.published_by,
        "content_hash": s.content_hash,
        "withdrawn_reason": s.withdrawn_reason,
    }


def _statement(row: Any) -> Statement:
    return Statement(
        id=row.id,
        incident_id=row.incident_id,
        number=row.number,
        kind=Kind(row.kind),
        audience=Audience(row.audience),
        audience_ref=row.audience_ref,
        channels=tuple(Channel(c) for c in row.channels.split(",") if c),
        title=row.title,
        body=row.body,
        author=row.author,
        created_at=row.created_at,
        updated_at=row.updated_at,
        state=State(row.state),
        review_chain=tuple(s for s in row.review_chain.split(",") if s),
        reviews=tuple(
            Review(
                r["step"],
                Decision(r["decision"]),
                r["by"],
                datetime.fromisoformat(r["at"]),
                r["comment"],
                r["round"],
            )
            for r in json.loads(row.reviews_json)
        ),
        round=row.round,
        corrects=row.corrects,
        correction_note=row.correction_note,
        elements=tuple(
            Element(e["name"], e["text"], e["deferred"]) for e in json.loads(row.elements_json)
        ),
        phasing_allowed=row.phasing_allowed,
        template=row.template,
        published_at=row.published_at,
        published_by=row.published_by,
        content_hash=row.content_hash,
        withdrawn_reason=row.withdrawn_reason,
        version=row.version,
    )


class SqlStatements:
    def __init__(self, session: Session) -> None:
        self.session = session

    def next_number(self, incident_id: uuid.UUID) -> int:
        current = self.session.execute(
            select(func.max(StatementRow.number)).where(StatementRow.incident_id == incident_id)
        ).scalar_one_or_none()
        return (current or 0) + 1

    def add(self, statement: Statement) -> None:
        self.session.execute(
            insert(StatementRow).values(
                id=statement.id,
                incident_id=statement.incident_id,
                number=statement.number,
                version=1,
                **_values(statement),
            )
        )

    def save(self, statement: Statement) -> Statement:
        """Store a changed statement; refuses a stale version and any published row."""
        result = self.session.execute(
            update(StatementRow)
            .where(
                StatementRow.id == statement.id,
                StatementRow.version == statement.version,
                StatementRow.state != State.PUBLISHED.value,
            )
            .values(version=statement.version + 1, **_values(statement))
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            stored = self.session.execute(
                select(StatementRow.state).where(StatementRow.id == statement.id)
            ).scalar_one_or_none()
            if stored == State.PUBLISHED.value:
                raise Conflict(
                    f"statement #{statement.number} is published; published statements are "
                    "never changed"
                )
            raise Conflict(
                f"statement #{statement.number} was changed by someone else since you read it; "
                "reload and try again"
            )
        return replace(statement, version=statement.version + 1)

    def rewrite(self, statement: Statement) -> None:
        self.session.execute(
            update(StatementRow)
            .where(StatementRow.id == statement.id)
            .values(version=StatementRow.version + 1, **_values(statement))
        )

    def get(self, incident_id: uuid.UUID, number: int) -> Statement | None:
        row = self.session.execute(
            select(StatementRow).where(
                StatementRow.incident_id == incident_id, StatementRow.number == number
            )
        ).scalar_one_or_none()
        return _statement(row) if row else None

    def of_incident(self, incident_id: uuid.UUID) -> list[Statement]:
        rows = self.session.execute(
            select(StatementRow)
            .where(StatementRow.incident_id == incident_id)
            .order_by(StatementRow.number)
        ).scalars()
        return [_statement(r) for r in rows]

    def public(self) -> list[tuple[uuid.UUID, bool, Statement]]:
        """Every published public statement with its incident's id and exercise flag, in
        publication order."""
        rows = self.session.execute(
            select(StatementRow, IncidentRow.exercise)
            .join(IncidentRow, IncidentRow.id == StatementRow.incident_id)
            .where(
                StatementRow.audience == Audience.PUBLIC.value,
                StatementRow.state == State.PUBLISHED.value,
            )
            .order_by(StatementRow.published_at, StatementRow.number)
        ).all()
        return [(row.incident_id, bool(exercise), _statement(row)) for row, exercise in rows]

    def public_fingerprint(self) -> tuple[int, datetime | None]:
        count, newest = self.session.execute(
            select(func.count(StatementRow.id), func.max(StatementRow.published_at)).where(
                StatementRow.audience == Audience.PUBLIC.value,
                StatementRow.state == State.PUBLISHED.value,
            )
        ).one()
        return int(count), newest

    def delegates(self, incident_id: uuid.UUID) -> list[str]:
        return list(
            self.session.execute(
                select(StatementDelegateRow.username)
                .where(StatementDelegateRow.incident_id == incident_id)
                .order_by(StatementDelegateRow.username)
            ).scalars()
        )

    def set_delegate(
        self, incident_id: uuid.UUID, username: str, *, named_by: str, now: datetime, on: bool
    ) -> None:
        self.session.execute(
            delete(StatementDelegateRow).where(
                StatementDelegateRow.incident_id == incident_id,
                StatementDelegateRow.username == username,
            )
        )
        if on:
            self.session.execute(
                insert(StatementDelegateRow).values(
                    incident_id=incident_id, username=username, named_by=named_by, named_at=now
                )
            )


register_repository("statements", SqlStatements)
