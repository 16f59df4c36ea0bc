"""The incident: the spine every other record hangs from.

Functions here take the current value and return a new one; nothing is changed in place and
nothing reads the clock (``now`` is always a parameter).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from candor.domain.errors import IllegalTransition, InvalidInput, Problem, ProblemCollector
from candor.domain.lifecycle import PHASE_DESCRIPTIONS, Phase, allowed_targets, is_allowed
from candor.domain.vocabulary import (
    Confidentiality,
    Kind,
    Role,
    Severity,
    parse_enum,
    require_aware,
)

KEY_PATTERN = re.compile(r"^INC-(?P<year>\d{4})-(?P<seq>[1-9]\d*)$")
TITLE_MAX = 200
SUMMARY_MAX = 20_000
PERSON_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._@+-]{0,99}$")


class Clock(StrEnum):
    """Named legal-clock times: later features use them as deadline triggers."""

    DETECTED_AT = "detected_at"
    AWARE_AT = "aware_at"
    BREACH_DETERMINED_AT = "breach_determined_at"
    MATERIALITY_DETERMINED_AT = "materiality_determined_at"
    CLASSIFIED_MAJOR_AT = "classified_major_at"


CLOCK_DESCRIPTIONS: dict[Clock, str] = {
    Clock.DETECTED_AT: ("When the first signal was seen."),
    Clock.AWARE_AT: (
        "When the organisation became aware of the incident (GDPR and most state clocks start"
        " here)."
    ),
    Clock.BREACH_DETERMINED_AT: (
        "When a responder determined that a breach occurred (the trigger for some US states, "
        "e.g. Florida, Colorado, Texas)."
    ),
    Clock.MATERIALITY_DETERMINED_AT: (
        "When the company determined the incident is material (starts the SEC Form 8-K Item "
        "1.05 clock)."
    ),
    Clock.CLASSIFIED_MAJOR_AT: (
        "When the incident was classified as major (starts the DORA initial report clock)."
    ),
}


def format_key(year: int, seq: int) -> str:
    return f"INC-{year}-{seq}"


def parse_key(text: str) -> tuple[int, int]:
    match = KEY_PATTERN.match(text.strip().upper())
    if not match:
        raise InvalidInput(
            Problem(f"not an incident key: {text!r}", field="key", hint="e.g. INC-2026-7")
        )
    return int(match["year"]), int(match["seq"])


def check_person(value: str, *, field: str) -> str:
    person = value.strip().lower()
    if not PERSON_PATTERN.match(person):
        raise InvalidInput(
            Problem(
                f"not a user name: {value!r}",
                field=field,
                hint="lower-case letters, digits and . _ @ + -, up to 100 characters",
            )
        )
    return person


@dataclass(frozen=True, slots=True)
class PhaseChange:
    phase: Phase
    entered_at: datetime
    by: str
    reason: str = ""


@dataclass(frozen=True, slots=True)
class IncidentWarning:
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class Incident:
    id: uuid.UUID
    key: str
    title: str
    summary: str
    kind: Kind
    severity: Severity
    confidentiality: Confidentiality
    exercise: bool
    declared_at: datetime
    declared_by: str
    phase_history: tuple[PhaseChange, ...]
    clocks: Mapping[Clock, datetime] = field(default_factory=dict)
    roles: Mapping[Role, str] = field(default_factory=dict)
    participants: frozenset[str] = frozenset()
    version: int = 1
    updated_at: datetime | None = None

    @property
    def phase(self) -> Phase:
        return self.phase_history[-1].phase

    @property
    def is_open(self) -> bool:
        return self.phase.is_open

    @property
    def closed_at(self) -> datetime | None:
        last = self.phase_history[-1]
        return last.entered_at if not last.phase.is_open else None

    def entered(self, phase: Phase) -> datetime | None:
        """When the incident last entered ``phase``, if ever."""
        for change in reversed(self.phase_history):
            if change.phase is phase:
                return change.entered_at
        return None

    def clock(self, name: Clock) -> datetime | None:
        return self.clocks.get(name)

    @property
    def members(self) -> frozenset[str]:
        """Everyone with a role or listed as participant: need-to-know for restricted incidents."""
        return frozenset(self.roles.values()) | self.participants | {self.declared_by}

    @property
    def year(self) -> int:
        return parse_key(self.key)[0]


def _check_text(
    problems: ProblemCollector, value: str, *, field: str, maximum: int, required: bool
) -> str:
    text = value.strip()
    if required and not text:
        problems.add("must not be empty", field=field)
    if len(text) > maximum:
        problems.add(f"is {len(text)} characters long; at most {maximum} allowed", field=field)
    if "\x00" in text:
        problems.add("contains a NUL character", field=field)
    return text


def declare(
    *,
    id: uuid.UUID,
    key: str,
    title: str,
    summary: str = "",
    kind: Kind | str = Kind.SECURITY_INCIDENT,
    severity: Severity | str = Severity.SEV3,
    confidentiality: Confidentiality | str = Confidentiality.NORMAL,
    exercise: bool = False,
    by: str,
    now: datetime,
    detected_at: datetime | None = None,
    aware_at: datetime | None = None,
) -> Incident:
    parse_key(key)
    now = require_aware(now, field="now")
    problems = ProblemCollector()
    title = _check_text(problems, title, field="title", maximum=TITLE_MAX, required=True)
    summary = _check_text(problems, summary, field="summary", maximum=SUMMARY_MAX, required=False)
    problems.raise_if_any()
    by = check_person(by, field="declared_by")
    clocks: dict[Clock, datetime] = {}
    if detected_at is not None:
        clocks[Clock.DETECTED_AT] = require_aware(detected_at, field="detected_at")
    if aware_at is not None:
        clocks[Clock.AWARE_AT] = require_aware(aware_at, field="aware_at")
    _check_clock_order(clocks, now)
    return Incident(
        id=id,
        key=key,
        title=title,
        summary=summary,
        kind=parse_enum(Kind, kind, field="kind"),
        severity=parse_enum(Severity, severity, field="severity"),
        confidentiality=parse_enum(Confidentiality, confidentiality, field="confidentiality"),
        exercise=exercise,
        declared_at=now,
        declared_by=by,
        phase_history=(PhaseChange(Phase.TRIAGE, now, by, "declared"),),
        clocks=clocks,
        roles={},
        participants=frozenset(),
        version=1,
        updated_at=now,
    )


def _check_clock_order(clocks: Mapping[Clock, datetime], now: datetime) -> None:
    problems = ProblemCollector()
    for name, value in clocks.items():
        if value > now:
            problems.add(
                f"is in the future ({value.isoformat()} is after {now.isoformat()})",
                field=name.value,
                hint="legal clocks record what already happened",
            )
    detected = clocks.get(Clock.DETECTED_AT)
    aware = clocks.get(Clock.AWARE_AT)
    if detected is not None and aware is not None and aware < detected:
        problems.add(
            "is before detected_at; awareness cannot precede the first signal",
            field=Clock.AWARE_AT.value,
        )
    problems.raise_if_any()


EDITABLE_FIELDS = ("title", "summary", "kind", "severity", "confidentiality")


def update(incident: Incident, changes: Mapping[str, Any], *, now: datetime) -> Incident:
    """Change descriptive fields; returns the new incident (version is bumped by storage)."""
    now = require_aware(now, field="now")
    problems = ProblemCollector()
    values: dict[str, Any] = {}
    for name, value in changes.items():
        if name not in EDITABLE_FIELDS:
            problems.add(
                f"cannot be changed here; editable fields: {', '.join(EDITABLE_FIELDS)}",
                field=name,
            )
            continue
        if name == "title":
            values[name] = _check_text(
                problems, str(value), field=name, maximum=TITLE_MAX, required=True
            )
        elif name == "summary":
            values[name] = _check_text(
                problems, str(value), field=name, maximum=SUMMARY_MAX, required=False
            )
        elif name == "kind":
            values[name] = parse_enum(Kind, value, field=name)
        elif name == "severity":
            values[name] = parse_enum(Severity, value, field=name)
        elif name == "confidentiality":
            values[name] = parse_enum(Confidentiality, value, field=name)
    problems.raise_if_any()
    return replace(incident, **values, updated_at=now)


def diff(before: Incident, after: Incident) -> dict[str, tuple[Any, Any]]:
    """Field-level changes between two versions of an incident, for the timeline and the audit."""
    changed: dict[str, tuple[Any, Any]] = {}
    for name in (*EDITABLE_FIELDS, "exercise"):
        old, new = getattr(before, name), getattr(after, name)
        if old != new:
            changed[name] = (old, new)
    for clock in Clock:
        old_c, new_c = before.clocks.get(clock), after.clocks.get(clock)
        if old_c != new_c:
            changed[clock.value] = (old_c, new_c)
    if before.phase is not after.phase:
        changed["phase"] = (before.phase, after.phase)
    for role in Role:
        old_r, new_r = before.roles.get(role), after.roles.get(role)
        if old_r != new_r:
            changed[f"role.{role.value}"] = (old_r, new_r)
    if before.participants != after.participants:
        changed["participants"] = (sorted(before.participants), sorted(after.participants))
    return changed


def set_clock(
    incident: Incident, name: Clock | str, value: datetime | None, *, now: datetime
) -> Incident:
    """Record (or clear, with ``None``) a legal-clock time."""
    clock = parse_enum(Clock, name, field="clock")
    now = require_aware(now, field="now")
    clocks = dict(incident.clocks)
    if value is None:
        clocks.pop(clock, None)
    else:
        clocks[clock] = require_aware(value, field=clock.value)
    _check_clock_order(clocks, now)
    return replace(incident, clocks=clocks, updated_at=now)


def transition(
    incident: Incident, target: Phase | str, *, by: str, now: datetime, reason: str = ""
) -> Incident:
    target = parse_enum(Phase, target, field="phase")
    now = require_aware(now, field="now")
    by = check_person(by, field="by")
    current = incident.phase
    if not is_allowed(current, target):
        allowed = ", ".join(p.value for p in allowed_targets(current)) or "none"
        raise IllegalTransition(
            f"{incident.key} is in {current.value}; it cannot move to {target.value}. "
            f"Allowed from {current.value}: {allowed}."
        )
    if target is Phase.DECLINED and not reason.strip():
        raise InvalidInput(
            Problem(
                "declining an incident needs a reason (why it is not an incident)", field="reason"
            )
        )
    last = incident.phase_history[-1].entered_at
    if now < last:
        raise InvalidInput(
            Problem(
                f"time {now.isoformat()} is before the last phase change at {last.isoformat()}",
                field="now",
            )
        )
    change = PhaseChange(target, now, by, reason.strip())
    return replace(incident, phase_history=(*incident.phase_history, change), updated_at=now)


def assign_role(
    incident: Incident, role: Role | str, person: str | None, *, now: datetime
) -> Incident:
    """Give ``role`` to ``person``; ``None`` clears it. One person per role."""
    role = parse_enum(Role, role, field="role")
    now = require_aware(now, field="now")
    roles = dict(incident.roles)
    if person is None:
        roles.pop(role, None)
    else:
        roles[role] = check_person(person, field="person")
    return replace(incident, roles=roles, updated_at=now)


def set_participants(
    incident: Incident, *, add: tuple[str, ...] = (), remove: tuple[str, ...] = (), now: datetime
) -> Incident:
    now = require_aware(now, field="now")
    people = set(incident.participants)
    people.update(check_person(p, field="participants") for p in add)
    people.difference_update(check_person(p, field="participants") for p in remove)
    return replace(incident, participants=frozenset(people), updated_at=now)


def warnings(incident: Incident) -> list[IncidentWarning]:
    """What a responder should fix about how the response is organised. Never blocks anything."""
    out: list[IncidentWarning] = []
    if not incident.is_open:
        return out
    lead = incident.roles.get(Role.INCIDENT_LEAD)
    tech = incident.roles.get(Role.TECHNICAL_LEAD)
    if lead is None:
        out.append(
            IncidentWarning(
                "no-lead",
                "No incident lead is assigned. Name one now: someone must run the response.",
            )
        )
    elif lead == tech:
        out.append(
            IncidentWarning(
                "lead-is-investigator",
                f"{lead} is both incident lead and technical lead. The person leading the "
                "response should not be the one doing the technical investigation: it is easy "
                "to get lost in logs and miss what must be escalated.",
            )
        )
    if incident.kind in (Kind.PERSONAL_DATA_BREACH, Kind.SUPPLY_CHAIN_BREACH):
        if Role.COMMS_LEAD not in incident.roles:
            out.append(
                IncidentWarning(
                    "no-comms-lead",
                    "A breach needs a communications lead: one voice for customers and the public.",
                )
            )
        if Clock.AWARE_AT not in incident.clocks:
            out.append(
                IncidentWarning(
                    "no-aware-at",
                    "Record when the organisation became aware: most "
                    "notification deadlines run from it.",
                )
            )
    return out


def phase_description(phase: Phase) -> str:
    return PHASE_DESCRIPTIONS[phase]


def snapshot(incident: Incident) -> dict[str, Any]:
    """A plain, JSON-ready view of an incident: for the audit log's before/after and for exports."""
    return {
        "id": str(incident.id),
        "key": incident.key,
        "title": incident.title,
        "summary": incident.summary,
        "kind": incident.kind.value,
        "severity": incident.severity.value,
        "confidentiality": incident.confidentiality.value,
        "exercise": incident.exercise,
        "phase": incident.phase.value,
        "declared_at": incident.declared_at.isoformat(),
        "declared_by": incident.declared_by,
        "clocks": {c.value: t.isoformat() for c, t in sorted(incident.clocks.items())},
        "roles": {r.value: p for r, p in sorted(incident.roles.items())},
        "participants": sorted(incident.participants),
        "version": incident.version,
    }
