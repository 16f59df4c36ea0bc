"""Ports of obligations in incidents: where facts, tracked obligations and reminders are stored,
and where the rules, calendars and the organisation's profile come from."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, cast

from candor.domain.obligations.deadlines import CalendarProvider
from candor.domain.obligations.incident_facts import FactsVersion, Profile
from candor.domain.obligations.model import RuleSet
from candor.domain.obligations.tracking import TrackedObligation
from candor.services.ports import UnitOfWork


@dataclass(frozen=True, slots=True)
class ReminderRecord:
    key: str
    obligation_id: uuid.UUID
    mark: str
    deadline: datetime
    emitted_at: datetime
    emitted_as: str  # the key of the reminder emitted for this mark (itself, or one covering it)
    entry: int | None  # the timeline entry that carried it


class ObligationRepository(Protocol):
    def lock(self, incident_id: uuid.UUID) -> None:
        """Hold other writers of this incident's obligations off until the transaction ends."""
        ...

    def add_facts(self, version: FactsVersion) -> None: ...

    def latest_facts(self, incident_id: uuid.UUID) -> FactsVersion | None: ...

    def facts_history(self, incident_id: uuid.UUID) -> list[FactsVersion]: ...

    def first_facts_at(self, incident_id: uuid.UUID) -> datetime | None: ...

    def of_incident(self, incident_id: uuid.UUID) -> list[TrackedObligation]: ...

    def add(self, obligation: TrackedObligation) -> None: ...

    def save(self, obligation: TrackedObligation) -> None: ...

    def open_obligations(
        self, *, due_before: datetime | None = None, open_incidents_only: bool = False
    ) -> list[TrackedObligation]: ...

    def reminder_keys(self, obligation_ids: Iterable[uuid.UUID]) -> set[str]: ...

    def add_reminders(self, records: Sequence[ReminderRecord]) -> None:
        """Record reminders; a key already recorded makes the transaction fail (``Conflict``)."""
        ...

    def reminders(self, obligation_ids: Iterable[uuid.UUID]) -> list[ReminderRecord]: ...


class ObligationsUnitOfWork(UnitOfWork, Protocol):
    obligations: ObligationRepository


def tracked(uow: UnitOfWork) -> ObligationsUnitOfWork:
    """The unit of work with the obligations repository (registered by its storage adapter)."""
    if not hasattr(uow, "obligations"):
        raise RuntimeError(
            "the obligations repository is not registered: import candor.adapters.db.obligations"
        )
    return cast(ObligationsUnitOfWork, uow)


class ObligationsSetup(Protocol):
    """The rules in force for this workspace (built-in and the organisation's own), the business
    calendars, and the organisation's part of the facts (from settings)."""

    def rules(self) -> RuleSet: ...

    def calendars(self) -> CalendarProvider: ...

    def profile(self) -> Profile: ...
