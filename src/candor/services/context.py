"""What every use case receives: the ports, wired once by ``candor.bootstrap``."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from candor.domain.secrets import Catalogue
from candor.services.ports import BlobStore, Clock, PasswordHasher, UnitOfWorkFactory
from candor.services.ports_delivery import DeliverySetup
from candor.services.ports_obligations import ObligationsSetup
from candor.services.ports_statements import CommsSetup


@dataclass(frozen=True)
class Context:
    uow: UnitOfWorkFactory
    clock: Clock
    new_id: Callable[[], uuid.UUID] = field(default=uuid.uuid4)
    organization: str = "Candor"
    hasher: PasswordHasher | None = None
    session_hours: int = 12
    # attachments: where their content is stored and how large one may be
    blobs: BlobStore | None = None
    max_attachment_bytes: int = 100 * 1024 * 1024
    # the rules, calendars and organisation profile obligations are computed with
    obligations: ObligationsSetup | None = None
    # the secret catalogue (types, rotation steps) the inventory's credentials are described with
    secrets: Callable[[], Catalogue] | None = None
    # the review chain and templates of statements (None: the defaults, no templates)
    comms: CommsSetup | None = None
    # own domains, batch size, leases and retries of the outbox
    delivery: DeliverySetup = field(default_factory=DeliverySetup)
