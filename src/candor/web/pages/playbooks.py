"""Playbook pages: the library, one playbook, the choice on the declare form, and "apply a
playbook" on an incident."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from candor.domain.errors import CandorError, InvalidInput, NotFound, Problem
from candor.domain.fields import format_duration
from candor.domain.incidents import Incident
from candor.domain.playbooks import Playbook
from candor.services import playbooks as service
from candor.services import tasks
from candor.web.deps import Caller, checked_form, context, page_auth
from candor.web.libraries import playbooks
from candor.web.pages import incidents
from candor.web.pages.common import render
from candor.web.pages.prepare_common import CATEGORY_LABELS, act_on_incident

router = APIRouter()


def _find(request: Request, name: str) -> Playbook:
    entry = playbooks(request).entries.get(name.strip().lower())
    if entry is None:
        raise NotFound(f"no playbook {name!r}")
    return entry.value


@router.get("/playbooks", response_class=HTMLResponse)
def playbook_list(request: Request, caller: Caller = Depends(page_auth)) -> Response:
    library = playbooks(request)
    return render(
        request,
        "playbooks.html",
        caller=caller,
        entries=[entry for _, entry in sorted(library.entries.items())],
        file_problems=library.problems,
    )


@router.get("/playbooks/{name}", response_class=HTMLResponse)
def playbook_page(request: Request, name: str, caller: Caller = Depends(page_auth)) -> Response:
    book = _find(request, name)
    entry = playbooks(request).entries[book.name]
    return render(
        request,
        "playbook.html",
        caller=caller,
        book=book,
        entry=entry,
        format_duration=format_duration,
        labels=CATEGORY_LABELS,
    )


def applied(request: Request, caller: Caller, incident: Incident) -> list[str]:
    """Names of the playbooks already applied to the incident (from its tasks' sources); kept
    for the request, since two sections of the incident page ask."""
    cache: dict[str, list[str]] | None = getattr(request.state, "applied_playbooks", None)
    if cache is None:
        cache = request.state.applied_playbooks = {}
    if incident.key not in cache:
        found = tasks.list_tasks(context(request), caller.actor, incident.key)
        cache[incident.key] = sorted(
            {t.source.removeprefix("playbook:") for t in found if t.source.startswith("playbook:")}
        )
    return cache[incident.key]


def _choices(request: Request, incident: Incident | None = None) -> list[Playbook]:
    """The playbooks, those written for the incident's kind first."""
    books = list(playbooks(request).values.values())
    if incident is None:
        return books
    return sorted(books, key=lambda b: (incident.kind not in b.kinds, b.name))


# ---- the declare form -------------------------------------------------------------------------


def declare_field(request: Request) -> dict[str, Any]:
    return {"template": "declare_playbook.html", "playbooks": _choices(request)}


def declared(request: Request, caller: Caller, incident: Incident, form: dict[str, str]) -> None:
    name = form.get("playbook", "").strip()
    if not name:
        return
    try:
        service.apply(context(request), caller.actor, incident.key, _find(request, name))
    except CandorError as exc:
        # the incident is declared (a response must not wait for a checklist); say so plainly
        raise InvalidInput(
            Problem(
                f"{incident.key} was declared, but playbook {name!r} was not applied: "
                f"{exc.message}",
                field="playbook",
                hint=f"apply one from the incident page, /incidents/{incident.key}#playbook",
            )
        ) from None


incidents.DECLARE_HOOKS.append(declare_field)
incidents.DECLARED_HOOKS.append(declared)


# ---- on the incident page ---------------------------------------------------------------------


def incident_section(request: Request, caller: Caller, incident: Incident) -> dict[str, Any]:
    done = applied(request, caller, incident)
    return {
        "id": "playbook",
        "title": "Playbook",
        "template": "incident_playbook.html",
        "applied": [_find_or_name(request, name) for name in done],
        "choices": [b for b in _choices(request, incident) if b.name not in done],
        "open": incident.phase.is_open,
    }


def _find_or_name(request: Request, name: str) -> Playbook | str:
    """An applied playbook, or only its name when its file has since been removed."""
    entry = playbooks(request).entries.get(name)
    return entry.value if entry is not None else name


incidents.INCIDENT_SECTIONS.append(incident_section)


@router.post("/incidents/{key}/playbooks")
def apply(
    request: Request,
    key: str,
    caller: Caller = Depends(page_auth),
    form: dict[str, str] = Depends(checked_form),
) -> Response:
    def action() -> object:
        name = form.get("playbook", "").strip()
        if not name:
            raise InvalidInput(Problem("choose a playbook", field="playbook"))
        entry = playbooks(request).entries.get(name.lower())
        if entry is None:
            raise InvalidInput(Problem(f"no playbook {name!r}", field="playbook"))
        return service.apply(context(request), caller.actor, key, entry.value)

    return act_on_incident(
        request,
        caller,
        key,
        form,
        name="playbook",
        action=action,
        notice="playbook-applied",
        anchor="tasks",
    )
