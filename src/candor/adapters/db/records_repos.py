"""SQL repositories for attachments, legal holds and retention (redactions, tombstones)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import String, cast, func, insert, literal, select, update
from sqlalchemy.orm import Session

from candor.adapters.db.models import AuditRow, IncidentRow, PhaseChangeRow, TaskRow, TimelineRow
from candor.adapters.db.models_records import (
    AttachmentRow,
    LegalHoldRow,
    PurgeRow,
    RedactionRow,
)
from candor.adapters.db.uow import register_repository
from candor.domain import audit as audit_model
from candor.domain import chain
from candor.domain import timeline as timeline_model
from candor.domain.attachments import Attachment, OwnerType
from candor.domain.retention import AUDIT_CHAIN, LegalHold, Redaction, timeline_chain
from candor.services.ports import Tombstone


def _attachment(row: AttachmentRow) -> Attachment:
    return Attachment(
        id=row.id,
        incident_id=row.incident_id,
        seq=row.seq,
        owner_type=OwnerType(row.owner_type),
        owner_id=row.owner_id,
        filename=row.filename,
        sha256=row.sha256,
        size=row.size,
        media_type=row.media_type,
        claimed_type=row.claimed_type,
        note=row.note,
        uploaded_at=row.uploaded_at,
        uploaded_by=row.uploaded_by,
        purged_at=row.purged_at,
        purge_audit_seq=row.purge_audit_seq,
    )


class SqlAttachments:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, attachment: Attachment) -> None:
        a = attachment
        self.session.execute(
            insert(AttachmentRow).values(
                id=a.id,
                incident_id=a.incident_id,
                seq=a.seq,
                owner_type=a.owner_type.value,
                owner_id=a.owner_id,
                filename=a.filename,
                sha256=a.sha256,
                size=a.size,
                media_type=a.media_type,
                claimed_type=a.claimed_type,
                note=a.note,
                uploaded_at=a.uploaded_at,
                uploaded_by=a.uploaded_by,
                purged_at=a.purged_at,
                purge_audit_seq=a.purge_audit_seq,
            )
        )

    def get(self, id: uuid.UUID) -> Attachment | None:
        row = self.session.get(AttachmentRow, id)
        return _attachment(row) if row else None

    def get_by_seq(self, incident_id: uuid.UUID, seq: int) -> Attachment | None:
        row = self.session.execute(
            select(AttachmentRow).where(
                AttachmentRow.incident_id == incident_id, AttachmentRow.seq == seq
            )
        ).scalar_one_or_none()
        return _attachment(row) if row else None

    def list(
        self,
        incident_id: uuid.UUID,
        *,
        owner_type: OwnerType | None = None,
        owner_id: str | None = None,
    ) -> list[Attachment]:
        query = select(AttachmentRow).where(AttachmentRow.incident_id == incident_id)
        if owner_type is not None:
            query = query.where(AttachmentRow.owner_type == owner_type.value)
        if owner_id is not None:
            query = query.where(AttachmentRow.owner_id == owner_id)
        rows = self.session.execute(query.order_by(AttachmentRow.seq)).scalars()
        return [_attachment(r) for r in rows]

    def next_seq(self, incident_id: uuid.UUID) -> int:
        # the incident row is locked by the caller's timeline append on PostgreSQL, and SQLite
        # writers are serialised, so two uploads never take the same number
        current = self.session.execute(
            select(func.max(AttachmentRow.seq)).where(AttachmentRow.incident_id == incident_id)
        ).scalar_one_or_none()
        return (current or 0) + 1

    def purge(self, id: uuid.UUID, *, at: datetime, audit_seq: int, filename: str) -> None:
        self.session.execute(
            update(AttachmentRow)
            .where(AttachmentRow.id == id)
            .values(purged_at=at, purge_audit_seq=audit_seq, filename=filename, note="")
        )

    def in_use(self, sha256: str) -> bool:
        return (
            self.session.execute(
                select(AttachmentRow.id)
                .where(AttachmentRow.sha256 == sha256, AttachmentRow.purged_at.is_(None))
                .limit(1)
            ).first()
            is not None
        )

    def purged_hashes(self) -> set[str]:
        return set(
            self.session.execute(
                select(AttachmentRow.sha256).where(AttachmentRow.purged_at.is_not(None)).distinct()
            ).scalars()
        )


def _hold(row: LegalHoldRow) -> LegalHold:
    return LegalHold(
        id=row.id,
        incident_id=row.incident_id,
        placed_at=row.placed_at,
        placed_by=row.placed_by,
        reason=row.reason,
        released_at=row.released_at,
        released_by=row.released_by,
        release_reason=row.release_reason,
    )


class SqlHolds:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, hold: LegalHold) -> None:
        self.session.execute(
            insert(LegalHoldRow).values(
                id=hold.id,
                incident_id=hold.incident_id,
                placed_at=hold.placed_at,
                placed_by=hold.placed_by,
                reason=hold.reason,
                released_at=hold.released_at,
                released_by=hold.released_by,
                release_reason=hold.release_reason,
            )
        )

    def active(self, incident_id: uuid.UUID) -> LegalHold | None:
        row = self.session.execute(
            select(LegalHoldRow)
            .where(LegalHoldRow.incident_id == incident_id, LegalHoldRow.released_at.is_(None))
            .order_by(LegalHoldRow.placed_at.desc())
            .limit(1)
        ).scalar_one_or_none()
        return _hold(row) if row else None

    def release(self, hold: LegalHold) -> None:
        self.session.execute(
            update(LegalHoldRow)
            .where(LegalHoldRow.id == hold.id)
            .values(
                released_at=hold.released_at,
                released_by=hold.released_by,
                release_reason=hold.release_reason,
            )
        )

    def list(self, incident_id: uuid.UUID) -> list[LegalHold]:
        rows = self.session.execute(
            select(LegalHoldRow)
            .where(LegalHoldRow.incident_id == incident_id)
            .order_by(LegalHoldRow.placed_at)
        ).scalars()
        return [_hold(r) for r in rows]


class SqlRedactions:
    def __init__(self, session: Session) -> None:
        self.session = session

    def redact_timeline(
        self, incident_id: uuid.UUID, *, body: str, data_json: str
    ) -> list[Redaction]:
        rows = self.session.execute(
            select(TimelineRow)
            .where(TimelineRow.incident_id == incident_id)
            .order_by(TimelineRow.seq)
        ).scalars()
        name = timeline_chain(incident_id)
        out: list[Redaction] = []
        for row in list(rows):
            if row.body == body and row.data_json == data_json:
                continue  # already redacted by an earlier run that did not finish
            redacted = chain.content_hash(
                timeline_model.hashed_fields(
                    id=row.id,
                    incident_id=row.incident_id,
                    seq=row.seq,
                    kind=row.kind,
                    author=row.author,
                    occurred_at=row.occurred_at,
                    recorded_at=row.recorded_at,
                    body=body,
                    data_json=data_json,
                    corrects=row.corrects,
                )
            )
            out.append(Redaction(name, row.seq, row.content_hash, redacted))
            self.session.execute(
                update(TimelineRow)
                .where(TimelineRow.id == row.id)
                .values(body=body, data_json=data_json)
            )
        return out

    def redact_audit(
        self, incident_key: str, *, payload_json: str, keep_prefixes: Sequence[str]
    ) -> list[Redaction]:
        rows = self.session.execute(
            select(AuditRow).where(AuditRow.incident_key == incident_key).order_by(AuditRow.seq)
        ).scalars()
        out: list[Redaction] = []
        for row in list(rows):
            if any(row.action.startswith(prefix) for prefix in keep_prefixes):
                continue
            before = payload_json if row.before_json is not None else None
            after = payload_json if row.after_json is not None else None
            if (before, after, "") == (row.before_json, row.after_json, row.detail):
                continue
            redacted = chain.content_hash(
                audit_model.hashed_fields(
                    seq=row.seq,
                    at=row.at,
                    actor=row.actor,
                    action=row.action,
                    target_type=row.target_type,
                    target_id=row.target_id,
                    incident_key=row.incident_key,
                    before_json=before,
                    after_json=after,
                    detail="",
                )
            )
            out.append(Redaction(AUDIT_CHAIN, row.seq, row.content_hash, redacted))
            self.session.execute(
                update(AuditRow)
                .where(AuditRow.seq == row.seq)
                .values(before_json=before, after_json=after, detail="")
            )
        return out

    def scrub_records(self, incident_id: uuid.UUID, *, title: str) -> dict[str, int]:
        self.session.execute(
            update(IncidentRow)
            .where(IncidentRow.id == incident_id)
            .values(title=title, summary="", version=IncidentRow.version + 1)
        )
        phases = self.session.execute(
            update(PhaseChangeRow)
            .where(PhaseChangeRow.incident_id == incident_id, PhaseChangeRow.reason != "")
            .values(reason="")
        )
        tasks = self.session.execute(
            update(TaskRow)
            .where(TaskRow.incident_id == incident_id)
            .values(title=literal("Task ") + cast(TaskRow.seq, String), notes="")
        )
        return {
            "phase_reasons": int(phases.rowcount),  # type: ignore[attr-defined]
            "tasks": int(tasks.rowcount),  # type: ignore[attr-defined]
        }

    def add(self, redactions: Sequence[Redaction], *, audit_seq: int) -> None:
        if not redactions:
            return
        self.session.execute(
            insert(RedactionRow),
            [
                {
                    "chain": r.chain,
                    "seq": r.seq,
                    "original_hash": r.original_hash,
                    "redacted_hash": r.redacted_hash,
                    "audit_seq": audit_seq,
                }
                for r in redactions
            ],
        )

    def for_chain(self, chain: str) -> list[tuple[Redaction, int]]:
        rows = self.session.execute(select(RedactionRow).where(RedactionRow.chain == chain))
        return [
            (Redaction(r.chain, r.seq, r.original_hash, r.redacted_hash), r.audit_seq)
            for r in rows.scalars()
        ]

    def by_audit(self, audit_seq: int) -> list[Redaction]:
        rows = self.session.execute(
            select(RedactionRow).where(RedactionRow.audit_seq == audit_seq)
        ).scalars()
        return [Redaction(r.chain, r.seq, r.original_hash, r.redacted_hash) for r in rows]

    def add_tombstone(self, tombstone: Tombstone) -> None:
        self.session.execute(
            insert(PurgeRow).values(
                incident_id=tombstone.incident_id,
                purged_at=tombstone.purged_at,
                purged_by=tombstone.purged_by,
                policy_years=tombstone.policy_years,
                audit_seq=tombstone.audit_seq,
                summary_json=json.dumps(tombstone.summary, sort_keys=True),
            )
        )

    def tombstone(self, incident_id: uuid.UUID) -> Tombstone | None:
        row: Any = self.session.get(PurgeRow, incident_id)
        if row is None:
            return None
        return Tombstone(
            incident_id=row.incident_id,
            purged_at=row.purged_at,
            purged_by=row.purged_by,
            policy_years=row.policy_years,
            audit_seq=row.audit_seq,
            summary=json.loads(row.summary_json),
        )


register_repository("attachments", SqlAttachments)
register_repository("holds", SqlHolds)
register_repository("redactions", SqlRedactions)
