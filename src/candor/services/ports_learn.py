"""Ports of retros, shared indicators and VERIS classifications (``adapters/db/learn.py``)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, cast

from candor.domain.indicators import Indicator
from candor.domain.retros import Retro
from candor.services.ports import UnitOfWork


@dataclass(frozen=True, slots=True)
class StoredRetro:
    retro: Retro
    version: int  # row version, for optimistic locking


@dataclass(frozen=True, slots=True)
class StoredIndicator:
    incident_id: uuid.UUID
    seq: int  # number within the incident
    indicator: Indicator
    added_at: datetime
    added_by: str


class RetroRepository(Protocol):
    def add(self, retro: Retro) -> None: ...

    def get(self, incident_id: uuid.UUID) -> StoredRetro | None: ...

    def save(self, retro: Retro, *, expected_version: int) -> int:
        """Store a changed retro if nobody changed it since ``expected_version``; returns the
        new version, raises ``Conflict`` otherwise."""
        ...

    def all(self) -> list[Retro]: ...


class IndicatorRepository(Protocol):
    def add(self, incident_id: uuid.UUID, item: Indicator, *, by: str, now: datetime) -> int: ...

    def list(self, incident_id: uuid.UUID) -> list[StoredIndicator]: ...

    def remove(self, incident_id: uuid.UUID, seq: int) -> bool: ...


class VerisRepository(Protocol):
    def get(self, incident_id: uuid.UUID) -> Mapping[str, Any] | None: ...

    def put(
        self, incident_id: uuid.UUID, classification: Mapping[str, Any], *, by: str, now: datetime
    ) -> None: ...


class LearnUnitOfWork(UnitOfWork, Protocol):
    retros: RetroRepository
    shared_indicators: IndicatorRepository
    veris: VerisRepository


def with_learn(uow: UnitOfWork) -> LearnUnitOfWork:
    if not all(hasattr(uow, n) for n in ("retros", "shared_indicators", "veris")):
        raise RuntimeError(
            "the retro and sharing repositories are not registered: import candor.adapters.db.learn"
        )
    return cast(LearnUnitOfWork, uow)
