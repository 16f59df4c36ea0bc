"""What other features read from tracked obligations: exercises score "obligations computed" and
"deadlines met" from them (``ports_prepare.ObligationRecords``), and response metrics take them as
``milestones.ObligationRecord`` values."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from candor.domain import simulated_time
from candor.domain.exercises import Observation
from candor.domain.incidents import Incident
from candor.domain.milestones import ObligationRecord
from candor.domain.obligations.results import iso_utc
from candor.domain.obligations.tracking import TrackedObligation, Tracking
from candor.domain.simulated_time import SimulatedClock
from candor.services.ports import UnitOfWork
from candor.services.ports_obligations import tracked


def metric_records(obligations: Iterable[TrackedObligation]) -> list[ObligationRecord]:
    """The obligations still triggered, as the response metrics count them (a record-keeping
    duty's retention period is not a deadline to meet)."""
    return [
        ObligationRecord(
            name=f"{o.computed.rule_id} ({o.computed.jurisdiction})",
            recipient=o.computed.recipient,
            deadline=o.computed.deadline,
            filed_at=o.filing.at if o.filing and o.state is Tracking.FILED else None,
            not_required=o.state is Tracking.NOT_REQUIRED,
            citation=o.computed.citation,
        )
        for o in obligations
        if o.active and not o.computed.retention
    ]


class TrackedObligationRecords:
    def computed_at(self, uow: UnitOfWork, incident: Incident) -> Observation:
        store = tracked(uow).obligations
        first = min((o.first_computed_at for o in store.of_incident(incident.id)), default=None)
        first = first or store.first_facts_at(incident.id)
        if first is None:
            return Observation(True, None, "no obligations facts recorded")
        return Observation(True, first, f"obligations first computed {iso_utc(first)}")

    def deadlines_met(
        self,
        uow: UnitOfWork,
        incident: Incident,
        *,
        now: datetime,
        clock: SimulatedClock | None = None,
    ) -> Observation:
        store = tracked(uow).obligations
        return simulated_time.deadlines_met(store.of_incident(incident.id), now=now, clock=clock)
