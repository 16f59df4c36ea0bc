"""The inventory and customers pages (with their imports), the scope and scans sections of the
incident page, and the contact-readiness panel of the dashboard."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response

from candor.adapters import inventory_file
from candor.domain.errors import CandorError, InvalidInput, Problem
from candor.domain.incidents import Incident
from candor.domain.inventory_scope import Compromise
from candor.services import inventory, scope
from candor.web.deps import Caller, Seq, checked_form, context, page_auth
from candor.web.pages import incidents as incident_pages
from candor.web.pages.common import NAV_ITEMS, NOTICES, redirect, render
from candor.web.pages.contacts import uploaded

router = APIRouter()

SHORT_EXAMPLE = """customers:
  - external_id: acme
    name: Acme Corporation
    jurisdictions: [US-CA, DE]
    contacts: [{email: security@acme.example, verified: true}]
systems:
  - name: collector-credentials
    owner: platform-team
    environment: production
    data_elements: [third_party_credentials]
    encryption: {at_rest: true, key_location: AWS KMS, production account}
credentials:
  - {customer: acme, type: aws_access_key_id, identifier: AKIA…, system: collector-credentials}
code:
  - {name: collector-agent, kind: agent, version: 4.12.1}
"""

NAV_ITEMS.append({"href": "/inventory", "label": "Inventory"})
NAV_ITEMS.append({"href": "/customers", "label": "Customers"})
NOTICES.update(
    {
        "inventory-imported": "Inventory imported.",
        "customers-imported": "Customers imported.",
        "unreachable": "Address marked unreachable.",
        "scope-marked": "Scope updated; the obligations facts follow it.",
        "scan-attached": "Scan attached; its key facts wait in the findings.",
    }
)


def _text(form: dict[str, str], upload: tuple[str, bytes] | None, default: str) -> tuple[str, str]:
    if upload is None:
        return default, form.get("text", "")
    try:
        return upload[0], upload[1].decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput(Problem("not valid UTF-8", file=upload[0])) from None


# ---- /inventory --------------------------------------------------------------------------------


def _inventory_page(
    request: Request, caller: Caller, *, status_code: int = 200, **values: Any
) -> Response:
    values.setdefault("text", "")
    return render(
        request,
        "inventory.html",
        status_code=status_code,
        caller=caller,
        inv=inventory.show(context(request), caller.actor),
        example=SHORT_EXAMPLE,
        **values,
    )


def _import(
    request: Request,
    caller: Caller,
    form: dict[str, str],
    upload: tuple[str, bytes] | None,
    kind: str,
    use_case: Callable[..., Any],
    page: Callable[..., Response],
) -> Response:
    """An inventory or customers file, uploaded or pasted: imported whole, or shown again with
    every problem at its line."""
    try:
        name, text = _text(form, upload, form.get("filename") or "pasted.yaml")
        doc = inventory_file.parse(text, file=name, kind=kind)
        use_case(context(request), caller.actor, doc.data, file=doc.file, locate=doc.locate)
    except CandorError as exc:
        return page(
            request,
            caller,
            status_code=exc.status,
            problems=exc.problems_list(),
            error=exc.message,
            text=form.get("text", ""),
        )
    return redirect(f"/{kind}", notice=f"{kind}-imported")


@router.get("/inventory", response_class=HTMLResponse)
def inventory_page(request: Request, caller: Caller = Depends(page_auth)) -> Response:
    return _inventory_page(request, caller)


@router.post("/inventory/import", response_class=HTMLResponse)
def import_inventory(
    request: Request,
    caller: Caller = Depends(page_auth),
    form: dict[str, str] = Depends(checked_form),
    upload: tuple[str, bytes] | None = Depends(uploaded),
) -> Response:
    return _import(
        request, caller, form, upload, "inventory", inventory.import_inventory, _inventory_page
    )


# ---- /customers --------------------------------------------------------------------------------


def _customers_page(
    request: Request, caller: Caller, *, status_code: int = 200, **values: Any
) -> Response:
    ctx = context(request)
    values.setdefault("text", "")
    return render(
        request,
        "customers.html",
        status_code=status_code,
        caller=caller,
        customers=inventory.customers(ctx, caller.actor),
        readiness=inventory.readiness(ctx, caller.actor),
        **values,
    )


@router.get("/customers", response_class=HTMLResponse)
def customers_page(request: Request, caller: Caller = Depends(page_auth)) -> Response:
    return _customers_page(request, caller)


@router.post("/customers/import", response_class=HTMLResponse)
def import_customers(
    request: Request,
    caller: Caller = Depends(page_auth),
    form: dict[str, str] = Depends(checked_form),
    upload: tuple[str, bytes] | None = Depends(uploaded),
) -> Response:
    return _import(
        request, caller, form, upload, "customers", inventory.import_customers, _customers_page
    )


@router.post("/customers/unreachable", response_class=HTMLResponse)
def unreachable(
    request: Request,
    caller: Caller = Depends(page_auth),
    form: dict[str, str] = Depends(checked_form),
) -> Response:
    try:
        inventory.mark_unreachable(
            context(request), caller.actor, form.get("email", ""), form.get("reason", "")
        )
    except CandorError as exc:
        return _customers_page(
            request, caller, status_code=exc.status, problems=exc.problems_list(),
            error=exc.message,
        )  # fmt: skip
    return redirect("/customers", notice="unreachable")


# ---- the incident page -------------------------------------------------------------------------


def scope_section(request: Request, caller: Caller, incident: Incident) -> dict[str, Any] | None:
    return {
        "id": "scope",
        "title": "Scope",
        "template": "scope_section.html",
        "view": scope.view(context(request), caller.actor, incident.key),
        "statuses": list(Compromise),
    }


def scans_section(request: Request, caller: Caller, incident: Incident) -> dict[str, Any] | None:
    return {
        "id": "scans",
        "title": "Log scans",
        "template": "scans_section.html",
        "scans": scope.scans(context(request), caller.actor, incident.key),
    }


def readiness_panel(request: Request, caller: Caller) -> dict[str, Any] | None:
    found = inventory.readiness(context(request), caller.actor)
    if not found.total:
        return None
    return {
        "title": "Customer contact readiness",
        "template": "dashboard_contact_readiness.html",
        "r": found,
    }


incident_pages.INCIDENT_SECTIONS.append(scope_section)
incident_pages.INCIDENT_SECTIONS.append(scans_section)
incident_pages.DASHBOARD_PANELS.append(readiness_panel)


@router.post("/incidents/{key}/scope")
def mark(
    request: Request,
    key: str,
    caller: Caller = Depends(page_auth),
    form: dict[str, str] = Depends(checked_form),
) -> Response:
    try:
        scope.mark_system(
            context(request),
            caller.actor,
            key,
            form.get("system", ""),
            form.get("status", ""),
            note=form.get("note", ""),
        )
    except CandorError as exc:
        if exc.status == 404:
            raise
        return incident_pages.incident_page(
            request, caller, key, status_code=exc.status, problems=exc.problems_list(),
            error=exc.message, failed_form="scope", values=form,
        )  # fmt: skip
    return redirect(f"/incidents/{key.upper()}", notice="scope-marked", anchor="scope")


@router.post("/incidents/{key}/scope/refresh")
def refresh(
    request: Request,
    key: str,
    caller: Caller = Depends(page_auth),
    form: dict[str, str] = Depends(checked_form),
) -> Response:
    try:
        scope.refresh(context(request), caller.actor, key)
    except CandorError as exc:
        if exc.status == 404:
            raise
        return incident_pages.incident_page(
            request, caller, key, status_code=exc.status, problems=exc.problems_list(),
            error=exc.message, failed_form="scope", values=form,
        )  # fmt: skip
    return redirect(f"/incidents/{key.upper()}", notice="scope-marked", anchor="scope")


@router.post("/incidents/{key}/scans")
def attach(
    request: Request,
    key: str,
    caller: Caller = Depends(page_auth),
    form: dict[str, str] = Depends(checked_form),
    upload: tuple[str, bytes] | None = Depends(uploaded),
) -> Response:
    try:
        if upload is None:
            raise InvalidInput(Problem("choose the scan result file (JSON)", field="file"))
        name, text = _text(form, upload, "scan.json")
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidInput(
                Problem(f"not JSON: {exc.msg}", file=name, line=exc.lineno, column=exc.colno)
            ) from None
        scope.attach_scan(
            context(request), caller.actor, key, data, file=name, label=form.get("label", "")
        )
    except CandorError as exc:
        if exc.status == 404:
            raise
        return incident_pages.incident_page(
            request, caller, key, status_code=exc.status, problems=exc.problems_list(),
            error=exc.message, failed_form="scan", values=form,
        )  # fmt: skip
    return redirect(f"/incidents/{key.upper()}", notice="scan-attached", anchor="scans")


@router.get("/incidents/{key}/scans/{number}/summary.csv")
def scan_csv(
    request: Request, key: str, number: Seq, caller: Caller = Depends(page_auth)
) -> Response:
    found = scope.scan(context(request), caller.actor, key, number)
    return PlainTextResponse(
        scope.scan_csv(found),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{key.upper()}-scan-{number}.csv"'},
    )


@router.get("/incidents/{key}/scans/{number}/summary.json")
def scan_json(
    request: Request, key: str, number: Seq, caller: Caller = Depends(page_auth)
) -> Response:
    found = scope.scan(context(request), caller.actor, key, number)
    return Response(
        json.dumps(scope.summary_json(found), indent=2, ensure_ascii=False) + "\n",
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{key.upper()}-scan-{number}.json"'},
    )
