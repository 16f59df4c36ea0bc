"""/api/v1/exercises: the scenario library, starting an exercise (or a practice run), releasing
injects (facilitator), decisions (participants), ending it, and the after-action report."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response, status

from candor.domain.errors import InvalidInput, Problem
from candor.domain.exercises import Exercise
from candor.services import exercises, prepare_views, views
from candor.services.context import Context
from candor.web.api.schemas import EntryOut
from candor.web.api.schemas_prepare import (
    DecisionIn,
    ExerciseDetailOut,
    ExerciseOut,
    ReleaseIn,
    ReportOut,
    ScenarioOut,
    StartIn,
)
from candor.web.deps import Caller, api_auth, application, request_context
from candor.web.libraries import scenarios

router = APIRouter(prefix="/exercises", tags=["exercises"])


def _detail(exercise: Exercise) -> dict[str, Any]:
    return {
        **prepare_views.exercise(exercise),
        "released": prepare_views.released_data(exercise),
    }


@router.get("/scenarios", response_model=list[ScenarioOut], summary="The scenario library")
def list_scenarios(request: Request, caller: Caller = Depends(api_auth)) -> list[dict[str, Any]]:
    library = scenarios(request)
    return [prepare_views.scenario(entry.value) for _, entry in sorted(library.entries.items())]


@router.get("", response_model=list[ExerciseOut], summary="Exercises, newest first")
def list_exercises(
    caller: Caller = Depends(api_auth), ctx: Context = Depends(request_context)
) -> list[dict[str, Any]]:
    return [prepare_views.exercise(e) for e in exercises.list_exercises(ctx, caller.actor)]


@router.post(
    "",
    response_model=ExerciseDetailOut,
    status_code=status.HTTP_201_CREATED,
    summary="Start an exercise from a scenario, or re-run a past incident as practice",
)
def start(
    body: StartIn,
    request: Request,
    response: Response,
    caller: Caller = Depends(api_auth),
    ctx: Context = Depends(request_context),
) -> dict[str, Any]:
    if (body.scenario is None) == (body.practice_of is None):
        raise InvalidInput(Problem("give either scenario or practice_of", field="body"))
    if body.practice_of is not None:
        made = exercises.start_practice(ctx, caller.actor, body.practice_of)
    else:
        entry = scenarios(request).get(body.scenario or "")
        made = exercises.start(ctx, caller.actor, entry.value, entry.data)
    response.headers["Location"] = f"/api/v1/exercises/{made.key}"
    return _detail(made)


@router.get("/{key}", response_model=ExerciseDetailOut, summary="One exercise and what is out")
def get_exercise(
    key: str, caller: Caller = Depends(api_auth), ctx: Context = Depends(request_context)
) -> dict[str, Any]:
    exercise, _ = exercises.get(ctx, caller.actor, key)
    return _detail(exercise)


@router.post(
    "/{key}/release",
    response_model=ExerciseDetailOut,
    summary="Release the next inject (the facilitator or an administrator)",
)
def release(
    key: str,
    body: ReleaseIn,
    caller: Caller = Depends(api_auth),
    ctx: Context = Depends(request_context),
) -> dict[str, Any]:
    return _detail(exercises.release(ctx, caller.actor, key, inject=body.inject))


@router.post(
    "/{key}/decisions",
    response_model=EntryOut,
    status_code=status.HTTP_201_CREATED,
    summary="Record a decision on the exercise incident's timeline",
)
def decide(
    key: str,
    body: DecisionIn,
    caller: Caller = Depends(api_auth),
    ctx: Context = Depends(request_context),
) -> dict[str, Any]:
    return views.entry(exercises.decide(ctx, caller.actor, key, body.text, meets=body.meets))


@router.post(
    "/{key}/end",
    response_model=ExerciseOut,
    summary="End the exercise (the facilitator or an administrator)",
)
def end(
    key: str, caller: Caller = Depends(api_auth), ctx: Context = Depends(request_context)
) -> dict[str, Any]:
    return prepare_views.exercise(exercises.end(ctx, caller.actor, key))


@router.get("/{key}/report", response_model=ReportOut, summary="The after-action report")
def report(
    key: str,
    request: Request,
    caller: Caller = Depends(api_auth),
    ctx: Context = Depends(request_context),
) -> dict[str, Any]:
    result = exercises.report(ctx, caller.actor, key, application(request).signals)
    return prepare_views.after_action(result)
