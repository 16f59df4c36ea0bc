"""Obligations tracked in an incident: what the engine computed, and what was done about it.

Each obligation (one rule applied to one jurisdiction) gets a number in its incident the first
time the engine produces it, and keeps it: when the facts change it may move its deadline,
change its status, drop out (kept, marked no longer triggered, with the reason) and come back.

Tracking states::

    pending ──file──▶ filed
       │
       └──propose not required──▶ not_required_proposed ──approve (counsel)──▶ not_required
                                          │
                                          └──reject (counsel)──▶ pending

A not-required determination is a written statement anyone who may change the incident can
propose; only a user with the counsel role can approve it (or reject it), so it is a legal
decision taken by counsel, not by the tool or by the responders.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from candor.domain.access import Actor, OrgRole
from candor.domain.errors import Conflict, InvalidInput, PermissionDenied, Problem
from candor.domain.obligations.incident_facts import Filed
from candor.domain.obligations.results import Finding, iso_utc
from candor.domain.obligations.vocabulary import RuleKind, Status
from candor.domain.vocabulary import require_aware

TEXT_MAX = 20_000
REFERENCE_MAX = 500


class Tracking(StrEnum):
    PENDING = "pending"
    FILED = "filed"
    NOT_REQUIRED_PROPOSED = "not_required_proposed"
    NOT_REQUIRED = "not_required"

    @property
    def is_open(self) -> bool:
        return self in (Tracking.PENDING, Tracking.NOT_REQUIRED_PROPOSED)


@dataclass(frozen=True, slots=True)
class Computed:
    """What the engine said about one obligation, as stored."""

    rule_id: str
    jurisdiction: str
    kind: str  # notice | assessment | record
    regime: str
    recipient_category: str | None
    recipient: str
    status: Status
    deadline: datetime | None
    deadline_rule: str
    trigger: str | None
    trigger_at: datetime | None
    citation: str
    law: str
    verified: bool
    unverified: tuple[str, ...]
    last_reviewed: date
    rule_effective_from: date | None  # which version of the rule applied
    zone: str  # the jurisdiction's time zone
    per_place: bool
    detail: Mapping[str, Any]  # the engine's whole output for it (docs/obligations.md)

    @classmethod
    def of(cls, finding: Finding, *, organization_zone: str) -> Computed:
        rule = finding.rule
        return cls(
            rule_id=rule.id,
            jurisdiction=finding.jurisdiction,
            kind=rule.kind.value,
            regime=rule.regime,
            recipient_category=rule.recipient_category.value if rule.recipient_category else None,
            recipient=rule.recipient,
            status=finding.status,
            deadline=finding.deadline,
            deadline_rule=finding.deadline_rule,
            trigger=finding.trigger,
            trigger_at=finding.trigger_at,
            citation=rule.citation,
            law=rule.law,
            verified=rule.verified,
            unverified=rule.unverified,
            last_reviewed=rule.last_reviewed,
            rule_effective_from=rule.effective_from,
            zone=finding.zone,
            per_place=bool(rule.for_each),
            detail=finding.as_dict(organization_zone=organization_zone),
        )

    @property
    def retention(self) -> bool:
        """A record-keeping duty: its "deadline" is how long to keep the record, not a date by
        which to act, so it is never reminded or overdue."""
        return self.kind == RuleKind.RECORD.value

    @property
    def identity(self) -> tuple[str, str]:
        return (self.rule_id, self.jurisdiction)

    @property
    def label(self) -> str:
        return f"{self.recipient} ({self.rule_id}, {self.jurisdiction})"


@dataclass(frozen=True, slots=True)
class Filing:
    at: datetime  # when the notice was given
    by: str  # who records it
    reference: str  # confirmation number, letter reference, portal receipt …
    attachment: str  # where the evidence is (an attachment id, a document link), optional
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class Determination:
    """A written not-required determination and what counsel did with it."""

    text: str
    proposed_by: str
    proposed_at: datetime
    approved_by: str | None = None
    approved_at: datetime | None = None
    rejected_by: str | None = None
    rejected_at: datetime | None = None
    rejection: str = ""


@dataclass(frozen=True, slots=True)
class TrackedObligation:
    id: uuid.UUID
    incident_id: uuid.UUID
    seq: int
    computed: Computed
    state: Tracking
    active: bool  # produced by the latest evaluation; False: no longer triggered
    first_computed_at: datetime
    updated_at: datetime
    filing: Filing | None = None
    determination: Determination | None = None
    removed_reason: str = ""

    @property
    def is_open(self) -> bool:
        """Still to be done: triggered now, neither filed nor determined not required."""
        return self.active and self.state.is_open

    @property
    def deadline(self) -> datetime | None:
        return self.computed.deadline

    def overdue(self, now: datetime) -> bool:
        if self.computed.retention:
            return False
        return self.is_open and self.deadline is not None and self.deadline < now

    def as_filed(self) -> Filed | None:
        if self.state is not Tracking.FILED or self.filing is None:
            return None
        c = self.computed
        return Filed(
            c.rule_id, c.jurisdiction, c.recipient_category, c.per_place, self.filing.at, self.seq
        )


def filed(obligations: Iterable[TrackedObligation]) -> list[Filed]:
    return [f for o in obligations if (f := o.as_filed()) is not None]


# ---- tracking -----------------------------------------------------------------------------------


def _text(value: str, *, field: str, maximum: int, required: bool = True) -> str:
    text = value.strip()
    if required and not text:
        raise InvalidInput(Problem("must not be empty", field=field))
    if len(text) > maximum:
        raise InvalidInput(
            Problem(f"is {len(text)} characters long; at most {maximum} allowed", field=field)
        )
    if "\x00" in text:
        raise InvalidInput(Problem("contains a NUL character", field=field))
    return text


def _require_active(ob: TrackedObligation) -> None:
    if not ob.active:
        raise Conflict(
            f"obligation #{ob.seq} is no longer triggered ({ob.removed_reason}); "
            "there is nothing to track"
        )


def file(
    ob: TrackedObligation,
    *,
    at: datetime,
    by: str,
    reference: str,
    attachment: str = "",
    now: datetime,
) -> TrackedObligation:
    """Record that the notice was given (or the duty done)."""
    now = require_aware(now, field="now")
    at = require_aware(at, field="filed_at")
    _require_active(ob)
    if ob.state is Tracking.FILED:
        assert ob.filing is not None
        raise Conflict(
            f"obligation #{ob.seq} was already recorded as filed at {iso_utc(ob.filing.at)} "
            f"by {ob.filing.by}"
        )
    if ob.state is Tracking.NOT_REQUIRED:
        raise Conflict(f"counsel determined obligation #{ob.seq} not required")
    if at > now:
        raise InvalidInput(
            Problem("is in the future; record a notice once it was given", field="filed_at")
        )
    filing = Filing(
        at=at,
        by=by,
        reference=_text(reference, field="reference", maximum=REFERENCE_MAX),
        attachment=_text(attachment, field="attachment", maximum=REFERENCE_MAX, required=False),
        recorded_at=now,
    )
    return replace(ob, state=Tracking.FILED, filing=filing, updated_at=now)


def propose_not_required(
    ob: TrackedObligation, *, text: str, by: str, now: datetime
) -> TrackedObligation:
    now = require_aware(now, field="now")
    _require_active(ob)
    if ob.state is not Tracking.PENDING:
        raise Conflict(f"obligation #{ob.seq} is {ob.state.value.replace('_', ' ')}, not pending")
    determination = Determination(
        text=_text(text, field="determination", maximum=TEXT_MAX), proposed_by=by, proposed_at=now
    )
    return replace(
        ob, state=Tracking.NOT_REQUIRED_PROPOSED, determination=determination, updated_at=now
    )


def require_counsel(actor: Actor, what: str) -> None:
    if actor.role is not OrgRole.COUNSEL:
        raise PermissionDenied(
            f"{actor.username} ({actor.role.value}) may not {what}: only a user with the "
            "counsel role decides that an obligation is not required"
        )


def _proposed(ob: TrackedObligation) -> Determination:
    _require_active(ob)
    if ob.state is not Tracking.NOT_REQUIRED_PROPOSED or ob.determination is None:
        raise Conflict(f"obligation #{ob.seq} has no not-required determination to decide")
    return ob.determination


def approve_not_required(
    ob: TrackedObligation, actor: Actor, *, now: datetime
) -> TrackedObligation:
    require_counsel(actor, "approve a not-required determination")
    now = require_aware(now, field="now")
    determination = replace(_proposed(ob), approved_by=actor.username, approved_at=now)
    return replace(ob, state=Tracking.NOT_REQUIRED, determination=determination, updated_at=now)


def reject_not_required(
    ob: TrackedObligation, actor: Actor, *, reason: str, now: datetime
) -> TrackedObligation:
    require_counsel(actor, "reject a not-required determination")
    now = require_aware(now, field="now")
    determination = replace(
        _proposed(ob),
        rejected_by=actor.username,
        rejected_at=now,
        rejection=_text(reason, field="reason", maximum=TEXT_MAX),
    )
    return replace(ob, state=Tracking.PENDING, determination=determination, updated_at=now)


def find(obligations: Sequence[TrackedObligation], handle: str) -> TrackedObligation | None:
    """An obligation by number (``3`` or ``#3``) or rule id (``us-ca-individuals``, with
    ``@US-CA`` when the rule applies in several places)."""
    text = handle.strip().removeprefix("#")
    if text.isdigit():
        return next((o for o in obligations if o.seq == int(text)), None)
    rule, _, place = text.partition("@")
    matches = [
        o
        for o in obligations
        if o.computed.rule_id == rule and (not place or o.computed.jurisdiction == place.upper())
    ]
    if len(matches) > 1:
        places = ", ".join(f"{rule}@{o.computed.jurisdiction}" for o in matches)
        raise InvalidInput(
            Problem(f"{rule} applies in several places; name one: {places}", field="obligation")
        )
    return matches[0] if matches else None
