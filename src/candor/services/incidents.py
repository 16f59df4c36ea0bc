"""Use cases for incidents: declare, read, change, move through phases, assign roles.

Every change writes a timeline entry (what the responders see) and an audit record (who changed
what, before and after) in the same transaction as the change itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from candor.domain import incidents as model
from candor.domain import timeline
from candor.domain.access import Actor, require_declare, require_see, require_write
from candor.domain.audit import AuditDraft
from candor.domain.errors import Conflict, InvalidInput, NotFound, Problem
from candor.domain.incidents import Clock, Incident
from candor.domain.lifecycle import Phase
from candor.domain.timeline import EntryKind
from candor.domain.vocabulary import Confidentiality, Kind, Role, Severity, parse_enum
from candor.services.context import Context
from candor.services.ports import IncidentFilter, UnitOfWork

# Within ``read_snapshot()``, incidents already read are read again from memory: a page built
# from a dozen sections, each its own use case and unit of work, reads the incident once.
_SNAPSHOT: ContextVar[dict[str, Incident] | None] = ContextVar("incident_snapshot", default=None)


@contextmanager
def read_snapshot() -> Iterator[None]:
    """Read each incident at most once until the block ends. For read-only work (rendering a
    page); a write inside would be refused as a conflict if the incident changed meanwhile."""
    token = _SNAPSHOT.set({})
    try:
        yield
    finally:
        _SNAPSHOT.reset(token)


def load(uow: UnitOfWork, actor: Actor, key: str) -> Incident:
    """Fetch an incident the actor may see, or raise ``NotFound`` (also when hidden from them)."""
    model.parse_key(key)
    wanted = key.strip().upper()
    snapshot = _SNAPSHOT.get()
    incident = snapshot.get(wanted) if snapshot is not None else None
    if incident is None:
        incident = uow.incidents.get(wanted)
        if incident is None:
            raise NotFound(f"no incident {wanted}")
        if snapshot is not None:
            snapshot[wanted] = incident
    require_see(actor, incident)
    return incident


# Features that keep records derived from an incident (obligations are recomputed when a legal
# clock moves) register here; each runs inside the transaction of the change, after it is stored.
IncidentChanged = Callable[[Context, UnitOfWork, Actor, Incident, Incident, datetime], None]
INCIDENT_CHANGED: list[IncidentChanged] = []


def _check_version(incident: Incident, expected_version: int | None) -> int:
    if expected_version is not None and expected_version != incident.version:
        raise Conflict(
            f"{incident.key} was changed by someone else (it is at version {incident.version}; "
            f"you edited version {expected_version}). Reload it and apply your change again."
        )
    return incident.version


def _save(
    ctx: Context,
    uow: UnitOfWork,
    actor: Actor,
    before: Incident,
    after: Incident,
    *,
    expected_version: int | None,
    action: str,
    entry_kind: EntryKind,
    body: str,
    detail: str = "",
    now: datetime,
) -> Incident:
    version = _check_version(before, expected_version)
    saved = uow.incidents.save(after, expected_version=version)
    changes = model.diff(before, after)
    uow.timeline.append(
        saved.id,
        timeline.draft(
            kind=entry_kind,
            author=actor.username,
            occurred_at=now,
            body=body,
            data={"changes": {k: [_plain(a), _plain(b)] for k, (a, b) in changes.items()}},
        ),
        recorded_at=now,
    )
    uow.audit.append(
        AuditDraft(
            at=now,
            actor=actor.username,
            action=action,
            target_type="incident",
            target_id=str(saved.id),
            incident_key=saved.key,
            before=model.snapshot(before),
            after=model.snapshot(saved),
            detail=detail,
        )
    )
    for listener in INCIDENT_CHANGED:
        listener(ctx, uow, actor, before, saved, now)
    return saved


def _require_users(uow: UnitOfWork, people: tuple[str, ...], *, field: str) -> None:
    """Roles and membership go to real, active accounts: membership grants need-to-know."""
    for person in people:
        name = model.check_person(person, field=field)
        user = uow.users.get(name)
        if user is None or not user.active:
            raise InvalidInput(
                Problem(
                    f"no active user named {name}",
                    field=field,
                    hint="create the account first: candor user create NAME",
                )
            )


def save_in(
    ctx: Context,
    uow: UnitOfWork,
    actor: Actor,
    before: Incident,
    after: Incident,
    *,
    action: str,
    entry_kind: EntryKind,
    body: str,
    now: datetime,
) -> Incident:
    """Store a change made inside an open unit of work, with its timeline entry and audit."""
    return _save(
        ctx,
        uow,
        actor,
        before,
        after,
        expected_version=None,
        action=action,
        entry_kind=entry_kind,
        body=body,
        now=now,
    )


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "value"):
        return value.value
    return value


def declare(
    ctx: Context,
    actor: Actor,
    *,
    title: str,
    summary: str = "",
    kind: Kind | str = Kind.SECURITY_INCIDENT,
    severity: Severity | str = Severity.SEV3,
    confidentiality: Confidentiality | str = Confidentiality.NORMAL,
    exercise: bool = False,
    detected_at: datetime | None = None,
    aware_at: datetime | None = None,
) -> Incident:
    require_declare(actor)
    now = ctx.clock.now()
    with ctx.uow(write=True) as uow:
        incident = declare_in(
            ctx,
            uow,
            actor,
            title=title,
            summary=summary,
            kind=kind,
            severity=severity,
            confidentiality=confidentiality,
            exercise=exercise,
            detected_at=detected_at,
            aware_at=aware_at,
            now=now,
        )
        uow.commit()
    return incident


def declare_in(
    ctx: Context,
    uow: UnitOfWork,
    actor: Actor,
    *,
    title: str,
    summary: str = "",
    kind: Kind | str = Kind.SECURITY_INCIDENT,
    severity: Severity | str = Severity.SEV3,
    confidentiality: Confidentiality | str = Confidentiality.NORMAL,
    exercise: bool = False,
    detected_at: datetime | None = None,
    aware_at: datetime | None = None,
    now: datetime,
) -> Incident:
    """Declare inside an open unit of work (a playbook's tasks or an exercise go in with it)."""
    require_declare(actor)
    seq = uow.sequences.next(f"incident-{now.year}")
    incident = model.declare(
        id=ctx.new_id(),
        key=model.format_key(now.year, seq),
        title=title,
        summary=summary,
        kind=kind,
        severity=severity,
        confidentiality=confidentiality,
        exercise=exercise,
        by=actor.username,
        now=now,
        detected_at=detected_at,
        aware_at=aware_at,
    )
    uow.incidents.add(incident)
    label = "Exercise declared" if exercise else "Declared"
    uow.timeline.append(
        incident.id,
        timeline.draft(
            kind=EntryKind.STATUS_CHANGE,
            author=actor.username,
            occurred_at=now,
            body=f"{label}: {incident.title} ({incident.kind.value}, "
            f"{incident.severity.value}). Phase: triage.",
            data={
                "phase": Phase.TRIAGE.value,
                "kind": incident.kind.value,
                "severity": incident.severity.value,
            },
        ),
        recorded_at=now,
    )
    uow.audit.append(
        AuditDraft(
            at=now,
            actor=actor.username,
            action="incident.declare",
            target_type="incident",
            target_id=str(incident.id),
            incident_key=incident.key,
            after=model.snapshot(incident),
        )
    )
    return incident


def get(ctx: Context, actor: Actor, key: str) -> Incident:
    with ctx.uow() as uow:
        return load(uow, actor, key)


def visible_filter(actor: Actor, where: IncidentFilter | None = None) -> IncidentFilter:
    base = where or IncidentFilter()
    return replace(base, member=actor.username, see_all=actor.is_admin)


@dataclass(frozen=True, slots=True)
class Page:
    items: list[Incident]
    total: int


def page(ctx: Context, actor: Actor, where: IncidentFilter) -> Page:
    """One page of the incidents the actor may see, and how many there are in all."""
    visible = visible_filter(actor, where)
    with ctx.uow() as uow:
        return Page(uow.incidents.list(visible), uow.incidents.count(visible))


def list_incidents(
    ctx: Context, actor: Actor, where: IncidentFilter | None = None
) -> list[Incident]:
    with ctx.uow() as uow:
        return uow.incidents.list(visible_filter(actor, where))


def update(
    ctx: Context,
    actor: Actor,
    key: str,
    changes: Mapping[str, Any],
    *,
    expected_version: int | None = None,
    reason: str = "",
) -> Incident:
    now = ctx.clock.now()
    with ctx.uow(write=True) as uow:
        before = load(uow, actor, key)
        require_write(actor, before)
        after = model.update(before, changes, now=now)
        delta = model.diff(before, after)
        if not delta:
            return before
        described = "; ".join(
            f"{name}: {_plain(old)!s} → {_plain(new)!s}"
            if name not in ("summary",)
            else "summary rewritten"
            for name, (old, new) in delta.items()
        )
        saved = _save(
            ctx,
            uow,
            actor,
            before,
            after,
            expected_version=expected_version,
            action="incident.update",
            entry_kind=EntryKind.SYSTEM,
            body=f"Updated {described}." + (f" Reason: {reason.strip()}" if reason.strip() else ""),
            detail=reason.strip(),
            now=now,
        )
        uow.commit()
    return saved


def transition(
    ctx: Context,
    actor: Actor,
    key: str,
    target: Phase | str,
    *,
    reason: str = "",
    expected_version: int | None = None,
) -> Incident:
    now = ctx.clock.now()
    with ctx.uow(write=True) as uow:
        before = load(uow, actor, key)
        require_write(actor, before)
        after = model.transition(before, target, by=actor.username, now=now, reason=reason)
        text = f"Phase: {before.phase.value} → {after.phase.value}."
        if reason.strip():
            text += f" {reason.strip()}"
        saved = _save(
            ctx,
            uow,
            actor,
            before,
            after,
            expected_version=expected_version,
            action="incident.transition",
            entry_kind=EntryKind.STATUS_CHANGE,
            body=text,
            detail=reason.strip(),
            now=now,
        )
        uow.commit()
    return saved


def assign_role(
    ctx: Context,
    actor: Actor,
    key: str,
    role: Role | str,
    person: str | None,
    *,
    expected_version: int | None = None,
) -> Incident:
    now = ctx.clock.now()
    role = parse_enum(Role, role, field="role")
    with ctx.uow(write=True) as uow:
        before = load(uow, actor, key)
        require_write(actor, before)
        if person is not None:
            _require_users(uow, (person,), field="person")
        after = model.assign_role(before, role, person, now=now)
        if after.roles == before.roles:
            return before
        previous = before.roles.get(role)
        holder = after.roles.get(role)
        if holder is None:
            text = f"{role.value} unassigned (was {previous})."
        elif previous:
            text = f"{role.value}: {previous} → {holder}."
        else:
            text = f"{role.value}: {holder}."
        had = {w.code for w in model.warnings(before)}
        for warning in model.warnings(after):
            if warning.code == "lead-is-investigator" and warning.code not in had:
                text += f" Warning: {warning.message}"
        saved = _save(
            ctx,
            uow,
            actor,
            before,
            after,
            expected_version=expected_version,
            action="incident.assign_role",
            entry_kind=EntryKind.ROLE_CHANGE,
            body=text,
            now=now,
        )
        uow.commit()
    return saved


def set_participants(
    ctx: Context,
    actor: Actor,
    key: str,
    *,
    add: tuple[str, ...] = (),
    remove: tuple[str, ...] = (),
    expected_version: int | None = None,
) -> Incident:
    now = ctx.clock.now()
    with ctx.uow(write=True) as uow:
        before = load(uow, actor, key)
        require_write(actor, before)
        _require_users(uow, add, field="participants")
        after = model.set_participants(before, add=add, remove=remove, now=now)
        if after.participants == before.participants:
            return before
        added = sorted(after.participants - before.participants)
        removed = sorted(before.participants - after.participants)
        parts = []
        if added:
            parts.append("added " + ", ".join(added))
        if removed:
            parts.append("removed " + ", ".join(removed))
        saved = _save(
            ctx,
            uow,
            actor,
            before,
            after,
            expected_version=expected_version,
            action="incident.participants",
            entry_kind=EntryKind.ROLE_CHANGE,
            body="Participants: " + "; ".join(parts) + ".",
            now=now,
        )
        uow.commit()
    return saved


def set_clock(
    ctx: Context,
    actor: Actor,
    key: str,
    clock: Clock | str,
    value: datetime | None,
    *,
    reason: str = "",
    expected_version: int | None = None,
) -> Incident:
    """Record a legal-clock time (awareness, breach determination, materiality …)."""
    now = ctx.clock.now()
    name = parse_enum(Clock, clock, field="clock")
    with ctx.uow(write=True) as uow:
        before = load(uow, actor, key)
        require_write(actor, before)
        after = model.set_clock(before, name, value, now=now)
        if after.clocks == before.clocks:
            return before
        shown = value.isoformat() if value else "cleared"
        text = f"{name.value}: {shown}."
        if reason.strip():
            text += f" {reason.strip()}"
        saved = _save(
            ctx,
            uow,
            actor,
            before,
            after,
            expected_version=expected_version,
            action="incident.set_clock",
            entry_kind=EntryKind.DECISION,
            body=text,
            detail=reason.strip(),
            now=now,
        )
        uow.commit()
    return saved
