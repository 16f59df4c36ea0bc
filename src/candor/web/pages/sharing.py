"""Sharing an incident: its indicators (entered here or imported from a scoping result) under
TLP 2.0, the STIX 2.1 bundle, the VERIS classification and record, and VERIS import."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import UploadFile

from candor.adapters import jsonfile
from candor.adapters.export import learn as exports
from candor.domain.errors import CandorError, InvalidInput, NotFound, Problem
from candor.domain.indicators import IndicatorType, Tlp
from candor.services import sharing
from candor.web.deps import Caller, Seq, checked_form, context, page_auth
from candor.web.pages.common import NOTICES, redirect, render

router = APIRouter()
NOTICES.update(
    {
        "indicator-added": "Indicator added.",
        "indicators-imported": "Indicators imported from the scoping result.",
        "indicator-removed": "Indicator removed.",
        "veris-saved": "VERIS classification saved.",
        "veris-imported": "Incident declared from the VERIS record.",
    }
)
COMMON = {"types": list(IndicatorType), "levels": list(Tlp)}


def sharing_page(
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
    found = sharing.get(context(request), caller.actor, key)
    return render(
        request,
        "sharing.html",
        status_code=status_code,
        caller=caller,
        incident=found.incident,
        indicators=found.indicators,
        classification=json.dumps(found.classification or {}, indent=2, ensure_ascii=False),
        red=[s for s in found.indicators if s.indicator.tlp is Tlp.RED],
        can_write=caller.actor.can_write,
        error=error,
        problems=problems or [],
        failed_form=failed_form,
        values=values or {},
        **COMMON,
    )


@router.get("/incidents/{key}/sharing", response_class=HTMLResponse)
def show(request: Request, key: str, caller: Caller = Depends(page_auth)) -> Response:
    return sharing_page(request, caller, key)


def _act(
    request: Request,
    caller: Caller,
    key: str,
    form: dict[str, str],
    name: str,
    action: Any,
    notice: str,
) -> Response:
    try:
        action()
    except NotFound:
        raise
    except CandorError as exc:
        return sharing_page(
            request,
            caller,
            key,
            status_code=exc.status,
            error=exc.message,
            problems=list(exc.problems_list()),
            failed_form=name,
            values=form,
        )
    return redirect(f"/incidents/{key.upper()}/sharing", notice=notice)


async def uploaded(request: Request) -> tuple[str, bytes] | None:
    upload = (await request.form()).get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        return upload.filename, await upload.read()
    return None


@router.post("/incidents/{key}/indicators")
def add(
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
        "add",
        lambda: sharing.add_indicator(
            context(request),
            caller.actor,
            key,
            type=form.get("type", ""),
            value=form.get("value", ""),
            tlp=form.get("tlp", ""),
            description=form.get("description", ""),
        ),
        "indicator-added",
    )


@router.post("/incidents/{key}/indicators/import")
def import_scoping(
    request: Request,
    key: str,
    caller: Caller = Depends(page_auth),
    form: dict[str, str] = Depends(checked_form),
    upload: tuple[str, bytes] | None = Depends(uploaded),
) -> Response:
    def action() -> object:
        if upload is None:
            raise InvalidInput(Problem("choose the JSON file of a scoping run", field="file"))
        data = jsonfile.loads(upload[1], file=upload[0])
        return sharing.import_scoping(
            context(request),
            caller.actor,
            key,
            data,
            tlp=form.get("tlp", ""),
            file=upload[0],
        )

    return _act(request, caller, key, form, "import", action, "indicators-imported")


@router.post("/incidents/{key}/indicators/{seq}/remove")
def remove(
    request: Request,
    key: str,
    seq: Seq,
    caller: Caller = Depends(page_auth),
    form: dict[str, str] = Depends(checked_form),
) -> Response:
    return _act(
        request,
        caller,
        key,
        form,
        "remove",
        lambda: sharing.remove_indicator(context(request), caller.actor, key, seq),
        "indicator-removed",
    )


def _json_download(data: Any, name: str) -> Response:
    return Response(
        json.dumps(data, indent=2, ensure_ascii=False) + "\n",
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/incidents/{key}/stix.json")
def stix_bundle(
    request: Request,
    key: str,
    ceiling: str = Query("amber+strict", max_length=20),
    caller: Caller = Depends(page_auth),
) -> Response:
    try:
        bundle = exports.stix_bundle(context(request), caller.actor, key, ceiling=ceiling)
    except NotFound:
        raise
    except CandorError as exc:
        return sharing_page(
            request,
            caller,
            key,
            status_code=exc.status,
            error=exc.message,
            problems=list(exc.problems_list()),
            failed_form="stix",
        )
    return _json_download(bundle, f"{key.upper()}-stix.json")


@router.get("/incidents/{key}/veris.json")
def veris_record(request: Request, key: str, caller: Caller = Depends(page_auth)) -> Response:
    record = exports.veris_record(context(request), caller.actor, key)
    return _json_download(record, f"{key.upper()}-veris.json")


@router.post("/incidents/{key}/veris")
def classify(
    request: Request,
    key: str,
    caller: Caller = Depends(page_auth),
    form: dict[str, str] = Depends(checked_form),
) -> Response:
    def action() -> None:
        try:
            data = json.loads(form.get("classification", "") or "{}")
        except json.JSONDecodeError as exc:
            raise InvalidInput(
                Problem(
                    f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})",
                    field="classification",
                )
            ) from None
        exports.classify(context(request), caller.actor, key, data)

    return _act(request, caller, key, form, "veris", action, "veris-saved")


@router.get("/veris/import", response_class=HTMLResponse)
def import_form(request: Request, caller: Caller = Depends(page_auth)) -> Response:
    return render(request, "veris_import.html", caller=caller)


@router.post("/veris/import", response_class=HTMLResponse)
def import_record(
    request: Request,
    caller: Caller = Depends(page_auth),
    form: dict[str, str] = Depends(checked_form),
    upload: tuple[str, bytes] | None = Depends(uploaded),
) -> Response:
    try:
        if upload is None:
            raise InvalidInput(Problem("choose a VERIS record (JSON)", field="file"))
        data = jsonfile.loads(upload[1], file=upload[0])
        key = exports.veris_import(context(request), caller.actor, data, file=upload[0])
    except CandorError as exc:
        return render(
            request,
            "veris_import.html",
            status_code=exc.status,
            caller=caller,
            error=exc.message,
            problems=list(exc.problems_list()),
        )
    return redirect(f"/incidents/{key}/sharing", notice="veris-imported")
