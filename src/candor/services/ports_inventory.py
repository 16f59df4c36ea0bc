"""Ports of the data inventory, customers and incident scope (``adapters/db/inventory.py``)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Protocol, cast

from candor.domain.inventory import Customer, Inventory
from candor.domain.inventory_scope import Mark
from candor.domain.scan_summary import AttachedScan
from candor.services.ports import UnitOfWork


class InventoryRepository(Protocol):
    def load(self) -> Inventory: ...

    def replace(self, inventory: Inventory) -> None: ...

    def customers(self) -> list[Customer]: ...

    def customer_ids(self) -> frozenset[str]: ...

    def save_customers(self, customers: list[Customer]) -> None: ...

    def mark_unreachable(self, email: str, reason: str) -> list[str]: ...

    def marks(self, incident_id: uuid.UUID) -> list[Mark]: ...

    def add_mark(self, incident_id: uuid.UUID, mark: Mark) -> int: ...

    def scans(self, incident_id: uuid.UUID) -> list[AttachedScan]: ...

    def add_scan(
        self,
        incident_id: uuid.UUID,
        *,
        label: str,
        by: str,
        at: datetime,
        summary: dict[str, Any],
        key_hashes: frozenset[str],
    ) -> int: ...

    def scrub_mark_notes(self, incident_id: uuid.UUID, *, marker: str) -> int:
        """Retention: replace every non-empty note of the incident's marks; returns how many."""
        ...

    def rewrite_scan(self, incident_id: uuid.UUID, scan: AttachedScan) -> None:
        """Retention: replace scan ``scan.number``'s label, summary and key hashes."""
        ...


class InventoryUnitOfWork(UnitOfWork, Protocol):
    inventory: InventoryRepository


def with_inventory(uow: UnitOfWork) -> InventoryUnitOfWork:
    if not hasattr(uow, "inventory"):
        raise RuntimeError(
            "the inventory repository is not registered: import candor.adapters.db.inventory"
        )
    return cast(InventoryUnitOfWork, uow)
