"""Advisory pages: the list, one advisory, the create and edit forms (fields or YAML), publish,
downloads; and the advisories section of the incident page."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from candor.adapters.export import cvss, formats
from candor.bootstrap import Application
from candor.domain import incidents as incident_model
from candor.domain.advisories import Advisory, AdvisoryStatus, Tlp
from candor.domain.advisory_parse import parse_advisory
from candor.domain.advisory_store import UNNUMBERED
from candor.domain.errors import CandorError, InvalidInput, NotFound, Problem
from candor.services import advisories
from candor.services.ports_advisories import AdvisoryFilter
from candor.web import advisory_view
from candor.web.deps import Caller, Seq, application, checked_form, context, page_auth
from candor.web.pages import advisory_form
from candor.web.pages.common import NAV_ITEMS, NOTICES, optional_int, redirect, render
from candor.web.pages.incidents import INCIDENT_SECTIONS

router = APIRouter()
NAV_ITEMS.append({"href": "/advisories", "label": "Advisories"})

NOTICES.update(
    {
        "advisory-created": "Advisory created as a draft.",
        "advisory-updated": "Advisory saved.",
        "advisory-unchanged": "Nothing changed.",
        "advisory-published": "Revision published.",
        "advisory-discarded": "Draft deleted.",
    }
)
STATUSES = [s.value for s in AdvisoryStatus]


def _advisory_from(form: dict[str, str], *, base: Advisory | None) -> Advisory:
    """The advisory a submitted form describes: the fields, or a whole record as YAML."""
    if form.get("mode") == "yaml":
        return formats.read_record(
            form.get("yaml", ""), file="record", default_id=base.id if base else UNNUMBERED
        )
    return parse_advisory(advisory_form.record(form, base=base), scorer=cvss.score)


def _form(
    request: Request,
    caller: Caller,
    *,
    advisory: Advisory | None,
    version: int | None = None,
    values: dict[str, str] | None = None,
    problems: list[Problem] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    app: Application = application(request)
    if values is None:
        values = advisory_form.fields(advisory, publisher=app.advisories.publisher)
        if advisory is None and request.query_params.get("incident"):
            values["incidents"] = request.query_params["incident"].strip().upper()
    fits = advisory is None or advisory_form.representable(advisory)
    yaml_text = values.get("yaml") or (
        formats.dump_record(advisory) if advisory else _yaml_template(values)
    )
    return render(
        request,
        "advisories/form.html",
        status_code=status_code,
        caller=caller,
        advisory=advisory,
        lock_version=version,
        v=values,
        layout=advisory_form.layout(values),
        fits=fits,
        yaml_text=yaml_text,
        yaml_first=values.get("mode") == "yaml" or not fits,
        tlps=[t.value for t in Tlp],
        problems=problems or [],
        error=error,
    )


def _yaml_template(values: dict[str, str]) -> str:
    return (
        "title: \ntlp: CLEAR\ndescription: |\n  \n"
        + (f"incidents: [{values['incidents']}]\n" if values.get("incidents") else "")
        + "vulnerabilities:\n  - cve: \n    cvss: []\n    affected: []\n"
    )


@router.get("/advisories", response_class=HTMLResponse)
def advisory_list(
    request: Request,
    status: str | None = Query(None),
    cve: str | None = Query(None, max_length=30),
    caller: Caller = Depends(page_auth),
) -> Response:
    where = AdvisoryFilter(
        status=AdvisoryStatus(status) if status in STATUSES else None,
        cve=cve.strip().upper() if cve and cve.strip() else None,
    )
    found = advisories.page(context(request), caller.actor, where)
    return render(
        request,
        "advisories/list.html",
        caller=caller,
        items=found.items,
        total=found.total,
        status=where.status,
        cve=where.cve or "",
        statuses=STATUSES,
    )


@router.get("/advisories/new", response_class=HTMLResponse)
def new_form(request: Request, caller: Caller = Depends(page_auth)) -> Response:
    return _form(request, caller, advisory=None)


@router.post("/advisories/new")
def create(
    request: Request,
    caller: Caller = Depends(page_auth),
    form: dict[str, str] = Depends(checked_form),
) -> Response:
    app: Application = application(request)
    try:
        made = advisories.create(
            app.context, caller.actor, app.advisories, _advisory_from(form, base=None)
        )
    except InvalidInput as exc:
        return _form(
            request, caller, advisory=None, values=form, problems=exc.problems, status_code=422
        )
    return redirect(f"/advisories/{made.key}", notice="advisory-created")


@router.get("/advisories/{advisory_id}", response_class=HTMLResponse)
def show(request: Request, advisory_id: str, caller: Caller = Depends(page_auth)) -> Response:
    return _page(request, caller, advisory_id)


def _page(
    request: Request,
    caller: Caller,
    advisory_id: str,
    *,
    problems: list[Problem] | None = None,
    error: str | None = None,
    summary: str = "",
    status_code: int = 200,
) -> Response:
    view = advisories.get(context(request), caller.actor, advisory_id)
    return render(
        request,
        "advisories/page.html",
        status_code=status_code,
        caller=caller,
        view=view,
        stored=view.stored,
        advisory=view.stored.advisory,
        fmt=advisory_view,
        downloads=advisory_view.downloads(view.stored.advisory),
        can_write=caller.actor.can_write,
        summary=summary,
        problems=problems or [],
        error=error,
    )


@router.get("/advisories/{advisory_id}/edit", response_class=HTMLResponse)
def edit_form(request: Request, advisory_id: str, caller: Caller = Depends(page_auth)) -> Response:
    view = advisories.get(context(request), caller.actor, advisory_id)
    return _form(request, caller, advisory=_visible(view), version=view.stored.version)


def _visible(view: advisories.AdvisoryView) -> Advisory:
    """The working copy with only the incidents this reader may see (hidden links are kept by
    the use case, not shown in the form)."""
    return replace(view.stored.advisory, incidents=tuple(i.key for i in view.incidents))


@router.post("/advisories/{advisory_id}/edit")
def edit(
    request: Request,
    advisory_id: str,
    caller: Caller = Depends(page_auth),
    form: dict[str, str] = Depends(checked_form),
) -> Response:
    ctx = context(request)
    view = advisories.get(ctx, caller.actor, advisory_id)
    base = _visible(view)
    try:
        before = view.stored.version
        saved = advisories.update(
            ctx,
            caller.actor,
            advisory_id,
            _advisory_from(form, base=base),
            expected_version=optional_int(form, "version"),
            reason=form.get("reason", ""),
        )
    except NotFound:
        raise
    except CandorError as exc:
        return _form(
            request,
            caller,
            advisory=base,
            version=optional_int(form, "version"),
            values=form,
            problems=exc.problems_list(),
            error=exc.message,
            status_code=exc.status,
        )
    notice = "advisory-updated" if saved.version != before else "advisory-unchanged"
    return redirect(f"/advisories/{saved.key}", notice=notice)


@router.post("/advisories/{advisory_id}/publish")
def publish(
    request: Request,
    advisory_id: str,
    caller: Caller = Depends(page_auth),
    form: dict[str, str] = Depends(checked_form),
) -> Response:
    app: Application = application(request)
    try:
        saved, _ = advisories.publish(
            app.context,
            caller.actor,
            app.advisories,
            advisory_id,
            summary=form.get("summary", ""),
            expected_version=optional_int(form, "version"),
        )
    except NotFound:
        raise
    except CandorError as exc:
        return _page(
            request,
            caller,
            advisory_id,
            problems=exc.problems_list(),
            error=exc.message,
            summary=form.get("summary", ""),
            status_code=exc.status,
        )
    return redirect(f"/advisories/{saved.key}", notice="advisory-published", anchor="revisions")


@router.post("/advisories/{advisory_id}/discard")
def discard(
    request: Request,
    advisory_id: str,
    caller: Caller = Depends(page_auth),
    form: dict[str, str] = Depends(checked_form),
) -> Response:
    try:
        advisories.discard(
            context(request), caller.actor, advisory_id, reason=form.get("reason", "")
        )
    except NotFound:
        raise
    except CandorError as exc:
        return _page(request, caller, advisory_id, error=exc.message, status_code=exc.status)
    return redirect("/advisories", notice="advisory-discarded")


def _download(content: bytes, filename: str) -> Response:
    return Response(
        content,
        media_type="application/json",
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/advisories/{advisory_id}/export/{fmt}")
def export(
    request: Request,
    advisory_id: str,
    fmt: str,
    vulnerability: int | None = Query(None, ge=0, le=10_000),
    caller: Caller = Depends(page_auth),
) -> Response:
    """The working copy as it is now, freshly exported and validated."""
    app: Application = application(request)
    try:
        document = advisories.export(
            app.context, caller.actor, app.advisories, advisory_id, fmt, index=vulnerability
        )
    except NotFound:
        raise
    except InvalidInput as exc:
        return _page(
            request,
            caller,
            advisory_id,
            problems=exc.problems,
            error=f"The advisory cannot be exported as {fmt.upper()} yet.",
            status_code=422,
        )
    suffix = "" if vulnerability is None else f"-{vulnerability + 1}"
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    return _download(text.encode(), f"{advisory_id.lower()}{suffix}.{fmt}.json")


@router.get("/advisories/{advisory_id}/revisions/{ordinal}/{name}")
def revision_document(
    request: Request,
    advisory_id: str,
    ordinal: Seq,
    name: str,
    caller: Caller = Depends(page_auth),
) -> Response:
    """A document exactly as a revision published it (the bytes its hashes were taken of)."""
    revision, document = advisories.revision_document(
        context(request), caller.actor, advisory_id, ordinal, name
    )
    stem = name.removesuffix(".json")
    return _download(document.data, f"{advisory_id.lower()}-r{revision.number}-{stem}.json")


def advisories_section(
    request: Request, caller: Caller, incident: incident_model.Incident
) -> dict[str, Any] | None:
    linked = advisories.for_incident(context(request), caller.actor, incident.key)
    return {
        "id": "advisories",
        "title": "Advisories",
        "template": "advisories/section.html",
        "linked_advisories": linked,
    }


INCIDENT_SECTIONS.append(advisories_section)
