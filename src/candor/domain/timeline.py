"""The append-only timeline of an incident.

Entries are never edited or deleted. A mistake is fixed by a new entry that ``corrects`` the old
one; both stay visible. Each entry is sealed into the incident's hash chain (see ``chain``).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from candor.domain import chain
from candor.domain.errors import InvalidInput, Problem
from candor.domain.vocabulary import parse_enum, require_aware

BODY_MAX = 50_000


class EntryKind(StrEnum):
    NOTE = "note"
    FINDING = "finding"
    DECISION = "decision"
    ACTION = "action"
    STATUS_CHANGE = "status_change"
    ROLE_CHANGE = "role_change"
    COMMUNICATION = "communication"
    TRIAGE = "triage"
    IMPACT = "impact"
    OBLIGATION = "obligation"
    SCOPE = "scope"
    EVIDENCE = "evidence"
    TASK = "task"
    INJECT = "inject"
    STATUS_REPORT = "status_report"
    CORRECTION = "correction"
    SYSTEM = "system"


# Kinds a person writes by hand; the rest are written by Candor when something happens.
MANUAL_KINDS: tuple[EntryKind, ...] = (
    EntryKind.NOTE,
    EntryKind.FINDING,
    EntryKind.DECISION,
    EntryKind.ACTION,
    EntryKind.COMMUNICATION,
    EntryKind.EVIDENCE,
)


@dataclass(frozen=True, slots=True)
class Draft:
    """What a caller asks to append; storage gives it a place in the chain."""

    kind: EntryKind
    author: str
    occurred_at: datetime
    body: str
    data: Mapping[str, Any] = field(default_factory=dict)
    corrects: int | None = None


@dataclass(frozen=True, slots=True)
class Entry:
    id: uuid.UUID
    incident_id: uuid.UUID
    seq: int
    kind: EntryKind
    author: str
    occurred_at: datetime
    recorded_at: datetime
    body: str
    data_json: str
    corrects: int | None
    content_hash: str
    prev_hash: str
    hash: str

    @property
    def data(self) -> Any:
        return json.loads(self.data_json)


def draft(
    *,
    kind: EntryKind | str,
    author: str,
    occurred_at: datetime,
    body: str,
    data: Mapping[str, Any] | None = None,
    corrects: int | None = None,
) -> Draft:
    entry_kind = parse_enum(EntryKind, kind, field="kind")
    text = body.strip()
    if not text:
        raise InvalidInput(Problem("must not be empty", field="body"))
    if len(text) > BODY_MAX:
        raise InvalidInput(
            Problem(f"is {len(text)} characters long; at most {BODY_MAX} allowed", field="body")
        )
    if "\x00" in text:
        raise InvalidInput(Problem("contains a NUL character", field="body"))
    if corrects is not None and corrects < 1:
        raise InvalidInput(Problem("must name an existing entry number", field="corrects"))
    if corrects is not None:
        entry_kind = EntryKind.CORRECTION
    return Draft(
        kind=entry_kind,
        author=author,
        occurred_at=require_aware(occurred_at, field="occurred_at"),
        body=text,
        data=dict(data or {}),
        corrects=corrects,
    )


def hashed_fields(
    *,
    id: uuid.UUID | str,
    incident_id: uuid.UUID | str,
    seq: int,
    kind: str,
    author: str,
    occurred_at: datetime | str,
    recorded_at: datetime | str,
    body: str,
    data_json: str,
    corrects: int | None,
) -> tuple[chain.Field, ...]:
    return (
        id.hex if isinstance(id, uuid.UUID) else id,
        incident_id.hex if isinstance(incident_id, uuid.UUID) else incident_id,
        seq,
        str(kind),
        author,
        chain.canonical_instant(occurred_at),
        chain.canonical_instant(recorded_at),
        body,
        data_json,
        corrects,
    )


def seal(
    new: Draft,
    *,
    id: uuid.UUID,
    incident_id: uuid.UUID,
    seq: int,
    prev_hash: str,
    recorded_at: datetime,
) -> Entry:
    """Give a draft its place in the chain (called by storage, which knows the previous hash)."""
    recorded_at = require_aware(recorded_at, field="recorded_at")
    data_json = chain.canonical_json(dict(new.data))
    sealed = chain.seal(
        prev_hash,
        hashed_fields(
            id=id,
            incident_id=incident_id,
            seq=seq,
            kind=new.kind.value,
            author=new.author,
            occurred_at=new.occurred_at,
            recorded_at=recorded_at,
            body=new.body,
            data_json=data_json,
            corrects=new.corrects,
        ),
    )
    return Entry(
        id=id,
        incident_id=incident_id,
        seq=seq,
        kind=new.kind,
        author=new.author,
        occurred_at=new.occurred_at,
        recorded_at=recorded_at,
        body=new.body,
        data_json=data_json,
        corrects=new.corrects,
        content_hash=sealed.content_hash,
        prev_hash=sealed.prev_hash,
        hash=sealed.hash,
    )
