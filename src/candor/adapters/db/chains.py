"""SQL repositories for the hash-chained records: the timeline and the audit log."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, literal, select, type_coerce, update
from sqlalchemy.orm import Session
from sqlalchemy.types import Text

from candor.adapters.db.models import AuditHeadRow, AuditRow, IncidentRow, TimelineRow
from candor.adapters.db.repositories import dialect_of
from candor.domain import audit as audit_model
from candor.domain import timeline as timeline_model
from candor.domain.audit import AuditDraft, AuditFilter, AuditRecord
from candor.domain.chain import GENESIS, StoredLink
from candor.domain.timeline import Draft, Entry, EntryKind

_TIMELINE_COLUMNS = (
    TimelineRow.id,
    TimelineRow.incident_id,
    TimelineRow.seq,
    TimelineRow.kind,
    TimelineRow.author,
    TimelineRow.occurred_at,
    TimelineRow.recorded_at,
    TimelineRow.body,
    TimelineRow.data_json,
    TimelineRow.corrects,
    TimelineRow.content_hash,
    TimelineRow.prev_hash,
    TimelineRow.hash,
)


def _entry(row: Any) -> Entry:
    return Entry(
        id=row.id,
        incident_id=row.incident_id,
        seq=row.seq,
        kind=EntryKind(row.kind),
        author=row.author,
        occurred_at=row.occurred_at,
        recorded_at=row.recorded_at,
        body=row.body,
        data_json=row.data_json,
        corrects=row.corrects,
        content_hash=row.content_hash,
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


class SqlTimeline:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _head(self, incident_id: uuid.UUID) -> tuple[int, str]:
        if dialect_of(self.session) == "postgresql":
            self.session.execute(
                select(IncidentRow.id).where(IncidentRow.id == incident_id).with_for_update()
            )
        last = self.session.execute(
            select(TimelineRow.seq, TimelineRow.hash)
            .where(TimelineRow.incident_id == incident_id)
            .order_by(TimelineRow.seq.desc())
            .limit(1)
        ).first()
        return (last.seq, last.hash) if last else (0, GENESIS)

    def append(self, incident_id: uuid.UUID, draft: Draft, *, recorded_at: datetime) -> Entry:
        return self.append_many(incident_id, [draft], recorded_at=recorded_at)[0]

    def append_many(
        self, incident_id: uuid.UUID, drafts: Sequence[Draft], *, recorded_at: datetime
    ) -> list[Entry]:
        seq, prev = self._head(incident_id)
        entries = []
        for new in drafts:
            seq += 1
            entry = timeline_model.seal(
                new,
                id=uuid.uuid4(),
                incident_id=incident_id,
                seq=seq,
                prev_hash=prev,
                recorded_at=recorded_at,
            )
            prev = entry.hash
            entries.append(entry)
        if entries:
            self.session.execute(
                insert(TimelineRow),
                [
                    {
                        "id": e.id,
                        "incident_id": e.incident_id,
                        "seq": e.seq,
                        "kind": e.kind.value,
                        "author": e.author,
                        "occurred_at": e.occurred_at,
                        "recorded_at": e.recorded_at,
                        "body": e.body,
                        "data_json": e.data_json,
                        "corrects": e.corrects,
                        "content_hash": e.content_hash,
                        "prev_hash": e.prev_hash,
                        "hash": e.hash,
                    }
                    for e in entries
                ],
            )
        return entries

    def get(self, incident_id: uuid.UUID, seq: int) -> Entry | None:
        row = self.session.execute(
            select(*_TIMELINE_COLUMNS).where(
                TimelineRow.incident_id == incident_id, TimelineRow.seq == seq
            )
        ).first()
        return _entry(row) if row else None

    def list(
        self,
        incident_id: uuid.UUID,
        *,
        after: int = 0,
        limit: int | None = None,
        newest_first: bool = False,
    ) -> list[Entry]:
        query = select(*_TIMELINE_COLUMNS).where(
            TimelineRow.incident_id == incident_id, TimelineRow.seq > after
        )
        query = query.order_by(TimelineRow.seq.desc() if newest_first else TimelineRow.seq)
        if limit is not None:
            query = query.limit(limit)
        return [_entry(row) for row in self.session.execute(query)]

    def count(self, incident_id: uuid.UUID) -> int:
        return int(
            self.session.execute(
                select(func.count())
                .select_from(TimelineRow)
                .where(TimelineRow.incident_id == incident_id)
            ).scalar_one()
        )

    def links(self, incident_id: uuid.UUID, *, label: str) -> Iterator[StoredLink]:
        raw_times = dialect_of(self.session) == "sqlite"
        occurred = (
            type_coerce(TimelineRow.occurred_at, Text) if raw_times else TimelineRow.occurred_at
        )
        recorded = (
            type_coerce(TimelineRow.recorded_at, Text) if raw_times else TimelineRow.recorded_at
        )
        # Read the stored text as is (no parsing that could fail on a tampered row) in chunks,
        # so verifying a long chain needs little memory.
        query = (
            select(
                type_coerce(TimelineRow.id, Text) if raw_times else TimelineRow.id,
                literal(str(incident_id)),
                TimelineRow.seq,
                TimelineRow.kind,
                TimelineRow.author,
                occurred,
                recorded,
                TimelineRow.body,
                TimelineRow.data_json,
                TimelineRow.corrects,
                TimelineRow.content_hash,
                TimelineRow.prev_hash,
                TimelineRow.hash,
            )
            .where(TimelineRow.incident_id == incident_id)
            .order_by(TimelineRow.seq)
            .execution_options(yield_per=5000)
        )
        fields = timeline_model.hashed_fields
        for position, (
            id_,
            inc,
            seq,
            kind,
            author,
            occ,
            rec,
            body,
            data_json,
            corrects,
            ch,
            ph,
            h,
        ) in enumerate(self.session.execute(query), start=1):
            if raw_times and isinstance(id_, str) and len(id_) == 32:
                id_ = str(uuid.UUID(hex=id_)) if _is_hex(id_) else "invalid:" + id_
            yield StoredLink(
                position=position,
                label=f"{label} #{seq}",
                seq=seq,
                fields=fields(
                    id=id_,
                    incident_id=inc,
                    seq=seq,
                    kind=kind,
                    author=author,
                    occurred_at=occ,
                    recorded_at=rec,
                    body=body,
                    data_json=data_json,
                    corrects=corrects,
                ),
                content_hash=ch,
                prev_hash=ph,
                hash=h,
            )


_HEX = frozenset("0123456789abcdef")


def _is_hex(text: str) -> bool:
    return set(text) <= _HEX


class SqlAudit:
    def __init__(self, session: Session) -> None:
        self.session = session

    def append(self, draft: AuditDraft) -> AuditRecord:
        head_query = select(AuditHeadRow).where(AuditHeadRow.id == 1)
        if dialect_of(self.session) == "postgresql":
            head_query = head_query.with_for_update()
        head = self.session.execute(head_query).scalar_one_or_none()
        seq, prev = (head.seq, head.hash) if head else (0, GENESIS)
        record = audit_model.seal(draft, seq=seq + 1, prev_hash=prev)
        self.session.execute(
            insert(AuditRow).values(
                seq=record.seq,
                at=record.at,
                actor=record.actor,
                action=record.action,
                target_type=record.target_type,
                target_id=record.target_id,
                incident_key=record.incident_key,
                before_json=record.before_json,
                after_json=record.after_json,
                detail=record.detail,
                content_hash=record.content_hash,
                prev_hash=record.prev_hash,
                hash=record.hash,
            )
        )
        if head is None:
            self.session.execute(
                insert(AuditHeadRow).values(id=1, seq=record.seq, hash=record.hash)
            )
        else:
            self.session.execute(
                update(AuditHeadRow)
                .where(AuditHeadRow.id == 1)
                .values(seq=record.seq, hash=record.hash)
            )
        return record

    def list(self, where: AuditFilter) -> list[AuditRecord]:
        query = select(AuditRow)
        if where.actor:
            query = query.where(AuditRow.actor == where.actor)
        if where.action_prefix:
            query = query.where(AuditRow.action.startswith(where.action_prefix, autoescape=True))
        if where.incident_key:
            query = query.where(AuditRow.incident_key == where.incident_key)
        if where.target_type:
            query = query.where(AuditRow.target_type == where.target_type)
        if where.since:
            query = query.where(AuditRow.at >= where.since)
        if where.until:
            query = query.where(AuditRow.at < where.until)
        if where.before_seq:
            query = query.where(AuditRow.seq < where.before_seq)
        query = query.order_by(AuditRow.seq.desc()).limit(where.limit)
        return [
            AuditRecord(
                seq=r.seq,
                at=r.at,
                actor=r.actor,
                action=r.action,
                target_type=r.target_type,
                target_id=r.target_id,
                incident_key=r.incident_key,
                before_json=r.before_json,
                after_json=r.after_json,
                detail=r.detail,
                content_hash=r.content_hash,
                prev_hash=r.prev_hash,
                hash=r.hash,
            )
            for r in self.session.execute(query).scalars()
        ]

    def count(self) -> int:
        return int(self.session.execute(select(func.count()).select_from(AuditRow)).scalar_one())

    def links(self) -> Iterator[StoredLink]:
        raw_times = dialect_of(self.session) == "sqlite"
        at = type_coerce(AuditRow.at, Text) if raw_times else AuditRow.at
        query = (
            select(
                AuditRow.seq,
                at,
                AuditRow.actor,
                AuditRow.action,
                AuditRow.target_type,
                AuditRow.target_id,
                AuditRow.incident_key,
                AuditRow.before_json,
                AuditRow.after_json,
                AuditRow.detail,
                AuditRow.content_hash,
                AuditRow.prev_hash,
                AuditRow.hash,
            )
            .order_by(AuditRow.seq)
            .execution_options(yield_per=5000)
        )
        fields = audit_model.hashed_fields
        for position, (
            seq,
            at_,
            actor,
            action,
            ttype,
            tid,
            key,
            before,
            after,
            detail,
            ch,
            ph,
            h,
        ) in enumerate(self.session.execute(query), start=1):
            yield StoredLink(
                position=position,
                label=f"audit #{seq}",
                seq=seq,
                fields=fields(
                    seq=seq,
                    at=at_,
                    actor=actor,
                    action=action,
                    target_type=ttype,
                    target_id=tid,
                    incident_key=key,
                    before_json=before,
                    after_json=after,
                    detail=detail,
                ),
                content_hash=ch,
                prev_hash=ph,
                hash=h,
            )
