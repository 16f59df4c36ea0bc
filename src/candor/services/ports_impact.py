"""Ports of the impact statement and findings (implemented in ``adapters/db/impact.py``)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Protocol, cast

from candor.domain.findings import Finding
from candor.domain.impact import ImpactVersion
from candor.services.ports import UnitOfWork

# (number within the incident, row version for optimistic locking, the finding)
NumberedFinding = tuple[int, int, Finding]
FindingsByIncident = dict[uuid.UUID, list[NumberedFinding]]


class ImpactRepository(Protocol):
    def add_version(self, incident_id: uuid.UUID, version: ImpactVersion) -> str:
        """Store a version; returns its content hash (recorded in the audit log)."""
        ...

    def versions(self, incident_id: uuid.UUID) -> list[ImpactVersion]: ...

    def latest(self, incident_id: uuid.UUID) -> ImpactVersion | None: ...

    def stored_hashes(self, incident_id: uuid.UUID) -> dict[int, tuple[str, str]]: ...

    def rewrite_version(self, incident_id: uuid.UUID, version: ImpactVersion) -> str:
        """Replace a stored version (only the retention policy does); returns its new hash."""
        ...

    def cadence(self, incident_id: uuid.UUID) -> timedelta | None: ...

    def set_cadence(self, incident_id: uuid.UUID, every: timedelta | None) -> None: ...


class FindingRepository(Protocol):
    def add(self, finding: Finding) -> int: ...

    def save(self, finding: Finding, *, expected_version: int) -> None: ...

    def get(self, incident_id: uuid.UUID, seq: int) -> NumberedFinding | None: ...

    def list(self, incident_id: uuid.UUID) -> list[NumberedFinding]: ...

    def open_by_incident(self) -> FindingsByIncident: ...


class ImpactUnitOfWork(UnitOfWork, Protocol):
    impact: ImpactRepository
    findings: FindingRepository


def with_impact(uow: UnitOfWork) -> ImpactUnitOfWork:
    if not (hasattr(uow, "impact") and hasattr(uow, "findings")):
        raise RuntimeError(
            "the impact repositories are not registered: import candor.adapters.db.impact"
        )
    return cast(ImpactUnitOfWork, uow)
