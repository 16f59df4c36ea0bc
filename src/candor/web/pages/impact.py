"""The impact statement and findings on the incident page, their forms, versions and diffs."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool

from candor.domain.errors import CandorError, NotFound
from candor.domain.findings import REVIEW_QUESTIONS, FindingState
from candor.domain.impact import SECTION_PROMPTS, SECTION_TITLES, Confidence, Section
from candor.domain.incidents import Incident
from candor.domain.obligations.reminders import left
from candor.domain.status_report import PARTS, split_items
from candor.services import impact, status_reports
from candor.web.deps import INT_MAX, Caller, Seq, checked_form, context, page_auth
from candor.web.pages import incidents as incident_pages
from candor.web.pages.common import optional_int, redirect, render

router = APIRouter()

COMMON = {
    "SECTION_TITLES": SECTION_TITLES,
    "SECTION_PROMPTS": SECTION_PROMPTS,
    "sections": list(Section),
    "confidences": list(Confidence),
    "REVIEW_QUESTIONS": REVIEW_QUESTIONS,
    "FindingState": FindingState,
}


def _impact_section(request: Request, caller: Caller, incident: Incident) -> dict[str, Any] | None:
    ctx = context(request)
    found = impact.statement(ctx, caller.actor, incident.key)
    return {
        "id": "impact",
        "title": "Impact statement",
        "template": "impact_section.html",
        "statement": found,
        **COMMON,
    }


def _findings_section(
    request: Request, caller: Caller, incident: Incident
) -> dict[str, Any] | None:
    ctx = context(request)
    view = impact.findings(ctx, caller.actor, incident.key)
    versions = impact.statement(ctx, caller.actor, incident.key).versions
    overdue = {d.finding.id for d in view.status.overdue}
    return {
        "id": "findings",
        "title": "Findings",
        "template": "findings_section.html",
        "view": view,
        "overdue_ids": overdue,
        "versions": versions,
        **COMMON,
    }


def _status_section(request: Request, caller: Caller, incident: Incident) -> dict[str, Any] | None:
    due = status_reports.schedule(context(request), caller.actor, incident.key)
    return {
        "id": "status-reports",
        "title": "Internal status reports",
        "template": "status_report_section.html",
        "schedule": due,
        "left": left(due.due_at, due.now) if due.due_at else "",
    }


def _overdue_panel(request: Request, caller: Caller) -> dict[str, Any] | None:
    overdue = impact.overdue_everywhere(context(request), caller.actor)
    if not overdue:
        return None
    return {
        "title": "Findings waiting for review",
        "template": "findings_panel.html",
        "overdue": overdue,
    }


# the impact statement comes first under the incident header: it is what everyone opens first
incident_pages.INCIDENT_SECTIONS.insert(0, _impact_section)
incident_pages.INCIDENT_SECTIONS.insert(1, _findings_section)
incident_pages.INCIDENT_SECTIONS.insert(2, _status_section)
incident_pages.DASHBOARD_PANELS.append(_overdue_panel)


def _edit_page(
    request: Request,
    caller: Caller,
    key: str,
    *,
    status_code: int = 200,
    error: str | None = None,
    problems: list[Any] | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    ctx = context(request)
    found = impact.statement(ctx, caller.actor, key)
    view = impact.findings(ctx, caller.actor, key)
    reviewed = [(n, f) for n, _, f in view.findings if f.state is FindingState.REVIEWED]
    return render(
        request,
        "impact_edit.html",
        status_code=status_code,
        caller=caller,
        incident=found.incident,
        current=found.current,
        reviewed=reviewed,
        error=error,
        problems=problems or [],
        values=values or {},
        **COMMON,
    )


@router.get("/incidents/{key}/impact/edit", response_class=HTMLResponse)
def edit(request: Request, key: str, caller: Caller = Depends(page_auth)) -> Response:
    return _edit_page(request, caller, key)


@router.post("/incidents/{key}/impact")
async def save(
    request: Request,
    key: str,
    caller: Caller = Depends(page_auth),
    form: dict[str, str] = Depends(checked_form),
) -> Response:
    raw = await request.form()
    sections = {
        s.value: {
            "text": form.get(f"text_{s.value}", ""),
            "confidence": form.get(f"confidence_{s.value}", "unknown"),
        }
        for s in Section
    }
    affected: dict[str, Any] = {"confidence": form.get("affected_confidence", "unknown")}
    for name in ("customers", "people"):
        value = form.get(f"affected_{name}", "").strip()
        affected[name] = int(value) if value.isdigit() else (value or None)
    try:
        await run_in_threadpool(
            impact.save_version,
            context(request),
            caller.actor,
            key,
            sections=sections,
            affected=affected,
            reason=form.get("reason", ""),
            based_on=optional_int(form, "based_on"),
            findings=[int(str(v)) for v in raw.getlist("findings") if str(v).isdigit()],
        )
    except NotFound:
        raise
    except CandorError as exc:
        return _edit_page(
            request,
            caller,
            key,
            status_code=exc.status,
            error=exc.message,
            problems=exc.problems_list(),
            values=form,
        )
    return redirect(f"/incidents/{key.upper()}", notice="impact", anchor="impact")


@router.get("/incidents/{key}/impact/diff", response_class=HTMLResponse)
def diff(
    request: Request,
    key: str,
    a: int = Query(..., ge=1, le=INT_MAX),
    b: int = Query(..., ge=1, le=INT_MAX),
    caller: Caller = Depends(page_auth),
) -> Response:
    ctx = context(request)
    found = impact.statement(ctx, caller.actor, key)
    delta = impact.diff(ctx, caller.actor, key, a, b)
    return render(
        request,
        "impact_diff.html",
        caller=caller,
        incident=found.incident,
        versions=found.versions,
        delta=delta,
        a=a,
        b=b,
        **COMMON,
    )


@router.get("/incidents/{key}/impact.md")
def export(
    request: Request,
    key: str,
    version: int | None = Query(None, ge=1, le=INT_MAX),
    caller: Caller = Depends(page_auth),
) -> Response:
    text = impact.markdown(context(request), caller.actor, key, version)
    name = f"{key.upper()}-impact{'-v' + str(version) if version else ''}.md"
    return PlainTextResponse(
        text,
        media_type="text/markdown; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _finding_action(
    request: Request, caller: Caller, key: str, form: dict[str, str], action: Any, notice: str
) -> Response:
    try:
        action()
    except NotFound:
        raise
    except CandorError as exc:
        return incident_pages.incident_page(
            request,
            caller,
            key,
            status_code=exc.status,
            problems=exc.problems_list(),
            error=exc.message,
            failed_form="findings",
            values=form,
        )
    return redirect(f"/incidents/{key.upper()}", notice=notice, anchor="findings")


@router.post("/incidents/{key}/findings")
def add_finding(
    request: Request,
    key: str,
    caller: Caller = Depends(page_auth),
    form: dict[str, str] = Depends(checked_form),
) -> Response:
    return _finding_action(
        request,
        caller,
        key,
        form,
        lambda: impact.add_finding(
            context(request),
            caller.actor,
            key,
            summary=form.get("summary", ""),
            source=form.get("source", ""),
            evidence_ref=form.get("evidence_ref", ""),
        ),
        "finding-added",
    )


@router.post("/incidents/{key}/findings/{number}/review")
def review(
    request: Request,
    key: str,
    number: Seq,
    caller: Caller = Depends(page_auth),
    form: dict[str, str] = Depends(checked_form),
) -> Response:
    return _finding_action(
        request,
        caller,
        key,
        form,
        lambda: impact.review_finding(
            context(request),
            caller.actor,
            key,
            number,
            changes_customer_impact=form.get("changes_customer_impact", "unknown"),
            new_access_path=form.get("new_access_path", "unknown"),
            new_data=form.get("new_data", "unknown"),
            note=form.get("note", ""),
        ),
        "finding-reviewed",
    )


@router.post("/incidents/{key}/findings/{number}/dismiss")
def dismiss(
    request: Request,
    key: str,
    number: Seq,
    caller: Caller = Depends(page_auth),
    form: dict[str, str] = Depends(checked_form),
) -> Response:
    return _finding_action(
        request,
        caller,
        key,
        form,
        lambda: impact.dismiss_finding(
            context(request), caller.actor, key, number, reason=form.get("reason", "")
        ),
        "finding-dismissed",
    )


@router.post("/incidents/{key}/findings/{number}/integrate")
def integrate(
    request: Request,
    key: str,
    number: Seq,
    caller: Caller = Depends(page_auth),
    form: dict[str, str] = Depends(checked_form),
) -> Response:
    return _finding_action(
        request,
        caller,
        key,
        form,
        lambda: impact.integrate_finding(
            context(request), caller.actor, key, number, version=optional_int(form, "version") or 0
        ),
        "finding-integrated",
    )


@router.post("/incidents/{key}/findings/cadence")
def cadence(
    request: Request,
    key: str,
    caller: Caller = Depends(page_auth),
    form: dict[str, str] = Depends(checked_form),
) -> Response:
    return _finding_action(
        request,
        caller,
        key,
        form,
        lambda: impact.set_review_cadence(
            context(request), caller.actor, key, optional_int(form, "minutes")
        ),
        "cadence",
    )


def _status_edit_page(
    request: Request,
    caller: Caller,
    key: str,
    *,
    status_code: int = 200,
    error: str | None = None,
    problems: list[Any] | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    ctx = context(request)
    report = status_reports.draft(ctx, caller.actor, key)
    shown = {part: "\n".join(getattr(report, part)) for part in PARTS}
    shown["impact_version"] = str(report.impact_version or "")
    return render(
        request,
        "status_report_edit.html",
        status_code=status_code,
        caller=caller,
        incident=impact.statement(ctx, caller.actor, key).incident,
        report=report,
        schedule=status_reports.schedule(ctx, caller.actor, key),
        error=error,
        problems=problems or [],
        values={**shown, **(values or {})},
    )


@router.get("/incidents/{key}/status-report/edit", response_class=HTMLResponse)
def status_report_edit(request: Request, key: str, caller: Caller = Depends(page_auth)) -> Response:
    return _status_edit_page(request, caller, key)


@router.post("/incidents/{key}/status-report")
def status_report(
    request: Request,
    key: str,
    caller: Caller = Depends(page_auth),
    form: dict[str, str] = Depends(checked_form),
) -> Response:
    """Without the edit form's fields: the draft as it is; with them: the edited report."""
    if "conditions" not in form:
        return _finding_action(
            request,
            caller,
            key,
            form,
            lambda: status_reports.post(context(request), caller.actor, key),
            "status-report",
        )
    try:
        edit = status_reports.Edit(
            conditions=split_items(form.get("conditions", "")),
            actions=split_items(form.get("actions", "")),
            needs=split_items(form.get("needs", "")),
            impact_version=optional_int(form, "impact_version"),
        )
        status_reports.post(context(request), caller.actor, key, edit=edit)
    except NotFound:
        raise
    except CandorError as exc:
        # a conflict keeps the text but takes the new draft's version: posting again, after
        # reading the new draft, is then a decision
        kept = {k: v for k, v in form.items() if exc.status != 409 or k != "impact_version"}
        return _status_edit_page(
            request,
            caller,
            key,
            status_code=exc.status,
            error=exc.message,
            problems=exc.problems_list(),
            values=kept,
        )
    return redirect(f"/incidents/{key.upper()}", notice="status-report", anchor="status-reports")
