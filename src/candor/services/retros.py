"""Use cases for the blameless retro of an incident and its action items.

Every change is one unit of work: the retro saved (optimistic locking on its row version), a
timeline entry on the incident and an audit record, all or nothing. Need-to-know applies: the
retro of a restricted incident does not exist for non-members (``NotFound``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from candor.domain import impact as impact_model
from candor.domain import retros as model
from candor.domain import timeline
from candor.domain.access import Actor, require_write
from candor.domain.audit import AuditDraft
from candor.domain.errors import Conflict, InvalidInput, NotFound, Problem
from candor.domain.fivewhys import BlamelessPolicy
from candor.domain.incidents import Incident
from candor.domain.milestones import Moment
from candor.domain.retros import ActionItem, Retro, RetroStatus, Review
from candor.domain.timeline import Entry, EntryKind
from candor.domain.vocabulary import Confidentiality
from candor.services import retention
from candor.services.context import Context
from candor.services.incidents import load
from candor.services.learn_metrics import facts_in, visible_retros
from candor.services.ports import IncidentFilter, UnitOfWork
from candor.services.ports_impact import with_impact
from candor.services.ports_learn import LearnUnitOfWork, with_learn


@dataclass(frozen=True, slots=True)
class RetroView:
    incident: Incident
    retro: Retro | None
    version: int | None  # the row version, to send back with an edit
    review: Review | None
    entries: list[Entry]  # the incident's timeline, to choose from
    moments: list[Moment]
    people: list[str]


def people_of(uow: UnitOfWork, incident: Incident) -> list[str]:
    """Whose names the blameless hints look for: every user (by user name and display name)
    and the incident's members."""
    names: set[str] = set(incident.members)
    for user in uow.users.list(include_inactive=True):
        names.add(user.username)
        if user.display_name:
            names.add(user.display_name)
    return sorted(names)


def _view(uow: LearnUnitOfWork, incident: Incident, policy: BlamelessPolicy | None) -> RetroView:
    stored = uow.retros.get(incident.id)
    facts = facts_in(uow, incident)
    people = people_of(uow, incident)
    review = model.review(stored.retro, policy, people=people) if stored and policy else None
    return RetroView(
        incident,
        stored.retro if stored else None,
        stored.version if stored else None,
        review,
        facts.entries,
        facts.moments(),
        people,
    )


def get(
    ctx: Context, actor: Actor, key: str, *, policy: BlamelessPolicy | None = None
) -> RetroView:
    """The retro (or None) with what editing it needs; with ``policy``, its nudges and
    blameless-language hints."""
    with ctx.uow() as base:
        uow = with_learn(base)
        return _view(uow, load(uow, actor, key), policy)


def current(ctx: Context, actor: Actor, key: str) -> Retro | None:
    """Just the stored retro, for a summary (the incident page): ``get`` also reads the whole
    timeline to choose moments from, which on a long incident is most of the page's cost."""
    with ctx.uow() as base:
        uow = with_learn(base)
        stored = uow.retros.get(load(uow, actor, key).id)
        return stored.retro if stored else None


def require(view: RetroView) -> Retro:
    if view.retro is None:
        raise NotFound(f"{view.incident.key} has no retro yet")
    return view.retro


def _record(
    uow: LearnUnitOfWork,
    actor: Actor,
    incident: Incident,
    *,
    now: datetime,
    action: str,
    body: str,
    after: Mapping[str, Any],
    before: Mapping[str, Any] | None = None,
) -> None:
    uow.timeline.append(
        incident.id,
        timeline.draft(
            kind=EntryKind.SYSTEM,
            author=actor.username,
            occurred_at=now,
            body=body,
            data={"retro": action, **after},
        ),
        recorded_at=now,
    )
    uow.audit.append(
        AuditDraft(
            at=now,
            actor=actor.username,
            action=f"retro.{action}",
            target_type="retro",
            target_id=incident.key,
            incident_key=incident.key,
            before=before,
            after=after,
        )
    )


def start(ctx: Context, actor: Actor, key: str) -> Retro:
    """Open a draft retro: the summary from the incident, the impact from the final (latest)
    impact statement, and the milestones as its first timeline."""
    now = ctx.clock.now()
    with ctx.uow(write=True) as base:
        uow = with_learn(base)
        incident = load(uow, actor, key)
        require_write(actor, incident)
        if uow.retros.get(incident.id) is not None:
            raise Conflict(f"{incident.key} already has a retro")
        latest = with_impact(base).impact.latest(incident.id)
        impact = (
            impact_model.to_markdown(latest, incident_key=incident.key, title=incident.title)
            if latest
            else ""
        )
        retro = model.new_retro(
            id=ctx.new_id(), incident=incident, by=actor.username, now=now, impact=impact
        )
        moments = facts_in(uow, incident).moments()
        retro = replace(retro, timeline=model.timeline_from([], [], moments))
        uow.retros.add(retro)
        _record(
            uow,
            actor,
            incident,
            now=now,
            action="start",
            body="Retro started (draft).",
            after={
                "status": retro.status.value,
                "impact_version": latest.number if latest else None,
            },
        )
        uow.commit()
    return retro


def _change(
    ctx: Context,
    actor: Actor,
    key: str,
    change: Callable[[LearnUnitOfWork, Incident, Retro, datetime], Retro],
    *,
    action: str,
    body: Callable[[Retro, Retro], str],
    details: Callable[[Retro, Retro], Mapping[str, Any]],
    expected_version: int | None = None,
) -> Retro:
    now = ctx.clock.now()
    with ctx.uow(write=True) as base:
        uow = with_learn(base)
        incident = load(uow, actor, key)
        require_write(actor, incident)
        stored = uow.retros.get(incident.id)
        if stored is None:
            raise NotFound(f"{incident.key} has no retro yet")
        if expected_version is not None and expected_version != stored.version:
            raise Conflict(
                f"the retro of {incident.key} changed while you edited it (now at version "
                f"{stored.version}, you started from {expected_version}); reload it"
            )
        before = stored.retro
        after = change(uow, incident, before, now)
        uow.retros.save(after, expected_version=stored.version)
        _record(
            uow,
            actor,
            incident,
            now=now,
            action=action,
            body=body(before, after),
            after=details(before, after),
        )
        uow.commit()
    return after


def _changed_fields(before: Retro, after: Retro) -> list[str]:
    return [name for name in model.EDITABLE if getattr(before, name) != getattr(after, name)]


def revise(
    ctx: Context,
    actor: Actor,
    key: str,
    changes: Mapping[str, Any],
    *,
    timeline_entries: Sequence[int] | None = None,
    expected_version: int | None = None,
) -> Retro:
    """Edit the retro; every problem in every field is reported at once. ``timeline_entries``
    (entry numbers) rebuilds the retro timeline from those entries and the milestones."""

    def change(uow: LearnUnitOfWork, incident: Incident, retro: Retro, now: datetime) -> Retro:
        revised = model.revise(retro, changes, now=now)
        if timeline_entries is not None:
            facts = facts_in(uow, incident)
            revised = replace(
                revised,
                timeline=model.timeline_from(facts.entries, timeline_entries, facts.moments()),
            )
        return revised

    return _change(
        ctx,
        actor,
        key,
        change,
        action="revise",
        body=lambda b, a: (
            "Retro edited: "
            + (", ".join(f.replace("_", " ") for f in _changed_fields(b, a)) or "no changes")
            + "."
        ),
        details=lambda b, a: {"changed": _changed_fields(b, a)},
        expected_version=expected_version,
    )


def add_chain(
    ctx: Context,
    actor: Actor,
    key: str,
    *,
    problem: str,
    steps: Sequence[Mapping[str, str]],
    expected_version: int | None = None,
) -> Retro:
    """Append one five-whys chain (the form's way of adding one at a time)."""

    def change(uow: LearnUnitOfWork, incident: Incident, retro: Retro, now: datetime) -> Retro:
        chains = [
            {"problem": c.problem, "steps": [{"why": s.why, "because": s.because} for s in c.steps]}
            for c in retro.chains
        ]
        return model.revise(
            retro, {"chains": [*chains, {"problem": problem, "steps": list(steps)}]}, now=now
        )

    return _change(
        ctx,
        actor,
        key,
        change,
        action="chain",
        body=lambda b, a: (
            f"Five-whys chain {len(a.chains)} added to the retro ({a.chains[-1].depth} levels)."
        ),
        details=lambda b, a: {"chain": len(a.chains), "depth": a.chains[-1].depth},
        expected_version=expected_version,
    )


def set_status(ctx: Context, actor: Actor, key: str, target: RetroStatus | str) -> Retro:
    return _change(
        ctx,
        actor,
        key,
        lambda uow, incident, retro, now: model.set_status(
            retro, target, by=actor.username, now=now
        ),
        action="status",
        body=lambda b, a: f"Retro moved from {b.status.value} to {a.status.value}.",
        details=lambda b, a: {"from": b.status.value, "to": a.status.value},
    )


def add_action_item(
    ctx: Context,
    actor: Actor,
    key: str,
    *,
    title: str,
    kind: str,
    owner: str | None = None,
    due_on: date | str | None = None,
    tracker_url: str | None = None,
) -> ActionItem:
    def change(uow: LearnUnitOfWork, incident: Incident, retro: Retro, now: datetime) -> Retro:
        who = (owner or "").strip().lower() or None
        if who is not None and uow.users.get(who) is None:
            raise InvalidInput(
                Problem(f"no user {who!r}", field="owner", hint="the owner must have an account")
            )
        due: Any = due_on
        return model.add_action_item(
            retro,
            title=title,
            kind=kind,
            owner=who,
            due_on=due,
            tracker_url=(tracker_url or "").strip() or None,
            now=now,
        )

    after = _change(
        ctx,
        actor,
        key,
        change,
        action="action_add",
        body=lambda b, a: (
            f"Action item {a.action_items[-1].seq} added: "
            f"{a.action_items[-1].title} ({a.action_items[-1].kind.value})."
        ),
        details=lambda b, a: _item_dict(a.action_items[-1]),
    )
    return after.action_items[-1]


def _item_dict(item: ActionItem) -> dict[str, Any]:
    return {
        "seq": item.seq,
        "title": item.title,
        "kind": item.kind.value,
        "owner": item.owner,
        "due_on": item.due_on.isoformat() if item.due_on else None,
        "status": item.status.value,
        "tracker_url": item.tracker_url,
    }


def set_action_status(ctx: Context, actor: Actor, key: str, seq: int, status: str) -> ActionItem:
    after = _change(
        ctx,
        actor,
        key,
        lambda uow, incident, retro, now: model.set_action_status(retro, seq, status, now=now),
        action="action_status",
        body=lambda b, a: f"Action item {seq} is now {_item(a, seq).status.value}.",
        details=lambda b, a: {
            "seq": seq,
            "from": _item(b, seq).status.value,
            "to": _item(a, seq).status.value,
        },
    )
    return _item(after, seq)


def _item(retro: Retro, seq: int) -> ActionItem:
    return next(a for a in retro.action_items if a.seq == seq)


@dataclass(frozen=True, slots=True)
class ActionRow:
    incident: Incident
    item: ActionItem
    overdue: bool
    days_overdue: int


def action_items(
    ctx: Context, actor: Actor, *, open_only: bool = False, owner: str | None = None
) -> list[ActionRow]:
    """Action items across the incidents the actor may see: overdue first (most overdue
    first), then by due date (undated last), incident and number."""
    now = ctx.clock.now()
    with ctx.uow() as base:
        pairs = visible_retros(base, actor)
    rows = []
    for incident, retro in pairs:
        for item in retro.action_items:
            if open_only and not item.status.is_open:
                continue
            if owner and item.owner != owner:
                continue
            late = item.is_overdue(now)
            days = (now.date() - item.due_on).days if late and item.due_on else 0
            rows.append(ActionRow(incident, item, late, days))
    return sorted(
        rows,
        key=lambda r: (
            not r.overdue,
            -r.days_overdue,
            r.item.due_on or date.max,
            r.incident.key,
            r.item.seq,
        ),
    )


class RetroActionItems:
    """What readiness reads: every action item of every stored retro (``ActionItemRecords``).

    Readiness is one workspace-wide score that everyone signed in reads, and it names overdue
    items by title; the items of restricted incidents count, under a title that says only that.
    """

    def action_items(self, uow: UnitOfWork) -> list[ActionItem]:
        retros = [r for r in with_learn(uow).retros.all() if r.action_items]
        if not retros:
            return []
        wanted = frozenset(r.incident_id for r in retros)
        restricted = {
            i.id
            for i in uow.incidents.list(IncidentFilter(see_all=True, ids=wanted, limit=len(wanted)))
            if i.confidentiality is Confidentiality.RESTRICTED
        }
        return [
            replace(a, title="an item of a restricted incident")
            if r.incident_id in restricted
            else a
            for r in retros
            for a in r.action_items
        ]


def _scrub(base: UnitOfWork, incident: Incident, marker: str) -> dict[str, int]:
    """Retention: see ``domain.retros.scrubbed`` for what goes and what stays."""
    if getattr(base, "retros", None) is None:  # a unit of work without the learn tables
        return {}
    uow = with_learn(base)
    stored = uow.retros.get(incident.id)
    if stored is None:
        return {}
    uow.retros.save(model.scrubbed(stored.retro, marker), expected_version=stored.version)
    return {"retros": 1}


retention.RETENTION_SCRUBBERS.append(_scrub)
