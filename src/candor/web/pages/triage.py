"""Triage on the incident page: the questionnaire, the latest result, applying it, confirming a
breach determination, and the assessments so far."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from candor.domain.assessments import NONE_MARK, answers_from_fields
from candor.domain.errors import CandorError
from candor.domain.incidents import Clock, Incident
from candor.domain.retriage import BREACH_KINDS
from candor.domain.triage import QUESTIONS
from candor.domain.triage_policy import questions_used
from candor.services import triage
from candor.web.deps import Caller, application, checked_form, context, page_auth
from candor.web.pages.common import NOTICES, optional_int, optional_time

# the incident page's own form runner: a refused change shows the page again, input kept
from candor.web.pages.incidents import INCIDENT_SECTIONS
from candor.web.pages.incidents import _act as act

router = APIRouter()

NOTICES.update(
    {
        "triaged": "Triage assessment saved.",
        "triage-applied": "Kind and severity set from the triage assessment.",
        "breach-confirmed": "Breach determination recorded.",
    }
)


def _form_answers(stored: Any, submitted: dict[str, list[str]] | None) -> dict[str, list[str]]:
    """What the questionnaire shows ticked: the answers just refused, else the latest ones."""
    if submitted is not None:
        return submitted
    if stored is None:
        return {}
    out: dict[str, list[str]] = {}
    for question, value in stored.assessment.answers.as_dict().items():
        if value is None:
            continue
        if isinstance(value, list):
            out[question] = value or [NONE_MARK]
        else:
            out[question] = [str(value)]
    return out


def section(request: Request, caller: Caller, incident: Incident) -> dict[str, Any] | None:
    history = triage.history(context(request), caller.actor, incident.key)
    latest = history[-1] if history else None
    values: dict[str, Any] = {
        "id": "triage",
        "title": "Triage",
        "template": "triage_section.html",
        "history": list(reversed(history)),
        "latest": latest,
        "answers": _form_answers(latest, getattr(request.state, "triage_answers", None)),
        "none_mark": NONE_MARK,
        "problem": None,
    }
    try:
        policy = application(request).triage_policy
    except CandorError as exc:  # a broken override: say so here, keep the incident page usable
        values["problem"] = exc.message
        return values
    used = set(questions_used(policy))
    values.update(
        policy=policy,
        questions=[q for q in QUESTIONS if q.id in used],
        other_questions=[q for q in QUESTIONS if q.id not in used],
    )
    if latest is not None:
        result = latest.result
        values["differs"] = (result.kind, result.severity) != (incident.kind, incident.severity)
        values["confirm_breach"] = (
            result.kind in BREACH_KINDS and Clock.BREACH_DETERMINED_AT not in incident.clocks
        )
    return values


INCIDENT_SECTIONS.append(section)


async def questionnaire(request: Request) -> dict[str, list[str]]:
    """Every value of each question (lists send several); read on the event loop so the route
    runs its database work in the thread pool."""
    submitted = await request.form()
    return {q.id: [str(v) for v in submitted.getlist(q.id)] for q in QUESTIONS}


@router.post("/incidents/{key}/triage")
def assess(
    request: Request,
    key: str,
    caller: Caller = Depends(page_auth),
    form: dict[str, str] = Depends(checked_form),
    fields: dict[str, list[str]] = Depends(questionnaire),
) -> Response:
    # shown ticked again if the answers are refused (a success redirects and drops it)
    request.state.triage_answers = fields
    return act(
        request,
        caller,
        key,
        form,
        "triage",
        lambda: triage.assess(
            context(request),
            caller.actor,
            key,
            answers_from_fields(fields),
            policy=application(request).triage_policy,
            note=form.get("note", ""),
        ),
        "triaged",
        "triage",
    )


@router.post("/incidents/{key}/triage/apply")
def apply(
    request: Request,
    key: str,
    caller: Caller = Depends(page_auth),
    form: dict[str, str] = Depends(checked_form),
) -> Response:
    return act(
        request,
        caller,
        key,
        form,
        "triage",
        lambda: triage.apply(
            context(request),
            caller.actor,
            key,
            version=optional_int(form, "assessment"),
            expected_version=optional_int(form, "version"),
        ),
        "triage-applied",
        "triage",
    )


@router.post("/incidents/{key}/triage/breach")
def confirm_breach(
    request: Request,
    key: str,
    caller: Caller = Depends(page_auth),
    form: dict[str, str] = Depends(checked_form),
) -> Response:
    return act(
        request,
        caller,
        key,
        form,
        "triage",
        lambda: triage.confirm_breach(
            context(request),
            caller.actor,
            key,
            version=optional_int(form, "assessment"),
            at=optional_time(form, "at"),
        ),
        "breach-confirmed",
        "triage",
    )
