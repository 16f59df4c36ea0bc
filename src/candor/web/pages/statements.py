"""Statements on the incident page, the drafting form and each statement's page with its
review, publication and correction forms."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from candor.domain.errors import CandorError, NotFound
from candor.domain.incidents import Incident
from candor.domain.statements import DEFERRED_TEXT, Audience, Channel, Kind, State
from candor.services import statement_delivery, statements
from candor.web.deps import Caller, Seq, checked_form, context, page_auth
from candor.web.pages import incidents as incident_pages
from candor.web.pages.common import NOTICES, redirect, render

router = APIRouter()

NOTICES.update(
    {
        "statement-drafted": "Statement drafted.",
        "statement-edited": "Draft saved.",
        "statement-submitted": "Sent for review.",
        "statement-approved": "Approved.",
        "statement-changes": "Sent back to the author with your comment.",
        "statement-withdrawn": "Statement withdrawn.",
        "statement-published": "Published. It can no longer change.",
        "statement-correction": "Correction drafted: it goes through review like any statement.",
        "statement-delegate": "Publishing delegates updated.",
    }
)

COMMON = {
    "audiences": list(Audience),
    "channels": list(Channel),
    "kinds": [k for k in Kind if k is not Kind.CORRECTION],
    "templates": list(statements.TEMPLATES),
    "State": State,
    "Kind": Kind,
    "DEFERRED_TEXT": DEFERRED_TEXT,
}


def _section(request: Request, caller: Caller, incident: Incident) -> dict[str, Any] | None:
    view = statements.statements(context(request), caller.actor, incident.key)
    return {
        "id": "statements",
        "title": "Statements",
        "template": "statements_section.html",
        "view": view,
        **COMMON,
    }


# after the impact statement and findings, which statements draw on
incident_pages.INCIDENT_SECTIONS.insert(2, _section)


def _new_page(
    request: Request,
    caller: Caller,
    key: str,
    *,
    status_code: int = 200,
    error: str | None = None,
    problems: list[Any] | None = None,
    values: dict[str, Any] | None = None,
) -> Response:
    view = statements.statements(context(request), caller.actor, key)
    return render(
        request,
        "statement_new.html",
        status_code=status_code,
        caller=caller,
        incident=view.incident,
        error=error,
        problems=problems or [],
        values=values or {},
        **COMMON,
    )


@router.get("/incidents/{key}/statements/new", response_class=HTMLResponse)
def new(request: Request, key: str, caller: Caller = Depends(page_auth)) -> Response:
    return _new_page(request, caller, key)


@router.post("/incidents/{key}/statements")
async def create(
    request: Request,
    key: str,
    caller: Caller = Depends(page_auth),
    form: dict[str, str] = Depends(checked_form),
) -> Response:
    raw = await request.form()
    channels = [str(v) for v in raw.getlist("channels")]
    values: dict[str, Any] = {**form, "channels": channels}
    ctx = context(request)
    try:
        template = form.get("template", "").strip()
        if template:
            s = statements.draft_from_template(
                ctx,
                caller.actor,
                key,
                template=template,
                audience=form.get("audience", ""),
                audience_ref=form.get("audience_ref", ""),
                channels=channels,
            )
        else:
            s = statements.draft(
                ctx,
                caller.actor,
                key,
                kind=form.get("kind", "update"),
                audience=form.get("audience", ""),
                audience_ref=form.get("audience_ref", ""),
                channels=channels,
                title=form.get("title", ""),
                body=form.get("body", ""),
            )
    except NotFound:
        raise
    except CandorError as exc:
        return _new_page(
            request,
            caller,
            key,
            status_code=exc.status,
            error=exc.message,
            problems=exc.problems_list(),
            values=values,
        )
    return redirect(f"/incidents/{key.upper()}/statements/{s.number}", notice="statement-drafted")


def _page(
    request: Request,
    caller: Caller,
    key: str,
    number: Seq,
    *,
    status_code: int = 200,
    error: str | None = None,
    problems: list[Any] | None = None,
    values: dict[str, Any] | None = None,
) -> Response:
    view = statements.statements(context(request), caller.actor, key)
    found = view.get(number)
    if found is None:
        raise NotFound(f"{view.incident.key} has no statement #{number}")
    corrected = view.get(found.corrects) if found.corrects else None
    delivery = (
        statement_delivery.delivery_status(context(request), caller.actor, key, number)
        if found.state is State.PUBLISHED
        else {}
    )
    return render(
        request,
        "statement.html",
        status_code=status_code,
        caller=caller,
        incident=view.incident,
        statement=found,
        corrected=corrected,
        corrections=view.corrections_of(number),
        delivery={k.value: n for k, n in delivery.items()},
        can_publish=view.can_publish,
        can_write=caller.actor.can_write,
        error=error,
        problems=problems or [],
        values=values or {},
        **COMMON,
    )


@router.get("/incidents/{key}/statements/{number}", response_class=HTMLResponse)
def show(request: Request, key: str, number: Seq, caller: Caller = Depends(page_auth)) -> Response:
    return _page(request, caller, key, number)


async def _act(
    request: Request,
    caller: Caller,
    key: str,
    number: Seq,
    form: dict[str, str],
    action: Any,
    notice: str,
) -> Response:
    try:
        # the use case does database work: off the event loop, like every other page
        result = await run_in_threadpool(action, context(request), caller.actor, form)
    except NotFound:
        raise
    except CandorError as exc:
        return _page(
            request,
            caller,
            key,
            number,
            status_code=exc.status,
            error=exc.message,
            problems=exc.problems_list(),
            values=form,
        )
    target = getattr(result, "number", number)
    return redirect(f"/incidents/{key.upper()}/statements/{target}", notice=notice)


@router.post("/incidents/{key}/statements/{number}/edit")
async def edit(
    request: Request,
    key: str,
    number: Seq,
    caller: Caller = Depends(page_auth),
    form: dict[str, str] = Depends(checked_form),
) -> Response:
    raw = await request.form()
    names = [str(v) for v in raw.getlist("element_name")]
    elements = {
        name: {
            "text": form.get(f"element_text_{i}", ""),
            "deferred": form.get(f"element_later_{i}") == "on",
        }
        for i, name in enumerate(names)
    }
    version = form.get("version", "")

    def action(ctx: Any, actor: Any, f: dict[str, str]) -> Any:
        return statements.edit(
            ctx,
            actor,
            key,
            number,
            title=f.get("title"),
            body=f.get("body"),
            elements=elements or None,
            version=int(version) if version.isdigit() else None,
        )

    return await _act(request, caller, key, number, form, action, "statement-edited")


# The review steps: path → (use case, notice shown after it); one route each, registered below.
_STEPS: dict[str, tuple[Callable[..., Any], str]] = {
    "submit": (lambda ctx, a, key, n, f: statements.submit(ctx, a, key, n), "statement-submitted"),
    "approve": (
        lambda ctx, a, key, n, f: statements.approve(ctx, a, key, n, comment=f.get("comment", "")),
        "statement-approved",
    ),
    "request-changes": (
        lambda ctx, a, key, n, f: statements.request_changes(
            ctx, a, key, n, comment=f.get("comment", "")
        ),
        "statement-changes",
    ),
    "withdraw": (
        lambda ctx, a, key, n, f: statements.withdraw(ctx, a, key, n, reason=f.get("reason", "")),
        "statement-withdrawn",
    ),
    "publish": (
        lambda ctx, a, key, n, f: statements.publish(ctx, a, key, n),
        "statement-published",
    ),
}


def _step_route(step: str) -> None:
    use_case, notice = _STEPS[step]

    async def route(
        request: Request,
        key: str,
        number: Seq,
        caller: Caller = Depends(page_auth),
        form: dict[str, str] = Depends(checked_form),
    ) -> Response:
        return await _act(
            request,
            caller,
            key,
            number,
            form,
            lambda ctx, actor, f: use_case(ctx, actor, key, number, f),
            notice,
        )

    route.__name__ = f"statement_{step.replace('-', '_')}"
    router.post(f"/incidents/{{key}}/statements/{{number}}/{step}")(route)


for _step in _STEPS:
    _step_route(_step)


@router.post("/incidents/{key}/statements/{number}/correct")
async def correct(
    request: Request,
    key: str,
    number: Seq,
    caller: Caller = Depends(page_auth),
    form: dict[str, str] = Depends(checked_form),
) -> Response:
    return await _act(
        request,
        caller,
        key,
        number,
        form,
        lambda ctx, actor, f: statements.correct(
            ctx,
            actor,
            key,
            number,
            title=f.get("correction_title", "Correction"),
            body=f.get("correction_body", ""),
            what_was_wrong=f.get("what_was_wrong", ""),
        ),
        "statement-correction",
    )


@router.post("/incidents/{key}/statements-delegates")
async def delegate(
    request: Request,
    key: str,
    caller: Caller = Depends(page_auth),
    form: dict[str, str] = Depends(checked_form),
) -> Response:
    # errors (not the communications lead, no such user) show as the error page with the
    # message, like any other
    statements.set_delegate(
        context(request),
        caller.actor,
        key,
        form.get("username", ""),
        on=form.get("remove") != "on",
    )
    return redirect(f"/incidents/{key.upper()}", notice="statement-delegate", anchor="statements")
