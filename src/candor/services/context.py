"""What every use case receives: the ports, wired once by ``candor.bootstrap``."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from candor.services.ports import Clock, PasswordHasher, UnitOfWorkFactory


@dataclass(frozen=True)
class Context:
    uow: UnitOfWorkFactory
    clock: Clock
    new_id: Callable[[], uuid.UUID] = field(default=uuid.uuid4)
    organization: str = "Candor"
    hasher: PasswordHasher | None = None
    session_hours: int = 12
