"""/api/v1/inventory, /api/v1/customers, and an incident's scope and scans
(/api/v1/incidents/{key}/scope, …/scans)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, status
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field

from candor.adapters import inventory_file
from candor.domain.inventory_scope import Compromise
from candor.services import inventory, scope
from candor.services.context import Context
from candor.web.deps import Caller, Seq, api_auth, request_context

router = APIRouter(tags=["inventory and scope"])

MAX_FILE = 5_000_000


class FileIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    filename: str = Field(
        "inventory.yaml",
        min_length=1,
        max_length=200,
        description="Names the file in problems; ending in .csv reads CSV, otherwise YAML.",
    )
    content: str = Field(max_length=MAX_FILE, description="The file's text (YAML or CSV).")


class MarkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    system: str = Field(min_length=1, max_length=100)
    status: Compromise
    note: str = Field("", max_length=1000)


class ScanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: str = Field("", max_length=200)
    result: dict[str, Any] = Field(description="The output of `candor scope run --json`.")


def _imported(done: inventory.Imported) -> dict[str, Any]:
    return {
        "systems": done.systems,
        "credentials": done.credentials,
        "code": done.code,
        "customers_added": list(done.customers_added),
        "customers_updated": list(done.customers_updated),
    }


@router.get("/inventory", summary="Systems, the data they hold, customers' secrets, code shipped")
def get_inventory(
    caller: Caller = Depends(api_auth), ctx: Context = Depends(request_context)
) -> dict[str, Any]:
    return inventory.show(ctx, caller.actor).as_dict()


@router.post(
    "/inventory/import",
    summary="Replace the inventory with a file's (all or nothing)",
    status_code=status.HTTP_200_OK,
)
def import_inventory(
    body: FileIn, caller: Caller = Depends(api_auth), ctx: Context = Depends(request_context)
) -> dict[str, Any]:
    doc = inventory_file.parse(body.content, file=body.filename, kind="inventory")
    done = inventory.import_inventory(ctx, caller.actor, doc.data, file=doc.file, locate=doc.locate)
    return _imported(done)


@router.get("/customers", summary="Customers with contacts and contact readiness")
def get_customers(
    not_ready: bool = Query(False, description="Only customers without a reachable address."),
    caller: Caller = Depends(api_auth),
    ctx: Context = Depends(request_context),
) -> dict[str, Any]:
    found = inventory.readiness(ctx, caller.actor)
    everyone = inventory.customers(ctx, caller.actor)
    return {
        "ready": found.ready,
        "total": found.total,
        "items": [c.as_dict() for c in everyone if not (not_ready and c.ready)],
    }


@router.post("/customers/import", summary="Add or update customers and contacts")
def import_customers(
    body: FileIn, caller: Caller = Depends(api_auth), ctx: Context = Depends(request_context)
) -> dict[str, Any]:
    doc = inventory_file.parse(body.content, file=body.filename, kind="customers")
    done = inventory.import_customers(ctx, caller.actor, doc.data, file=doc.file, locate=doc.locate)
    return _imported(done)


def _scope(found: scope.ScopeView) -> dict[str, Any]:
    out = found.exposure.as_dict()
    out["incident"] = found.incident.key
    out["scans"] = [
        {"number": s.number, "label": s.label, "attached_at": s.at.isoformat()} for s in found.scans
    ]
    out["substitute_notice"] = [
        {
            "rule": s.rule_id,
            "jurisdiction": s.jurisdiction,
            "available": s.available,
            "reason": s.reason,
            "conditions": s.conditions,
        }
        for s in found.substitute
    ]
    return out


@router.get("/incidents/{key}/scope", summary="What the incident's scope exposes")
def get_scope(
    key: str, caller: Caller = Depends(api_auth), ctx: Context = Depends(request_context)
) -> dict[str, Any]:
    return _scope(scope.view(ctx, caller.actor, key))


@router.post(
    "/incidents/{key}/scope/marks",
    summary="Mark a system confirmed or suspected compromised (or cleared)",
    status_code=status.HTTP_201_CREATED,
)
def mark(
    key: str,
    body: MarkIn,
    caller: Caller = Depends(api_auth),
    ctx: Context = Depends(request_context),
) -> dict[str, Any]:
    scope.mark_system(ctx, caller.actor, key, body.system, body.status, note=body.note)
    return _scope(scope.view(ctx, caller.actor, key))


@router.get("/incidents/{key}/scans", summary="Log scans attached to the incident")
def list_scans(
    key: str, caller: Caller = Depends(api_auth), ctx: Context = Depends(request_context)
) -> list[dict[str, Any]]:
    return [dict(scope.summary_json(s)) for s in scope.scans(ctx, caller.actor, key)]


@router.post(
    "/incidents/{key}/scans",
    summary="Attach a scan result",
    status_code=status.HTTP_201_CREATED,
)
def attach(
    key: str,
    body: ScanIn,
    caller: Caller = Depends(api_auth),
    ctx: Context = Depends(request_context),
) -> dict[str, Any]:
    found = scope.attach_scan(
        ctx, caller.actor, key, body.result, file="request body", label=body.label or "API upload"
    )
    return dict(scope.summary_json(found))


@router.get(
    "/incidents/{key}/scans/{number}.csv",
    summary="A scan's matched summary as CSV",
    response_class=PlainTextResponse,
)
def scan_csv(
    key: str,
    number: Seq,
    caller: Caller = Depends(api_auth),
    ctx: Context = Depends(request_context),
) -> PlainTextResponse:
    found = scope.scan(ctx, caller.actor, key, number)
    return PlainTextResponse(scope.scan_csv(found), media_type="text/csv; charset=utf-8")
