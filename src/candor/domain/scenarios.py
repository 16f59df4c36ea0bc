"""Tabletop scenarios: a one-hour story told in injects, and what a good team does by when.

A scenario starts an *exercise incident* as first reported (``start``), then releases injects at
minute offsets. An inject tells participants something new (``text``) and may reveal facts: some
set the exercise incident itself (``facts.incident``: kind, severity, awareness time) and some
are triage answers (``facts.answers``: data elements, customer secrets, counts …), the words the
obligations engine reads. ``expectations`` are the decisions a well-prepared team makes, each by a
minute, each with the lesson to draw if it was late or missed. ``questions`` drive the discussion.

The format, every key and the expectation types are in docs/prepare.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from candor.domain import fields
from candor.domain.errors import InvalidInput, ProblemCollector
from candor.domain.incidents import TITLE_MAX, Clock
from candor.domain.lifecycle import ACTIVE_ORDER, Phase
from candor.domain.triage import Answers, parse_answers
from candor.domain.vocabulary import Kind, Role, Severity

TOP_KEYS = (
    "scenario",
    "title",
    "version",
    "summary",
    "based_on",
    "duration_minutes",
    "simulated_hours",
    "playbook",
    "start",
    "injects",
    "expectations",
    "questions",
)
INJECT_KEYS = ("at", "title", "text", "facts")
SETTABLE_CLOCKS = (Clock.DETECTED_AT, Clock.AWARE_AT)
MAX_DURATION = 8 * 60
MAX_SIMULATED_HOURS = 90 * 24  # the longest notification clocks run for weeks, not months


class ExpectationType(StrEnum):
    ROLE_ASSIGNED = "role_assigned"
    LEAD_NOT_INVESTIGATOR = "lead_not_investigator"
    CLASSIFIED = "classified"
    CLOCK_RECORDED = "clock_recorded"
    PHASE_REACHED = "phase_reached"
    PLAYBOOK_APPLIED = "playbook_applied"
    IMPACT_STATEMENT_STARTED = "impact_statement_started"
    OBLIGATIONS_COMPUTED = "obligations_computed"
    OBLIGATION_DEADLINES_MET = "obligation_deadlines_met"
    CUSTOMER_NOTICE_APPROVED = "customer_notice_approved"
    DECISION = "decision"


# What each type needs besides id, type, by, why and lesson.
TYPE_KEYS: dict[ExpectationType, tuple[str, ...]] = {
    ExpectationType.ROLE_ASSIGNED: ("role",),
    ExpectationType.LEAD_NOT_INVESTIGATOR: (),
    ExpectationType.CLASSIFIED: ("kind", "severity"),
    ExpectationType.CLOCK_RECORDED: ("clock",),
    ExpectationType.PHASE_REACHED: ("phase",),
    ExpectationType.PLAYBOOK_APPLIED: ("playbook",),
    ExpectationType.IMPACT_STATEMENT_STARTED: (),
    ExpectationType.OBLIGATIONS_COMPUTED: (),
    ExpectationType.OBLIGATION_DEADLINES_MET: (),
    ExpectationType.CUSTOMER_NOTICE_APPROVED: (),
    ExpectationType.DECISION: ("decision",),
}
COMMON_KEYS = ("id", "type", "by", "why", "lesson")


@dataclass(frozen=True, slots=True)
class IncidentFacts:
    """What an inject (or the start) sets on the exercise incident. ``release`` clocks are set to
    the moment the inject is released."""

    title: str = ""
    summary: str = ""
    kind: Kind | None = None
    severity: Severity | None = None
    clocks_at_release: tuple[Clock, ...] = ()


@dataclass(frozen=True, slots=True)
class Inject:
    at: int  # minutes after the start
    title: str
    text: str
    incident: IncidentFacts
    answers: Mapping[str, Any]  # triage answers as written; ``Answers`` parses them


@dataclass(frozen=True, slots=True)
class Expectation:
    id: str
    type: ExpectationType
    by: int  # minutes after the start
    why: str
    lesson: str
    role: Role | None = None
    kind: Kind | None = None
    severity: Severity | None = None
    clock: Clock | None = None
    phase: Phase | None = None
    playbook: str = ""
    decision: str = ""

    def describe(self) -> str:
        t = ExpectationType
        match self.type:
            case t.ROLE_ASSIGNED:
                assert self.role is not None
                return f"{self.role.value.replace('_', ' ')} assigned"
            case t.LEAD_NOT_INVESTIGATOR:
                return "incident lead and technical lead are different people"
            case t.CLASSIFIED:
                parts = [
                    self.kind.value if self.kind else "",
                    self.severity.value + " or higher" if self.severity else "",
                ]
                return "classified as " + ", ".join(p for p in parts if p)
            case t.CLOCK_RECORDED:
                assert self.clock is not None
                return f"{self.clock.value} recorded"
            case t.PHASE_REACHED:
                assert self.phase is not None
                return f"phase {self.phase.value} reached"
            case t.PLAYBOOK_APPLIED:
                return f"playbook {self.playbook or '(any)'} applied"
            case t.DECISION:
                return self.decision
        return self.type.value.replace("_", " ")


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    title: str
    version: str
    summary: str
    based_on: str
    duration: int  # minutes
    playbook: str
    start: IncidentFacts
    injects: tuple[Inject, ...]
    expectations: tuple[Expectation, ...]
    questions: tuple[str, ...]
    # incident time the exercise stands for; deadlines are then judged in simulated time
    simulated_hours: int | None = None

    def expectation(self, id: str) -> Expectation | None:
        return next((e for e in self.expectations if e.id == id), None)


def parse_scenario(data: Any) -> Scenario:
    """Read a scenario from plain data; every problem is raised at once with its path."""
    problems = ProblemCollector()
    d = fields.mapping(data, (), problems, what="a scenario")
    fields.unknown_keys(d, TOP_KEYS, (), problems)
    name = fields.slug(d.get("scenario"), ("scenario",), problems)
    title = fields.text(d, "title", (), problems, required=True, maximum=200)
    version = fields.text(d, "version", (), problems, required=True, maximum=40)
    summary = fields.text(d, "summary", (), problems, required=True, maximum=4_000)
    based_on = fields.text(d, "based_on", (), problems, maximum=1_000)
    duration = fields.whole(d, "duration_minutes", (), problems, minimum=10, maximum=MAX_DURATION)
    if "duration_minutes" not in d:
        problems.add("is required (e.g. 60)", path=("duration_minutes",))
    duration = duration or 60
    simulated = _simulated_hours(d, duration, problems)
    playbook = fields.slug(d["playbook"], ("playbook",), problems) if d.get("playbook") else ""
    start = _facts(d.get("start"), ("start",), problems, start=True)
    injects = _injects(d.get("injects"), duration, problems)
    expectations = _expectations(d.get("expectations"), duration, problems)
    questions = fields.texts(d, "questions", (), problems)
    if not questions:
        problems.add("must list at least one discussion question", path=("questions",))
    _check_not_given_away(injects, start, expectations, problems)
    problems.raise_if_any()
    return Scenario(
        name, title, version, summary, based_on, duration, playbook, start, injects,
        expectations, questions, simulated,
    )  # fmt: skip


def _simulated_hours(d: Mapping[str, Any], duration: int, problems: ProblemCollector) -> int | None:
    hours = fields.whole(d, "simulated_hours", (), problems, minimum=1, maximum=MAX_SIMULATED_HOURS)
    if hours is not None and hours * 60 < duration:
        problems.add(
            f"{hours} h is less than the exercise's own {duration} minutes",
            path=("simulated_hours",),
            hint="simulated time runs at least as fast as real time (e.g. 96 for four days)",
        )
        return None
    return hours


def _facts(
    raw: Any, path: fields.PathKey, problems: ProblemCollector, *, start: bool = False
) -> IncidentFacts:
    if raw is None:
        if start:
            problems.add("is required: title, kind and severity as first reported", path=path)
        return IncidentFacts()
    d = fields.mapping(raw, path, problems, what="title, summary, kind, severity, aware_at …")
    keys = ("title", "summary", "kind", "severity", *(c.value for c in SETTABLE_CLOCKS))
    fields.unknown_keys(d, keys, path, problems)
    kind = fields.enum(Kind, d["kind"], (*path, "kind"), problems) if "kind" in d else None
    severity = (
        fields.enum(Severity, d["severity"], (*path, "severity"), problems)
        if "severity" in d
        else None
    )
    clocks = []
    for clock in SETTABLE_CLOCKS:
        if clock.value in d:
            if start or d[clock.value] != "release":
                problems.add(
                    "can only be 'release' on an inject: the time the inject is released",
                    path=(*path, clock.value),
                )
            clocks.append(clock)
    if start and (kind is None or severity is None or "title" not in d):
        problems.add("must give title, kind and severity", path=path)
    return IncidentFacts(
        title=fields.text(d, "title", path, problems, maximum=TITLE_MAX),
        summary=fields.text(d, "summary", path, problems, maximum=4_000),
        kind=kind,
        severity=severity,
        clocks_at_release=tuple(clocks),
    )


def _injects(raw: Any, duration: int, problems: ProblemCollector) -> tuple[Inject, ...]:
    out: list[Inject] = []
    for i, item in enumerate(fields.items(raw, ("injects",), problems, required=True)):
        path: fields.PathKey = ("injects", i)
        d = fields.mapping(item, path, problems, what="at, title, text, facts")
        if not d:
            continue
        fields.unknown_keys(d, INJECT_KEYS, path, problems)
        at = fields.whole(d, "at", path, problems, maximum=duration)
        if "at" not in d:
            problems.add("is required: the minute it is released", path=(*path, "at"))
        at = at if at is not None else 0
        if out and at < out[-1].at:
            problems.add(
                f"minute {at} comes before the previous inject's minute {out[-1].at}",
                path=(*path, "at"),
                hint="list injects in the order they are released",
            )
        if i == 0 and at != 0:
            problems.add("the first inject opens the exercise: at must be 0", path=(*path, "at"))
        facts = fields.mapping(
            d.get("facts") or {}, (*path, "facts"), problems, what="incident, answers"
        )
        fields.unknown_keys(facts, ("incident", "answers"), (*path, "facts"), problems)
        answers = facts.get("answers") or {}
        _check_answers(answers, (*path, "facts", "answers"), problems)
        out.append(
            Inject(
                at=at,
                title=fields.text(d, "title", path, problems, required=True, maximum=200),
                text=fields.text(d, "text", path, problems, required=True, maximum=10_000),
                incident=_facts(facts.get("incident"), (*path, "facts", "incident"), problems),
                answers=dict(answers) if isinstance(answers, Mapping) else {},
            )
        )
    return tuple(out)


def _check_answers(raw: Any, path: fields.PathKey, problems: ProblemCollector) -> None:
    if not isinstance(raw, Mapping):
        problems.add("must be a mapping of triage question: answer", path=path)
        return
    try:
        parse_answers(raw)
    except InvalidInput as exc:
        for problem in exc.problems:
            problems.add(problem.message, path=(*path, *(problem.path or ())), hint=problem.hint)


def _expectations(raw: Any, duration: int, problems: ProblemCollector) -> tuple[Expectation, ...]:
    out: list[Expectation] = []
    seen: set[str] = set()
    for i, item in enumerate(fields.items(raw, ("expectations",), problems, required=True)):
        path: fields.PathKey = ("expectations", i)
        d = fields.mapping(item, path, problems, what="id, type, by, why, lesson …")
        if not d:
            continue
        kind = fields.enum(ExpectationType, d.get("type"), (*path, "type"), problems)
        allowed = COMMON_KEYS + (TYPE_KEYS[kind] if kind else ())
        fields.unknown_keys(d, allowed, path, problems)
        ident = fields.slug(d.get("id"), (*path, "id"), problems)
        if ident in seen:
            problems.add(f"duplicate expectation id {ident!r}", path=(*path, "id"))
        seen.add(ident)
        by = fields.whole(d, "by", path, problems, minimum=1, maximum=duration)
        if "by" not in d:
            problems.add("is required: the minute by which it should happen", path=(*path, "by"))
        exp = Expectation(
            id=ident,
            type=kind or ExpectationType.DECISION,
            by=by or duration,
            why=fields.text(d, "why", path, problems, required=True, maximum=2_000),
            lesson=fields.text(d, "lesson", path, problems, required=True, maximum=2_000),
            role=fields.enum(Role, d["role"], (*path, "role"), problems) if "role" in d else None,
            kind=fields.enum(Kind, d["kind"], (*path, "kind"), problems) if "kind" in d else None,
            severity=(
                fields.enum(Severity, d["severity"], (*path, "severity"), problems)
                if "severity" in d
                else None
            ),
            clock=fields.enum(Clock, d["clock"], (*path, "clock"), problems)
            if "clock" in d
            else None,
            phase=_phase(d, path, problems),
            playbook=fields.slug(d["playbook"], (*path, "playbook"), problems)
            if "playbook" in d
            else "",
            decision=fields.text(d, "decision", path, problems, maximum=300),
        )
        _check_required(exp, d, path, problems)
        out.append(exp)
    return tuple(out)


def _phase(d: Mapping[str, Any], path: fields.PathKey, problems: ProblemCollector) -> Phase | None:
    if "phase" not in d:
        return None
    phase = fields.enum(Phase, d["phase"], (*path, "phase"), problems)
    if phase is not None and phase not in ACTIVE_ORDER[1:]:
        problems.add("must be a working phase after triage", path=(*path, "phase"))
    return phase


def _check_required(
    exp: Expectation, d: Mapping[str, Any], path: fields.PathKey, problems: ProblemCollector
) -> None:
    t = ExpectationType
    needs = {
        t.ROLE_ASSIGNED: "role",
        t.CLOCK_RECORDED: "clock",
        t.PHASE_REACHED: "phase",
        t.DECISION: "decision",
    }
    key = needs.get(exp.type)
    if key is not None and key not in d:
        problems.add(f"is required for type {exp.type.value}", path=(*path, key))
    if exp.type is t.CLASSIFIED and "kind" not in d and "severity" not in d:
        problems.add("give kind, severity or both", path=(*path, "type"))


def _check_not_given_away(
    injects: tuple[Inject, ...],
    start: IncidentFacts,
    expectations: tuple[Expectation, ...],
    problems: ProblemCollector,
) -> None:
    """An inject must not do what the team is scored on: the decision would score itself."""
    for i, inject in enumerate((None, *injects)):
        facts = start if inject is None else inject.incident
        where: fields.PathKey = (
            ("start",) if inject is None else ("injects", i - 1, "facts", "incident")
        )
        for exp in expectations:
            if exp.type is ExpectationType.CLASSIFIED and (
                (exp.kind is not None and facts.kind is exp.kind)
                or (
                    exp.severity is not None
                    and facts.severity is not None
                    and facts.severity.rank <= exp.severity.rank
                )
            ):
                problems.add(
                    f"sets the classification that expectation {exp.id!r} scores the team on",
                    path=where,
                    hint="let participants classify; reveal the facts as answers instead",
                )
            if exp.type is ExpectationType.CLOCK_RECORDED and exp.clock in facts.clocks_at_release:
                problems.add(
                    f"sets {exp.clock.value} that expectation {exp.id!r} scores the team on",
                    path=where,
                )


def facts_so_far(scenario: Scenario, released: int) -> Answers:
    """The triage answers revealed by the first ``released`` injects (later ones win)."""
    merged: dict[str, Any] = {}
    for inject in scenario.injects[:released]:
        merged.update(inject.answers)
    return parse_answers(merged)
