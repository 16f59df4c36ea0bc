"""In-memory fakes of the ports, for fast unit tests. The contract suite runs them beside SQL."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Self

from candor.domain import audit as audit_model
from candor.domain import chain as chain_model
from candor.domain import timeline as timeline_model
from candor.domain.accounts import ApiToken, Attempt, Session, User
from candor.domain.attachments import Attachment, OwnerType
from candor.domain.audit import AuditDraft, AuditFilter, AuditRecord
from candor.domain.chain import GENESIS, StoredLink, canonical
from candor.domain.errors import Conflict
from candor.domain.incidents import Incident
from candor.domain.retention import AUDIT_CHAIN, LegalHold, Redaction, timeline_chain
from candor.domain.tasks import Task
from candor.domain.timeline import Draft, Entry
from candor.domain.vocabulary import Confidentiality, Role
from candor.services.context import Context
from candor.services.ports import IncidentFilter, Tombstone


class FakeClock:
    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 3, 2, 14, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> datetime:
        self.current += timedelta(**delta)
        return self.current


@dataclass
class Store:
    incidents: dict[str, Incident] = field(default_factory=dict)
    timeline: dict[uuid.UUID, list[Entry]] = field(default_factory=dict)
    tasks: dict[uuid.UUID, list[Task]] = field(default_factory=dict)
    sequences: dict[str, int] = field(default_factory=dict)
    audit: list[AuditRecord] = field(default_factory=list)
    users: dict[str, User] = field(default_factory=dict)
    sessions: dict[str, Session] = field(default_factory=dict)
    tokens: dict[uuid.UUID, ApiToken] = field(default_factory=dict)
    attempts: list[Attempt] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    holds: list[LegalHold] = field(default_factory=list)
    redactions: dict[tuple[str, int], tuple[Redaction, int]] = field(default_factory=dict)
    tombstones: dict[uuid.UUID, Tombstone] = field(default_factory=dict)


class FakeIncidents:
    def __init__(self, store: Store) -> None:
        self.store = store

    def add(self, incident: Incident) -> None:
        if incident.key in self.store.incidents:
            raise Conflict(f"{incident.key} exists")
        self.store.incidents[incident.key] = incident

    def get(self, key: str) -> Incident | None:
        return self.store.incidents.get(key)

    def get_by_id(self, id: uuid.UUID) -> Incident | None:
        return next((i for i in self.store.incidents.values() if i.id == id), None)

    def save(self, incident: Incident, *, expected_version: int) -> Incident:
        current = self.store.incidents[incident.key]
        if current.version != expected_version:
            raise Conflict(f"{incident.key} was changed by someone else since you read it")
        saved = replace(incident, version=expected_version + 1)
        self.store.incidents[incident.key] = saved
        return saved

    def _match(self, incident: Incident, where: IncidentFilter) -> bool:
        if where.open_only and not incident.is_open:
            return False
        if where.phase is not None and incident.phase is not where.phase:
            return False
        if where.severity is not None and incident.severity is not where.severity:
            return False
        if where.exercise is not None and incident.exercise is not where.exercise:
            return False
        if where.ids is not None and incident.id not in where.ids:
            return False
        if where.declared_after is not None and incident.declared_at < where.declared_after:
            return False
        if where.see_all or incident.confidentiality is Confidentiality.NORMAL:
            return True
        return (where.member or "") in incident.members

    def list(self, where: IncidentFilter) -> list[Incident]:
        found = [i for i in self.store.incidents.values() if self._match(i, where)]
        found.sort(key=lambda i: (i.declared_at, i.key), reverse=True)
        return found[where.offset : where.offset + where.limit]

    def count(self, where: IncidentFilter) -> int:
        return sum(1 for i in self.store.incidents.values() if self._match(i, where))

    def people_in_role(self, where: IncidentFilter, role: Role) -> set[str]:
        return {
            i.roles[role]
            for i in self.store.incidents.values()
            if self._match(i, where) and role in i.roles
        }


class FakeTimeline:
    def __init__(self, store: Store) -> None:
        self.store = store

    def append(self, incident_id: uuid.UUID, draft: Draft, *, recorded_at: datetime) -> Entry:
        return self.append_many(incident_id, [draft], recorded_at=recorded_at)[0]

    def append_many(
        self, incident_id: uuid.UUID, drafts: Sequence[Draft], *, recorded_at: datetime
    ) -> list[Entry]:
        entries = self.store.timeline.setdefault(incident_id, [])
        out = []
        for draft in drafts:
            prev = entries[-1].hash if entries else GENESIS
            entry = timeline_model.seal(
                draft,
                id=uuid.uuid4(),
                incident_id=incident_id,
                seq=len(entries) + 1,
                prev_hash=prev,
                recorded_at=recorded_at,
            )
            entries.append(entry)
            out.append(entry)
        return out

    def get(self, incident_id: uuid.UUID, seq: int) -> Entry | None:
        entries = self.store.timeline.get(incident_id, [])
        return entries[seq - 1] if 0 < seq <= len(entries) else None

    def list(
        self,
        incident_id: uuid.UUID,
        *,
        after: int = 0,
        limit: int | None = None,
        newest_first: bool = False,
    ) -> list[Entry]:
        entries = [e for e in self.store.timeline.get(incident_id, []) if e.seq > after]
        if newest_first:
            entries.reverse()
        return entries[:limit] if limit is not None else entries

    def count(self, incident_id: uuid.UUID) -> int:
        return len(self.store.timeline.get(incident_id, []))

    def links(self, incident_id: uuid.UUID) -> Iterator[StoredLink]:
        for e in self.store.timeline.get(incident_id, []):
            yield StoredLink(
                seq=e.seq,
                content=canonical(
                    timeline_model.hashed_fields(
                        id=e.id,
                        incident_id=e.incident_id,
                        seq=e.seq,
                        kind=e.kind.value,
                        author=e.author,
                        occurred_at=e.occurred_at,
                        recorded_at=e.recorded_at,
                        body=e.body,
                        data_json=e.data_json,
                        corrects=e.corrects,
                    )
                ),
                content_hash=e.content_hash,
                prev_hash=e.prev_hash,
                hash=e.hash,
            )


class FakeTasks:
    def __init__(self, store: Store) -> None:
        self.store = store

    def add(self, task: Task) -> None:
        self.store.tasks.setdefault(task.incident_id, []).append(task)

    def get(self, incident_id: uuid.UUID, seq: int) -> Task | None:
        return next((t for t in self.store.tasks.get(incident_id, []) if t.seq == seq), None)

    def save(self, task: Task) -> None:
        items = self.store.tasks[task.incident_id]
        items[[t.id for t in items].index(task.id)] = task

    def list(self, incident_id: uuid.UUID, *, open_only: bool = False) -> list[Task]:
        items = self.store.tasks.get(incident_id, [])
        return [t for t in items if t.status.is_open or not open_only]

    def next_seq(self, incident_id: uuid.UUID) -> int:
        return max((t.seq for t in self.store.tasks.get(incident_id, [])), default=0) + 1


class FakeSequences:
    def __init__(self, store: Store) -> None:
        self.store = store

    def next(self, name: str) -> int:
        self.store.sequences[name] = self.store.sequences.get(name, 0) + 1
        return self.store.sequences[name]


class FakeAudit:
    def __init__(self, store: Store) -> None:
        self.store = store

    def append(self, draft: AuditDraft) -> AuditRecord:
        prev = self.store.audit[-1].hash if self.store.audit else GENESIS
        record = audit_model.seal(draft, seq=len(self.store.audit) + 1, prev_hash=prev)
        self.store.audit.append(record)
        return record

    def list(self, where: AuditFilter) -> list[AuditRecord]:
        items = [
            r
            for r in reversed(self.store.audit)
            if (where.actor is None or r.actor == where.actor)
            and (where.incident_key is None or r.incident_key == where.incident_key)
            and (where.action_prefix is None or r.action.startswith(where.action_prefix))
        ]
        return items[: where.limit]

    def count(self) -> int:
        return len(self.store.audit)

    def head_seq(self) -> int:
        return len(self.store.audit)

    def links(self) -> Iterator[StoredLink]:
        for r in self.store.audit:
            yield StoredLink(
                seq=r.seq,
                content=canonical(
                    audit_model.hashed_fields(
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
                    )
                ),
                content_hash=r.content_hash,
                prev_hash=r.prev_hash,
                hash=r.hash,
            )


class FakeAttachments:
    def __init__(self, store: Store) -> None:
        self.store = store

    def add(self, attachment: Attachment) -> None:
        self.store.attachments.append(attachment)

    def get(self, id: uuid.UUID) -> Attachment | None:
        return next((a for a in self.store.attachments if a.id == id), None)

    def get_by_seq(self, incident_id: uuid.UUID, seq: int) -> Attachment | None:
        return next(
            (a for a in self.store.attachments if (a.incident_id, a.seq) == (incident_id, seq)),
            None,
        )

    def list(
        self,
        incident_id: uuid.UUID,
        *,
        owner_type: OwnerType | None = None,
        owner_id: str | None = None,
    ) -> list[Attachment]:
        return [
            a
            for a in self.store.attachments
            if a.incident_id == incident_id
            and owner_type in (None, a.owner_type)
            and owner_id in (None, a.owner_id)
        ]

    def next_seq(self, incident_id: uuid.UUID) -> int:
        return 1 + max((a.seq for a in self.list(incident_id)), default=0)

    def purge(self, id: uuid.UUID, *, at: datetime, audit_seq: int, filename: str) -> None:
        items = self.store.attachments
        for i, a in enumerate(items):
            if a.id == id:
                items[i] = replace(
                    a, purged_at=at, purge_audit_seq=audit_seq, filename=filename, note=""
                )

    def in_use(self, sha256: str) -> bool:
        return any(a.sha256 == sha256 and not a.purged for a in self.store.attachments)

    def purged_hashes(self) -> set[str]:
        return {a.sha256 for a in self.store.attachments if a.purged}


class FakeHolds:
    def __init__(self, store: Store) -> None:
        self.store = store

    def add(self, hold: LegalHold) -> None:
        self.store.holds.append(hold)

    def active(self, incident_id: uuid.UUID) -> LegalHold | None:
        return next(
            (h for h in self.store.holds if h.incident_id == incident_id and h.active), None
        )

    def release(self, hold: LegalHold) -> None:
        self.store.holds = [hold if h.id == hold.id else h for h in self.store.holds]

    def list(self, incident_id: uuid.UUID) -> list[LegalHold]:
        return [h for h in self.store.holds if h.incident_id == incident_id]


class FakeRedactions:
    def __init__(self, store: Store) -> None:
        self.store = store

    def redact_timeline(
        self, incident_id: uuid.UUID, *, body: str, data_json: str
    ) -> list[Redaction]:
        entries = self.store.timeline.get(incident_id, [])
        out = []
        for i, e in enumerate(entries):
            new = replace(e, body=body, data_json=data_json)
            fields = timeline_model.hashed_fields(
                id=new.id,
                incident_id=new.incident_id,
                seq=new.seq,
                kind=new.kind.value,
                author=new.author,
                occurred_at=new.occurred_at,
                recorded_at=new.recorded_at,
                body=body,
                data_json=data_json,
                corrects=new.corrects,
            )
            out.append(
                Redaction(
                    timeline_chain(incident_id),
                    e.seq,
                    e.content_hash,
                    chain_model.content_hash(fields),
                )
            )
            entries[i] = new
        return out

    def redact_audit(
        self, incident_key: str, *, payload_json: str, keep_prefixes: Sequence[str]
    ) -> list[Redaction]:
        out = []
        for i, r in enumerate(self.store.audit):
            if r.incident_key != incident_key or r.action.startswith(tuple(keep_prefixes)):
                continue
            new = replace(
                r,
                before_json=payload_json if r.before_json is not None else None,
                after_json=payload_json if r.after_json is not None else None,
                detail="",
            )
            fields = audit_model.hashed_fields(
                seq=new.seq,
                at=new.at,
                actor=new.actor,
                action=new.action,
                target_type=new.target_type,
                target_id=new.target_id,
                incident_key=new.incident_key,
                before_json=new.before_json,
                after_json=new.after_json,
                detail=new.detail,
            )
            out.append(
                Redaction(AUDIT_CHAIN, r.seq, r.content_hash, chain_model.content_hash(fields))
            )
            self.store.audit[i] = new
        return out

    def scrub_records(self, incident_id: uuid.UUID, *, title: str) -> dict[str, int]:
        for key, incident in self.store.incidents.items():
            if incident.id == incident_id:
                self.store.incidents[key] = replace(
                    incident,
                    title=title,
                    summary="",
                    version=incident.version + 1,
                    phase_history=tuple(replace(p, reason="") for p in incident.phase_history),
                )
        tasks = self.store.tasks.get(incident_id, [])
        self.store.tasks[incident_id] = [replace(t, title=f"Task {t.seq}", notes="") for t in tasks]
        return {"phase_reasons": 0, "tasks": len(tasks)}

    def add(self, redactions: Sequence[Redaction], *, audit_seq: int) -> None:
        for r in redactions:
            self.store.redactions[(r.chain, r.seq)] = (r, audit_seq)

    def for_chain(self, chain: str) -> list[tuple[Redaction, int]]:
        return [v for (name, _), v in self.store.redactions.items() if name == chain]

    def by_audit(self, audit_seq: int) -> list[Redaction]:
        return [r for r, seq in self.store.redactions.values() if seq == audit_seq]

    def add_tombstone(self, tombstone: Tombstone) -> None:
        self.store.tombstones[tombstone.incident_id] = tombstone

    def tombstone(self, incident_id: uuid.UUID) -> Tombstone | None:
        return self.store.tombstones.get(incident_id)


class FakeUnitOfWork:
    """Works on a copy of the store; ``commit`` publishes the copy, so rollback is real."""

    def __init__(self, shared: Store) -> None:
        self.shared = shared
        self.committed = False

    def __enter__(self) -> Self:
        self.work = copy.deepcopy(self.shared)
        self.incidents = FakeIncidents(self.work)
        self.timeline = FakeTimeline(self.work)
        self.tasks = FakeTasks(self.work)
        self.sequences = FakeSequences(self.work)
        self.audit = FakeAudit(self.work)
        self.users = FakeUsers(self.work)
        self.sessions = FakeSessions(self.work)
        self.tokens = FakeTokens(self.work)
        self.attempts = FakeAttempts(self.work)
        self.attachments = FakeAttachments(self.work)
        self.holds = FakeHolds(self.work)
        self.redactions = FakeRedactions(self.work)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    def commit(self) -> None:
        self.shared.__dict__.update(copy.deepcopy(self.work).__dict__)
        self.committed = True

    def rollback(self) -> None:
        self.work = copy.deepcopy(self.shared)


class FakeUnitOfWorkFactory:
    def __init__(self) -> None:
        self.store = Store()

    def __call__(self, *, write: bool = False) -> FakeUnitOfWork:
        return FakeUnitOfWork(self.store)


def fake_context(clock: FakeClock | None = None, **kwargs: Any) -> Context:
    return Context(uow=FakeUnitOfWorkFactory(), clock=clock or FakeClock(), **kwargs)


class FakeUsers:
    def __init__(self, store: Store) -> None:
        self.store = store

    def add(self, user: User) -> None:
        self.store.users[user.username] = user

    def get(self, username: str) -> User | None:
        return self.store.users.get(username)

    def get_by_id(self, id: uuid.UUID) -> User | None:
        return next((u for u in self.store.users.values() if u.id == id), None)

    def save(self, user: User) -> None:
        self.store.users[user.username] = user

    def list(self, *, include_inactive: bool = False) -> list[User]:
        return sorted(
            (u for u in self.store.users.values() if u.active or include_inactive),
            key=lambda u: u.username,
        )

    def count(self) -> int:
        return len(self.store.users)


class FakeSessions:
    def __init__(self, store: Store) -> None:
        self.store = store

    def add(self, session: Session) -> None:
        self.store.sessions[session.token_hash] = session

    def get(self, token_hash: str) -> Session | None:
        return self.store.sessions.get(token_hash)

    def delete(self, id: uuid.UUID) -> None:
        self.store.sessions = {k: s for k, s in self.store.sessions.items() if s.id != id}

    def delete_for_user(self, user_id: uuid.UUID) -> int:
        before = len(self.store.sessions)
        self.store.sessions = {k: s for k, s in self.store.sessions.items() if s.user_id != user_id}
        return before - len(self.store.sessions)

    def purge_expired(self, now: datetime) -> int:
        before = len(self.store.sessions)
        self.store.sessions = {k: s for k, s in self.store.sessions.items() if s.is_valid(now)}
        return before - len(self.store.sessions)


class FakeTokens:
    def __init__(self, store: Store) -> None:
        self.store = store

    def add(self, token: ApiToken) -> None:
        self.store.tokens[token.id] = token

    def get_by_hash(self, token_hash: str) -> ApiToken | None:
        return next((t for t in self.store.tokens.values() if t.token_hash == token_hash), None)

    def get(self, id: uuid.UUID) -> ApiToken | None:
        return self.store.tokens.get(id)

    def list(self, *, user_id: uuid.UUID | None = None) -> list[ApiToken]:
        return [t for t in self.store.tokens.values() if user_id is None or t.user_id == user_id]

    def save(self, token: ApiToken) -> None:
        self.store.tokens[token.id] = token


class FakeAttempts:
    def __init__(self, store: Store) -> None:
        self.store = store

    def add(self, attempt: Attempt) -> None:
        self.store.attempts.append(attempt)

    def recent(self, *, username: str, client: str, since: datetime) -> list[Attempt]:
        return [
            a
            for a in self.store.attempts
            if a.at >= since and (a.username == username or (client and a.client == client))
        ]
