"""Response metrics: how fast we moved in one incident, and how we are doing across incidents.

Definitions (also in ``docs/learn.md``):

    time to detect        detected_at − first attacker activity (only when that is known)
    time to declare       declared_at − detected_at
    time to assign lead   first incident-lead assignment − declared_at
    time to contain       contained_at − declared_at (contained: the first move past containment)
    time to first customer communication
                          first message to customers, the public or affected people − declared_at

An obligation is *met* when filed by its deadline, *missed* when filed late or not filed with the
deadline past, *pending* while open and due in the future; the margin is deadline − filed_at (or
deadline − now while unfiled): positive means time to spare, negative means late by that much.

Across incidents: the median and the 90th percentile (nearest rank: an observed value, so a
small sample never reports a time no incident had). Exercises are left out unless asked for:
practice runs would flatter or spoil the real figures.
"""

from __future__ import annotations

import math
import re
import statistics
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from candor.domain.incidents import Clock, Incident
from candor.domain.milestones import (
    Communication,
    ObligationRecord,
    contained_at,
    first_customer_communication,
    lead_assigned_at,
)
from candor.domain.retros import ActionItem, Retro
from candor.domain.timeline import Entry
from candor.domain.vocabulary import require_aware


class Measure(StrEnum):
    TIME_TO_DETECT = "time_to_detect"
    TIME_TO_DECLARE = "time_to_declare"
    TIME_TO_ASSIGN_LEAD = "time_to_assign_lead"
    TIME_TO_CONTAIN = "time_to_contain"
    TIME_TO_FIRST_CUSTOMER_COMMUNICATION = "time_to_first_customer_communication"


MEASURE_LABELS: dict[Measure, str] = {
    Measure.TIME_TO_DETECT: "Time to detect",
    Measure.TIME_TO_DECLARE: "Time to declare",
    Measure.TIME_TO_ASSIGN_LEAD: "Time to assign a lead",
    Measure.TIME_TO_CONTAIN: "Time to contain",
    Measure.TIME_TO_FIRST_CUSTOMER_COMMUNICATION: "Time to first customer communication",
}


class ObligationState(StrEnum):
    MET = "met"
    MISSED = "missed"
    PENDING = "pending"
    NOT_REQUIRED = "not_required"
    NO_DEADLINE = "no_deadline"


@dataclass(frozen=True, slots=True)
class Span:
    start: datetime
    end: datetime

    @property
    def duration(self) -> timedelta:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class ObligationResult:
    name: str
    recipient: str
    state: ObligationState
    deadline: datetime | None
    filed_at: datetime | None
    margin: timedelta | None  # deadline − filed (or − now); negative: late by that much


@dataclass(frozen=True, slots=True)
class IncidentMetrics:
    incident_id: uuid.UUID
    key: str
    exercise: bool
    spans: dict[Measure, Span]
    obligations: tuple[ObligationResult, ...]

    def duration(self, measure: Measure) -> timedelta | None:
        span = self.spans.get(measure)
        return span.duration if span else None


def _span(start: datetime | None, end: datetime | None) -> Span | None:
    if start is None or end is None:
        return None
    return Span(start, end)


def obligation_result(obligation: ObligationRecord, *, now: datetime) -> ObligationResult:
    now = require_aware(now, field="now")
    state: ObligationState
    margin: timedelta | None = None
    deadline, filed = obligation.deadline, obligation.filed_at
    if obligation.not_required:
        state = ObligationState.NOT_REQUIRED
    elif deadline is None:
        state = ObligationState.NO_DEADLINE
    elif filed is not None:
        margin = deadline - filed
        state = ObligationState.MET if filed <= deadline else ObligationState.MISSED
    else:
        margin = deadline - now
        state = ObligationState.PENDING if now <= deadline else ObligationState.MISSED
    return ObligationResult(obligation.name, obligation.recipient, state, deadline, filed, margin)


def incident_metrics(
    incident: Incident,
    entries: Sequence[Entry] = (),
    *,
    now: datetime,
    first_activity_at: datetime | None = None,
    communications: Iterable[Communication] = (),
    obligations: Iterable[ObligationRecord] = (),
) -> IncidentMetrics:
    """The metrics of one incident; a measure whose two ends are not both known is left out
    rather than guessed."""
    now = require_aware(now, field="now")
    if first_activity_at is not None:
        first_activity_at = require_aware(first_activity_at, field="first_activity_at")
    detected = incident.clock(Clock.DETECTED_AT)
    declared = incident.declared_at
    candidates = {
        Measure.TIME_TO_DETECT: _span(first_activity_at, detected),
        Measure.TIME_TO_DECLARE: _span(detected, declared),
        Measure.TIME_TO_ASSIGN_LEAD: _span(declared, lead_assigned_at(incident, entries)),
        Measure.TIME_TO_CONTAIN: _span(declared, contained_at(incident)),
        Measure.TIME_TO_FIRST_CUSTOMER_COMMUNICATION: _span(
            declared, first_customer_communication(communications)
        ),
    }
    spans = {m: s for m, s in candidates.items() if s is not None}
    return IncidentMetrics(
        incident_id=incident.id,
        key=incident.key,
        exercise=incident.exercise,
        spans=spans,
        obligations=tuple(obligation_result(o, now=now) for o in obligations),
    )


@dataclass(frozen=True, slots=True)
class Summary:
    measure: Measure
    count: int
    median: timedelta
    p90: timedelta


def nearest_rank(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile: the smallest observed value with at least ``fraction`` of
    the values at or below it."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def summarise(
    metrics: Iterable[IncidentMetrics], *, include_exercises: bool = False
) -> list[Summary]:
    """Median and 90th percentile of each measure over the incidents that have it."""
    chosen = [m for m in metrics if include_exercises or not m.exercise]
    out: list[Summary] = []
    for measure in Measure:
        seconds = [d.total_seconds() for m in chosen if (d := m.duration(measure)) is not None]
        if not seconds:
            continue
        out.append(
            Summary(
                measure,
                len(seconds),
                timedelta(seconds=statistics.median(seconds)),
                timedelta(seconds=nearest_rank(seconds, 0.9)),
            )
        )
    return out


@dataclass(frozen=True, slots=True)
class OverdueItem:
    incident_key: str
    item: ActionItem
    days_overdue: int


def overdue_action_items(retros: Iterable[Retro], *, now: datetime) -> list[OverdueItem]:
    """Open action items past their due date, most overdue first."""
    now = require_aware(now, field="now")
    out = [
        OverdueItem(r.incident_key, a, (now.date() - a.due_on).days)
        for r in retros
        for a in r.action_items
        if a.is_overdue(now) and a.due_on is not None
    ]
    return sorted(out, key=lambda o: (-o.days_overdue, o.incident_key, o.item.seq))


_FILLER = re.compile(
    r"^(?:because\s+|since\s+|as\s+)?(?:(?:there\s+(?:was|were|is|are))\s+|we\s+(?:had|have)\s+)?",
)
_ARTICLES = re.compile(r"\b(?:a|an|the|our|any)\b")


def normalise_cause(text: str) -> str:
    """Fold the wording of a cause so the same cause written twice is counted once: lower case,
    no punctuation, no leading 'because' / 'there was', no articles."""
    folded = text.lower().strip()
    folded = re.sub(r"[^\w\s]", " ", folded)
    folded = re.sub(r"\s+", " ", folded).strip()
    folded = _FILLER.sub("", folded)
    folded = _ARTICLES.sub(" ", folded)
    return re.sub(r"\s+", " ", folded).strip()


@dataclass(frozen=True, slots=True)
class RecurringCause:
    cause: str  # normalised
    examples: tuple[str, ...]  # as written, one per chain
    incident_keys: tuple[str, ...]

    @property
    def count(self) -> int:
        return len(self.incident_keys)


def recurring_root_causes(retros: Iterable[Retro], *, minimum: int = 2) -> list[RecurringCause]:
    """Root causes (the last answer of each chain) that appear in ``minimum`` or more incidents,
    most frequent first. A cause repeated within one retro counts once: it is one incident."""
    seen: dict[str, tuple[list[str], list[str]]] = {}
    for retro in retros:
        for cause in retro.root_causes:
            key = normalise_cause(cause)
            if not key:
                continue
            examples, keys = seen.setdefault(key, ([], []))
            if retro.incident_key not in keys:
                keys.append(retro.incident_key)
                examples.append(cause)
    out = [
        RecurringCause(cause, tuple(examples), tuple(keys))
        for cause, (examples, keys) in seen.items()
        if len(keys) >= minimum
    ]
    return sorted(out, key=lambda r: (-r.count, r.cause))
