"""The contacts directory: list with a category filter and stale entries flagged, add, edit,
verify, remove and import; and on the incident page, whom to call for it and how."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import UploadFile

from candor.adapters import contacts_file
from candor.domain.access import require_declare
from candor.domain.contacts import CATEGORY_DEFINITIONS, Category, Contact, Details
from candor.domain.errors import CandorError, NotFound, Problem, dotted
from candor.domain.incidents import Clock, Incident
from candor.services import contacts
from candor.web.deps import Caller, checked_form, context, page_auth
from candor.web.libraries import playbooks
from candor.web.pages import incidents
from candor.web.pages import playbooks as playbook_pages
from candor.web.pages.common import optional_int, redirect, render
from candor.web.pages.prepare_common import CATEGORY_LABELS

router = APIRouter()

MAX_PEOPLE = 20
IMPORT_EXAMPLE = """contacts:
  - handle: acme-law
    category: outside_counsel
    organisation: Acme LLP
    people: [{name: Dana Reyes, role: Partner, email: dana@acme.example}]
    out_of_band: {phone: "+1 555 0199"}
    retainer: {in_place: true, number: R-17, hours: 40, expires_on: 2027-06-30}
    last_verified_on: 2026-10-01
"""


def _located(problems: list[Problem]) -> list[Problem]:
    """Name the form field of each problem (the parser gives a path such as people[0].email)."""
    return [p if p.field or not p.path else replace(p, field=dotted(p.path)) for p in problems]


def _category(value: str | None) -> Category | None:
    return Category(value) if value in {c.value for c in Category} else None


@router.get("/contacts", response_class=HTMLResponse)
def contact_list(
    request: Request,
    category: str | None = Query(None),
    stale: str | None = Query(None),
    caller: Caller = Depends(page_auth),
) -> Response:
    ctx = context(request)
    chosen = _category(category)
    items = contacts.list_contacts(ctx, caller.actor, category=chosen, stale_only=bool(stale))
    now = ctx.clock.now()
    return render(
        request,
        "contacts.html",
        caller=caller,
        contacts=items,
        stale={c.handle for c in items if c.is_stale(now)},
        categories=list(Category),
        definitions=CATEGORY_DEFINITIONS,
        labels=CATEGORY_LABELS,
        category=chosen,
        stale_only=bool(stale),
        today=now.date(),
    )


# ---- the form ---------------------------------------------------------------------------------


def data_from_form(form: dict[str, str]) -> dict[str, Any]:
    """The import-file shape of a contact from the add/edit form."""

    def get(name: str) -> str:
        return form.get(name, "").strip()

    def number(name: str) -> int | str | None:
        value = get(name)
        return int(value) if value.isdigit() else (value or None)

    people = []
    for i in range(MAX_PEOPLE):
        person = {k: get(f"person-{i}-{k}") for k in ("name", "role", "email", "phone")}
        if any(person.values()):
            people.append({k: v for k, v in person.items() if v})
    data: dict[str, Any] = {
        "category": get("category") or None,
        "organisation": get("organisation"),
        "purpose": get("purpose"),
        "people": people,
        "out_of_band": {
            "phone": get("oob_phone"),
            "signal": get("oob_signal"),
            "pgp_fingerprint": get("oob_pgp"),
        },
        "portal_url": get("portal_url"),
        "jurisdiction": get("jurisdiction"),
        "notes": get("notes"),
        "last_verified_on": get("last_verified_on") or None,
    }
    retainer_fields = ("retainer_number", "retainer_hours", "retainer_expires_on", "retainer_terms")
    in_place = get("retainer_in_place")
    if in_place or any(get(f) for f in retainer_fields):
        data["retainer"] = {
            "number": get("retainer_number"),
            "hours": number("retainer_hours"),
            "expires_on": get("retainer_expires_on") or None,
            "terms": get("retainer_terms"),
        }
        if in_place in ("yes", "no"):
            data["retainer"]["in_place"] = in_place == "yes"
    if get("notice_text") or get("notice_hours"):
        data["notice"] = {"text": get("notice_text"), "hours": number("notice_hours")}
    return data


def form_from_details(contact: Contact) -> dict[str, str]:
    """The form's fields filled from a stored contact (the inverse of ``data_from_form``)."""
    d: Details = contact.details
    out = {
        "handle": contact.handle,
        "version": str(contact.version),
        "category": d.category.value,
        "organisation": d.organisation,
        "purpose": d.purpose,
        "oob_phone": d.out_of_band.phone,
        "oob_signal": d.out_of_band.signal,
        "oob_pgp": d.out_of_band.pgp_fingerprint,
        "portal_url": d.portal_url,
        "jurisdiction": d.jurisdiction,
        "notes": d.notes,
        "last_verified_on": d.last_verified_on.isoformat() if d.last_verified_on else "",
    }
    for i, p in enumerate(d.people):
        out |= {
            f"person-{i}-name": p.name,
            f"person-{i}-role": p.role,
            f"person-{i}-email": p.email,
            f"person-{i}-phone": p.phone,
        }
    if d.retainer is not None:
        r = d.retainer
        out |= {
            "retainer_in_place": "yes" if r.in_place else "no",
            "retainer_number": r.number,
            "retainer_hours": "" if r.hours is None else str(r.hours),
            "retainer_expires_on": r.expires_on.isoformat() if r.expires_on else "",
            "retainer_terms": r.terms,
        }
    if d.notice is not None:
        hours = d.notice.hours
        out |= {"notice_text": d.notice.text, "notice_hours": "" if hours is None else str(hours)}
    return out


def _form(
    request: Request,
    caller: Caller,
    *,
    values: dict[str, str],
    contact: Contact | None = None,
    problems: list[Problem] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    require_declare(caller.actor)
    rows = sum(1 for i in range(MAX_PEOPLE) if values.get(f"person-{i}-name", "").strip())
    return render(
        request,
        "contact_form.html",
        status_code=status_code,
        caller=caller,
        contact=contact,
        values=values,
        problems=_located(problems or []),
        error=error,
        categories=list(Category),
        definitions=CATEGORY_DEFINITIONS,
        labels=CATEGORY_LABELS,
        people_rows=min(MAX_PEOPLE, rows + 2),
    )


@router.get("/contacts/new", response_class=HTMLResponse)
def new_form(
    request: Request, category: str | None = Query(None), caller: Caller = Depends(page_auth)
) -> Response:
    chosen = _category(category)
    return _form(request, caller, values={"category": chosen.value if chosen else ""})


@router.post("/contacts/new")
def add(
    request: Request,
    caller: Caller = Depends(page_auth),
    form: dict[str, str] = Depends(checked_form),
) -> Response:
    try:
        made = contacts.add(
            context(request), caller.actor, form.get("handle", ""), data_from_form(form)
        )
    except CandorError as exc:
        return _form(
            request,
            caller,
            values=form,
            problems=exc.problems_list(),
            error=exc.message if not exc.problems_list() else None,
            status_code=exc.status,
        )
    return redirect(f"/contacts/{made.handle}", notice="contact-added")


# ---- import (before /contacts/{handle}, which would otherwise take the word) --------------------


@router.get("/contacts/import", response_class=HTMLResponse)
def import_form(request: Request, caller: Caller = Depends(page_auth)) -> Response:
    require_declare(caller.actor)
    return render(
        request, "contacts_import.html", caller=caller, result=None, example=IMPORT_EXAMPLE, text=""
    )


async def uploaded(request: Request) -> tuple[str, bytes] | None:
    """The file chosen on the import form, if any (the form is already read and cached)."""
    upload = (await request.form()).get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        return upload.filename, await upload.read()
    return None


@router.post("/contacts/import", response_class=HTMLResponse)
def import_file(
    request: Request,
    caller: Caller = Depends(page_auth),
    form: dict[str, str] = Depends(checked_form),
    upload: tuple[str, bytes] | None = Depends(uploaded),
) -> Response:
    name, text = "pasted text", form.get("text", "")
    if upload is not None:
        name = upload[0]
        try:
            text = upload[1].decode("utf-8")
        except UnicodeDecodeError:
            problems = [Problem("not valid UTF-8", file=name)]
            return _import_page(request, caller, form, problems=problems, status_code=422)
    try:
        entries = contacts_file.loads(text, file=name)
        result = contacts.import_contacts(context(request), caller.actor, entries)
    except CandorError as exc:
        return _import_page(
            request,
            caller,
            form,
            problems=exc.problems_list(),
            error=exc.message,
            status_code=exc.status,
        )
    return render(
        request,
        "contacts_import.html",
        caller=caller,
        result=result,
        example=IMPORT_EXAMPLE,
        text="",
    )


def _import_page(
    request: Request,
    caller: Caller,
    form: dict[str, str],
    *,
    problems: list[Problem],
    error: str | None = None,
    status_code: int,
) -> Response:
    return render(
        request,
        "contacts_import.html",
        status_code=status_code,
        caller=caller,
        result=None,
        example=IMPORT_EXAMPLE,
        text=form.get("text", ""),
        problems=problems,
        error=None if problems else error,
    )


# ---- one contact ------------------------------------------------------------------------------


@router.get("/contacts/{handle}", response_class=HTMLResponse)
def show(request: Request, handle: str, caller: Caller = Depends(page_auth)) -> Response:
    ctx = context(request)
    contact = contacts.get(ctx, caller.actor, handle)
    return render(
        request,
        "contact.html",
        caller=caller,
        c=contact,
        stale=contact.is_stale(ctx.clock.now()),
        today=ctx.clock.now().date(),
        definitions=CATEGORY_DEFINITIONS,
        labels=CATEGORY_LABELS,
    )


@router.get("/contacts/{handle}/edit", response_class=HTMLResponse)
def edit_form(request: Request, handle: str, caller: Caller = Depends(page_auth)) -> Response:
    contact = contacts.get(context(request), caller.actor, handle)
    return _form(request, caller, values=form_from_details(contact), contact=contact)


@router.post("/contacts/{handle}/edit")
def edit(
    request: Request,
    handle: str,
    caller: Caller = Depends(page_auth),
    form: dict[str, str] = Depends(checked_form),
) -> Response:
    ctx = context(request)
    try:
        saved = contacts.update(
            ctx,
            caller.actor,
            handle,
            data_from_form(form),
            expected_version=optional_int(form, "version"),
        )
    except NotFound:
        raise
    except CandorError as exc:
        contact = contacts.get(ctx, caller.actor, handle)
        return _form(
            request,
            caller,
            values={**form, "handle": contact.handle},
            contact=contact,
            problems=exc.problems_list(),
            error=None if exc.problems_list() else exc.message,
            status_code=exc.status,
        )
    return redirect(f"/contacts/{saved.handle}", notice="contact-updated")


@router.post("/contacts/{handle}/verify")
def verify(
    request: Request,
    handle: str,
    caller: Caller = Depends(page_auth),
    form: dict[str, str] = Depends(checked_form),
) -> Response:
    made = contacts.verify(context(request), caller.actor, handle, note=form.get("note", ""))
    return redirect(f"/contacts/{made.handle}", notice="contact-verified")


@router.post("/contacts/{handle}/remove")
def remove(
    request: Request,
    handle: str,
    caller: Caller = Depends(page_auth),
    form: dict[str, str] = Depends(checked_form),
) -> Response:
    contacts.remove(context(request), caller.actor, handle, reason=form.get("reason", ""))
    return redirect("/contacts", notice="contact-removed")


# ---- on the incident page: whom to call -------------------------------------------------------


def incident_section(request: Request, caller: Caller, incident: Incident) -> dict[str, Any] | None:
    ctx = context(request)
    applied = playbook_pages.applied(request, caller, incident)
    entry = playbooks(request).entries.get(applied[0]) if applied else None
    _, suggested = contacts.suggested_for(
        ctx, caller.actor, incident.key, playbook=entry.value if entry else None
    )
    now = ctx.clock.now()
    aware = incident.clocks.get(Clock.AWARE_AT)
    return {
        "id": "contacts",
        "title": "Whom to call",
        "template": "incident_contacts.html",
        "suggested": suggested,
        "labels": CATEGORY_LABELS,
        "playbook": entry.value.name if entry else None,
        "stale": {c.handle for s in suggested for c in s.contacts if c.is_stale(now)},
        "today": now.date(),
        "aware_at": aware,
        "hours": lambda n: aware + timedelta(hours=n) if aware else None,
    }


incidents.INCIDENT_SECTIONS.append(incident_section)
