"""Plain, JSON-ready views of exercises, after-action reports and the readiness score.

The CLI's ``--json``, the REST API and the pages read the same names (see ``views``): changing
one is a breaking change and goes in the CHANGELOG.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from candor.domain.exercises import AfterAction, Exercise, Release
from candor.domain.readiness import Readiness
from candor.domain.scenarios import Inject, Scenario, facts_so_far
from candor.domain.triage import QUESTIONS_BY_ID, display_value, parse_answers
from candor.services import export
from candor.services.ports_prepare import prepared
from candor.services.views import instant


def scenario(s: Scenario) -> dict[str, Any]:
    return {
        "scenario": s.name,
        "title": s.title,
        "version": s.version,
        "summary": s.summary,
        "duration_minutes": s.duration,
        "simulated_hours": s.simulated_hours,
        "injects": len(s.injects),
        "expectations": [e.id for e in s.expectations],
        "playbook": s.playbook or None,
        "based_on": s.based_on or None,
    }


def exercise(e: Exercise) -> dict[str, Any]:
    return {
        "key": e.key,
        "exercise": True,
        "scenario": e.scenario.name,
        "title": e.scenario.title,
        "incident": e.incident_key,
        "facilitator": e.facilitator,
        "started_at": instant(e.started_at),
        "ended_at": instant(e.ended_at),
        "practice_of": e.practice_of,
        "injects_released": len(e.releases),
        "injects_total": len(e.scenario.injects),
        "facts": facts_so_far(e.scenario, len(e.releases)).as_dict(),
    }


@dataclass(frozen=True, slots=True)
class Fact:
    """One fact an inject reveals, in words a participant reads."""

    name: str  # the triage question id, or the incident field
    label: str
    value: str


@dataclass(frozen=True, slots=True)
class Released:
    number: int
    inject: Inject
    release: Release
    facts: tuple[Fact, ...]


def _shown(value: Any) -> str:
    shown = display_value(value)
    if isinstance(shown, list):
        return ", ".join(str(v).replace("_", " ") for v in shown) or "none"
    if isinstance(shown, bool):
        return "yes" if shown else "no"
    return str(shown).replace("_", " ")


def inject_facts(inject: Inject, *, released_at: datetime | None = None) -> tuple[Fact, ...]:
    """What an inject reveals: changes to the exercise incident, then triage answers."""
    out: list[Fact] = []
    facts = inject.incident
    for name, value in (
        ("kind", facts.kind.value if facts.kind else ""),
        ("severity", facts.severity.value if facts.severity else ""),
        ("title", facts.title),
    ):
        if value:
            out.append(Fact(name, f"Incident {name}", value.replace("_", " ")))
    for clock in facts.clocks_at_release:
        when = instant(released_at) if released_at else "when released"
        out.append(Fact(clock.value, clock.value.replace("_", " "), str(when)))
    answers = parse_answers(inject.answers) if inject.answers else None
    for question in inject.answers:
        spec = QUESTIONS_BY_ID.get(question)
        value = answers.value(question) if answers is not None else inject.answers[question]
        out.append(Fact(question, spec.prompt if spec else question, _shown(value)))
    return tuple(out)


def released(e: Exercise) -> list[Released]:
    """The injects released so far, in order, each with the facts it revealed."""
    return [
        Released(
            r.inject,
            e.scenario.injects[r.inject - 1],
            r,
            inject_facts(e.scenario.injects[r.inject - 1], released_at=r.released_at),
        )
        for r in e.releases
    ]


def released_data(e: Exercise) -> list[dict[str, Any]]:
    return [
        {
            "inject": item.number,
            "minute": item.inject.at,
            "title": item.inject.title,
            "text": item.inject.text,
            "facts": [{"name": f.name, "label": f.label, "value": f.value} for f in item.facts],
            "released_at": instant(item.release.released_at),
            "released_by": item.release.released_by,
            "timeline_entry": item.release.entry,
        }
        for item in released(e)
    ]


def after_action(r: AfterAction) -> dict[str, Any]:
    return {
        "exercise": r.exercise_key,
        "is_exercise": True,
        "scenario": r.scenario,
        "score": r.score,
        "counts": r.counts(),
        "injects_released": r.injects_released,
        "decisions": r.decisions,
        "results": [
            {
                "id": x.expectation.id,
                "type": x.expectation.type.value,
                "expected": x.expectation.describe(),
                "by_minute": x.expectation.by,
                "due_at": instant(x.due_at),
                "outcome": x.outcome.value,
                "done_at": instant(x.done_at),
                "minute": x.minute,
                "evidence": x.evidence,
            }
            for x in r.results
        ],
        "not_measured": list(r.not_measured),
        "lessons": list(r.lessons),
        "questions": list(r.questions),
    }


def readiness(r: Readiness) -> dict[str, Any]:
    return {
        "score": r.score,
        "measured_weight": r.measured_weight,
        "total_weight": r.total_weight,
        "checks": [
            {
                "id": c.id,
                "title": c.title,
                "weight": c.weight,
                "status": c.status.value,
                "detail": c.detail,
                "fix": c.fix,
            }
            for c in r.checks
        ],
    }


def _export(r: export.Request) -> Any:
    """The tabletop exercise an exercise incident belongs to, with the injects released."""
    if getattr(r.uow, "exercises", None) is None:
        return None
    found = prepared(r.uow).exercises.for_incident(r.incident.id)
    return None if found is None else {**exercise(found), "released": released_data(found)}


export.register_exporter("exercise", _export)
