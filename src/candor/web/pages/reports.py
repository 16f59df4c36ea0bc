"""The reports queue for responders: list, read, acknowledge, promote, decline, decrypt."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from candor.domain import reports as model
from candor.domain.errors import CandorError, NotFound
from candor.domain.reports import Decryption, ReportStatus
from candor.domain.vocabulary import Kind, Severity
from candor.services import reports
from candor.services.ports_intake import ReportFilter
from candor.web.deps import Caller, application, checked_form, context, page_auth
from candor.web.pages.common import NAV_ITEMS, NOTICES, optional_int, redirect, render

router = APIRouter()

PER_PAGE = 50
SHOW = {
    "open": reports.OPEN,
    "promoted": (ReportStatus.PROMOTED,),
    "declined": (ReportStatus.DECLINED,),
    "all": (),
}
NOTICES.update(
    {
        "report-acknowledged": "Report acknowledged.",
        "report-declined": "Report declined.",
    }
)
NAV_ITEMS.append({"href": "/reports", "label": "Reports", "show": model.can_read})


@router.get("/reports", response_class=HTMLResponse)
def queue(
    request: Request,
    show: str = Query("open"),
    page: int = Query(1, ge=1, le=100_000),
    caller: Caller = Depends(page_auth),
) -> Response:
    chosen = show if show in SHOW else "open"
    found = reports.page(
        context(request),
        caller.actor,
        ReportFilter(status=SHOW[chosen], limit=PER_PAGE, offset=(page - 1) * PER_PAGE),
    )
    return render(
        request,
        "reports.html",
        caller=caller,
        reports=found.items,
        total=found.total,
        show=chosen,
        choices=list(SHOW),
        page=page,
        pages=max(1, -(-found.total // PER_PAGE)),
    )


def report_page(
    request: Request,
    caller: Caller,
    key: str,
    *,
    status_code: int = 200,
    error: str | None = None,
    problems: list[object] | None = None,
    failed_form: str | None = None,
    values: dict[str, str] | None = None,
    opened: Decryption | None = None,
) -> Response:
    view = reports.get(context(request), caller.actor, key)
    return render(
        request,
        "report.html",
        status_code=status_code,
        caller=caller,
        report=view.report,
        decryptions=view.decryptions,
        opened=opened,
        can_decrypt=application(request).settings.pgp.private_key is not None,
        can_handle=caller.actor.can_write,
        kinds=list(Kind),
        severities=list(Severity),
        error=error,
        problems=problems or [],
        failed_form=failed_form,
        values=values or {},
    )


@router.get("/reports/{key}", response_class=HTMLResponse)
def show_report(request: Request, key: str, caller: Caller = Depends(page_auth)) -> Response:
    return report_page(request, caller, key)


def _act(
    request: Request,
    caller: Caller,
    key: str,
    form: dict[str, str],
    name: str,
    action: Callable[[], Response],
) -> Response:
    """Run a form's action; on a user error show the report again with the message and the
    input kept."""
    try:
        return action()
    except NotFound:
        raise
    except CandorError as exc:
        return report_page(
            request,
            caller,
            key,
            status_code=exc.status,
            error=exc.message,
            problems=list(exc.problems_list()),
            failed_form=name,
            values=form,
        )


@router.post("/reports/{key}/acknowledge")
def acknowledge(
    request: Request,
    key: str,
    caller: Caller = Depends(page_auth),
    form: dict[str, str] = Depends(checked_form),
) -> Response:
    def action() -> Response:
        done = reports.acknowledge(
            context(request), caller.actor, key, expected_version=optional_int(form, "version")
        )
        return redirect(f"/reports/{done.key}", notice="report-acknowledged")

    return _act(request, caller, key, form, "acknowledge", action)


@router.post("/reports/{key}/decline")
def decline(
    request: Request,
    key: str,
    caller: Caller = Depends(page_auth),
    form: dict[str, str] = Depends(checked_form),
) -> Response:
    def action() -> Response:
        done = reports.decline(
            context(request),
            caller.actor,
            key,
            reason=form.get("reason", ""),
            expected_version=optional_int(form, "version"),
        )
        return redirect(f"/reports/{done.key}", notice="report-declined")

    return _act(request, caller, key, form, "decline", action)


@router.post("/reports/{key}/promote")
def promote(
    request: Request,
    key: str,
    caller: Caller = Depends(page_auth),
    form: dict[str, str] = Depends(checked_form),
) -> Response:
    def action() -> Response:
        _, incident = reports.promote(
            context(request),
            caller.actor,
            key,
            title=form.get("title", ""),
            kind=form.get("kind", Kind.SECURITY_INCIDENT.value),
            severity=form.get("severity", Severity.SEV3.value),
            restricted=bool(form.get("restricted")),
            expected_version=optional_int(form, "version"),
        )
        return redirect(f"/incidents/{incident.key}", notice="declared")

    return _act(request, caller, key, form, "promote", action)


@router.post("/reports/{key}/decrypt", response_class=HTMLResponse)
def decrypt(
    request: Request,
    key: str,
    caller: Caller = Depends(page_auth),
    form: dict[str, str] = Depends(checked_form),
) -> Response:
    def action() -> Response:
        opened = reports.decrypt(
            context(request),
            caller.actor,
            key,
            organisation_key=application(request).organisation_key(),
            keep=bool(form.get("keep")),
        )
        # shown once, in this answer (never cached: every page is no-store); kept on request
        return report_page(request, caller, key, opened=opened)

    return _act(request, caller, key, form, "decrypt", action)
