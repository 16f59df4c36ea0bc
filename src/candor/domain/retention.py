"""Legal hold and the retention policy, and how removing content keeps the chains provable.

A **legal hold** on an incident blocks deletion of anything under it until counsel or an admin
releases it; holds are kept with their reasons, never deleted.

The **retention policy** removes the personal data of incidents closed more than ``years`` ago
and not on hold. Personal data can sit in any free text, so every free-text field of the
incident is removed, not only the ones that usually hold it:

* the content of its attachments (file names become ``attachment-N``, notes are cleared; the
  SHA-256, size and type stay, so someone holding a copy can still prove what it was);
* its title (replaced) and summary, its tasks' titles and notes;
* the bodies and data of its timeline entries;
* the before/after snapshots and free-text details of its audit records.

What stays: the key, kind, severity, phases and legal-clock times, who held which role, every
hash, and the chains themselves.

**Redaction and the hash chains.** The timeline and the audit log are hash chains; replacing an
entry's content would look exactly like tampering. So a redacted entry keeps its stored
*original* content hash (which still links the chain) and its new content is written to a fixed
placeholder. For each redacted entry a ``Redaction`` records the chain, the sequence number, the
original content hash and the hash of the placeholder content; one audit record
(``retention.purge``) carries the digest of all of them. Verification accepts a content mismatch
only when a redaction vouched for by that audit record names exactly the present content, and
reports the entry as "redacted under retention policy (audit #N)". Any other edit, including an
edit to a redacted entry, is still reported as tampering; a forged redaction needs a forged audit
record, which breaks the audit chain.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from candor.domain import chain
from candor.domain.access import Actor, OrgRole
from candor.domain.errors import Conflict, InvalidInput, PermissionDenied, Problem
from candor.domain.incidents import Incident

REASON_MAX = 2_000
DEFAULT_YEARS = 7
AUDIT_CHAIN = "audit"
REDACTED_BODY = "[removed under the retention policy]"
REDACTED_JSON = chain.canonical_json({"removed": "retention policy"})


def timeline_chain(incident_id: uuid.UUID) -> str:
    """The name a redaction gives an incident's timeline chain."""
    return f"timeline:{incident_id.hex}"


@dataclass(frozen=True, slots=True)
class LegalHold:
    id: uuid.UUID
    incident_id: uuid.UUID
    placed_at: datetime
    placed_by: str
    reason: str
    released_at: datetime | None = None
    released_by: str | None = None
    release_reason: str | None = None

    @property
    def active(self) -> bool:
        return self.released_at is None


def require_hold_authority(actor: Actor) -> None:
    if actor.is_admin or (actor.role is OrgRole.COUNSEL and actor.can_write):
        return
    raise PermissionDenied(
        f"{actor.username} ({actor.role.value}) may not place or release a legal hold; "
        "counsel or an administrator may"
    )


def check_reason(reason: str, *, field: str = "reason") -> str:
    text = reason.strip()
    if not text:
        raise InvalidInput(Problem("a legal hold needs a reason", field=field))
    if len(text) > REASON_MAX:
        raise InvalidInput(
            Problem(f"is {len(text)} characters long; at most {REASON_MAX} allowed", field=field)
        )
    return text


def require_not_held(incident: Incident, hold: LegalHold | None, *, what: str) -> None:
    """Refuse a deletion under an active hold; the error names the hold so it can be found."""
    if hold is not None and hold.active:
        raise Conflict(
            f"{incident.key} is under legal hold since {hold.placed_at:%Y-%m-%d} "
            f"(placed by {hold.placed_by}: {hold.reason}); {what} is not allowed until it is "
            "released"
        )


@dataclass(frozen=True, slots=True)
class Policy:
    years: int = DEFAULT_YEARS

    def __post_init__(self) -> None:
        if not 1 <= self.years <= 100:
            raise InvalidInput(Problem("must be between 1 and 100", field="retention.years"))


def expires_at(closed_at: datetime, years: int) -> datetime:
    """``years`` calendar years after closing (29 February closes on 28 February)."""
    try:
        return closed_at.replace(year=closed_at.year + years)
    except ValueError:
        return closed_at.replace(year=closed_at.year + years, day=28)


@dataclass(frozen=True, slots=True)
class Candidate:
    """One closed incident and what the policy says about it today."""

    key: str
    incident_id: uuid.UUID
    closed_at: datetime
    expires_at: datetime
    hold: LegalHold | None

    @property
    def held(self) -> bool:
        return self.hold is not None and self.hold.active


def candidate(
    incident: Incident, policy: Policy, hold: LegalHold | None, *, now: datetime
) -> Candidate | None:
    """The incident if its retention period has run out (held or not), else None."""
    closed = incident.closed_at
    if closed is None:
        return None
    due = expires_at(closed, policy.years)
    if due > now:
        return None
    return Candidate(incident.key, incident.id, closed, due, hold)


@dataclass(frozen=True, slots=True)
class Redaction:
    chain: str  # AUDIT_CHAIN or timeline_chain(incident id)
    seq: int
    original_hash: str  # the content hash stored in the entry, still linking the chain
    redacted_hash: str  # the hash of the placeholder content written in its place


def digest(redactions: Iterable[Redaction]) -> str:
    """One hash over a purge's redactions, kept in its audit record so none can be added later."""
    pieces = sorted((r.chain, r.seq, r.original_hash, r.redacted_hash) for r in redactions)
    hasher = hashlib.sha256()
    for piece in pieces:
        hasher.update(chain.encode(piece))
        hasher.update(b"\n")
    return hasher.hexdigest()


def redacted_title(incident: Incident) -> str:
    return f"{incident.key} (content removed under the retention policy)"
