"""Recomputing an incident's obligations: a new evaluation merged into the tracked ones.

Numbers and tracking are kept whatever the engine now says (they record what people did); the
difference — new, no longer triggered (with the engine's reason), triggered again, deadline
moved, status changed, rule changed — is returned for the timeline.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from candor.domain.obligations.results import Evaluation, iso_utc
from candor.domain.obligations.tracking import Computed, TrackedObligation, Tracking
from candor.domain.vocabulary import require_aware


class ChangeKind(StrEnum):
    ADDED = "added"
    RETURNED = "returned"  # triggered again after having dropped out
    REMOVED = "removed"
    DEADLINE_MOVED = "deadline_moved"
    STATUS_CHANGED = "status_changed"
    RULE_CHANGED = "rule_changed"  # another version of the rule, or a new review date


@dataclass(frozen=True, slots=True)
class ObligationChange:
    kind: ChangeKind
    seq: int
    rule_id: str
    jurisdiction: str
    label: str
    before: str | None = None
    after: str | None = None
    note: str = ""

    def describe(self) -> str:
        what = {
            ChangeKind.ADDED: "new",
            ChangeKind.RETURNED: "triggered again",
            ChangeKind.REMOVED: "no longer triggered",
            ChangeKind.DEADLINE_MOVED: "deadline moved",
            ChangeKind.STATUS_CHANGED: "status changed",
            ChangeKind.RULE_CHANGED: "rule changed",
        }[self.kind]
        text = f"#{self.seq} {self.label}: {what}"
        if self.before is not None:
            text += f", {self.before} → {self.after or '—'}"
        elif self.after:
            text += f", {self.after}"
        return text + (f" ({self.note})" if self.note else "")

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "seq": self.seq,
            "rule_id": self.rule_id,
            "jurisdiction": self.jurisdiction,
            "obligation": self.label,
            "before": self.before,
            "after": self.after,
            "note": self.note,
        }


@dataclass(frozen=True, slots=True)
class Reconciled:
    obligations: tuple[TrackedObligation, ...]  # every obligation of the incident, by number
    new: tuple[TrackedObligation, ...]  # to insert
    updated: tuple[TrackedObligation, ...]  # to save
    changes: tuple[ObligationChange, ...]


def _who(c: Computed) -> tuple[str, str, str]:
    return (c.rule_id, c.jurisdiction, c.label)


def _due(moment: datetime | None) -> str:
    return iso_utc(moment) or "no fixed deadline"


def _summary(c: Computed) -> str:
    due = f"due {iso_utc(c.deadline)}" if c.deadline else "no fixed deadline"
    return f"{c.status.value}, {due}"


def reconcile(
    existing: Sequence[TrackedObligation],
    evaluation: Evaluation,
    *,
    incident_id: uuid.UUID,
    now: datetime,
    new_id: Callable[[], uuid.UUID],
) -> Reconciled:
    """Merge a new evaluation into an incident's tracked obligations. Tracking (filed, not
    required) is kept whatever the engine now says: it records what people did."""
    now = require_aware(now, field="now")
    zone = evaluation.organization_zone
    found = {
        (f.rule.id, f.jurisdiction): Computed.of(f, organization_zone=zone)
        for f in (*evaluation.obligations, *evaluation.duties)
    }
    by_identity = {o.computed.identity: o for o in existing}
    next_seq = max((o.seq for o in existing), default=0) + 1
    new: list[TrackedObligation] = []
    updated: list[TrackedObligation] = []
    changes: list[ObligationChange] = []
    for identity, computed in found.items():
        old = by_identity.get(identity)
        if old is None:
            made = TrackedObligation(
                id=new_id(),
                incident_id=incident_id,
                seq=next_seq,
                computed=computed,
                state=Tracking.PENDING,
                active=True,
                first_computed_at=now,
                updated_at=now,
            )
            next_seq += 1
            new.append(made)
            changes.append(
                ObligationChange(
                    ChangeKind.ADDED, made.seq, *_who(computed), after=_summary(computed)
                )
            )
            continue
        notes = _compare(old, computed, changes)
        if not old.active:
            changes.append(
                ObligationChange(
                    ChangeKind.RETURNED, old.seq, *_who(computed), after=_summary(computed)
                )
            )
        if notes or not old.active or old.computed != computed:
            updated.append(
                replace(old, computed=computed, active=True, removed_reason="", updated_at=now)
            )
    reasons = {(s.rule.id, s.jurisdiction): s.reason for s in evaluation.not_triggered}
    by_rule = {s.rule.id: s.reason for s in evaluation.not_triggered}
    for identity, old in by_identity.items():
        if identity in found or not old.active:
            continue
        reason = reasons.get(identity) or by_rule.get(identity[0]) or "the rules no longer apply"
        updated.append(replace(old, active=False, removed_reason=reason, updated_at=now))
        changes.append(
            ObligationChange(ChangeKind.REMOVED, old.seq, *_who(old.computed), note=reason)
        )
    merged = {o.id: o for o in existing}
    merged.update({o.id: o for o in (*new, *updated)})
    return Reconciled(
        obligations=tuple(sorted(merged.values(), key=lambda o: o.seq)),
        new=tuple(new),
        updated=tuple(updated),
        changes=tuple(sorted(changes, key=lambda c: c.seq)),
    )


def _compare(old: TrackedObligation, computed: Computed, changes: list[ObligationChange]) -> bool:
    before = old.computed
    who = _who(computed)
    changed = False
    if before.deadline != computed.deadline:
        changes.append(
            ObligationChange(
                ChangeKind.DEADLINE_MOVED,
                old.seq,
                *who,
                _due(before.deadline),
                _due(computed.deadline),
            )
        )
        changed = True
    if before.status is not computed.status:
        note = ""
        if old.state is Tracking.NOT_REQUIRED:
            note = "counsel determined it not required under the earlier status: review that"
        changes.append(
            ObligationChange(
                ChangeKind.STATUS_CHANGED,
                old.seq,
                *who,
                before.status.value,
                computed.status.value,
                note,
            )
        )
        changed = True
    if (before.rule_effective_from, before.last_reviewed, before.citation, before.verified) != (
        computed.rule_effective_from,
        computed.last_reviewed,
        computed.citation,
        computed.verified,
    ):
        changes.append(
            ObligationChange(
                ChangeKind.RULE_CHANGED,
                old.seq,
                *who,
                f"reviewed {before.last_reviewed.isoformat()}",
                f"reviewed {computed.last_reviewed.isoformat()}",
            )
        )
        changed = True
    return changed
