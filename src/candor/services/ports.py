"""Ports: what the use cases need from the outside world, as Protocols.

Each port has a real adapter (``candor.adapters``) and a fake (``tests/fakes.py``); one
conformance suite runs against both (``tests/contract``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any, BinaryIO, Protocol, Self

from candor.domain.accounts import ApiToken, Attempt, Session, User
from candor.domain.attachments import Attachment, OwnerType
from candor.domain.audit import AuditDraft, AuditFilter, AuditRecord
from candor.domain.chain import StoredLink
from candor.domain.incidents import Incident
from candor.domain.lifecycle import Phase
from candor.domain.retention import LegalHold, Redaction
from candor.domain.scoping.plan import ScanPlan
from candor.domain.scoping.results import ScanAggregates
from candor.domain.tasks import Task
from candor.domain.timeline import Draft, Entry
from candor.domain.vocabulary import Role, Severity


class Clock(Protocol):
    def now(self) -> datetime: ...


@dataclass(frozen=True, slots=True)
class IncidentFilter:
    open_only: bool = False
    phase: Phase | None = None
    severity: Severity | None = None
    exercise: bool | None = None
    # need-to-know: restricted incidents are listed only when ``member`` is among their members,
    # unless ``see_all`` (admins)
    member: str | None = None
    see_all: bool = False
    # only these incidents (None: any); lets a reader that already knows which incidents it
    # needs (the ones with a retro, say) skip loading the rest of a large workspace
    ids: frozenset[uuid.UUID] | None = None
    declared_after: datetime | None = None  # at or after
    limit: int = 100
    offset: int = 0


class IncidentRepository(Protocol):
    def add(self, incident: Incident) -> None: ...

    def get(self, key: str) -> Incident | None: ...

    def get_by_id(self, id: uuid.UUID) -> Incident | None: ...

    def save(self, incident: Incident, *, expected_version: int) -> Incident:
        """Store a changed incident if nobody changed it since ``expected_version``.

        Returns it with its new version; raises ``Conflict`` otherwise.
        """
        ...

    def list(self, where: IncidentFilter) -> list[Incident]: ...

    def count(self, where: IncidentFilter) -> int: ...

    def people_in_role(self, where: IncidentFilter, role: Role) -> set[str]:
        """Who holds ``role`` on the incidents ``where`` selects (its limit does not apply)."""
        ...


class TimelineRepository(Protocol):
    def append(self, incident_id: uuid.UUID, draft: Draft, *, recorded_at: datetime) -> Entry: ...

    def append_many(
        self, incident_id: uuid.UUID, drafts: Sequence[Draft], *, recorded_at: datetime
    ) -> list[Entry]: ...

    def get(self, incident_id: uuid.UUID, seq: int) -> Entry | None: ...

    def list(
        self,
        incident_id: uuid.UUID,
        *,
        after: int = 0,
        limit: int | None = None,
        newest_first: bool = False,
    ) -> list[Entry]: ...

    def count(self, incident_id: uuid.UUID) -> int: ...

    def links(self, incident_id: uuid.UUID) -> Iterator[StoredLink]:
        """Every stored entry, in chain order, as read from storage (for verification)."""
        ...


class TaskRepository(Protocol):
    def add(self, task: Task) -> None: ...

    def get(self, incident_id: uuid.UUID, seq: int) -> Task | None: ...

    def save(self, task: Task) -> None: ...

    def list(self, incident_id: uuid.UUID, *, open_only: bool = False) -> list[Task]: ...

    def next_seq(self, incident_id: uuid.UUID) -> int: ...


class SequenceRepository(Protocol):
    def next(self, name: str) -> int:
        """Atomically take the next number of a named sequence (1, 2, 3 …)."""
        ...


class AuditRepository(Protocol):
    def append(self, draft: AuditDraft) -> AuditRecord: ...

    def list(self, where: AuditFilter) -> list[AuditRecord]: ...

    def count(self) -> int: ...

    def head_seq(self) -> int:
        """The sequence number of the newest record (0 when empty)."""
        ...

    def links(self) -> Iterator[StoredLink]: ...


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...

    def verify(self, password_hash: str, password: str) -> bool: ...

    def needs_rehash(self, password_hash: str) -> bool: ...


class UserRepository(Protocol):
    def add(self, user: User) -> None: ...

    def get(self, username: str) -> User | None: ...

    def get_by_id(self, id: uuid.UUID) -> User | None: ...

    def save(self, user: User) -> None: ...

    def list(self, *, include_inactive: bool = False) -> list[User]: ...

    def count(self) -> int: ...


class SessionRepository(Protocol):
    def add(self, session: Session) -> None: ...

    def get(self, token_hash: str) -> Session | None: ...

    def delete(self, id: uuid.UUID) -> None: ...

    def delete_for_user(self, user_id: uuid.UUID) -> int: ...

    def purge_expired(self, now: datetime) -> int: ...


class TokenRepository(Protocol):
    def add(self, token: ApiToken) -> None: ...

    def get_by_hash(self, token_hash: str) -> ApiToken | None: ...

    def get(self, id: uuid.UUID) -> ApiToken | None: ...

    def list(self, *, user_id: uuid.UUID | None = None) -> list[ApiToken]: ...

    def save(self, token: ApiToken) -> None: ...


class AttemptRepository(Protocol):
    def add(self, attempt: Attempt) -> None: ...

    def recent(self, *, username: str, client: str, since: datetime) -> list[Attempt]: ...


class AttachmentRepository(Protocol):
    def add(self, attachment: Attachment) -> None: ...

    def get(self, id: uuid.UUID) -> Attachment | None: ...

    def get_by_seq(self, incident_id: uuid.UUID, seq: int) -> Attachment | None: ...

    def list(
        self,
        incident_id: uuid.UUID,
        *,
        owner_type: OwnerType | None = None,
        owner_id: str | None = None,
    ) -> list[Attachment]: ...

    def next_seq(self, incident_id: uuid.UUID) -> int: ...

    def purge(self, id: uuid.UUID, *, at: datetime, audit_seq: int, filename: str) -> None:
        """Mark the content removed (retention); the row, its hash and size stay."""
        ...

    def in_use(self, sha256: str) -> bool:
        """Whether any attachment whose content was not purged still refers to this content."""
        ...

    def purged_hashes(self) -> set[str]:
        """Contents of purged attachments (to remove what a crash left behind)."""
        ...


class LegalHoldRepository(Protocol):
    def add(self, hold: LegalHold) -> None: ...

    def active(self, incident_id: uuid.UUID) -> LegalHold | None: ...

    def release(self, hold: LegalHold) -> None: ...

    def list(self, incident_id: uuid.UUID) -> list[LegalHold]: ...


@dataclass(frozen=True, slots=True)
class Tombstone:
    incident_id: uuid.UUID
    purged_at: datetime
    purged_by: str
    policy_years: int
    audit_seq: int
    summary: dict[str, int]


class RedactionRepository(Protocol):
    """Removes content under the retention policy and keeps what verification needs."""

    def redact_timeline(
        self, incident_id: uuid.UUID, *, body: str, data_json: str
    ) -> list[Redaction]: ...

    def redact_audit(
        self, incident_key: str, *, payload_json: str, keep_prefixes: Sequence[str]
    ) -> list[Redaction]: ...

    def scrub_records(self, incident_id: uuid.UUID, *, title: str) -> dict[str, int]:
        """Clear the free text of the incident's own rows (summary, phase reasons, tasks)."""
        ...

    def add(self, redactions: Sequence[Redaction], *, audit_seq: int) -> None: ...

    def for_chain(self, chain: str) -> list[tuple[Redaction, int]]: ...

    def by_audit(self, audit_seq: int) -> list[Redaction]: ...

    def add_tombstone(self, tombstone: Tombstone) -> None: ...

    def tombstone(self, incident_id: uuid.UUID) -> Tombstone | None: ...


class UnitOfWork(Protocol):
    incidents: IncidentRepository
    timeline: TimelineRepository
    tasks: TaskRepository
    sequences: SequenceRepository
    audit: AuditRepository
    users: UserRepository
    sessions: SessionRepository
    tokens: TokenRepository
    attempts: AttemptRepository
    attachments: AttachmentRepository
    holds: LegalHoldRepository
    redactions: RedactionRepository

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self, *, write: bool = False) -> UnitOfWork: ...


@dataclass(frozen=True, slots=True)
class StoredBlob:
    sha256: str
    size: int
    media_type: str  # sniffed from the content's first bytes
    created: bool  # False when the same content was already stored


class BlobStore(Protocol):
    """Write-once, content-addressed file storage (local disk or S3-compatible)."""

    location: str  # the directory or bucket, for messages

    def put(self, stream: BinaryIO, *, max_bytes: int, name: str) -> StoredBlob:
        """Store a stream, hashing it on the way; refuse more than ``max_bytes``.

        Raises ``InvalidInput`` naming ``name`` when the stream is too large; nothing is kept.
        """
        ...

    def open(self, sha256: str) -> BinaryIO:
        """The content, already checked against its hash; ``ContentTampered`` if it is not."""
        ...

    def exists(self, sha256: str) -> bool: ...

    def delete(self, sha256: str) -> None: ...


Json = dict[str, Any]


class LogEngine(Protocol):
    """Scans logs for indicators (``candor.adapters.logs``: DuckDB, Spark, other Ibis backends).

    ``scan`` returns grouped figures, never the raw events; ``matched_events`` then streams the
    matched events of that scan for export.
    """

    name: str

    def unsupported(self, plan: ScanPlan) -> str | None:
        """Why this engine cannot run ``plan``, or None when it can."""
        ...

    def scan(
        self, plan: ScanPlan, progress: Callable[[int, int], None] | None = None
    ) -> ScanAggregates: ...

    def matched_events(self, *, chunk: int = 10_000) -> Iterator[list[dict[str, Any]]]: ...

    def close(self) -> None: ...
