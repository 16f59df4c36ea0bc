"""The audit log: every change, who made it, when, and what it was before and after.

One hash chain for the whole workspace (see ``chain``). Sign-ins, failed sign-ins, exports and
downloads are recorded too, so the log is also the chain of custody for evidence.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from candor.domain import chain
from candor.domain.vocabulary import require_aware


@dataclass(frozen=True, slots=True)
class AuditDraft:
    at: datetime
    actor: str
    action: str  # dotted verb: "incident.declare", "user.signin_failed", "timeline.append"
    target_type: str  # "incident", "user", "token", "timeline_entry" …
    target_id: str
    incident_key: str | None = None
    before: Mapping[str, Any] | None = None
    after: Mapping[str, Any] | None = None
    detail: str = ""  # free text: the reason given, the client address …


@dataclass(frozen=True, slots=True)
class AuditRecord:
    seq: int
    at: datetime
    actor: str
    action: str
    target_type: str
    target_id: str
    incident_key: str | None
    before_json: str | None
    after_json: str | None
    detail: str
    content_hash: str
    prev_hash: str
    hash: str


def hashed_fields(
    *,
    seq: int,
    at: datetime | str,
    actor: str,
    action: str,
    target_type: str,
    target_id: str,
    incident_key: str | None,
    before_json: str | None,
    after_json: str | None,
    detail: str,
) -> tuple[chain.Field, ...]:
    return (
        seq,
        chain.canonical_instant(at),
        actor,
        action,
        target_type,
        target_id,
        incident_key,
        before_json,
        after_json,
        detail,
    )


def seal(draft: AuditDraft, *, seq: int, prev_hash: str) -> AuditRecord:
    at = require_aware(draft.at, field="at")
    before_json = chain.canonical_json(dict(draft.before)) if draft.before is not None else None
    after_json = chain.canonical_json(dict(draft.after)) if draft.after is not None else None
    sealed = chain.seal(
        prev_hash,
        hashed_fields(
            seq=seq,
            at=at,
            actor=draft.actor,
            action=draft.action,
            target_type=draft.target_type,
            target_id=draft.target_id,
            incident_key=draft.incident_key,
            before_json=before_json,
            after_json=after_json,
            detail=draft.detail,
        ),
    )
    return AuditRecord(
        seq=seq,
        at=at,
        actor=draft.actor,
        action=draft.action,
        target_type=draft.target_type,
        target_id=draft.target_id,
        incident_key=draft.incident_key,
        before_json=before_json,
        after_json=after_json,
        detail=draft.detail,
        content_hash=sealed.content_hash,
        prev_hash=sealed.prev_hash,
        hash=sealed.hash,
    )


@dataclass(frozen=True, slots=True)
class AuditFilter:
    actor: str | None = None
    action_prefix: str | None = None
    incident_key: str | None = None
    target_type: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 200
    before_seq: int | None = None  # page backwards from here
    extra: Mapping[str, Any] = field(default_factory=dict)
