"""Ports of statements (implemented in ``adapters/db/statements.py`` and
``adapters/statement_templates.py``)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, cast

from candor.domain.statements import DEFAULT_REVIEW_CHAIN, Statement
from candor.services.ports import UnitOfWork


class StatementRepository(Protocol):
    def next_number(self, incident_id: uuid.UUID) -> int: ...

    def add(self, statement: Statement) -> None: ...

    def save(self, statement: Statement) -> Statement:
        """Store a changed statement (refusing published rows and stale versions); returns it
        with its new row version."""
        ...

    def rewrite(self, statement: Statement) -> None:
        """Retention only: store the statement's texts whatever its state, published included."""
        ...

    def get(self, incident_id: uuid.UUID, number: int) -> Statement | None: ...

    def of_incident(self, incident_id: uuid.UUID) -> list[Statement]: ...

    def public(self) -> list[tuple[uuid.UUID, bool, Statement]]:
        """(incident id, exercise?, statement) for every published public statement."""
        ...

    def public_fingerprint(self) -> tuple[int, datetime | None]: ...

    def delegates(self, incident_id: uuid.UUID) -> list[str]: ...

    def set_delegate(
        self, incident_id: uuid.UUID, username: str, *, named_by: str, now: datetime, on: bool
    ) -> None: ...


class StatementUnitOfWork(UnitOfWork, Protocol):
    statements: StatementRepository


def with_statements(uow: UnitOfWork) -> StatementUnitOfWork:
    if not hasattr(uow, "statements"):
        raise RuntimeError(
            "the statement repository is not registered: import candor.adapters.db.statements"
        )
    return cast(StatementUnitOfWork, uow)


@dataclass(frozen=True, slots=True)
class Rendered:
    title: str
    body: str


class StatementTemplates(Protocol):
    def names(self) -> list[str]: ...

    def render(self, name: str, data: Mapping[str, Any]) -> Rendered:
        """Render template ``name`` with ``data``; InvalidInput naming the template (file and
        line) when it does not exist or fails."""
        ...


@dataclass(frozen=True)
class CommsSetup:
    """What statements read from the settings (``[comms]``)."""

    review_chain: Sequence[str] = DEFAULT_REVIEW_CHAIN
    templates: StatementTemplates | None = None
    secret_rotation: Mapping[str, Sequence[str]] = field(default_factory=dict)
    secret_names: Mapping[str, str] = field(default_factory=dict)
