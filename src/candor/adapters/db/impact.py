"""Tables and repositories for impact-statement versions, findings and review cadence."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from candor.adapters.db.models import Base
from candor.adapters.db.uow import register_repository
from candor.domain.chain import canonical_json
from candor.domain.errors import Conflict
from candor.domain.findings import Finding, FindingState, Outcome, Review
from candor.domain.impact import Affected, Confidence, ImpactVersion, Section, SectionText
from candor.domain.triage import Tri


class ImpactVersionRow(Base):
    """Immutable: Candor inserts versions and never updates them."""

    __tablename__ = "impact_versions"
    __table_args__ = (UniqueConstraint("incident_id", "number"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    incident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    author: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(Text)
    content_json: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))


class FindingRow(Base):
    __tablename__ = "findings"
    __table_args__ = (UniqueConstraint("incident_id", "seq"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    incident_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    seq: Mapped[int] = mapped_column(Integer)
    summary: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(500))
    author: Mapped[str] = mapped_column(String(100))
    added_at: Mapped[datetime]
    evidence_ref: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(16), index=True)
    review_json: Mapped[str | None] = mapped_column(Text)
    outcome_json: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)


class ReviewCadenceRow(Base):
    """A per-incident override of the findings review cadence (default: by severity)."""

    __tablename__ = "review_cadence"

    incident_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True
    )
    every_minutes: Mapped[int] = mapped_column(Integer)


def version_content(version: ImpactVersion) -> dict[str, Any]:
    """Everything a version says; hashed into its audit record when it is saved."""
    data = version.as_dict()
    return {key: data[key] for key in ("sections", "affected", "changed", "findings")}


def content_hash(version: ImpactVersion) -> str:
    body = canonical_json(
        {
            "number": version.number,
            "author": version.author,
            "created_at": version.created_at.isoformat(),
            "reason": version.reason,
            **version_content(version),
        }
    )
    return hashlib.sha256(body.encode()).hexdigest()


def _version(row: Any) -> ImpactVersion:
    data = json.loads(row.content_json)
    sections = tuple(
        SectionText(
            data["sections"][s.value]["text"], Confidence(data["sections"][s.value]["confidence"])
        )
        for s in Section
    )
    affected = Affected(
        data["affected"]["customers"],
        data["affected"]["people"],
        Confidence(data["affected"]["confidence"]),
    )
    return ImpactVersion(
        number=row.number,
        author=row.author,
        created_at=row.created_at,
        reason=row.reason,
        sections=sections,
        affected=affected,
        changed=frozenset(Section(s) for s in data["changed"]),
        findings=tuple(data["findings"]),
    )


class SqlImpact:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add_version(self, incident_id: uuid.UUID, version: ImpactVersion) -> str:
        digest = content_hash(version)
        self.session.execute(
            insert(ImpactVersionRow).values(
                id=uuid.uuid4(),
                incident_id=incident_id,
                number=version.number,
                author=version.author,
                created_at=version.created_at,
                reason=version.reason,
                content_json=canonical_json(version_content(version)),
                content_hash=digest,
            )
        )
        return digest

    def rewrite_version(self, incident_id: uuid.UUID, version: ImpactVersion) -> str:
        digest = content_hash(version)
        self.session.execute(
            update(ImpactVersionRow)
            .where(
                ImpactVersionRow.incident_id == incident_id,
                ImpactVersionRow.number == version.number,
            )
            .values(
                reason=version.reason,
                content_json=canonical_json(version_content(version)),
                content_hash=digest,
            )
        )
        return digest

    def versions(self, incident_id: uuid.UUID) -> list[ImpactVersion]:
        rows = self.session.execute(
            select(ImpactVersionRow)
            .where(ImpactVersionRow.incident_id == incident_id)
            .order_by(ImpactVersionRow.number)
        ).scalars()
        return [_version(r) for r in rows]

    def stored_hashes(self, incident_id: uuid.UUID) -> dict[int, tuple[str, str]]:
        """number → (hash recomputed from the stored content, hash stored beside it)."""
        out: dict[int, tuple[str, str]] = {}
        for row in self.session.execute(
            select(ImpactVersionRow).where(ImpactVersionRow.incident_id == incident_id)
        ).scalars():
            try:
                recomputed = content_hash(_version(row))
            except (KeyError, ValueError, TypeError):
                recomputed = "unreadable"
            out[row.number] = (recomputed, row.content_hash)
        return out

    def latest(self, incident_id: uuid.UUID) -> ImpactVersion | None:
        row = self.session.execute(
            select(ImpactVersionRow)
            .where(ImpactVersionRow.incident_id == incident_id)
            .order_by(ImpactVersionRow.number.desc())
            .limit(1)
        ).scalar_one_or_none()
        return _version(row) if row else None

    def cadence(self, incident_id: uuid.UUID) -> timedelta | None:
        minutes = self.session.execute(
            select(ReviewCadenceRow.every_minutes).where(
                ReviewCadenceRow.incident_id == incident_id
            )
        ).scalar_one_or_none()
        return timedelta(minutes=minutes) if minutes else None

    def set_cadence(self, incident_id: uuid.UUID, every: timedelta | None) -> None:
        self.session.execute(
            delete(ReviewCadenceRow).where(ReviewCadenceRow.incident_id == incident_id)
        )
        if every is not None:
            self.session.execute(
                insert(ReviewCadenceRow).values(
                    incident_id=incident_id, every_minutes=int(every.total_seconds() // 60)
                )
            )


def _review_json(review: Review | None) -> str | None:
    if review is None:
        return None
    return canonical_json(
        {
            "changes_customer_impact": review.changes_customer_impact.value,
            "new_access_path": review.new_access_path.value,
            "new_data": review.new_data.value,
            "by": review.by,
            "at": review.at.isoformat(),
            "note": review.note,
        }
    )


def _outcome_json(outcome: Outcome | None) -> str | None:
    if outcome is None:
        return None
    return canonical_json(
        {
            "state": outcome.state.value,
            "by": outcome.by,
            "at": outcome.at.isoformat(),
            "version": outcome.version,
            "reason": outcome.reason,
        }
    )


def _finding(row: Any) -> tuple[int, int, Finding]:
    review = None
    if row.review_json:
        r = json.loads(row.review_json)
        review = Review(
            Tri(r["changes_customer_impact"]),
            Tri(r["new_access_path"]),
            Tri(r["new_data"]),
            r["by"],
            datetime.fromisoformat(r["at"]),
            r["note"],
        )
    outcome = None
    if row.outcome_json:
        o = json.loads(row.outcome_json)
        outcome = Outcome(
            FindingState(o["state"]),
            o["by"],
            datetime.fromisoformat(o["at"]),
            o["version"],
            o["reason"],
        )
    return (
        row.seq,
        row.version,
        Finding(
            id=row.id,
            incident_id=row.incident_id,
            summary=row.summary,
            source=row.source,
            author=row.author,
            added_at=row.added_at,
            evidence_ref=row.evidence_ref,
            review=review,
            outcome=outcome,
        ),
    )


class SqlFindings:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, finding: Finding) -> int:
        current = self.session.execute(
            select(FindingRow.seq)
            .where(FindingRow.incident_id == finding.incident_id)
            .order_by(FindingRow.seq.desc())
            .limit(1)
        ).scalar_one_or_none()
        seq = (current or 0) + 1
        self.session.execute(
            insert(FindingRow).values(
                id=finding.id,
                incident_id=finding.incident_id,
                seq=seq,
                summary=finding.summary,
                source=finding.source,
                author=finding.author,
                added_at=finding.added_at,
                evidence_ref=finding.evidence_ref,
                state=finding.state.value,
                review_json=_review_json(finding.review),
                outcome_json=_outcome_json(finding.outcome),
                version=1,
            )
        )
        return seq

    def save(self, finding: Finding, *, expected_version: int) -> None:
        result = self.session.execute(
            update(FindingRow)
            .where(FindingRow.id == finding.id, FindingRow.version == expected_version)
            .values(
                summary=finding.summary,
                source=finding.source,
                evidence_ref=finding.evidence_ref,
                state=finding.state.value,
                review_json=_review_json(finding.review),
                outcome_json=_outcome_json(finding.outcome),
                version=expected_version + 1,
            )
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict(
                "the finding was changed by someone else since you read it; reload and try again"
            )

    def get(self, incident_id: uuid.UUID, seq: int) -> tuple[int, int, Finding] | None:
        row = self.session.execute(
            select(FindingRow).where(FindingRow.incident_id == incident_id, FindingRow.seq == seq)
        ).scalar_one_or_none()
        return _finding(row) if row else None

    def list(self, incident_id: uuid.UUID) -> list[tuple[int, int, Finding]]:
        rows = self.session.execute(
            select(FindingRow).where(FindingRow.incident_id == incident_id).order_by(FindingRow.seq)
        ).scalars()
        return [_finding(r) for r in rows]

    def open_by_incident(self) -> dict[uuid.UUID, list[tuple[int, int, Finding]]]:
        """Every open finding of every incident (for the dashboard and the reminder job)."""
        rows = self.session.execute(
            select(FindingRow)
            .where(FindingRow.state.in_([FindingState.NEW.value, FindingState.REVIEWED.value]))
            .order_by(FindingRow.incident_id, FindingRow.seq)
        ).scalars()
        out: dict[uuid.UUID, list[tuple[int, int, Finding]]] = {}
        for row in rows:
            out.setdefault(row.incident_id, []).append(_finding(row))
        return out


register_repository("impact", SqlImpact)
register_repository("findings", SqlFindings)
