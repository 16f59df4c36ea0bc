"""Tabletop exercises in the browser: the scenario library, starting one, the facilitator's view
(release injects in order, end), the participants' view (released injects, decisions), the
after-action report, and "re-run this incident as practice".

An exercise runs on a real incident with the exercise flag, so participants work it with the
usual incident page (roles, playbook, classification, phases); these pages add what only an
exercise has. Every page about an exercise shows the EXERCISE banner.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from candor.domain.errors import CandorError, InvalidInput, NotFound, PermissionDenied, Problem
from candor.domain.exercises import AfterAction, Exercise, Outcome
from candor.domain.incidents import Incident
from candor.domain.scenarios import ExpectationType
from candor.domain.timeline import EntryKind
from candor.services import exercises, prepare_views, timeline
from candor.web.deps import Caller, application, checked_form, context, page_auth
from candor.web.libraries import scenarios
from candor.web.pages import incidents
from candor.web.pages.common import redirect, render
from candor.web.pages.prepare_common import act_on_incident

router = APIRouter()


def may_facilitate(caller: Caller, exercise: Exercise) -> bool:
    return caller.actor.username == exercise.facilitator or caller.actor.is_admin


def _report(request: Request, caller: Caller, key: str) -> AfterAction:
    return exercises.report(context(request), caller.actor, key, application(request).signals)


@router.get("/exercises", response_class=HTMLResponse)
def exercise_list(request: Request, caller: Caller = Depends(page_auth)) -> Response:
    items = exercises.list_exercises(context(request), caller.actor)
    return render(
        request,
        "exercises.html",
        caller=caller,
        exercises=items,
        facilitates={e.key for e in items if may_facilitate(caller, e)},
    )


@router.get("/exercises/scenarios", response_class=HTMLResponse)
def scenario_list(request: Request, caller: Caller = Depends(page_auth)) -> Response:
    library = scenarios(request)
    return render(
        request,
        "scenarios.html",
        caller=caller,
        entries=[entry for _, entry in sorted(library.entries.items())],
        file_problems=library.problems,
    )


@router.get("/exercises/scenarios/{name}", response_class=HTMLResponse)
def scenario_page(request: Request, name: str, caller: Caller = Depends(page_auth)) -> Response:
    entry = scenarios(request).entries.get(name.strip().lower())
    if entry is None:
        raise NotFound(f"no scenario {name!r}")
    injects = [(i, prepare_views.inject_facts(i)) for i in entry.value.injects]
    return render(
        request, "scenario.html", caller=caller, s=entry.value, entry=entry, injects=injects
    )


@router.post("/exercises")
def start(
    request: Request,
    caller: Caller = Depends(page_auth),
    form: dict[str, str] = Depends(checked_form),
) -> Response:
    name = form.get("scenario", "").strip().lower()
    entry = scenarios(request).entries.get(name)
    if entry is None:
        raise InvalidInput(Problem(f"no scenario {name!r}", field="scenario"))
    made = exercises.start(context(request), caller.actor, entry.value, entry.data)
    return redirect(f"/exercises/{made.key}/facilitate", notice="exercise-started")


# ---- one exercise -----------------------------------------------------------------------------


def _by_hand(exercise: Exercise, report: AfterAction) -> list[Any]:
    """What a decision may say it fulfils: the scenario's decisions, and what Candor cannot see
    yet (a team that did it on paper records it so)."""
    return [
        e
        for e in exercise.scenario.expectations
        if e.type is ExpectationType.DECISION or e.id in report.not_measured
    ]


def participant_page(
    request: Request,
    caller: Caller,
    key: str,
    *,
    status_code: int = 200,
    problems: list[Problem] | None = None,
    error: str | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    ctx = context(request)
    exercise, incident = exercises.get(ctx, caller.actor, key)
    report = _report(request, caller, key)
    decisions = [
        e for e in timeline.show(ctx, caller.actor, incident.key) if e.kind is EntryKind.DECISION
    ]
    return render(
        request,
        "exercise.html",
        status_code=status_code,
        caller=caller,
        exercise=exercise,
        incident=incident,
        released=prepare_views.released(exercise),
        decisions=decisions,
        by_hand=_by_hand(exercise, report),
        facilitates=may_facilitate(caller, exercise),
        can_write=caller.actor.can_write,
        problems=problems or [],
        error=error,
        values=values or {},
    )


@router.get("/exercises/{key}", response_class=HTMLResponse)
def participate(request: Request, key: str, caller: Caller = Depends(page_auth)) -> Response:
    return participant_page(request, caller, key)


@router.post("/exercises/{key}/decisions")
def decide(
    request: Request,
    key: str,
    caller: Caller = Depends(page_auth),
    form: dict[str, str] = Depends(checked_form),
) -> Response:
    # one checkbox per expectation, named meets-<id>
    meets = [name.removeprefix("meets-") for name in form if name.startswith("meets-")]
    try:
        exercises.decide(context(request), caller.actor, key, form.get("body", ""), meets=meets)
    except (NotFound, PermissionDenied):
        raise
    except CandorError as exc:
        return participant_page(
            request,
            caller,
            key,
            status_code=exc.status,
            problems=exc.problems_list(),
            error=None if exc.problems_list() else exc.message,
            values=form,
        )
    return redirect(f"/exercises/{key.upper()}", notice="decision", anchor="decisions")


def facilitator_page(
    request: Request,
    caller: Caller,
    key: str,
    *,
    status_code: int = 200,
    error: str | None = None,
) -> Response:
    ctx = context(request)
    exercise, incident = exercises.get(ctx, caller.actor, key)
    if not may_facilitate(caller, exercise):
        # the view shows injects not yet released: it would spoil the exercise for the others
        raise PermissionDenied(
            f"only the facilitator ({exercise.facilitator}) or an administrator sees what comes "
            f"next in {exercise.key}; the participants' view is /exercises/{exercise.key}"
        )
    released = {r.inject: r for r in exercise.releases}
    injects = [
        (number, inject, released.get(number), prepare_views.inject_facts(inject))
        for number, inject in enumerate(exercise.scenario.injects, start=1)
    ]
    return render(
        request,
        "exercise_facilitate.html",
        status_code=status_code,
        caller=caller,
        exercise=exercise,
        incident=incident,
        injects=injects,
        report=_report(request, caller, key),
        error=error,
    )


@router.get("/exercises/{key}/facilitate", response_class=HTMLResponse)
def facilitate(request: Request, key: str, caller: Caller = Depends(page_auth)) -> Response:
    return facilitator_page(request, caller, key)


def _facilitator_act(
    request: Request, caller: Caller, key: str, action: Any, notice: str
) -> Response:
    try:
        action()
    except (NotFound, PermissionDenied):
        raise
    except CandorError as exc:  # e.g. released twice from two tabs, or already ended
        return facilitator_page(request, caller, key, status_code=exc.status, error=exc.message)
    return redirect(f"/exercises/{key.upper()}/facilitate", notice=notice, anchor="injects")


@router.post("/exercises/{key}/release")
def release(
    request: Request,
    key: str,
    caller: Caller = Depends(page_auth),
    form: dict[str, str] = Depends(checked_form),
) -> Response:
    wanted = form.get("inject", "").strip()
    number = int(wanted) if wanted.isdigit() else None
    return _facilitator_act(
        request,
        caller,
        key,
        lambda: exercises.release(context(request), caller.actor, key, inject=number),
        "inject-released",
    )


@router.post("/exercises/{key}/end")
def end(
    request: Request,
    key: str,
    caller: Caller = Depends(page_auth),
    form: dict[str, str] = Depends(checked_form),
) -> Response:
    return _facilitator_act(
        request,
        caller,
        key,
        lambda: exercises.end(context(request), caller.actor, key),
        "exercise-ended",
    )


@router.get("/exercises/{key}/report", response_class=HTMLResponse)
def report(request: Request, key: str, caller: Caller = Depends(page_auth)) -> Response:
    exercise, incident = exercises.get(context(request), caller.actor, key)
    result = _report(request, caller, key)
    return render(
        request,
        "exercise_report.html",
        caller=caller,
        exercise=exercise,
        incident=incident,
        r=result,
        outcomes=list(Outcome),
        facilitates=may_facilitate(caller, exercise),
    )


# ---- on the incident page ---------------------------------------------------------------------


def exercise_section(request: Request, caller: Caller, incident: Incident) -> dict[str, Any] | None:
    if not incident.exercise:
        return None
    found = exercises.for_incident(context(request), caller.actor, incident.key)
    if found is None:  # declared with the exercise box ticked, not from a scenario
        return None
    return {
        "id": "exercise",
        "title": "Exercise",
        "template": "incident_exercise.html",
        "exercise": found,
        "facilitates": may_facilitate(caller, found),
    }


def practice_section(request: Request, caller: Caller, incident: Incident) -> dict[str, Any] | None:
    if incident.exercise or incident.phase.is_open:
        return None
    return {"id": "practice", "title": "Practice", "template": "incident_practice.html"}


incidents.INCIDENT_SECTIONS.insert(0, exercise_section)
incidents.INCIDENT_SECTIONS.append(practice_section)


@router.post("/incidents/{key}/practice")
def practice(
    request: Request,
    key: str,
    caller: Caller = Depends(page_auth),
    form: dict[str, str] = Depends(checked_form),
) -> Response:
    return act_on_incident(
        request,
        caller,
        key,
        form,
        name="practice",
        action=lambda: exercises.start_practice(context(request), caller.actor, key),
        notice="exercise-started",
        to=lambda made: f"/exercises/{made.key}/facilitate",
    )
