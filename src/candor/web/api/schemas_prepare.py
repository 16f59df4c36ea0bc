"""Request and response bodies of the exercises API (``web/api/exercises.py``). Field names match
``candor exercise … --json`` (``services.prepare_views``)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from candor.web.api.schemas import Strict


class ScenarioOut(BaseModel):
    scenario: str
    title: str
    version: str
    summary: str
    duration_minutes: int
    simulated_hours: int | None = Field(
        description="Incident time the exercise stands for; obligation deadlines are judged in "
        "simulated time. None: real time."
    )
    injects: int
    expectations: list[str]
    playbook: str | None
    based_on: str | None


class ExerciseOut(BaseModel):
    key: str
    exercise: bool = Field(description="Always true: everything here is practice.")
    scenario: str
    title: str
    incident: str = Field(description="Key of the exercise incident the team works.")
    facilitator: str
    started_at: str
    ended_at: str | None
    practice_of: str | None
    injects_released: int
    injects_total: int
    facts: dict[str, Any] = Field(description="Triage answers revealed so far.")


class FactOut(BaseModel):
    name: str
    label: str
    value: str


class ReleasedOut(BaseModel):
    inject: int
    minute: int
    title: str
    text: str
    facts: list[FactOut]
    released_at: str
    released_by: str
    timeline_entry: int


class ExerciseDetailOut(ExerciseOut):
    released: list[ReleasedOut] = Field(
        description="The injects released so far, in order (later ones stay hidden)."
    )


class StartIn(Strict):
    scenario: str | None = Field(None, max_length=63, description="A scenario's name.")
    practice_of: str | None = Field(
        None, max_length=32, description="Or: the key of a past incident to re-run as practice."
    )


class ReleaseIn(Strict):
    inject: int | None = Field(None, ge=1, description="Must be the next one, if given.")


class DecisionIn(Strict):
    text: str = Field(min_length=1, max_length=50_000)
    meets: list[str] = Field(
        default_factory=list,
        max_length=50,
        description="Ids of the scenario's expectations this decision fulfils.",
    )


class ResultOut(BaseModel):
    id: str
    type: str
    expected: str
    by_minute: int
    due_at: str | None
    outcome: str = Field(description="met, late, missed, pending or not_measured")
    done_at: str | None
    minute: float | None
    evidence: str


class ReportOut(BaseModel):
    exercise: str
    is_exercise: bool
    scenario: str
    score: int | None
    counts: dict[str, int]
    injects_released: int
    decisions: int
    results: list[ResultOut]
    not_measured: list[str]
    lessons: list[str]
    questions: list[str]
