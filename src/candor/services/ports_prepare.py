"""Ports of the prepare features: the contacts directory and exercises (stored here), and what
they read from features that are built elsewhere (impact statements, obligations, customer
notices, the customer directory, the inventory, stored retros).

Each of those outside ports answers "not measured" until its feature provides a real
implementation (``candor.adapters.untracked`` is the stand-in the application wires today; the
feature replaces it in ``candor.bootstrap``). Scores then leave the item out instead of guessing.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, cast

from candor.domain.contacts import Category, Contact
from candor.domain.exercises import Exercise, Observation, Release
from candor.domain.incidents import Incident
from candor.domain.readiness import Coverage
from candor.domain.retro_items import ActionItem
from candor.domain.simulated_time import SimulatedClock
from candor.services.ports import UnitOfWork


class ContactRepository(Protocol):
    def add(self, contact: Contact) -> None: ...

    def get(self, handle: str) -> Contact | None: ...

    def save(self, contact: Contact, *, expected_version: int) -> Contact:
        """Store a changed contact unless someone changed it since ``expected_version``
        (raises ``Conflict``); returns it with its new version."""
        ...

    def remove(self, contact: Contact) -> None: ...

    def list(self, *, category: Category | None = None) -> list[Contact]: ...


class ExerciseRepository(Protocol):
    def add(self, exercise: Exercise) -> None: ...

    def get(self, key: str) -> Exercise | None: ...

    def for_incident(self, incident_id: uuid.UUID) -> Exercise | None:
        """The exercise an exercise incident belongs to (one each)."""
        ...

    def add_release(self, exercise_id: uuid.UUID, release: Release) -> None: ...

    def save(self, exercise: Exercise) -> None:
        """Store ``ended_at`` (the rest of an exercise never changes)."""
        ...

    def list(self, *, limit: int = 100) -> list[Exercise]: ...

    def last_started_at(self) -> datetime | None: ...


class PrepareUnitOfWork(UnitOfWork, Protocol):
    contacts: ContactRepository
    exercises: ExerciseRepository


def prepared(uow: UnitOfWork) -> PrepareUnitOfWork:
    """The unit of work with the prepare repositories (registered by their storage adapter)."""
    if not (hasattr(uow, "contacts") and hasattr(uow, "exercises")):
        raise RuntimeError(
            "the prepare repositories are not registered: import candor.adapters.db.prepare"
        )
    return cast(PrepareUnitOfWork, uow)


# ---- what exercises read from other features ---------------------------------------------------


class ImpactStatementRecords(Protocol):
    def first_version_at(self, uow: UnitOfWork, incident: Incident) -> Observation: ...


class ObligationRecords(Protocol):
    def computed_at(self, uow: UnitOfWork, incident: Incident) -> Observation: ...

    def deadlines_met(
        self,
        uow: UnitOfWork,
        incident: Incident,
        *,
        now: datetime,
        clock: SimulatedClock | None = None,
    ) -> Observation:
        """``at``: when the last due obligation was met, all on time; measured with no ``at``
        when one was missed or is still open. With a ``clock`` (an exercise that simulates
        incident time) filings and deadlines are compared in simulated time, as of ``now``."""
        ...


class NoticeRecords(Protocol):
    def customer_notice_approved_at(self, uow: UnitOfWork, incident: Incident) -> Observation: ...


# ---- what readiness reads from other features --------------------------------------------------


class CustomerContactCoverage(Protocol):
    def verified(self, uow: UnitOfWork) -> Coverage | None:
        """Customers with a verified contact address, of all customers; None: not measured."""
        ...


class InventoryCoverage(Protocol):
    def described(self, uow: UnitOfWork) -> Coverage | None:
        """Systems whose data elements are recorded, of all systems; None: not measured."""
        ...


class ActionItemRecords(Protocol):
    def action_items(self, uow: UnitOfWork) -> Sequence[ActionItem] | None:
        """Every retro action item; None: retros are not stored here."""
        ...


@dataclass(frozen=True)
class Signals:
    """The outside ports, wired once by ``candor.bootstrap``."""

    impact: ImpactStatementRecords
    obligations: ObligationRecords
    notices: NoticeRecords
    customers: CustomerContactCoverage
    inventory: InventoryCoverage
    action_items: ActionItemRecords
