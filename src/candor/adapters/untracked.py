"""Stand-ins that answer "not measured" for every signal exercises and readiness read.

``candor.bootstrap`` wires the real readers (impact statements, obligations, statements,
inventory, retros); these remain for scoring without them, so a report and the readiness score
say plainly what they could not see, rather than count it as done or as missed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from candor.domain.exercises import Observation, not_measured
from candor.domain.incidents import Incident
from candor.domain.readiness import Coverage
from candor.domain.retro_items import ActionItem
from candor.domain.simulated_time import SimulatedClock
from candor.services.ports import UnitOfWork
from candor.services.ports_prepare import Signals


class UntrackedImpact:
    def first_version_at(self, uow: UnitOfWork, incident: Incident) -> Observation:
        return not_measured("impact statements")


class UntrackedObligations:
    def computed_at(self, uow: UnitOfWork, incident: Incident) -> Observation:
        return not_measured("computed obligations")

    def deadlines_met(
        self,
        uow: UnitOfWork,
        incident: Incident,
        *,
        now: datetime,
        clock: SimulatedClock | None = None,
    ) -> Observation:
        return not_measured("obligation deadlines")


class UntrackedNotices:
    def customer_notice_approved_at(self, uow: UnitOfWork, incident: Incident) -> Observation:
        return not_measured("customer notices")


class UntrackedCustomers:
    def verified(self, uow: UnitOfWork) -> Coverage | None:
        return None


class UntrackedInventory:
    def described(self, uow: UnitOfWork) -> Coverage | None:
        return None


class UntrackedActionItems:
    def action_items(self, uow: UnitOfWork) -> Sequence[ActionItem] | None:
        return None


def signals() -> Signals:
    return Signals(
        impact=UntrackedImpact(),
        obligations=UntrackedObligations(),
        notices=UntrackedNotices(),
        customers=UntrackedCustomers(),
        inventory=UntrackedInventory(),
        action_items=UntrackedActionItems(),
    )
