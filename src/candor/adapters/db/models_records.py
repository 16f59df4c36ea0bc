"""Tables for evidence and records: attachments, legal holds, retention redactions and purges."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from candor.adapters.db.models import Base


class AttachmentRow(Base):
    """Metadata of a stored file; the content lives in the blob store under ``sha256``."""

    __tablename__ = "attachments"
    __table_args__ = (
        UniqueConstraint("incident_id", "seq"),
        Index("ix_attachments_owner", "owner_type", "owner_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    incident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("incidents.id"))
    seq: Mapped[int] = mapped_column(Integer)
    owner_type: Mapped[str] = mapped_column(String(32))
    owner_id: Mapped[str] = mapped_column(String(100))
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str] = mapped_column(String(100))
    claimed_type: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str] = mapped_column(Text, default="")
    uploaded_at: Mapped[datetime]
    uploaded_by: Mapped[str] = mapped_column(String(100))
    purged_at: Mapped[datetime | None]
    purge_audit_seq: Mapped[int | None] = mapped_column(Integer)


class LegalHoldRow(Base):
    """Holds are released, never deleted: the history of holds is itself a record."""

    __tablename__ = "legal_holds"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    incident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("incidents.id"), index=True)
    placed_at: Mapped[datetime]
    placed_by: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text)
    released_at: Mapped[datetime | None]
    released_by: Mapped[str | None] = mapped_column(String(100))
    release_reason: Mapped[str | None] = mapped_column(Text)


class RedactionRow(Base):
    """A chained entry whose content retention replaced; see ``candor.domain.retention``."""

    __tablename__ = "redactions"

    chain: Mapped[str] = mapped_column(String(80), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    original_hash: Mapped[str] = mapped_column(String(64))
    redacted_hash: Mapped[str] = mapped_column(String(64))
    audit_seq: Mapped[int] = mapped_column(Integer, index=True)


class PurgeRow(Base):
    """The tombstone of an incident whose personal data the retention policy removed."""

    __tablename__ = "retention_purges"

    incident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("incidents.id"), primary_key=True)
    purged_at: Mapped[datetime]
    purged_by: Mapped[str] = mapped_column(String(100))
    policy_years: Mapped[int] = mapped_column(Integer)
    audit_seq: Mapped[int] = mapped_column(Integer)
    summary_json: Mapped[str] = mapped_column(Text)
