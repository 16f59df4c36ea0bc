"""Response metrics from the stored records: per incident and across the incidents an actor may
see (``domain/metrics.py`` defines every measure).

The moments come from the incident (declared, phase changes, legal clocks), its timeline (the
first incident-lead assignment), its tracked obligations (deadlines and filings), the indicators
scoping saw (the first attacker activity), and the communications sent. Each source of
communications is registered in ``COMMUNICATION_SOURCES``: statements published through Candor
(``services/statement_delivery.py`` adds that one), and communications recorded by hand on the
timeline (an entry of kind ``communication`` naming its audience).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from candor.domain import metrics as model
from candor.domain.access import Actor
from candor.domain.incidents import Incident
from candor.domain.indicators import Source
from candor.domain.metrics import IncidentMetrics, OverdueItem, RecurringCause, Summary
from candor.domain.milestones import Audience, Communication, Moment, ObligationRecord, moments
from candor.domain.retros import Retro
from candor.domain.timeline import Entry, EntryKind
from candor.services.context import Context
from candor.services.incidents import load, visible_filter
from candor.services.obligation_records import metric_records
from candor.services.ports import IncidentFilter, UnitOfWork
from candor.services.ports_learn import with_learn
from candor.services.ports_obligations import tracked

CommunicationSource = Callable[[UnitOfWork, Incident, list[Entry]], list[Communication]]


def timeline_communications(
    uow: UnitOfWork, incident: Incident, entries: list[Entry]
) -> list[Communication]:
    """Communications recorded by hand: entries whose data names an audience
    (``{"audience": "customers"}``). A statement's own entries are left to the statements'
    source, so a published statement never counts twice."""
    out = []
    audiences = {a.value for a in Audience}
    for entry in entries:
        if entry.kind is not EntryKind.COMMUNICATION or not isinstance(entry.data, dict):
            continue
        if "statement" in entry.data:
            continue
        audience = entry.data.get("audience")
        if isinstance(audience, str) and audience in audiences:
            out.append(Communication(Audience(audience), entry.occurred_at, entry.body[:200]))
    return out


COMMUNICATION_SOURCES: list[CommunicationSource] = [timeline_communications]


@dataclass(frozen=True, slots=True)
class Facts:
    """What the metrics and the retro timeline of one incident are computed from."""

    incident: Incident
    entries: list[Entry]
    communications: list[Communication]
    obligations: list[ObligationRecord]
    first_activity_at: datetime | None

    def moments(self) -> list[Moment]:
        return moments(
            self.incident,
            self.entries,
            communications=self.communications,
            obligations=self.obligations,
            first_activity_at=self.first_activity_at,
        )

    def metrics(self, *, now: datetime) -> IncidentMetrics:
        return model.incident_metrics(
            self.incident,
            self.entries,
            now=now,
            first_activity_at=self.first_activity_at,
            communications=self.communications,
            obligations=self.obligations,
        )


def first_activity(uow: UnitOfWork, incident: Incident) -> datetime | None:
    """The earliest sighting of an indicator that scoping found: the first attacker activity
    Candor knows of (indicators entered by hand carry no reliable time)."""
    seen = [
        s.indicator.first_seen
        for s in with_learn(uow).shared_indicators.list(incident.id)
        if s.indicator.source is Source.SCOPING and s.indicator.first_seen is not None
    ]
    return min(seen) if seen else None


def facts_in(uow: UnitOfWork, incident: Incident) -> Facts:
    entries = uow.timeline.list(incident.id)
    communications = [c for source in COMMUNICATION_SOURCES for c in source(uow, incident, entries)]
    obligations = metric_records(tracked(uow).obligations.of_incident(incident.id))
    return Facts(incident, entries, communications, obligations, first_activity(uow, incident))


def incident_facts(ctx: Context, actor: Actor, key: str) -> Facts:
    with ctx.uow() as uow:
        return facts_in(uow, load(uow, actor, key))


@dataclass(frozen=True, slots=True)
class Overview:
    """The metrics page: every visible incident's figures and what they add up to."""

    incidents: list[IncidentMetrics]
    summaries: list[Summary]
    overdue: list[OverdueItem]
    recurring: list[RecurringCause]
    include_exercises: bool


def visible_retros(uow: UnitOfWork, actor: Actor) -> list[tuple[Incident, Retro]]:
    """The retros of incidents the actor may see (need-to-know applies to everything under an
    incident, its retro and action items included)."""
    retros = with_learn(uow).retros.all()
    if not retros:
        return []
    wanted = frozenset(r.incident_id for r in retros)
    visible = {
        i.id: i
        for i in uow.incidents.list(
            visible_filter(actor, IncidentFilter(ids=wanted, limit=len(wanted)))
        )
    }
    return [(visible[r.incident_id], r) for r in retros if r.incident_id in visible]


def overview(
    ctx: Context, actor: Actor, *, include_exercises: bool = False, limit: int = 500
) -> Overview:
    now = ctx.clock.now()
    with ctx.uow() as uow:
        chosen = uow.incidents.list(visible_filter(actor, IncidentFilter(limit=limit)))
        if not include_exercises:
            chosen = [i for i in chosen if not i.exercise]
        per_incident = [facts_in(uow, i).metrics(now=now) for i in chosen]
        retros = [r for i, r in visible_retros(uow, actor) if include_exercises or not i.exercise]
    return Overview(
        incidents=per_incident,
        summaries=model.summarise(per_incident, include_exercises=include_exercises),
        overdue=model.overdue_action_items(retros, now=now),
        recurring=model.recurring_root_causes(retros),
        include_exercises=include_exercises,
    )
