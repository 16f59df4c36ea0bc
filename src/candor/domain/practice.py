"""Re-run a past incident as practice: a scenario generated from its timeline.

What the team *learned* (findings, notes, evidence, triage and scoping results) becomes the
injects, in the same order, squeezed into one hour; what the team *did* (roles, classification,
awareness time, how far the response got) becomes the expectations, due by the minute the real
team did it (never sooner than a small team can manage). A near-miss treated this way is free
practice. The result is plain data in the scenario file format, so a facilitator can write it to
a file and edit it before running it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from candor.domain.incidents import Clock, Incident
from candor.domain.lifecycle import ACTIVE_ORDER, Phase
from candor.domain.scenarios import ExpectationType
from candor.domain.timeline import Entry, EntryKind
from candor.domain.vocabulary import Role

LEARNED = (
    EntryKind.FINDING,
    EntryKind.NOTE,
    EntryKind.EVIDENCE,
    EntryKind.TRIAGE,
    EntryKind.SCOPE,
)
MAX_INJECTS = 12
DURATION = 60
LAST_INJECT = 50  # leave the last ten minutes for decisions and the debrief
TEXT_MAX = 2_000

QUESTIONS = (
    "Which of these facts could we have known sooner, and from which log or person?",
    "Who led, who investigated, who spoke for us? Was any one person doing two of those jobs?",
    "At which inject did the customer impact become clear, and what did we tell customers then?",
    "Which outside contacts would we call today, and are their numbers in the directory?",
    "What would we change in the playbook for this kind of incident?",
)


def scenario_from(incident: Incident, entries: Sequence[Entry]) -> dict[str, Any]:
    """The scenario (plain data) that replays ``incident``; ``parse_scenario`` validates it."""
    t0 = incident.declared_at
    learned = [e for e in entries if e.kind in LEARNED and e.corrects is None]
    if len(learned) > MAX_INJECTS - 1:
        step = len(learned) / (MAX_INJECTS - 1)
        learned = [learned[int(i * step)] for i in range(MAX_INJECTS - 1)]
    last = max([e.occurred_at for e in entries] + [t0])
    declared_kind, declared_severity = _declared(incident, entries)

    def minute(at: datetime) -> int:
        span = (last - t0).total_seconds()
        if span <= 0 or at <= t0:
            return 0
        return min(LAST_INJECT, max(0, round((at - t0).total_seconds() / span * LAST_INJECT)))

    injects: list[dict[str, Any]] = [
        {
            "at": 0,
            "title": "First report",
            "text": incident.summary or incident.title,
        }
    ]
    for entry in learned:
        injects.append(
            {
                "at": max(injects[-1]["at"], minute(entry.occurred_at)),
                "title": f"{entry.kind.value.replace('_', ' ').capitalize()} from #{entry.seq}",
                "text": entry.body[:TEXT_MAX],
            }
        )
    expectations = _expectations(incident, entries, minute, declared_kind, declared_severity)
    return {
        "scenario": f"practice-{incident.key.lower()}",
        "title": f"Practice: {incident.title}"[:200],
        "version": incident.updated_at.date().isoformat() if incident.updated_at else "1",
        "summary": (
            f"A re-run of {incident.key} as practice: the facts arrive in the order the team "
            "learned them; the expectations are what the real team did, and when."
        ),
        "based_on": incident.key,
        "duration_minutes": DURATION,
        "start": {
            "title": incident.title,
            "kind": declared_kind,
            "severity": declared_severity,
        },
        "injects": injects,
        "expectations": expectations,
        "questions": list(QUESTIONS),
    }


def _declared(incident: Incident, entries: Sequence[Entry]) -> tuple[str, str]:
    for entry in entries:
        data = entry.data if isinstance(entry.data, dict) else {}
        if entry.kind is EntryKind.STATUS_CHANGE and "kind" in data and "severity" in data:
            return str(data["kind"]), str(data["severity"])
    return incident.kind.value, incident.severity.value


def _first_change(entries: Sequence[Entry], name: str) -> datetime | None:
    for entry in entries:
        data = entry.data if isinstance(entry.data, dict) else {}
        pair = (data.get("changes") or {}).get(name)
        if isinstance(pair, list) and len(pair) == 2 and pair[1]:
            return entry.occurred_at
    return None


def _expectations(
    incident: Incident,
    entries: Sequence[Entry],
    minute: Any,
    declared_kind: str,
    declared_severity: str,
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []

    def by(at: datetime | None, floor: int) -> int:
        return max(floor, minute(at)) if at else floor

    for role, floor in ((Role.INCIDENT_LEAD, 10), (Role.TECHNICAL_LEAD, 15), (Role.COMMS_LEAD, 30)):
        at = _first_change(entries, f"role.{role.value}")
        if at is None and role is not Role.INCIDENT_LEAD:
            continue
        out.append(
            {
                "id": f"{role.value.replace('_', '-')}-assigned",
                "type": ExpectationType.ROLE_ASSIGNED.value,
                "role": role.value,
                "by": by(at, floor),
                "why": "The real response had this role filled; practice should too.",
                "lesson": f"Name the {role.value.replace('_', ' ')} in the first minutes.",
            }
        )
    out.append(
        {
            "id": "lead-not-investigator",
            "type": ExpectationType.LEAD_NOT_INVESTIGATOR.value,
            "by": 20,
            "why": "The person leading should not be the one digging in logs.",
            "lesson": "Give the investigation to someone other than the incident lead.",
        }
    )
    classified: dict[str, Any] = {}
    if incident.kind.value != declared_kind:
        classified["kind"] = incident.kind.value
    if incident.severity.value != declared_severity and incident.severity.rank < int(
        declared_severity[-1]
    ):
        classified["severity"] = incident.severity.value
    if classified:
        at = _first_change(entries, "kind") or _first_change(entries, "severity")
        out.append(
            {
                "id": "classified",
                "type": ExpectationType.CLASSIFIED.value,
                **classified,
                "by": by(at, 15),
                "why": "The real incident ended up classified this way.",
                "lesson": "Re-triage as soon as the facts change the kind or the severity.",
            }
        )
    if Clock.AWARE_AT in incident.clocks:
        out.append(
            {
                "id": "aware-at-recorded",
                "type": ExpectationType.CLOCK_RECORDED.value,
                "clock": Clock.AWARE_AT.value,
                "by": by(_first_change(entries, Clock.AWARE_AT.value), 20),
                "why": "Most notification deadlines run from awareness.",
                "lesson": "Record the awareness time the moment it is known.",
            }
        )
    furthest = _furthest(incident)
    if furthest is not None:
        out.append(
            {
                "id": f"{furthest.value.replace('_', '-')}-reached",
                "type": ExpectationType.PHASE_REACHED.value,
                "phase": furthest.value,
                "by": by(incident.entered(furthest), 30),
                "why": "How far the real response got.",
                "lesson": "Know the next phase and what ends the current one.",
            }
        )
    return out


def _furthest(incident: Incident) -> Phase | None:
    reached = [
        change.phase
        for change in incident.phase_history
        if change.phase in ACTIVE_ORDER[1:-1]  # mitigation … recovery
    ]
    if not reached:
        return None
    return max(reached, key=ACTIVE_ORDER.index)
