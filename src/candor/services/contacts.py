"""Use cases for the contacts directory: add, change, verify, remove, import, suggest.

Contacts belong to the organisation, not to one incident: anyone who may write may keep them.
Every change writes an audit record (before and after) in the same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from candor.domain import contacts as model
from candor.domain.access import Actor, require_declare
from candor.domain.audit import AuditDraft
from candor.domain.contacts import Category, Contact, Details, Suggestion
from candor.domain.errors import Conflict, NotFound
from candor.domain.incidents import Incident
from candor.domain.playbooks import Playbook
from candor.services.context import Context
from candor.services.incidents import load
from candor.services.ports_prepare import PrepareUnitOfWork, prepared


def _require_write(actor: Actor) -> None:
    # the same right as declaring: responders, counsel and admins; not viewers
    require_declare(actor)


def _audit(
    uow: PrepareUnitOfWork,
    actor: Actor,
    action: str,
    contact: Contact,
    *,
    before: Contact | None,
    after: Contact | None,
    now: datetime,
    detail: str = "",
) -> None:
    uow.audit.append(
        AuditDraft(
            at=now,
            actor=actor.username,
            action=action,
            target_type="contact",
            target_id=str(contact.id),
            before=model.snapshot(before) if before else None,
            after=model.snapshot(after) if after else None,
            detail=detail,
        )
    )


def _get(uow: PrepareUnitOfWork, handle: str) -> Contact:
    key = model.parse_handle(handle)
    found = uow.contacts.get(key)
    if found is None:
        raise NotFound(f"no contact {key}")
    return found


def add(ctx: Context, actor: Actor, handle: str, data: Mapping[str, Any]) -> Contact:
    _require_write(actor)
    details = model.details_from(data)
    now = ctx.clock.now()
    with ctx.uow(write=True) as raw:
        uow = prepared(raw)
        contact = model.new_contact(
            id=ctx.new_id(), handle=handle, details=details, by=actor.username, now=now
        )
        if uow.contacts.get(contact.handle) is not None:
            raise Conflict(f"a contact {contact.handle} exists; change it or pick another name")
        uow.contacts.add(contact)
        _audit(uow, actor, "contact.add", contact, before=None, after=contact, now=now)
        uow.commit()
    return contact


def update(
    ctx: Context,
    actor: Actor,
    handle: str,
    data: Mapping[str, Any],
    *,
    expected_version: int | None = None,
) -> Contact:
    """Replace the contact's details with ``data`` (a whole entry, as in the import file)."""
    _require_write(actor)
    details = model.details_from(data)
    now = ctx.clock.now()
    with ctx.uow(write=True) as raw:
        uow = prepared(raw)
        before = _get(uow, handle)
        saved = _change(uow, actor, before, details, now=now, expected_version=expected_version)
        uow.commit()
    return saved


def _change(
    uow: PrepareUnitOfWork,
    actor: Actor,
    before: Contact,
    details: Details,
    *,
    now: datetime,
    expected_version: int | None,
    action: str = "contact.update",
    detail: str = "",
) -> Contact:
    version = before.version if expected_version is None else expected_version
    after = model.change(before, details, now=now)
    saved = uow.contacts.save(after, expected_version=version)
    _audit(uow, actor, action, saved, before=before, after=saved, now=now, detail=detail)
    return saved


def verify(
    ctx: Context, actor: Actor, handle: str, *, on: date | None = None, note: str = ""
) -> Contact:
    """Record that someone checked the contact's people, numbers and terms."""
    _require_write(actor)
    now = ctx.clock.now()
    with ctx.uow(write=True) as raw:
        uow = prepared(raw)
        before = _get(uow, handle)
        after = model.verify(before, now=now, on=on)
        saved = uow.contacts.save(after, expected_version=before.version)
        _audit(
            uow, actor, "contact.verify", saved, before=before, after=saved, now=now, detail=note
        )
        uow.commit()
    return saved


def remove(ctx: Context, actor: Actor, handle: str, *, reason: str = "") -> Contact:
    _require_write(actor)
    now = ctx.clock.now()
    with ctx.uow(write=True) as raw:
        uow = prepared(raw)
        before = _get(uow, handle)
        uow.contacts.remove(before)
        _audit(
            uow, actor, "contact.remove", before, before=before, after=None, now=now, detail=reason
        )
        uow.commit()
    return before


def get(ctx: Context, actor: Actor, handle: str) -> Contact:
    with ctx.uow() as raw:
        return _get(prepared(raw), handle)


def list_contacts(
    ctx: Context, actor: Actor, *, category: Category | None = None, stale_only: bool = False
) -> list[Contact]:
    now = ctx.clock.now()
    with ctx.uow() as raw:
        found = prepared(raw).contacts.list(category=category)
    return [c for c in found if c.is_stale(now)] if stale_only else found


@dataclass(frozen=True)
class Imported:
    added: tuple[str, ...]
    updated: tuple[str, ...]
    unchanged: tuple[str, ...]


def import_contacts(ctx: Context, actor: Actor, entries: Sequence[tuple[str, Details]]) -> Imported:
    """Add new contacts and update existing ones by handle, all in one transaction.

    The caller has checked the whole file first (``candor.adapters.contacts_file``), so either
    every entry goes in or none does."""
    _require_write(actor)
    now = ctx.clock.now()
    added: list[str] = []
    updated: list[str] = []
    unchanged: list[str] = []
    with ctx.uow(write=True) as raw:
        uow = prepared(raw)
        for handle, details in entries:
            existing = uow.contacts.get(model.parse_handle(handle))
            if existing is None:
                contact = model.new_contact(
                    id=ctx.new_id(), handle=handle, details=details, by=actor.username, now=now
                )
                uow.contacts.add(contact)
                _audit(
                    uow, actor, "contact.add", contact, before=None, after=contact, now=now,
                    detail="import",
                )  # fmt: skip
                added.append(contact.handle)
            elif existing.details == details:
                unchanged.append(existing.handle)
            else:
                _change(
                    uow, actor, existing, details, now=now, expected_version=None, detail="import"
                )
                updated.append(existing.handle)
        uow.commit()
    return Imported(tuple(added), tuple(updated), tuple(unchanged))


@dataclass(frozen=True)
class Suggested:
    suggestion: Suggestion
    contacts: tuple[Contact, ...]  # the directory's entries of that category (may be stale)


def suggested_for(
    ctx: Context, actor: Actor, key: str, *, playbook: Playbook | None = None
) -> tuple[Incident, list[Suggested]]:
    """Whom to call for this incident, from its kind and severity (and its playbook, if any),
    with the directory's entries for each; an empty entry list is a gap to fill now."""
    with ctx.uow() as raw:
        uow = prepared(raw)
        incident = load(uow, actor, key)
        directory = uow.contacts.list()
    out = []
    extra = playbook.contacts if playbook else ()
    for suggestion in model.suggest(incident.kind, incident.severity, extra=extra):
        matching = tuple(c for c in directory if c.category is suggestion.category)
        out.append(Suggested(suggestion, matching))
    return incident, out
