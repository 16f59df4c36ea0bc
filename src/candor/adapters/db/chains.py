"""SQL repositories for the hash-chained records: the timeline and the audit log."""

from __future__ import annotations

import queue
import threading
import uuid
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

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


AUDIT_HEAD_SEQ = select(AuditHeadRow.seq).where(AuditHeadRow.id == 1)


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

    def links(self, incident_id: uuid.UUID) -> Iterator[StoredLink]:
        dialect = dialect_of(self.session)
        # incident_id is the same for every row (it is the filter), so it is bound, not read;
        # an entry moved to another incident leaves a gap in this chain and is caught there.
        piece = f"{len(incident_id.hex)}:{incident_id.hex}"
        sql = canonical_sql(
            dialect,
            [
                ("uuid", "id"),
                ("param", "incident_piece"),
                ("int", "seq"),
                ("text", "kind"),
                ("text", "author"),
                ("instant", "occurred_at"),
                ("instant", "recorded_at"),
                ("text", "body"),
                ("text", "data_json"),
                ("int?", "corrects"),
            ],
        )
        query = (
            f"SELECT seq, {sql}, content_hash, prev_hash, hash FROM timeline_entries "  # noqa: S608
            f"WHERE incident_id = {_param(dialect, 'incident')} ORDER BY seq"
        )
        params = {
            "incident": incident_id.hex if dialect == "sqlite" else incident_id,
            "incident_piece": piece,
        }
        yield from _stream(self.session, query, params)


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

    def head_seq(self) -> int:
        return int(self.session.execute(AUDIT_HEAD_SEQ).scalar() or 0)

    def links(self) -> Iterator[StoredLink]:
        sql = canonical_sql(
            dialect_of(self.session),
            [
                ("int", "seq"),
                ("instant", "at"),
                ("text", "actor"),
                ("text", "action"),
                ("text", "target_type"),
                ("text", "target_id"),
                ("text?", "incident_key"),
                ("text?", "before_json"),
                ("text?", "after_json"),
                ("text", "detail"),
            ],
        )
        query = f"SELECT seq, {sql}, content_hash, prev_hash, hash FROM audit_log ORDER BY seq"  # noqa: S608
        yield from _stream(self.session, query, {})


def _param(dialect: str, name: str) -> str:
    return f"%({name})s" if dialect == "postgresql" else f":{name}"


def canonical_sql(dialect: str, columns: list[tuple[str, str]]) -> str:
    """SQL that builds a record's canonical content (see ``candor.domain.chain``) in the database.

    Verification then reads one string per record instead of a dozen columns, and never parses
    what is stored: on SQLite the stored text itself is hashed, so any changed byte changes the
    hash. One ``format()`` call per row is the cheapest way both databases have to build it.
    Kinds: ``text``, ``int``, ``uuid`` (32 hex digits), ``instant`` and ``param`` (a bound
    parameter holding an already encoded piece); a trailing ``?`` allows NULL.

    Fixed-width values (uuids, instants) get a constant length prefix: an edited value of another
    width still changes the content, and so the hash, and the database is spared a length().
    """
    template: list[str] = []
    args: list[str] = []
    for kind, column in columns:
        nullable = kind.endswith("?")
        kind = kind.rstrip("?")
        if kind == "param":
            template.append("%s")
            args.append(f"CAST({_param(dialect, column)} AS TEXT)")
            continue
        if kind == "instant":
            expr = (
                column
                if dialect == "sqlite"
                else (f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')")
            )
            width: int | None = 27
        elif kind == "uuid":
            expr = column if dialect == "sqlite" else f"replace(CAST({column} AS TEXT), '-', '')"
            width = 32
        elif kind == "int":
            expr = column if dialect == "sqlite" else f"CAST({column} AS TEXT)"
            width = None
        else:
            expr = column
            width = None
        if nullable:
            template.append("%s")
            args.append(
                f"(CASE WHEN {column} IS NULL THEN '~' ELSE length({expr})||':'||{expr} END)"
            )
        elif width is not None:
            template.append(f"{width}:%s")
            args.append(expr)
        else:
            template.append("%s:%s")
            args.extend([f"length({expr})", expr])
    pattern = "".join(template)
    if dialect == "postgresql":
        pattern = pattern.replace("%", "%%")  # psycopg reads % as a placeholder
    return f"format('{pattern}', {', '.join(args)})"


def _stream(session: Session, query: str, params: dict[str, object]) -> Iterator[StoredLink]:
    """Rows straight from the database driver, a batch at a time, fetched ahead by a thread.

    The driver's tuples are already in ``StoredLink`` order, so they are passed on as they are.
    On PostgreSQL, while the caller hashes one batch the server builds the next (the driver
    releases the GIL while it waits), so verification uses both cores, and a server-side cursor
    keeps memory bounded however long the chain is.
    """
    dbapi = session.connection().connection.dbapi_connection
    assert dbapi is not None
    if dialect_of(session) != "postgresql":
        # SQLite runs in this process: a reader thread would only fight for the GIL
        cursor = dbapi.cursor()
        try:
            cursor.execute(query, params)
            while batch := cursor.fetchmany(_BATCH):
                yield from batch
        finally:
            cursor.close()
        return
    cursor = dbapi.cursor(name=f"candor_chain_{uuid.uuid4().hex}")
    batches: queue.Queue[list[StoredLink] | BaseException | None] = queue.Queue(maxsize=4)
    stop = threading.Event()

    def put(item: list[StoredLink] | BaseException | None) -> None:
        while not stop.is_set():
            try:
                batches.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def produce() -> None:
        try:
            cursor.execute(query, params)
            while not stop.is_set() and (batch := cursor.fetchmany(_BATCH)):
                put(batch)
            put(None)
        except BaseException as exc:  # handed to the consumer, which re-raises it
            put(exc)

    worker = threading.Thread(target=produce, name="candor-chain-reader", daemon=True)
    worker.start()
    try:
        while (item := batches.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield from item
    finally:
        stop.set()
        worker.join()
        cursor.close()


_BATCH = 5_000


def audit_head_seq(engine: Engine) -> int:
    """The audit chain's length read on its own, with no ORM session: what the web layer reads
    on every request to key its caches (give it an autocommit engine on PostgreSQL to spare the
    BEGIN and ROLLBACK round trips around one SELECT)."""

    def read() -> int:
        with engine.connect() as conn:
            return int(conn.execute(AUDIT_HEAD_SEQ).scalar() or 0)

    try:
        return read()
    except DBAPIError as error:
        # the server dropped a pooled connection (a restart): SQLAlchemy emptied the pool, so
        # once more on a new one
        if not error.connection_invalidated:
            raise
    return read()
