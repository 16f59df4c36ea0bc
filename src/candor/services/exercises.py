"""Use cases for tabletop exercises: start, release injects, record decisions, end, report.

An exercise runs on a real incident record with the exercise flag set, so the team practises the
workflow it will use for real (roles, playbooks, timeline, triage …) while nothing leaves the
organisation. Only the facilitator (or an admin) releases injects and ends the exercise; any
participant records decisions.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from candor.domain import exercises as model
from candor.domain import incidents as incident_model
from candor.domain import practice, simulated_time, timeline
from candor.domain.access import Actor, require_see, require_write
from candor.domain.audit import AuditDraft
from candor.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Problem
from candor.domain.exercises import AfterAction, Exercise, Observation, Release
from candor.domain.incidents import Incident
from candor.domain.scenarios import ExpectationType, Scenario, parse_scenario
from candor.domain.timeline import Entry, EntryKind
from candor.domain.vocabulary import Confidentiality
from candor.services.context import Context
from candor.services.incidents import declare_in, load, save_in
from candor.services.ports_prepare import PrepareUnitOfWork, Signals, prepared

KEY = re.compile(r"^EX-\d{4}-[1-9]\d*$")


def _key(text: str) -> str:
    key = text.strip().upper()
    if not KEY.match(key):
        raise InvalidInput(Problem(f"not an exercise key: {text!r}", field="key", hint="EX-2026-1"))
    return key


def _load(uow: PrepareUnitOfWork, actor: Actor, key: str) -> tuple[Exercise, Incident]:
    exercise = uow.exercises.get(_key(key))
    if exercise is None:
        raise NotFound(f"no exercise {key.strip().upper()}")
    incident = uow.incidents.get_by_id(exercise.incident_id)
    if incident is None:  # the foreign key cascades; this means storage was tampered with
        raise NotFound(f"{exercise.key} has no incident")
    require_see(actor, incident)
    return exercise, incident


def _require_facilitator(actor: Actor, exercise: Exercise) -> None:
    if actor.username != exercise.facilitator and not actor.is_admin:
        raise PermissionDenied(
            f"only the facilitator ({exercise.facilitator}) releases injects and ends "
            f"{exercise.key}"
        )


def _audit(
    uow: PrepareUnitOfWork,
    actor: Actor,
    action: str,
    exercise: Exercise,
    *,
    now: datetime,
    after: Mapping[str, Any],
) -> None:
    uow.audit.append(
        AuditDraft(
            at=now,
            actor=actor.username,
            action=action,
            target_type="exercise",
            target_id=str(exercise.id),
            incident_key=exercise.incident_key,
            after={"exercise": exercise.key, **after},
        )
    )


def start(
    ctx: Context,
    actor: Actor,
    scenario: Scenario,
    data: Mapping[str, Any],
    *,
    practice_of: str | None = None,
    confidentiality: Confidentiality | str = Confidentiality.NORMAL,
) -> Exercise:
    """Declare the exercise incident as first reported and release the opening inject."""
    now = ctx.clock.now()
    with ctx.uow(write=True) as raw:
        uow = prepared(raw)
        facts = scenario.start
        incident = declare_in(
            ctx,
            uow,
            actor,
            title=facts.title,
            summary=facts.summary or scenario.summary,
            kind=facts.kind or "security_incident",
            severity=facts.severity or "SEV3",
            confidentiality=confidentiality,
            exercise=True,
            now=now,
        )
        seq = uow.sequences.next(f"exercise-{now.year}")
        exercise = Exercise(
            id=ctx.new_id(),
            key=model.format_key(now.year, seq),
            scenario=scenario,
            scenario_data=dict(data),
            incident_id=incident.id,
            incident_key=incident.key,
            facilitator=actor.username,
            started_at=now,
            practice_of=practice_of,
        )
        uow.exercises.add(exercise)
        _audit(
            uow,
            actor,
            "exercise.start",
            exercise,
            now=now,
            after={"scenario": scenario.name, "version": scenario.version},
        )
        exercise, _ = _release_in(uow, ctx, actor, exercise, incident, 1, now=now)
        uow.commit()
    return exercise


def release(ctx: Context, actor: Actor, key: str, *, inject: int | None = None) -> Exercise:
    """Release the next inject (naming another is refused: injects are a story in order)."""
    now = ctx.clock.now()
    with ctx.uow(write=True) as raw:
        uow = prepared(raw)
        exercise, incident = _load(uow, actor, key)
        require_write(actor, incident)
        _require_facilitator(actor, exercise)
        number = model.check_release(exercise, inject)
        exercise, _ = _release_in(uow, ctx, actor, exercise, incident, number, now=now)
        uow.commit()
    return exercise


def _release_in(
    uow: PrepareUnitOfWork,
    ctx: Context,
    actor: Actor,
    exercise: Exercise,
    incident: Incident,
    number: int,
    *,
    now: datetime,
) -> tuple[Exercise, Incident]:
    inject = exercise.scenario.injects[number - 1]
    total = len(exercise.scenario.injects)
    facts = inject.incident
    lines = [f"Exercise inject {number}/{total} (minute {inject.at}): {inject.title}", inject.text]
    if inject.answers:
        lines.append("Facts: " + "; ".join(f"{k}: {_shown(v)}" for k, v in inject.answers.items()))
    entry = uow.timeline.append(
        incident.id,
        timeline.draft(
            kind=EntryKind.INJECT,
            author=actor.username,
            occurred_at=now,
            body="\n\n".join(lines),
            data={
                "exercise": exercise.key,
                "inject": number,
                "answers": dict(inject.answers),
            },
        ),
        recorded_at=now,
    )
    changes = {
        name: value
        for name, value in (
            ("kind", facts.kind),
            ("severity", facts.severity),
            ("title", facts.title),
            ("summary", facts.summary),
        )
        if value
    }
    after = incident_model.update(incident, changes, now=now) if changes else incident
    for clock in facts.clocks_at_release:
        after = incident_model.set_clock(after, clock, now, now=now)
    if incident_model.diff(incident, after):
        incident = save_in(
            ctx,
            uow,
            actor,
            incident,
            after,
            action="exercise.inject_facts",
            entry_kind=EntryKind.SYSTEM,
            body=f"Set by exercise inject {number}: "
            + "; ".join(
                f"{k} → {_shown(v)}" for k, v in incident_model.diff(incident, after).items()
            ),
            now=now,
        )
    made = Release(number, now, actor.username, entry.seq)
    uow.exercises.add_release(exercise.id, made)
    _audit(
        uow,
        actor,
        "exercise.release",
        exercise,
        now=now,
        after={"inject": number, "entry": entry.seq},
    )
    return replace(exercise, releases=(*exercise.releases, made)), incident


def _shown(value: Any) -> str:
    if isinstance(value, tuple) and len(value) == 2:
        return _shown(value[1])
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(_shown(v) for v in value)
    if isinstance(value, datetime):
        return value.isoformat()
    return str(getattr(value, "value", value))


def decide(ctx: Context, actor: Actor, key: str, text: str, *, meets: Sequence[str] = ()) -> Entry:
    """A participant's decision, on the exercise incident's timeline. ``meets`` names the
    scenario's expectations it fulfils (needed only for what Candor cannot observe itself)."""
    now = ctx.clock.now()
    with ctx.uow(write=True) as raw:
        uow = prepared(raw)
        exercise, incident = _load(uow, actor, key)
        require_write(actor, incident)
        if not exercise.running:
            raise Conflict(f"{exercise.key} has ended; decisions are closed")
        wanted = list(dict.fromkeys(m.strip().lower() for m in meets if m.strip()))
        unknown = [m for m in wanted if exercise.scenario.expectation(m) is None]
        if unknown:
            known = ", ".join(e.id for e in exercise.scenario.expectations)
            raise InvalidInput(
                Problem(f"no expectation {', '.join(unknown)}; known: {known}", field="meets")
            )
        entry = uow.timeline.append(
            incident.id,
            timeline.draft(
                kind=EntryKind.DECISION,
                author=actor.username,
                occurred_at=now,
                body=text,
                data={"exercise": exercise.key, "meets": wanted},
            ),
            recorded_at=now,
        )
        _audit(uow, actor, "exercise.decide", exercise, now=now, after={"entry": entry.seq})
        uow.commit()
    return entry


def end(ctx: Context, actor: Actor, key: str) -> Exercise:
    now = ctx.clock.now()
    with ctx.uow(write=True) as raw:
        uow = prepared(raw)
        exercise, incident = _load(uow, actor, key)
        require_write(actor, incident)
        _require_facilitator(actor, exercise)
        ended = model.end(exercise, now=now)
        uow.exercises.save(ended)
        uow.timeline.append(
            incident.id,
            timeline.draft(
                kind=EntryKind.SYSTEM,
                author=actor.username,
                occurred_at=now,
                body=f"Exercise {exercise.key} ended after "
                f"{len(exercise.releases)} of {len(exercise.scenario.injects)} injects.",
                data={"exercise": exercise.key, "ended": True},
            ),
            recorded_at=now,
        )
        _audit(uow, actor, "exercise.end", ended, now=now, after={"ended_at": now.isoformat()})
        uow.commit()
    return ended


def get(ctx: Context, actor: Actor, key: str) -> tuple[Exercise, Incident]:
    with ctx.uow() as raw:
        return _load(prepared(raw), actor, key)


def for_incident(ctx: Context, actor: Actor, incident_key: str) -> Exercise | None:
    """The exercise run on this incident, if it is an exercise incident started as one."""
    with ctx.uow() as raw:
        uow = prepared(raw)
        incident = load(uow, actor, incident_key)
        return uow.exercises.for_incident(incident.id) if incident.exercise else None


def list_exercises(ctx: Context, actor: Actor, *, limit: int = 100) -> list[Exercise]:
    with ctx.uow() as raw:
        uow = prepared(raw)
        out = []
        for exercise in uow.exercises.list(limit=limit):
            incident = uow.incidents.get_by_id(exercise.incident_id)
            if incident is not None and _visible(actor, incident):
                out.append(exercise)
        return out


def _visible(actor: Actor, incident: Incident) -> bool:
    try:
        require_see(actor, incident)
    except NotFound:
        return False
    return True


def report(ctx: Context, actor: Actor, key: str, signals: Signals) -> AfterAction:
    """The after-action report: each expectation met, late, missed, pending or not measured."""
    now = ctx.clock.now()
    with ctx.uow() as raw:
        uow = prepared(raw)
        exercise, incident = _load(uow, actor, key)
        entries = uow.timeline.list(incident.id)
        wanted = {e.type for e in exercise.scenario.expectations}
        ported: dict[ExpectationType, Observation] = {}
        t = ExpectationType
        if t.IMPACT_STATEMENT_STARTED in wanted:
            ported[t.IMPACT_STATEMENT_STARTED] = signals.impact.first_version_at(uow, incident)
        if t.OBLIGATIONS_COMPUTED in wanted:
            ported[t.OBLIGATIONS_COMPUTED] = signals.obligations.computed_at(uow, incident)
        if t.OBLIGATION_DEADLINES_MET in wanted:
            # judged as the exercise stood when it ended: what was open then stays missed
            ported[t.OBLIGATION_DEADLINES_MET] = signals.obligations.deadlines_met(
                uow,
                incident,
                now=exercise.ended_at or now,
                clock=simulated_time.of_exercise(exercise),
            )
        if t.CUSTOMER_NOTICE_APPROVED in wanted:
            ported[t.CUSTOMER_NOTICE_APPROVED] = signals.notices.customer_notice_approved_at(
                uow, incident
            )
    return model.score(exercise, incident, entries, ported, now=now)


def practice_scenario(
    ctx: Context, actor: Actor, incident_key: str
) -> tuple[Incident, dict[str, Any]]:
    """A scenario (plain data, checked) that re-runs a past incident as practice."""
    with ctx.uow() as uow:
        incident = load(uow, actor, incident_key)
        entries = uow.timeline.list(incident.id)
    data = practice.scenario_from(incident, entries)
    parse_scenario(data)  # a generated scenario is checked like a written one
    return incident, data


def start_practice(ctx: Context, actor: Actor, incident_key: str) -> Exercise:
    incident, data = practice_scenario(ctx, actor, incident_key)
    return start(
        ctx,
        actor,
        parse_scenario(data),
        data,
        practice_of=incident.key,
        confidentiality=incident.confidentiality,
    )
