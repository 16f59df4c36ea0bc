"""Use cases of the data inventory and customers: import (all or nothing), read, readiness, and
bounce handling (``mark_address_unreachable``).

Scope in an incident (marks, attached scans, affected customers) is in ``services/scope.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from candor.domain.access import Actor, require_declare
from candor.domain.audit import AuditDraft
from candor.domain.errors import InvalidInput, NotFound, Problem, ProblemCollector, RuleFileError
from candor.domain.inventory import (
    Contact,
    Customer,
    Inventory,
    parse_customers,
    parse_inventory,
    readiness_share,
)
from candor.domain.readiness import Coverage
from candor.domain.secrets import Catalogue
from candor.services.context import Context
from candor.services.ports import UnitOfWork
from candor.services.ports_inventory import InventoryUnitOfWork, with_inventory

# turns problems with paths into problems with file, line and column (the file adapter's job)
Locate = Callable[[list[Problem]], list[Problem]]


def catalogue_of(ctx: Context) -> Catalogue:
    if ctx.secrets is None:
        raise RuntimeError("the secret catalogue is not wired into this context (bootstrap)")
    return ctx.secrets()


@dataclass(frozen=True, slots=True)
class Imported:
    systems: int
    credentials: int
    code: int
    customers_added: tuple[str, ...] = ()
    customers_updated: tuple[str, ...] = ()


def _keep_known(new: Customer, old: Customer | None, *, now: datetime) -> Customer:
    """What Candor already knows survives a re-import that does not say it: a bounce (the file
    was most likely exported before it), and when an address was verified (a file that only
    says ``verified: true`` is dated at the import, which would move the date at every import
    and report every such customer as updated)."""
    if old is None:
        return new
    known = {c.email: c for c in old.contacts}

    def merged(contact: Contact) -> Contact:
        before = known.get(contact.email)
        if before is None:
            return contact
        if before.unreachable and not contact.unreachable:
            contact = replace(contact, unreachable_reason=before.unreachable_reason)
        if contact.verified_at == now and before.verified_at is not None:
            contact = replace(contact, verified_at=before.verified_at)
        return contact

    return replace(new, contacts=tuple(merged(c) for c in new.contacts))


def _save_customers(
    uow: InventoryUnitOfWork, customers: Sequence[Customer], *, now: datetime
) -> tuple[list[str], list[str]]:
    stored = {c.external_id: c for c in uow.inventory.customers()}
    added: list[str] = []
    updated: list[str] = []
    changed: list[Customer] = []
    for customer in customers:
        old = stored.get(customer.external_id)
        merged = _keep_known(customer, old, now=now)
        if old == merged:
            continue
        changed.append(merged)
        (updated if old else added).append(customer.external_id)
    uow.inventory.save_customers(changed)
    return added, updated


def import_inventory(
    ctx: Context, actor: Actor, data: Any, *, file: str, locate: Locate
) -> Imported:
    """Replace the inventory with the file's (and add or update its customers), or change
    nothing and raise ``RuleFileError`` with every problem located."""
    require_declare(actor)
    now = ctx.clock.now()
    catalogue = catalogue_of(ctx)
    with ctx.uow(write=True) as raw:
        uow = with_inventory(raw)
        problems = ProblemCollector()
        parsed = parse_inventory(
            data,
            problems,
            catalogue=catalogue,
            known_customers=uow.inventory.customer_ids(),
            now=now,
        )
        if problems:
            raise RuleFileError(locate(problems.problems))
        before = uow.inventory.load()
        added, updated = _save_customers(uow, parsed.customers or (), now=now)
        uow.inventory.replace(parsed.inventory)
        inv = parsed.inventory
        uow.audit.append(
            AuditDraft(
                at=now,
                actor=actor.username,
                action="inventory.import",
                target_type="inventory",
                target_id=file[:200],
                before=_counts(before),
                after={
                    **_counts(inv),
                    "customers_added": added,
                    "customers_updated": updated,
                },
                detail=f"imported from {file}",
            )
        )
        uow.commit()
    return Imported(
        len(inv.systems), len(inv.credentials), len(inv.code), tuple(added), tuple(updated)
    )


def _counts(inv: Inventory) -> dict[str, object]:
    return {
        "systems": [s.name for s in inv.systems],
        "credentials": len(inv.credentials),
        "code": [f"{c.name}@{c.version}" for c in inv.code],
    }


def import_customers(
    ctx: Context, actor: Actor, data: Any, *, file: str, locate: Locate
) -> Imported:
    """Add or update customers (by external id) with their contacts; all or nothing."""
    require_declare(actor)
    now = ctx.clock.now()
    problems = ProblemCollector()
    if not isinstance(data, dict) or set(data) != {"customers"}:
        problems.add("expected one key, customers: a list of customers", path=())
        raise RuleFileError(locate(problems.problems))
    customers = parse_customers(data["customers"], problems, now=now)
    if problems:
        raise RuleFileError(locate(problems.problems))
    with ctx.uow(write=True) as raw:
        uow = with_inventory(raw)
        added, updated = _save_customers(uow, customers, now=now)
        uow.audit.append(
            AuditDraft(
                at=now,
                actor=actor.username,
                action="customers.import",
                target_type="customers",
                target_id=file[:200],
                after={"added": added, "updated": updated},
                detail=f"imported from {file}",
            )
        )
        uow.commit()
    return Imported(0, 0, 0, tuple(added), tuple(updated))


def show(ctx: Context, actor: Actor) -> Inventory:
    del actor  # every signed-in user may read the inventory
    with ctx.uow() as raw:
        return with_inventory(raw).inventory.load()


def customers(ctx: Context, actor: Actor) -> list[Customer]:
    del actor
    with ctx.uow() as raw:
        return with_inventory(raw).inventory.customers()


def customer(ctx: Context, actor: Actor, external_id: str) -> Customer:
    found = next((c for c in customers(ctx, actor) if c.external_id == external_id), None)
    if found is None:
        raise NotFound(f"no customer {external_id!r}")
    return found


@dataclass(frozen=True, slots=True)
class Readiness:
    ready: int
    total: int
    not_ready: tuple[Customer, ...]

    @property
    def share(self) -> float | None:
        return self.ready / self.total if self.total else None


def readiness(ctx: Context, actor: Actor) -> Readiness:
    everyone = customers(ctx, actor)
    ready, total = readiness_share(everyone)
    return Readiness(ready, total, tuple(c for c in everyone if not c.ready))


def mark_address_unreachable(
    uow: UnitOfWork, address: str, reason: str, now: datetime, *, by: str = "candor"
) -> list[str]:
    """Flag every customer contact with ``address`` as unreachable (a bounce), inside the
    caller's transaction, with an audit record; returns the customers affected (maybe none).
    The caller commits."""
    reason = " ".join(reason.split())[:500]
    if not reason:
        raise InvalidInput(Problem("say why the address is unreachable", field="reason"))
    address = address.strip().lower()
    found = with_inventory(uow).inventory.mark_unreachable(address, reason)
    if found:
        uow.audit.append(
            AuditDraft(
                at=now,
                actor=by,
                action="customer.contact_unreachable",
                target_type="customer_contact",
                target_id=address,
                after={"customers": found, "reason": reason},
                detail=reason,
            )
        )
    return found


def mark_unreachable(ctx: Context, actor: Actor, address: str, reason: str) -> list[str]:
    """By hand (the page or the CLI): the same as a bounce."""
    require_declare(actor)
    with ctx.uow(write=True) as raw:
        found = mark_address_unreachable(raw, address, reason, ctx.clock.now(), by=actor.username)
        if not found:
            raise NotFound(f"no customer contact has the address {address.strip().lower()}")
        raw.commit()
    return found


# ---- what the readiness score reads (ports_prepare) ----------------------------------------


class CustomerContactRecords:
    """``CustomerContactCoverage``: customers with a verified address that has not bounced."""

    def verified(self, uow: UnitOfWork) -> Coverage | None:
        everyone = with_inventory(uow).inventory.customers()
        if not everyone:
            return None  # no customer directory yet: not measured, never a made-up 0 %
        ready, total = readiness_share(everyone)
        return Coverage(ready, total)


class InventoryRecords:
    """``InventoryCoverage``: systems whose data is recorded (elements, counts or secrets)."""

    def described(self, uow: UnitOfWork) -> Coverage | None:
        inv = with_inventory(uow).inventory.load()
        if not inv.systems:
            return None
        holding = {c.system for c in inv.credentials}
        described = sum(1 for s in inv.systems if s.data_elements or s.records or s.name in holding)
        return Coverage(described, len(inv.systems))
