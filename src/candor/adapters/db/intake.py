"""Tables and repositories of intake and triage: reports, their decryptions, the submission
rate limiter, and the triage assessments of incidents.

Importing this module registers ``reports``, ``report_attempts`` and ``assessments`` on every SQL
unit of work.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
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
    text,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from candor.adapters.db.models import Base, IncidentRow
from candor.adapters.db.repositories import dialect_of
from candor.adapters.db.uow import register_repository
from candor.domain.assessments import StoredAssessment, result_from_dict
from candor.domain.errors import Conflict
from candor.domain.reports import (
    Channel,
    Decryption,
    Report,
    ReportStatus,
    Submission,
    parse_key,
)
from candor.domain.retriage import Assessment
from candor.domain.triage import parse_answers
from candor.services.ports_intake import ReportFilter

# any fixed number: the PostgreSQL advisory lock that serialises public submissions
_SUBMISSION_LOCK = 0x43414E44  # "CAND"


class ReportRow(Base):
    __tablename__ = "reports"
    __table_args__ = (UniqueConstraint("year", "seq"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(32), unique=True)
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), index=True)
    channel: Mapped[str] = mapped_column(String(8))
    received_at: Mapped[datetime] = mapped_column(index=True)
    what_happened: Mapped[str] = mapped_column(Text, default="")
    how_found: Mapped[str] = mapped_column(Text, default="")
    affected: Mapped[str] = mapped_column(Text, default="")
    reporter_name: Mapped[str] = mapped_column(String(200), default="")
    reporter_email: Mapped[str] = mapped_column(String(254), default="")
    pgp_message: Mapped[str] = mapped_column(Text, default="")
    client_network: Mapped[str] = mapped_column(String(64), default="")
    submitted_by: Mapped[str | None] = mapped_column(String(100))
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(String(100))
    handled_at: Mapped[datetime | None]
    handled_by: Mapped[str | None] = mapped_column(String(100))
    decline_reason: Mapped[str] = mapped_column(Text, default="")
    incident_key: Mapped[str | None] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer, default=1)


class ReportDecryptionRow(Base):
    __tablename__ = "report_decryptions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    report_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey(ReportRow.id, ondelete="CASCADE"), index=True
    )
    decrypted_at: Mapped[datetime]
    decrypted_by: Mapped[str] = mapped_column(String(100))
    key_fingerprint: Mapped[str] = mapped_column(String(64))
    plaintext: Mapped[str] = mapped_column(Text)
    binary: Mapped[bool] = mapped_column(Boolean, default=False)


class ReportAttemptRow(Base):
    """Recent public submissions per client: a keyed hash of the address, never the address."""

    __tablename__ = "report_attempts"
    __table_args__ = (Index("ix_report_attempts_client_at", "client", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    client: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(index=True)


class AssessmentRow(Base):
    __tablename__ = "triage_assessments"
    __table_args__ = (UniqueConstraint("incident_id", "version"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    # the unique (incident_id, version) constraint is the index for reading an incident's list
    incident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(IncidentRow.id, ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(Text, default="")
    assessed_by: Mapped[str] = mapped_column(String(100))
    assessed_at: Mapped[datetime]


class SqlReports:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, report: Report) -> None:
        key = parse_key(report.key)
        _, year, seq = key.split("-")
        s = report.submission
        self.session.execute(
            insert(ReportRow).values(
                id=report.id,
                key=key,
                year=int(year),
                seq=int(seq),
                channel=report.channel.value,
                received_at=report.received_at,
                what_happened=s.what_happened,
                how_found=s.how_found,
                affected=s.affected,
                reporter_name=s.reporter_name,
                reporter_email=s.reporter_email,
                pgp_message=s.pgp_message,
                client_network=report.client_network,
                submitted_by=report.submitted_by,
                version=report.version,
                **self._state(report),
            )
        )

    @staticmethod
    def _state(report: Report) -> dict[str, Any]:
        return {
            "status": report.status.value,
            "acknowledged_at": report.acknowledged_at,
            "acknowledged_by": report.acknowledged_by,
            "handled_at": report.handled_at,
            "handled_by": report.handled_by,
            "decline_reason": report.decline_reason,
            "incident_key": report.incident_key,
        }

    def save(self, report: Report, *, expected_version: int) -> Report:
        # only the handling changes: what the reporter sent is never rewritten
        result = self.session.execute(
            update(ReportRow)
            .where(ReportRow.id == report.id, ReportRow.version == expected_version)
            .values(**self._state(report), version=expected_version + 1)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict(f"{report.key} was changed by someone else since you read it; reload it")
        return replace(report, version=expected_version + 1)

    def get(self, key: str) -> Report | None:
        row = self.session.execute(
            select(ReportRow).where(ReportRow.key == key)
        ).scalar_one_or_none()
        return _report(row) if row else None

    def _where(self, where: ReportFilter) -> Any:
        query = select(ReportRow)
        if where.status:
            query = query.where(ReportRow.status.in_([s.value for s in where.status]))
        if where.incident_key is not None:
            query = query.where(ReportRow.incident_key == where.incident_key)
        return query

    def list(self, where: ReportFilter) -> list[Report]:
        query = (
            self._where(where)
            .order_by(ReportRow.received_at.desc(), ReportRow.year.desc(), ReportRow.seq.desc())
            .limit(where.limit)
            .offset(where.offset)
        )
        return [_report(row) for row in self.session.execute(query).scalars()]

    def count(self, where: ReportFilter) -> int:
        query = select(func.count()).select_from(self._where(where).subquery())
        return int(self.session.execute(query).scalar_one())

    def add_decryption(self, decryption: Decryption) -> None:
        self.session.execute(
            insert(ReportDecryptionRow).values(
                id=decryption.id,
                report_id=decryption.report_id,
                decrypted_at=decryption.decrypted_at,
                decrypted_by=decryption.decrypted_by,
                key_fingerprint=decryption.key_fingerprint,
                plaintext=decryption.plaintext,
                binary=decryption.binary,
            )
        )

    def scrub(self, incident_key: str, marker: str) -> int:
        ids = select(ReportRow.id).where(ReportRow.incident_key == incident_key)
        self.session.execute(
            update(ReportDecryptionRow)
            .where(ReportDecryptionRow.report_id.in_(ids))
            .values(plaintext=marker)
        )
        done = self.session.execute(
            update(ReportRow)
            .where(ReportRow.incident_key == incident_key)
            .values(
                what_happened=marker,
                how_found="",
                affected="",
                reporter_name="",
                reporter_email="",
                pgp_message="",
                client_network="",
                version=ReportRow.version + 1,
            )
        )
        return int(done.rowcount)  # type: ignore[attr-defined]

    def decryptions(self, report_id: uuid.UUID) -> list[Decryption]:
        rows = self.session.execute(
            select(ReportDecryptionRow)
            .where(ReportDecryptionRow.report_id == report_id)
            .order_by(ReportDecryptionRow.decrypted_at)
        ).scalars()
        return [
            Decryption(
                r.id,
                r.report_id,
                r.decrypted_at,
                r.decrypted_by,
                r.key_fingerprint,
                r.plaintext,
                r.binary,
            )
            for r in rows
        ]


def _report(row: ReportRow) -> Report:
    return Report(
        id=row.id,
        key=row.key,
        submission=Submission(
            what_happened=row.what_happened,
            how_found=row.how_found,
            affected=row.affected,
            reporter_name=row.reporter_name,
            reporter_email=row.reporter_email,
            pgp_message=row.pgp_message,
        ),
        channel=Channel(row.channel),
        received_at=row.received_at,
        client_network=row.client_network,
        submitted_by=row.submitted_by,
        status=ReportStatus(row.status),
        acknowledged_at=row.acknowledged_at,
        acknowledged_by=row.acknowledged_by,
        handled_at=row.handled_at,
        handled_by=row.handled_by,
        decline_reason=row.decline_reason,
        incident_key=row.incident_key,
        version=row.version,
    )


class SqlSubmissionAttempts:
    def __init__(self, session: Session) -> None:
        self.session = session

    def lock(self) -> None:
        # SQLite writers already hold the database's one write lock (BEGIN IMMEDIATE)
        if dialect_of(self.session) == "postgresql":
            self.session.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SUBMISSION_LOCK}
            )

    def recent(self, client: str, *, since: datetime) -> list[datetime]:
        rows = self.session.execute(
            select(ReportAttemptRow.at).where(
                ReportAttemptRow.client == client, ReportAttemptRow.at > since
            )
        ).scalars()
        return list(rows)

    def add(self, client: str, *, at: datetime) -> None:
        self.session.execute(insert(ReportAttemptRow).values(client=client, at=at))

    def purge(self, *, before: datetime) -> int:
        result = self.session.execute(delete(ReportAttemptRow).where(ReportAttemptRow.at <= before))
        return int(result.rowcount)  # type: ignore[attr-defined]


class SqlAssessments:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, stored: StoredAssessment) -> None:
        a = stored.assessment
        self.session.execute(
            insert(AssessmentRow).values(
                id=stored.id,
                incident_id=stored.incident_id,
                version=stored.version,
                answers=a.answers.as_dict(),
                result=a.result.as_dict(),
                note=a.note,
                assessed_by=a.assessed_by,
                assessed_at=a.assessed_at,
            )
        )

    def list(self, incident_id: uuid.UUID) -> list[StoredAssessment]:
        rows = self.session.execute(
            select(AssessmentRow)
            .where(AssessmentRow.incident_id == incident_id)
            .order_by(AssessmentRow.version)
        ).scalars()
        return [_assessment(row) for row in rows]

    def latest(self, incident_id: uuid.UUID) -> StoredAssessment | None:
        row = self.session.execute(
            select(AssessmentRow)
            .where(AssessmentRow.incident_id == incident_id)
            .order_by(AssessmentRow.version.desc())
            .limit(1)
        ).scalar_one_or_none()
        return _assessment(row) if row else None


def _assessment(row: AssessmentRow) -> StoredAssessment:
    return StoredAssessment(
        id=row.id,
        incident_id=row.incident_id,
        version=row.version,
        assessment=Assessment(
            answers=parse_answers(row.answers),
            result=result_from_dict(row.result),
            assessed_at=row.assessed_at,
            assessed_by=row.assessed_by,
            note=row.note,
        ),
    )


register_repository("reports", SqlReports)
register_repository("report_attempts", SqlSubmissionAttempts)
register_repository("assessments", SqlAssessments)
