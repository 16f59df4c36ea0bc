"""Tables and repository of obligations in incidents: the versions of each incident's facts, the
obligations computed from them with their tracking, and the deadline reminders emitted.

Importing this module registers ``obligations`` on every SQL unit of work.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
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
    UniqueConstraint,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from candor.adapters.db.models import Base, IncidentRow
from candor.adapters.db.repositories import dialect_of
from candor.adapters.db.uow import register_repository
from candor.domain.lifecycle import Phase
from candor.domain.obligations.incident_facts import Fact, FactChange, FactSource, FactsVersion
from candor.domain.obligations.tracking import (
    Computed,
    Determination,
    Filing,
    TrackedObligation,
    Tracking,
)
from candor.domain.obligations.vocabulary import RuleKind, Status
from candor.services.ports_obligations import ReminderRecord

OPEN_STATES = [s.value for s in Tracking if s.is_open]


class ObligationFactsRow(Base):
    __tablename__ = "obligation_facts"
    __table_args__ = (UniqueConstraint("incident_id", "version"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    incident_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey(IncidentRow.id, ondelete="CASCADE"), index=True
    )
    version: Mapped[int] = mapped_column(Integer)
    recorded_at: Mapped[datetime]
    recorded_by: Mapped[str] = mapped_column(String(100))
    # {key: {"value": …, "source": "manual"}}: every entered fact of this version
    facts: Mapped[dict[str, Any]] = mapped_column(JSON)
    # [{key, before, after, source}]: what this version changed
    changes: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text, default="")


class IncidentObligationRow(Base):
    __tablename__ = "incident_obligations"
    __table_args__ = (
        UniqueConstraint("incident_id", "seq"),
        UniqueConstraint("incident_id", "rule_id", "jurisdiction"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    incident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(IncidentRow.id, ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    # what the engine computed
    rule_id: Mapped[str] = mapped_column(String(100))
    jurisdiction: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(16))
    regime: Mapped[str] = mapped_column(String(63))
    recipient_category: Mapped[str | None] = mapped_column(String(32))
    recipient: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(32))
    deadline: Mapped[datetime | None] = mapped_column(index=True)
    deadline_rule: Mapped[str] = mapped_column(Text)
    trigger: Mapped[str | None] = mapped_column(String(200))
    trigger_at: Mapped[datetime | None]
    citation: Mapped[str] = mapped_column(Text)
    law: Mapped[str] = mapped_column(Text)
    verified: Mapped[bool] = mapped_column(Boolean)
    unverified: Mapped[list[str]] = mapped_column(JSON)
    last_reviewed: Mapped[date] = mapped_column(Date)
    rule_effective_from: Mapped[date | None] = mapped_column(Date)
    zone: Mapped[str] = mapped_column(String(64))
    per_place: Mapped[bool] = mapped_column(Boolean)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)
    # whether the latest evaluation still produces it, and why not
    active: Mapped[bool] = mapped_column(Boolean)
    removed_reason: Mapped[str] = mapped_column(Text, default="")
    # tracking
    state: Mapped[str] = mapped_column(String(32), index=True)
    first_computed_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    filed_at: Mapped[datetime | None]
    filed_by: Mapped[str | None] = mapped_column(String(100))
    filed_reference: Mapped[str | None] = mapped_column(Text)
    filed_attachment: Mapped[str | None] = mapped_column(Text)
    filing_recorded_at: Mapped[datetime | None]
    determination: Mapped[str | None] = mapped_column(Text)
    proposed_by: Mapped[str | None] = mapped_column(String(100))
    proposed_at: Mapped[datetime | None]
    approved_by: Mapped[str | None] = mapped_column(String(100))
    approved_at: Mapped[datetime | None]
    rejected_by: Mapped[str | None] = mapped_column(String(100))
    rejected_at: Mapped[datetime | None]
    rejection: Mapped[str | None] = mapped_column(Text)


class ObligationReminderRow(Base):
    """One reminder mark of one deadline: its key is unique, so it is recorded once."""

    __tablename__ = "obligation_reminders"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    obligation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey(IncidentObligationRow.id, ondelete="CASCADE"), index=True
    )
    mark: Mapped[str] = mapped_column(String(16))
    deadline: Mapped[datetime]
    emitted_at: Mapped[datetime]
    # the reminder actually emitted for this mark: itself, or a more urgent one that covered it
    emitted_as: Mapped[str] = mapped_column(String(200))
    entry: Mapped[int | None] = mapped_column(Integer)  # its timeline entry


class SqlObligations:
    def __init__(self, session: Session) -> None:
        self.session = session

    def lock(self, incident_id: uuid.UUID) -> None:
        """Serialise writers of one incident's obligations (SQLite writers are serialised by
        BEGIN IMMEDIATE already)."""
        if dialect_of(self.session) == "postgresql":
            self.session.execute(
                select(IncidentRow.id).where(IncidentRow.id == incident_id).with_for_update()
            )

    # -- facts ----------------------------------------------------------------------------------

    def add_facts(self, version: FactsVersion) -> None:
        self.session.execute(
            insert(ObligationFactsRow).values(
                id=uuid.uuid4(),
                incident_id=version.incident_id,
                version=version.version,
                recorded_at=version.recorded_at,
                recorded_by=version.recorded_by,
                facts={
                    k: {"value": f.value, "source": f.source.value}
                    for k, f in version.facts.items()
                },
                changes=[
                    {"key": c.key, "before": c.before, "after": c.after, "source": c.source.value}
                    for c in version.changes
                ],
                reason=version.reason,
            )
        )

    def latest_facts(self, incident_id: uuid.UUID) -> FactsVersion | None:
        row = self.session.execute(
            select(ObligationFactsRow)
            .where(ObligationFactsRow.incident_id == incident_id)
            .order_by(ObligationFactsRow.version.desc())
            .limit(1)
        ).scalar_one_or_none()
        return _facts(row) if row else None

    def facts_history(self, incident_id: uuid.UUID) -> list[FactsVersion]:
        rows = self.session.execute(
            select(ObligationFactsRow)
            .where(ObligationFactsRow.incident_id == incident_id)
            .order_by(ObligationFactsRow.version)
        ).scalars()
        return [_facts(row) for row in rows]

    def first_facts_at(self, incident_id: uuid.UUID) -> datetime | None:
        value: datetime | None = self.session.execute(
            select(func.min(ObligationFactsRow.recorded_at)).where(
                ObligationFactsRow.incident_id == incident_id
            )
        ).scalar_one()
        return value

    # -- obligations ----------------------------------------------------------------------------

    def of_incident(self, incident_id: uuid.UUID) -> list[TrackedObligation]:
        rows = self.session.execute(
            select(IncidentObligationRow)
            .where(IncidentObligationRow.incident_id == incident_id)
            .order_by(IncidentObligationRow.seq)
        ).scalars()
        return [_obligation(row) for row in rows]

    def add(self, obligation: TrackedObligation) -> None:
        self.session.execute(
            insert(IncidentObligationRow).values(
                id=obligation.id,
                incident_id=obligation.incident_id,
                seq=obligation.seq,
                first_computed_at=obligation.first_computed_at,
                **_columns(obligation),
            )
        )

    def save(self, obligation: TrackedObligation) -> None:
        self.session.execute(
            update(IncidentObligationRow)
            .where(IncidentObligationRow.id == obligation.id)
            .values(**_columns(obligation))
        )

    def open_obligations(
        self, *, due_before: datetime | None = None, open_incidents_only: bool = False
    ) -> list[TrackedObligation]:
        """Open obligations with a deadline, earliest first, on incidents that were not
        declined (or, with ``open_incidents_only``, that are not closed either)."""
        excluded = [Phase.DECLINED.value]
        if open_incidents_only:
            excluded.append(Phase.CLOSED.value)
        query = (
            select(IncidentObligationRow)
            .join(IncidentRow, IncidentRow.id == IncidentObligationRow.incident_id)
            .where(
                IncidentObligationRow.active.is_(True),
                IncidentObligationRow.state.in_(OPEN_STATES),
                IncidentObligationRow.deadline.is_not(None),
                # a record-keeping duty's "deadline" is its retention period, not a date to act by
                IncidentObligationRow.kind != RuleKind.RECORD.value,
                IncidentRow.phase.not_in(excluded),
            )
            .order_by(IncidentObligationRow.deadline, IncidentObligationRow.seq)
        )
        if due_before is not None:
            query = query.where(IncidentObligationRow.deadline <= due_before)
        return [_obligation(row) for row in self.session.execute(query).scalars()]

    # -- reminders ------------------------------------------------------------------------------

    def reminder_keys(self, obligation_ids: Iterable[uuid.UUID]) -> set[str]:
        ids = list(obligation_ids)
        if not ids:
            return set()
        found = self.session.execute(
            select(ObligationReminderRow.key).where(ObligationReminderRow.obligation_id.in_(ids))
        ).scalars()
        return set(found)

    def add_reminders(self, records: Sequence[ReminderRecord]) -> None:
        for record in records:
            self.session.execute(
                insert(ObligationReminderRow).values(
                    key=record.key,
                    obligation_id=record.obligation_id,
                    mark=record.mark,
                    deadline=record.deadline,
                    emitted_at=record.emitted_at,
                    emitted_as=record.emitted_as,
                    entry=record.entry,
                )
            )

    def reminders(self, obligation_ids: Iterable[uuid.UUID]) -> list[ReminderRecord]:
        ids = list(obligation_ids)
        if not ids:
            return []
        rows = self.session.execute(
            select(ObligationReminderRow)
            .where(ObligationReminderRow.obligation_id.in_(ids))
            .order_by(ObligationReminderRow.emitted_at, ObligationReminderRow.key)
        ).scalars()
        return [
            ReminderRecord(
                r.key, r.obligation_id, r.mark, r.deadline, r.emitted_at, r.emitted_as, r.entry
            )
            for r in rows
        ]


def _facts(row: ObligationFactsRow) -> FactsVersion:
    return FactsVersion(
        incident_id=row.incident_id,
        version=row.version,
        recorded_at=row.recorded_at,
        recorded_by=row.recorded_by,
        facts={k: Fact(v["value"], FactSource(v["source"])) for k, v in row.facts.items()},
        changes=tuple(
            FactChange(c["key"], c["before"], c["after"], FactSource(c["source"]))
            for c in row.changes
        ),
        reason=row.reason,
    )


def _columns(ob: TrackedObligation) -> dict[str, Any]:
    c = ob.computed
    filing = ob.filing
    det = ob.determination
    return {
        "rule_id": c.rule_id,
        "jurisdiction": c.jurisdiction,
        "kind": c.kind,
        "regime": c.regime,
        "recipient_category": c.recipient_category,
        "recipient": c.recipient,
        "status": c.status.value,
        "deadline": c.deadline,
        "deadline_rule": c.deadline_rule,
        "trigger": c.trigger,
        "trigger_at": c.trigger_at,
        "citation": c.citation,
        "law": c.law,
        "verified": c.verified,
        "unverified": list(c.unverified),
        "last_reviewed": c.last_reviewed,
        "rule_effective_from": c.rule_effective_from,
        "zone": c.zone,
        "per_place": c.per_place,
        "detail": dict(c.detail),
        "active": ob.active,
        "removed_reason": ob.removed_reason,
        "state": ob.state.value,
        "updated_at": ob.updated_at,
        "filed_at": filing.at if filing else None,
        "filed_by": filing.by if filing else None,
        "filed_reference": filing.reference if filing else None,
        "filed_attachment": filing.attachment if filing else None,
        "filing_recorded_at": filing.recorded_at if filing else None,
        "determination": det.text if det else None,
        "proposed_by": det.proposed_by if det else None,
        "proposed_at": det.proposed_at if det else None,
        "approved_by": det.approved_by if det else None,
        "approved_at": det.approved_at if det else None,
        "rejected_by": det.rejected_by if det else None,
        "rejected_at": det.rejected_at if det else None,
        "rejection": det.rejection if det else None,
    }


def _obligation(row: IncidentObligationRow) -> TrackedObligation:
    computed = Computed(
        rule_id=row.rule_id,
        jurisdiction=row.jurisdiction,
        kind=row.kind,
        regime=row.regime,
        recipient_category=row.recipient_category,
        recipient=row.recipient,
        status=Status(row.status),
        deadline=row.deadline,
        deadline_rule=row.deadline_rule,
        trigger=row.trigger,
        trigger_at=row.trigger_at,
        citation=row.citation,
        law=row.law,
        verified=row.verified,
        unverified=tuple(row.unverified),
        last_reviewed=row.last_reviewed,
        rule_effective_from=row.rule_effective_from,
        zone=row.zone,
        per_place=row.per_place,
        detail=row.detail,
    )
    filing = None
    if row.filed_at is not None:
        assert row.filing_recorded_at is not None
        filing = Filing(
            row.filed_at,
            row.filed_by or "",
            row.filed_reference or "",
            row.filed_attachment or "",
            row.filing_recorded_at,
        )
    determination = None
    if row.determination is not None:
        assert row.proposed_at is not None
        determination = Determination(
            text=row.determination,
            proposed_by=row.proposed_by or "",
            proposed_at=row.proposed_at,
            approved_by=row.approved_by,
            approved_at=row.approved_at,
            rejected_by=row.rejected_by,
            rejected_at=row.rejected_at,
            rejection=row.rejection or "",
        )
    return TrackedObligation(
        id=row.id,
        incident_id=row.incident_id,
        seq=row.seq,
        computed=computed,
        state=Tracking(row.state),
        active=row.active,
        first_computed_at=row.first_computed_at,
        updated_at=row.updated_at,
        filing=filing,
        determination=determination,
        removed_reason=row.removed_reason,
    )


register_repository("obligations", SqlObligations)
