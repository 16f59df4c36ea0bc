"""Tabletop exercises: a scenario run on the real workflow, and the after-action report.

An exercise owns one *exercise incident* (``Incident.exercise`` is set, so nothing is ever sent
outside: the communications outbox keeps its messages in the sandbox). The facilitator releases
the scenario's injects one by one; participants work the incident as they would a real one and
record their decisions on its timeline. The report then compares what the record shows with what
the scenario expected, and when.

What can be observed comes from two places. The incident and its timeline show roles, phases,
classification, legal-clock times, playbooks and decisions. Impact statements, obligations and
customer notices are kept by their own features, read through ``Observation`` values a port
supplies; until such a feature exists its expectations are *not measured* and left out of the
score (never counted as met or missed) unless participants recorded a decision that says they did
it (``meets``), which the report shows as recorded by hand.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from candor.domain.errors import Conflict, InvalidInput, Problem
from candor.domain.incidents import Incident, warnings
from candor.domain.lifecycle import ACTIVE_ORDER, Phase
from candor.domain.scenarios import Expectation, ExpectationType, Scenario
from candor.domain.timeline import Entry, EntryKind
from candor.domain.vocabulary import Role, Severity, require_aware

# Expectations whose evidence lives in features that report through a port.
PORTED: tuple[ExpectationType, ...] = (
    ExpectationType.IMPACT_STATEMENT_STARTED,
    ExpectationType.OBLIGATIONS_COMPUTED,
    ExpectationType.OBLIGATION_DEADLINES_MET,
    ExpectationType.CUSTOMER_NOTICE_APPROVED,
)


@dataclass(frozen=True, slots=True)
class Release:
    inject: int  # 1-based position in the scenario
    released_at: datetime
    released_by: str
    entry: int  # the timeline entry it wrote


@dataclass(frozen=True, slots=True)
class Exercise:
    id: uuid.UUID
    key: str  # EX-2026-3
    scenario: Scenario
    scenario_data: Mapping[str, Any]  # the scenario exactly as run: files change later
    incident_id: uuid.UUID
    incident_key: str
    facilitator: str
    started_at: datetime
    ended_at: datetime | None = None
    practice_of: str | None = None  # key of the incident a practice run re-plays
    releases: tuple[Release, ...] = field(default=())

    @property
    def running(self) -> bool:
        return self.ended_at is None

    @property
    def next_inject(self) -> int | None:
        nxt = len(self.releases) + 1
        return nxt if nxt <= len(self.scenario.injects) else None

    def due(self, number: int) -> datetime:
        return self.started_at + timedelta(minutes=self.scenario.injects[number - 1].at)


def format_key(year: int, seq: int) -> str:
    return f"EX-{year}-{seq}"


def check_release(exercise: Exercise, number: int | None) -> int:
    """Which inject to release: the next one; naming another is refused (order is the story)."""
    if not exercise.running:
        raise Conflict(f"{exercise.key} has ended; start a new exercise to run it again")
    nxt = exercise.next_inject
    if nxt is None:
        raise Conflict(f"{exercise.key}: all {len(exercise.scenario.injects)} injects are out")
    if number is not None and number != nxt:
        raise InvalidInput(
            Problem(
                f"inject {number} cannot be released now; the next is {nxt}",
                field="inject",
                hint="injects are released in order",
            )
        )
    return nxt


def end(exercise: Exercise, *, now: datetime) -> Exercise:
    if not exercise.running:
        raise Conflict(f"{exercise.key} has already ended")
    return replace(exercise, ended_at=require_aware(now, field="now"))


# ---- observing the record ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Observation:
    """What the record shows for one expectation: when it happened, or that it cannot be seen."""

    measured: bool
    at: datetime | None = None
    detail: str = ""


def not_measured(feature: str) -> Observation:
    return Observation(False, None, f"not measured yet: Candor does not track {feature} yet")


def _changes(entry: Entry) -> Mapping[str, Any]:
    data = entry.data
    changes = data.get("changes") if isinstance(data, dict) else None
    return changes if isinstance(changes, dict) else {}


def observe(exp: Expectation, incident: Incident, entries: Sequence[Entry]) -> Observation | None:
    """The first moment the incident's own record meets ``exp``; None for ported types."""
    t = ExpectationType
    if exp.type in PORTED:
        return None
    if exp.type is t.PHASE_REACHED:
        assert exp.phase is not None
        target = ACTIVE_ORDER.index(exp.phase)
        for change in incident.phase_history:
            reached = change.phase is Phase.CLOSED or (
                change.phase in ACTIVE_ORDER and ACTIVE_ORDER.index(change.phase) >= target
            )
            if reached:
                return Observation(True, change.entered_at, f"entered {change.phase.value}")
        return Observation(True)
    roles: dict[str, Any] = {}
    kind: str | None = None
    severity: str | None = None
    for entry in entries:
        data = entry.data if isinstance(entry.data, dict) else {}
        if entry.kind is EntryKind.STATUS_CHANGE and "kind" in data and kind is None:
            kind, severity = data.get("kind"), data.get("severity")
        changes = _changes(entry)
        for name, pair in changes.items():
            if name.startswith("role.") and isinstance(pair, list) and len(pair) == 2:
                roles[name.removeprefix("role.")] = pair[1]
        if "kind" in changes:
            kind = changes["kind"][1]
        if "severity" in changes:
            severity = changes["severity"][1]
        hit = _hit(exp, entry, data, changes, roles, kind, severity)
        if hit is not None:
            return Observation(True, entry.occurred_at, f"timeline #{entry.seq}: {hit}")
    return Observation(True)


def _hit(
    exp: Expectation,
    entry: Entry,
    data: Mapping[str, Any],
    changes: Mapping[str, Any],
    roles: Mapping[str, Any],
    kind: str | None,
    severity: str | None,
) -> str | None:
    t = ExpectationType
    if exp.type is t.ROLE_ASSIGNED:
        assert exp.role is not None
        pair = changes.get(f"role.{exp.role.value}")
        return f"{exp.role.value}: {pair[1]}" if pair and pair[1] else None
    if exp.type is t.LEAD_NOT_INVESTIGATOR:
        lead, tech = roles.get(Role.INCIDENT_LEAD.value), roles.get(Role.TECHNICAL_LEAD.value)
        touched = any(k.startswith("role.") for k in changes)
        return (
            f"lead {lead}, technical lead {tech}"
            if touched and lead and tech and lead != tech
            else None
        )
    if exp.type is t.CLASSIFIED:
        if exp.kind is not None and kind != exp.kind.value:
            return None
        if exp.severity is not None:
            if severity not in {s.value for s in Severity}:
                return None
            if Severity(severity).rank > exp.severity.rank:
                return None
        touched = "kind" in changes or "severity" in changes
        return f"{kind}, {severity}" if touched else None
    if exp.type is t.CLOCK_RECORDED:
        assert exp.clock is not None
        pair = changes.get(exp.clock.value)
        return f"{exp.clock.value} set" if pair and pair[1] else None
    if exp.type is t.PLAYBOOK_APPLIED:
        name = data.get("playbook")
        if name and (not exp.playbook or name == exp.playbook):
            return f"playbook {name}"
        return None
    if exp.type is t.DECISION:
        return (
            "decision recorded"
            if entry.kind is EntryKind.DECISION and _meets(data, exp.id)
            else None
        )
    return None


def _meets(data: Mapping[str, Any], expectation_id: str) -> bool:
    meets = data.get("meets")
    return isinstance(meets, list) and expectation_id in meets


def claimed(exp: Expectation, entries: Sequence[Entry]) -> Entry | None:
    """The first decision recorded as meeting ``exp`` (for what the system cannot observe)."""
    for entry in entries:
        if (
            entry.kind is EntryKind.DECISION
            and isinstance(entry.data, dict)
            and _meets(entry.data, exp.id)
        ):
            return entry
    return None


# ---- scoring ----------------------------------------------------------------------------------


class Outcome(StrEnum):
    MET = "met"
    LATE = "late"
    MISSED = "missed"
    PENDING = "pending"  # not done yet, and its minute has not come
    NOT_MEASURED = "not_measured"


CREDIT: dict[Outcome, float] = {Outcome.MET: 1.0, Outcome.LATE: 0.5, Outcome.MISSED: 0.0}


@dataclass(frozen=True, slots=True)
class Result:
    expectation: Expectation
    outcome: Outcome
    due_at: datetime
    done_at: datetime | None
    minute: float | None  # when it was done, in minutes after the start
    evidence: str


@dataclass(frozen=True, slots=True)
class AfterAction:
    exercise_key: str
    scenario: str
    results: tuple[Result, ...]
    score: int | None  # percent over what was measured and due; None when nothing was
    lessons: tuple[str, ...]
    questions: tuple[str, ...]
    not_measured: tuple[str, ...]
    injects_released: int
    decisions: int

    def counts(self) -> dict[str, int]:
        out = {o.value: 0 for o in Outcome}
        for r in self.results:
            out[r.outcome.value] += 1
        return out


def score(
    exercise: Exercise,
    incident: Incident,
    entries: Sequence[Entry],
    ported: Mapping[ExpectationType, Observation],
    *,
    now: datetime,
) -> AfterAction:
    """Score what was done and when against the scenario. Pure: the caller gathers the record."""
    now = require_aware(now, field="now")
    cutoff = exercise.ended_at or now
    results: list[Result] = []
    for exp in exercise.scenario.expectations:
        due = exercise.started_at + timedelta(minutes=exp.by)
        seen = observe(exp, incident, entries)
        evidence = ""
        if seen is None:
            seen = ported.get(exp.type) or not_measured(exp.type.value.replace("_", " "))
            if not seen.measured:
                by_hand = claimed(exp, entries)
                if by_hand is not None:
                    seen = Observation(
                        True, by_hand.occurred_at, f"recorded by hand in decision #{by_hand.seq}"
                    )
        evidence = seen.detail
        if seen.measured and seen.at is not None and seen.at > cutoff:
            # done after the exercise ended: the score is what the team did while it ran
            seen = Observation(True, None, f"{seen.detail}; after the exercise ended".lstrip("; "))
            evidence = seen.detail
        if not seen.measured:
            outcome = Outcome.NOT_MEASURED
        elif seen.at is not None and seen.at <= due:
            outcome = Outcome.MET
        elif seen.at is not None:
            outcome = Outcome.LATE
        elif cutoff > due or not exercise.running:
            # ending the exercise early closes it: what was not done by then was not done
            outcome = Outcome.MISSED
        else:
            outcome = Outcome.PENDING
        minute = round((seen.at - exercise.started_at).total_seconds() / 60, 1) if seen.at else None
        results.append(Result(exp, outcome, due, seen.at, minute, evidence))
    scored = [r for r in results if r.outcome in CREDIT]
    total = sum(1 for _ in scored)
    value = round(100 * sum(CREDIT[r.outcome] for r in scored) / total) if total else None
    return AfterAction(
        exercise_key=exercise.key,
        scenario=exercise.scenario.name,
        results=tuple(results),
        score=value,
        lessons=tuple(_lessons(results, incident)),
        questions=exercise.scenario.questions,
        not_measured=tuple(r.expectation.id for r in results if r.outcome is Outcome.NOT_MEASURED),
        injects_released=len(exercise.releases),
        decisions=sum(1 for e in entries if e.kind is EntryKind.DECISION),
    )


def _lessons(results: Iterable[Result], incident: Incident) -> list[str]:
    out = []
    for r in results:
        if r.outcome is Outcome.MISSED:
            out.append(f"Missed — {r.expectation.describe()}: {r.expectation.lesson}")
        elif r.outcome is Outcome.LATE:
            late = (r.minute or 0) - r.expectation.by
            out.append(f"Late by {late:g} min — {r.expectation.describe()}: {r.expectation.lesson}")
    # how the response was organised at the end says something too (lead doing the digging …)
    out.extend(w.message for w in warnings(incident))
    return out
