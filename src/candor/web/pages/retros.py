"""The retro of an incident (its page, forms and downloads), its section on the incident page,
and the action items across incidents (``/actions``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from candor.adapters.export import learn as exports
from candor.domain.errors import CandorError, NotFound
from candor.domain.incidents import Incident
from candor.domain.milestones import MILESTONE_LABELS
from candor.domain.retro_items import ActionKind, ActionStatus
from candor.domain.retros import RETRO_TRANSITIONS, RetroStatus
from candor.services import accounts, retros
from candor.web.deps import Caller, Seq, application, checked_form, context, page_auth
from candor.web.pages import incidents as incident_pages
from candor.web.pages.common import NAV_ITEMS, NOTICES, optional_int, redirect, render

router = APIRouter()

CHAIN_LEVELS = 5  # the form offers five levels; the API takes up to a dozen
LIST_FIELDS = ("went_well", "went_poorly", "lucky", "contributing_factors")
LIST_LABELS = {
    "went_well": "What went well",
    "went_poorly": "What went poorly",
    "lucky": "Where we got lucky",
    "contributing_factors": "Contributing factors",
}
STATUS_ACTIONS = {
    RetroStatus.DRAFT: "Back to draft",
    RetroStatus.IN_REVIEW: "Send for review",
    RetroStatus.PUBLISHED: "Publish (internal)",
}
COMMON = {
    "kinds": list(ActionKind),
    "action_statuses": list(ActionStatus),
    "MILESTONE_LABELS": MILESTONE_LABELS,
    "LIST_FIELDS": LIST_FIELDS,
    "LIST_LABELS": LIST_LABELS,
    "STATUS_ACTIONS": STATUS_ACTIONS,
    "RETRO_TRANSITIONS": RETRO_TRANSITIONS,
    "CHAIN_LEVELS": CHAIN_LEVELS,
    "report_kinds": [
        ("incident", "Incident report"),
        ("retro", "Retro"),
        ("counsel", "Counsel packet"),
        ("writeup", "Public write-up draft"),
    ],
}
NOTICES.update(
    {
        "retro-started": "Retro started as a draft.",
        "retro-saved": "Retro saved.",
        "retro-chain": "Five-whys chain added.",
        "retro-status": "Retro status changed.",
        "action-added": "Action item added.",
        "action-status": "Action item updated.",
    }
)
NAV_ITEMS.append({"href": "/actions", "label": "Action items", "show": lambda actor: True})


def _section(request: Request, caller: Caller, incident: Incident) -> dict[str, Any] | None:
    return {
        "id": "retro",
        "title": "Retro and action items",
        "template": "retro_section.html",
        "retro": retros.current(context(request), caller.actor, incident.key),
        "now": context(request).clock.now(),
        **COMMON,
    }


def _overdue_panel(request: Request, caller: Caller) -> dict[str, Any] | None:
    rows = retros.action_items(context(request), caller.actor, open_only=True)
    late = [r for r in rows if r.overdue]
    if not late:
        return None
    return {
        "title": "Overdue action items",
        "template": "actions_panel.html",
        "rows": late[:10],
        "total": len(late),
    }


incident_pages.INCIDENT_SECTIONS.append(_section)
incident_pages.DASHBOARD_PANELS.append(_overdue_panel)


def retro_page(
    request: Request,
    caller: Caller,
    key: str,
    *,
    status_code: int = 200,
    error: str | None = None,
    problems: list[Any] | None = None,
    failed_form: str | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    ctx = context(request)
    view = retros.get(ctx, caller.actor, key, policy=application(request).blameless_policy)
    return render(
        request,
        "retro.html",
        status_code=status_code,
        caller=caller,
        incident=view.incident,
        view=view,
        retro=view.retro,
        users=accounts.list_users(ctx, caller.actor),
        now=ctx.clock.now(),
        chosen_entries={i.entry for i in view.retro.timeline if i.entry} if view.retro else set(),
        # the retro's own bookkeeping on the timeline is not part of the story it tells
        entries=[e for e in view.entries if not (isinstance(e.data, dict) and "retro" in e.data)],
        error=error,
        problems=problems or [],
        failed_form=failed_form,
        values=values or {},
        can_write=caller.actor.can_write,
        **COMMON,
    )


@router.get("/incidents/{key}/retro", response_class=HTMLResponse)
def show(request: Request, key: str, caller: Caller = Depends(page_auth)) -> Response:
    return retro_page(request, caller, key)


def _act(
    request: Request,
    caller: Caller,
    key: str,
    form: dict[str, str],
    name: str,
    action: Callable[[], object],
    notice: str,
    anchor: str = "",
) -> Response:
    """Run a form's action; on a user error show the retro again with the message and the
    input kept."""
    try:
        action()
    except NotFound:
        raise
    except CandorError as exc:
        return retro_page(
            request,
            caller,
            key,
            status_code=exc.status,
            error=exc.message,
            problems=list(exc.problems_list()),
            failed_form=name,
            values=form,
        )
    return redirect(f"/incidents/{key.upper()}/retro", notice=notice, anchor=anchor)


@router.post("/incidents/{key}/retro/start")
def start(
    request: Request,
    key: str,
    caller: Caller = Depends(page_auth),
    form: dict[str, str] = Depends(checked_form),
) -> Response:
    return _act(
        request,
        caller,
        key,
        form,
        "start",
        lambda: retros.start(context(request), caller.actor, key),
        "retro-started",
    )


def lines(text: str) -> list[str]:
    """One item per line; blank lines are skipped."""
    return [line.strip() for line in text.splitlines() if line.strip()]


@router.post("/incidents/{key}/retro")
async def save(
    request: Request,
    key: str,
    caller: Caller = Depends(page_auth),
    form: dict[str, str] = Depends(checked_form),
) -> Response:
    raw = await request.form()
    chosen = [int(str(v)) for v in raw.getlist("entries") if str(v).isdigit()]
    changes: dict[str, Any] = {
        "summary": form.get("summary", ""),
        "impact": form.get("impact", ""),
        **{name: lines(form.get(name, "")) for name in LIST_FIELDS},
    }
    return _act(
        request,
        caller,
        key,
        form,
        "edit",
        lambda: retros.revise(
            context(request),
            caller.actor,
            key,
            changes,
            timeline_entries=chosen,
            expected_version=optional_int(form, "version"),
        ),
        "retro-saved",
    )


@router.post("/incidents/{key}/retro/chains")
def add_chain(
    request: Request,
    key: str,
    caller: Caller = Depends(page_auth),
    form: dict[str, str] = Depends(checked_form),
) -> Response:
    steps = []
    for level in range(1, CHAIN_LEVELS + 1):
        why, because = form.get(f"why_{level}", "").strip(), form.get(f"because_{level}", "")
        if why or because.strip():
            steps.append({"why": why, "because": because.strip()})
    return _act(
        request,
        caller,
        key,
        form,
        "chain",
        lambda: retros.add_chain(
            context(request),
            caller.actor,
            key,
            problem=form.get("problem", ""),
            steps=steps,
            expected_version=optional_int(form, "version"),
        ),
        "retro-chain",
        anchor="chains",
    )


@router.post("/incidents/{key}/retro/status")
def set_status(
    request: Request,
    key: str,
    caller: Caller = Depends(page_auth),
    form: dict[str, str] = Depends(checked_form),
) -> Response:
    return _act(
        request,
        caller,
        key,
        form,
        "status",
        lambda: retros.set_status(context(request), caller.actor, key, form.get("status", "")),
        "retro-status",
    )


@router.post("/incidents/{key}/retro/actions")
def add_action(
    request: Request,
    key: str,
    caller: Caller = Depends(page_auth),
    form: dict[str, str] = Depends(checked_form),
) -> Response:
    return _act(
        request,
        caller,
        key,
        form,
        "action",
        lambda: retros.add_action_item(
            context(request),
            caller.actor,
            key,
            title=form.get("title", ""),
            kind=form.get("kind", ""),
            owner=form.get("owner") or None,
            due_on=form.get("due_on") or None,
            tracker_url=form.get("tracker_url") or None,
        ),
        "action-added",
        anchor="actions",
    )


@router.post("/incidents/{key}/retro/actions/{seq}/status")
def action_status(
    request: Request,
    key: str,
    seq: Seq,
    caller: Caller = Depends(page_auth),
    form: dict[str, str] = Depends(checked_form),
) -> Response:
    def action() -> object:
        return retros.set_action_status(
            context(request), caller.actor, key, seq, form.get("status", "")
        )

    if form.get("back") == "actions":
        action()
        return redirect("/actions", notice="action-status")
    return _act(request, caller, key, form, "action-status", action, "action-status", "actions")


@router.get("/incidents/{key}/reports/{kind}.{fmt}")
def download(
    request: Request,
    key: str,
    kind: str,
    fmt: str,
    privileged: bool = Query(False),
    caller: Caller = Depends(page_auth),
) -> Response:
    made = exports.download(context(request), caller.actor, key, kind, fmt, privileged=privileged)
    return Response(
        made.content,
        media_type=made.media_type,
        headers={"Content-Disposition": f'attachment; filename="{made.filename}"'},
    )


@router.get("/actions", response_class=HTMLResponse)
def actions(
    request: Request,
    show: str = Query("open"),
    caller: Caller = Depends(page_auth),
) -> Response:
    chosen = show if show in ("open", "all") else "open"
    rows = retros.action_items(context(request), caller.actor, open_only=chosen == "open")
    return render(
        request,
        "actions.html",
        caller=caller,
        rows=rows,
        show=chosen,
        overdue=sum(r.overdue for r in rows),
        **COMMON,
    )
