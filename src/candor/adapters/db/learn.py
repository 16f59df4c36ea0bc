"""Tables and repositories for retros (with their action items), the indicators an incident
shares, and its VERIS classification.

A retro is one row per incident: its content as canonical JSON (the domain value is one document
that is edited and reviewed as a whole), with status and times in columns for listing, and a row
version for optimistic locking. Action items live in the retro: they are its promises.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ForeignKey,
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

from candor.adapters.db.models import Base
from candor.adapters.db.uow import register_repository
from candor.domain.chain import canonical_json
from candor.domain.errors import Conflict
from candor.domain.fivewhys import Why, WhyChain
from candor.domain.indicators import Indicator, IndicatorType, Source, Tlp
from candor.domain.milestones import Milestone
from candor.domain.retro_items import ActionItem, ActionKind, ActionStatus, TimelineItem
from candor.domain.retros import Retro, RetroStatus
from candor.domain.vocabulary import parse_instant
from candor.services.ports_learn import StoredIndicator, StoredRetro


class RetroRow(Base):
    __tablename__ = "retros"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    incident_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), unique=True
    )
    incident_key: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16), index=True)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime]
    published_at: Mapped[datetime | None]
    content_json: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)


class SharedIndicatorRow(Base):
    __tablename__ = "shared_indicators"
    __table_args__ = (
        UniqueConstraint("incident_id", "seq"),
        UniqueConstraint("incident_id", "type", "value"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    incident_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    seq: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(32))
    value: Mapped[str] = mapped_column(String(2048))
    tlp: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(Text, default="")
    first_seen: Mapped[datetime | None]
    last_seen: Mapped[datetime | None]
    sightings: Mapped[int] = mapped_column(Integer, default=0)
    added_at: Mapped[datetime]
    added_by: Mapped[str] = mapped_column(String(100))


class VerisClassificationRow(Base):
    """The VERIS-specific description of an incident (the 4 A's …), as VERIS JSON."""

    __tablename__ = "veris_classifications"

    incident_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True
    )
    classification_json: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(String(100))


# ---- retro content as JSON ----------------------------------------------------------------------


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment is not None else None


def retro_content(retro: Retro) -> dict[str, Any]:
    return {
        "summary": retro.summary,
        "impact": retro.impact,
        "timeline": [
            {
                "at": _iso(i.at),
                "text": i.text,
                "milestone": i.milestone.value if i.milestone else None,
                "entry": i.entry,
            }
            for i in retro.timeline
        ],
        "went_well": list(retro.went_well),
        "went_poorly": list(retro.went_poorly),
        "lucky": list(retro.lucky),
        "chains": [
            {
                "problem": c.problem,
                "steps": [{"why": s.why, "because": s.because} for s in c.steps],
            }
            for c in retro.chains
        ],
        "contributing_factors": list(retro.contributing_factors),
        "action_items": [
            {
                "seq": a.seq,
                "title": a.title,
                "kind": a.kind.value,
                "owner": a.owner,
                "due_on": a.due_on.isoformat() if a.due_on else None,
                "status": a.status.value,
                "tracker_url": a.tracker_url,
            }
            for a in retro.action_items
        ],
        "status_history": [
            {"status": s.value, "at": _iso(at), "by": by} for s, at, by in retro.status_history
        ],
    }


def _retro(row: Any) -> Retro:
    data = json.loads(row.content_json)
    return Retro(
        id=row.id,
        incident_id=row.incident_id,
        incident_key=row.incident_key,
        status=RetroStatus(row.status),
        created_at=row.created_at,
        created_by=row.created_by,
        updated_at=row.updated_at,
        summary=data["summary"],
        impact=data["impact"],
        timeline=tuple(
            TimelineItem(
                parse_instant(i["at"], field="at"),
                i["text"],
                Milestone(i["milestone"]) if i["milestone"] else None,
                i["entry"],
            )
            for i in data["timeline"]
        ),
        went_well=tuple(data["went_well"]),
        went_poorly=tuple(data["went_poorly"]),
        lucky=tuple(data["lucky"]),
        chains=tuple(
            WhyChain(c["problem"], tuple(Why(s["why"], s["because"]) for s in c["steps"]))
            for c in data["chains"]
        ),
        contributing_factors=tuple(data["contributing_factors"]),
        action_items=tuple(
            ActionItem(
                seq=a["seq"],
                title=a["title"],
                kind=ActionKind(a["kind"]),
                owner=a["owner"],
                due_on=date.fromisoformat(a["due_on"]) if a["due_on"] else None,
                status=ActionStatus(a["status"]),
                tracker_url=a["tracker_url"],
            )
            for a in data["action_items"]
        ),
        published_at=row.published_at,
        status_history=tuple(
            (RetroStatus(s["status"]), parse_instant(s["at"], field="at"), s["by"])
            for s in data["status_history"]
        ),
    )


def _columns(retro: Retro) -> dict[str, Any]:
    return {
        "incident_key": retro.incident_key,
        "status": retro.status.value,
        "updated_at": retro.updated_at,
        "published_at": retro.published_at,
        "content_json": canonical_json(retro_content(retro)),
    }


class SqlRetros:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, retro: Retro) -> None:
        self.session.execute(
            insert(RetroRow).values(
                id=retro.id,
                incident_id=retro.incident_id,
                created_at=retro.created_at,
                created_by=retro.created_by,
                version=1,
                **_columns(retro),
            )
        )

    def get(self, incident_id: uuid.UUID) -> StoredRetro | None:
        row = self.session.execute(
            select(RetroRow).where(RetroRow.incident_id == incident_id)
        ).scalar_one_or_none()
        return StoredRetro(_retro(row), row.version) if row is not None else None

    def save(self, retro: Retro, *, expected_version: int) -> int:
        result = self.session.execute(
            update(RetroRow)
            .where(RetroRow.id == retro.id, RetroRow.version == expected_version)
            .values(version=expected_version + 1, **_columns(retro))
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict(
                f"the retro of {retro.incident_key} was changed by someone else meanwhile; "
                "reload it and make your change again"
            )
        return expected_version + 1

    def all(self) -> list[Retro]:
        rows = self.session.execute(select(RetroRow).order_by(RetroRow.created_at)).scalars()
        return [_retro(r) for r in rows]


# ---- indicators ---------------------------------------------------------------------------------


def _indicator(row: Any) -> StoredIndicator:
    return StoredIndicator(
        incident_id=row.incident_id,
        seq=row.seq,
        indicator=Indicator(
            type=IndicatorType(row.type),
            value=row.value,
            tlp=Tlp(row.tlp),
            source=Source(row.source),
            description=row.description,
            first_seen=row.first_seen,
            last_seen=row.last_seen,
            sightings=row.sightings,
        ),
        added_at=row.added_at,
        added_by=row.added_by,
    )


class SqlSharedIndicators:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, incident_id: uuid.UUID, item: Indicator, *, by: str, now: datetime) -> int:
        seq = (
            self.session.execute(
                select(func.max(SharedIndicatorRow.seq)).where(
                    SharedIndicatorRow.incident_id == incident_id
                )
            ).scalar_one_or_none()
            or 0
        ) + 1
        self.session.execute(
            insert(SharedIndicatorRow).values(
                id=uuid.uuid4(),
                incident_id=incident_id,
                seq=seq,
                type=item.type.value,
                value=item.value,
                tlp=item.tlp.value,
                source=item.source.value,
                description=item.description,
                first_seen=item.first_seen,
                last_seen=item.last_seen,
                sightings=item.sightings,
                added_at=now,
                added_by=by,
            )
        )
        return seq

    def list(self, incident_id: uuid.UUID) -> list[StoredIndicator]:
        rows = self.session.execute(
            select(SharedIndicatorRow)
            .where(SharedIndicatorRow.incident_id == incident_id)
            .order_by(SharedIndicatorRow.seq)
        ).scalars()
        return [_indicator(r) for r in rows]

    def remove(self, incident_id: uuid.UUID, seq: int) -> bool:
        result = self.session.execute(
            delete(SharedIndicatorRow).where(
                SharedIndicatorRow.incident_id == incident_id, SharedIndicatorRow.seq == seq
            )
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


class SqlVeris:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, incident_id: uuid.UUID) -> Mapping[str, Any] | None:
        text = self.session.execute(
            select(VerisClassificationRow.classification_json).where(
                VerisClassificationRow.incident_id == incident_id
            )
        ).scalar_one_or_none()
        return json.loads(text) if text is not None else None

    def put(
        self, incident_id: uuid.UUID, classification: Mapping[str, Any], *, by: str, now: datetime
    ) -> None:
        self.session.execute(
            delete(VerisClassificationRow).where(VerisClassificationRow.incident_id == incident_id)
        )
        self.session.execute(
            insert(VerisClassificationRow).values(
                incident_id=incident_id,
                classification_json=canonical_json(dict(classification)),
                updated_at=now,
                updated_by=by,
            )
        )


register_repository("retros", SqlRetros)
register_repository("shared_indicators", SqlSharedIndicators)
register_repository("veris", SqlVeris)
