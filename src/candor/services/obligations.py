"""Use cases of obligations in an incident: record its facts, recompute its obligations, read them.

Obligations are recomputed in the transaction of whatever changed them — a new version of the
facts, a legal clock of the incident (``INCIDENT_CHANGED``), a notice filed (chained triggers) —
and the difference (new, no longer triggered, deadline moved, status changed) goes on the
incident's timeline as an ``obligation`` entry, with an audit record.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from candor.domain import timeline
from candor.domain.access import Actor, can_see, require_write
from candor.domain.audit import AuditDraft
from candor.domain.errors import Conflict, InvalidInput, Problem, dotted
from candor.domain.incidents import Clock as IncidentClock
from candor.domain.incidents import Incident
from candor.domain.obligations.engine import evaluate
from candor.domain.obligations.incident_facts import (
    PROBE_PROFILE,
    Composed,
    FactSource,
    FactsVersion,
    Profile,
    compose,
    revise,
)
from candor.domain.obligations.needed import Needed, determinations_needed
from candor.domain.obligations.reconcile import ObligationChange, reconcile
from candor.domain.obligations.reporting import check_facts
from candor.domain.obligations.results import Evaluation
from candor.domain.obligations.tracking import TrackedObligation, filed
from candor.domain.timeline import EntryKind
from candor.services import incidents
from candor.services.context import Context
from candor.services.ports import UnitOfWork
from candor.services.ports_obligations import ObligationsSetup, ObligationsUnitOfWork, tracked


def setup_of(ctx: Context) -> ObligationsSetup:
    if ctx.obligations is None:
        raise RuntimeError("obligations are not wired into this context (candor.bootstrap)")
    return ctx.obligations


def _evaluate(
    setup: ObligationsSetup,
    incident: Incident,
    facts: FactsVersion | None,
    obligations: Sequence[TrackedObligation],
    *,
    now: datetime | None = None,
) -> tuple[Composed, Evaluation]:
    """Compose the incident's facts and evaluate them; ``ClocksMissing`` without a start time."""
    rules = setup.rules()
    composed = compose(setup.profile(), incident.clocks, facts, filed(obligations))
    problems = check_facts(composed.facts, rules)
    if problems:
        raise InvalidInput(problems)
    evaluation = evaluate(
        composed.facts,
        rules,
        calendars=setup.calendars(),
        now=now,
        organization_timezone=setup.profile().timezone,
    )
    return composed, evaluation


def recompute_in(
    ctx: Context,
    uow: ObligationsUnitOfWork,
    actor: Actor,
    incident: Incident,
    *,
    cause: str,
    now: datetime,
) -> tuple[ObligationChange, ...]:
    """Recompute inside an open unit of work and record the difference. Nothing happens before
    the incident has facts (there is nothing to evaluate yet)."""
    facts = uow.obligations.latest_facts(incident.id)
    if facts is None:
        return ()
    existing = uow.obligations.of_incident(incident.id)
    try:
        _, evaluation = _evaluate(setup_of(ctx), incident, facts, existing)
    except InvalidInput as exc:
        # no start time yet, or a broken organisation rule file: say so on the timeline, and
        # never refuse the change that asked for the recomputation (a legal-clock time)
        entry_in(
            uow,
            actor,
            incident,
            f"Obligations not recomputed ({cause}): {exc.problems_list()[0]}",
            now,
            {"cause": cause, "computed": False},
        )
        return ()
    result = reconcile(existing, evaluation, incident_id=incident.id, now=now, new_id=ctx.new_id)
    for obligation in result.new:
        uow.obligations.add(obligation)
    for obligation in result.updated:
        uow.obligations.save(obligation)
    if result.changes:
        lines = "\n".join(f"- {change.describe()}" for change in result.changes)
        count = len(result.changes)
        entry_in(
            uow,
            actor,
            incident,
            f"Obligations recomputed ({cause}): {count} change{'s' if count > 1 else ''}.\n\n"
            + lines,
            now,
            {"cause": cause, "changes": [c.as_dict() for c in result.changes]},
        )
        uow.audit.append(
            AuditDraft(
                at=now,
                actor=actor.username,
                action="obligation.recompute",
                target_type="incident",
                target_id=str(incident.id),
                incident_key=incident.key,
                after={"changes": [c.as_dict() for c in result.changes]},
                detail=cause,
            )
        )
    return result.changes


def entry_in(
    uow: UnitOfWork,
    actor: Actor,
    incident: Incident,
    body: str,
    now: datetime,
    data: Mapping[str, object],
) -> int:
    """An ``obligation`` timeline entry inside an open unit of work; returns its number."""
    entry = uow.timeline.append(
        incident.id,
        timeline.draft(
            kind=EntryKind.OBLIGATION, author=actor.username, occurred_at=now, body=body, data=data
        ),
        recorded_at=now,
    )
    return entry.seq


@dataclass(frozen=True, slots=True)
class FactsRecorded:
    facts: FactsVersion | None  # the current version (unchanged when nothing changed)
    changed: bool
    obligation_changes: tuple[ObligationChange, ...]


def record_facts(
    ctx: Context,
    actor: Actor,
    key: str,
    changes: Mapping[str, object],
    *,
    source: FactSource | str = FactSource.MANUAL,
    reason: str = "",
    expected_version: int | None = None,
) -> FactsRecorded:
    """Change some of an incident's obligations facts (None removes one): a new version, the
    obligations recomputed, both on the timeline. ``expected_version`` guards against
    overwriting a version someone else recorded since the caller read it."""
    now = ctx.clock.now()
    with ctx.uow(write=True) as raw:
        uow = tracked(raw)
        incident = incidents.load(uow, actor, key)
        require_write(actor, incident)
        recorded = record_facts_in(
            ctx,
            uow,
            actor,
            incident,
            changes,
            source=source,
            reason=reason,
            expected_version=expected_version,
            now=now,
        )
        if recorded.changed:
            uow.commit()
    return recorded


def record_facts_in(
    ctx: Context,
    uow: ObligationsUnitOfWork,
    actor: Actor,
    incident: Incident,
    changes: Mapping[str, object],
    *,
    source: FactSource | str,
    reason: str,
    now: datetime,
    expected_version: int | None = None,
) -> FactsRecorded:
    """``record_facts`` inside the caller's transaction (the caller checked access and commits):
    features that derive facts (the inventory's scope) record them with their own change."""
    source = FactSource(source)
    uow.obligations.lock(incident.id)
    current = uow.obligations.latest_facts(incident.id)
    at = current.version if current else 0
    if expected_version is not None and expected_version != at:
        raise Conflict(
            f"the facts of {incident.key} were changed by someone else (now version {at}; you "
            f"edited version {expected_version}). Reload them and apply your change again."
        )
    version = revise(
        current,
        changes,
        incident_id=incident.id,
        source=source,
        by=actor.username,
        now=now,
        reason=reason,
    )
    if version is None:
        return FactsRecorded(current, False, ())
    _check_events(setup_of(ctx), version, now)
    uow.obligations.add_facts(version)
    described = "; ".join(change.describe() for change in version.changes)
    body = f"Obligation facts version {version.version} ({source.value}): {described}."
    if version.reason:
        body += f" Reason: {version.reason}"
    if len(body) > timeline.BODY_MAX:  # many long facts at once: the data keeps every change
        note = " … (shortened; every change is in this entry's data and in the facts version)"
        body = body[: timeline.BODY_MAX - len(note)] + note
    entry_in(
        uow,
        actor,
        incident,
        body,
        now,
        {
            "facts_version": version.version,
            "source": source.value,
            "changes": [
                {"key": c.key, "before": c.before, "after": c.after} for c in version.changes
            ],
        },
    )
    uow.audit.append(
        AuditDraft(
            at=now,
            actor=actor.username,
            action="obligation.facts",
            target_type="incident",
            target_id=str(incident.id),
            incident_key=incident.key,
            before={k: f.value for k, f in current.facts.items()} if current else None,
            after={k: f.value for k, f in version.facts.items()},
            detail=version.reason,
        )
    )
    made = recompute_in(
        ctx, uow, actor, incident, cause=f"facts version {version.version}", now=now
    )
    return FactsRecorded(version, True, made)


def _check_events(setup: ObligationsSetup, version: FactsVersion, now: datetime) -> None:
    """Notified events must name rules that exist: a typo would leave a clock pending."""
    probe = compose(PROBE_PROFILE, {IncidentClock.AWARE_AT: now}, version)
    problems = check_facts(probe.facts, setup.rules())
    if problems:
        raise InvalidInput(
            [Problem(p.message, field=dotted(p.path[1:]) if p.path else p.field) for p in problems]
        )


def recompute(ctx: Context, actor: Actor, key: str) -> tuple[ObligationChange, ...]:
    """Recompute on request: after the rules or the organisation's settings changed."""
    now = ctx.clock.now()
    with ctx.uow(write=True) as raw:
        uow = tracked(raw)
        incident = incidents.load(uow, actor, key)
        require_write(actor, incident)
        uow.obligations.lock(incident.id)
        made = recompute_in(
            ctx, uow, actor, incident, cause=f"recomputed by {actor.username}", now=now
        )
        uow.commit()
    return made


def _on_incident_change(
    ctx: Context, uow: UnitOfWork, actor: Actor, before: Incident, after: Incident, now: datetime
) -> None:
    if before.clocks == after.clocks or not hasattr(uow, "obligations"):
        return  # not a clock, or a store without this feature (the in-memory fakes)
    moved = ", ".join(
        clock.value
        for clock in sorted(set(before.clocks) | set(after.clocks))
        if before.clocks.get(clock) != after.clocks.get(clock)
    )
    store = tracked(uow)
    store.obligations.lock(after.id)
    recompute_in(ctx, store, actor, after, cause=f"{moved} changed", now=now)


incidents.INCIDENT_CHANGED.append(_on_incident_change)


# ---- reading --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Overview:
    """Everything the incident page, the CLI, the API and the counsel packet show."""

    incident: Incident
    profile: Profile
    facts: FactsVersion | None
    obligations: tuple[TrackedObligation, ...]  # stored, with tracking, by number
    composed: Composed | None = None
    evaluation: Evaluation | None = None  # evaluated now, from the current facts and rules
    needed: tuple[Needed, ...] = ()
    missing: str | None = None  # why there is no evaluation
    stale: bool = False  # the rules or settings give other obligations than those stored

    @property
    def active(self) -> tuple[TrackedObligation, ...]:
        return tuple(o for o in self.obligations if o.active)

    @property
    def inactive(self) -> tuple[TrackedObligation, ...]:
        return tuple(o for o in self.obligations if not o.active)


def _signature(obligations: Sequence[TrackedObligation]) -> set[tuple[object, ...]]:
    return {
        (*o.computed.identity, o.computed.status, o.computed.deadline)
        for o in obligations
        if o.active
    }


def overview_in(ctx: Context, uow: ObligationsUnitOfWork, incident: Incident) -> Overview:
    setup = setup_of(ctx)
    facts = uow.obligations.latest_facts(incident.id)
    stored = tuple(uow.obligations.of_incident(incident.id))
    base = Overview(incident, setup.profile(), facts, stored)
    if facts is None:
        return _replace(base, missing="No facts recorded yet: enter them to compute obligations.")
    try:
        composed, evaluation = _evaluate(setup, incident, facts, stored, now=ctx.clock.now())
    except InvalidInput as exc:
        return _replace(base, missing=str(exc.problems_list()[0]))
    live = {
        (f.rule.id, f.jurisdiction, f.status, f.deadline)
        for f in (*evaluation.obligations, *evaluation.duties)
    }
    return Overview(
        incident=incident,
        profile=base.profile,
        facts=facts,
        obligations=stored,
        composed=composed,
        evaluation=evaluation,
        needed=tuple(determinations_needed(composed.facts, evaluation)),
        stale=live != _signature(stored),
    )


def _replace(overview: Overview, *, missing: str) -> Overview:
    return Overview(
        overview.incident, overview.profile, overview.facts, overview.obligations, missing=missing
    )


def overview(ctx: Context, actor: Actor, key: str) -> Overview:
    with ctx.uow() as raw:
        uow = tracked(raw)
        incident = incidents.load(uow, actor, key)
        return overview_in(ctx, uow, incident)


def facts_history(ctx: Context, actor: Actor, key: str) -> list[FactsVersion]:
    with ctx.uow() as raw:
        uow = tracked(raw)
        incident = incidents.load(uow, actor, key)
        return uow.obligations.facts_history(incident.id)


@dataclass(frozen=True, slots=True)
class Upcoming:
    incident: Incident
    obligation: TrackedObligation


def upcoming(ctx: Context, actor: Actor, *, limit: int = 20) -> list[Upcoming]:
    """Open obligations of open incidents the actor may see, earliest deadline first (overdue
    ones come first, since their deadlines are the earliest)."""
    out: list[Upcoming] = []
    with ctx.uow() as raw:
        uow = tracked(raw)
        seen: dict[object, Incident | None] = {}
        for obligation in uow.obligations.open_obligations(open_incidents_only=True):
            if obligation.incident_id not in seen:
                found = uow.incidents.get_by_id(obligation.incident_id)
                seen[obligation.incident_id] = found if found and can_see(actor, found) else None
            incident = seen[obligation.incident_id]
            if incident is not None:
                out.append(Upcoming(incident, obligation))
            if len(out) >= limit:
                break
    return out


def packet(ctx: Context, actor: Actor, key: str, *, fmt: str, privileged: bool) -> Overview:
    """The overview for a counsel packet; the download is recorded in the audit log (the log is
    also the record of who took which document out)."""
    now = ctx.clock.now()
    with ctx.uow(write=True) as raw:
        uow = tracked(raw)
        incident = incidents.load(uow, actor, key)
        view = overview_in(ctx, uow, incident)
        uow.audit.append(
            AuditDraft(
                at=now,
                actor=actor.username,
                action="obligation.packet",
                target_type="incident",
                target_id=str(incident.id),
                incident_key=incident.key,
                detail=f"counsel packet ({fmt}{', privileged' if privileged else ''})",
            )
        )
        uow.commit()
    return view
