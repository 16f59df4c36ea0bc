"""Tables and repository of the data inventory, customers with contacts, and incident scope
(compromised-system marks and attached log scans)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from candor.adapters.db.models import Base
from candor.adapters.db.uow import register_repository
from candor.domain.inventory import (
    CodeKind,
    Contact,
    Credential,
    Customer,
    Environment,
    Inventory,
    Records,
    ShippedCode,
    System,
)
from candor.domain.inventory_scope import Compromise, Mark
from candor.domain.obligations.vocabulary import DataElement
from candor.domain.scan_summary import AttachedScan


class InventorySystemRow(Base):
    __tablename__ = "inventory_systems"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    owner: Mapped[str] = mapped_column(String(200))
    environment: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text, default="")
    data_elements: Mapped[list[str]] = mapped_column(JSON)
    records: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    encrypted_at_rest: Mapped[bool]
    key_location: Mapped[str] = mapped_column(String(300), default="")
    key_system: Mapped[str | None] = mapped_column(String(100))


class InventoryCredentialRow(Base):
    """A customer's secret we hold: its masked identifier and a hash, never the secret."""

    __tablename__ = "inventory_credentials"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    customer: Mapped[str] = mapped_column(String(100), index=True)
    provider: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(64))
    masked: Mapped[str] = mapped_column(String(100))
    identifier_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    system: Mapped[str] = mapped_column(String(100))
    label: Mapped[str] = mapped_column(String(200), default="")


class InventoryCodeRow(Base):
    __tablename__ = "inventory_code"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(32))
    version: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    systems: Mapped[list[str]] = mapped_column(JSON)


class CustomerRow(Base):
    __tablename__ = "customers"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    tier: Mapped[str] = mapped_column(String(50), default="")
    jurisdictions: Mapped[list[str]] = mapped_column(JSON)


class CustomerContactRow(Base):
    __tablename__ = "customer_contacts"
    __table_args__ = (UniqueConstraint("customer_id", "email"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    email: Mapped[str] = mapped_column(String(254), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(200), default="")
    verified_at: Mapped[datetime | None]
    unreachable_reason: Mapped[str | None] = mapped_column(Text)


class ScopeMarkRow(Base):
    """Append-only: each change of a system's compromise status is a new row."""

    __tablename__ = "incident_scope_marks"
    __table_args__ = (UniqueConstraint("incident_id", "seq"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    incident_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    seq: Mapped[int] = mapped_column(Integer)
    system: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16))
    marked_by: Mapped[str] = mapped_column(String(100))
    marked_at: Mapped[datetime]
    note: Mapped[str] = mapped_column(Text, default="")


class IncidentScanRow(Base):
    __tablename__ = "incident_scans"
    __table_args__ = (UniqueConstraint("incident_id", "number"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    incident_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(200))
    attached_by: Mapped[str] = mapped_column(String(100))
    attached_at: Mapped[datetime]
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)
    key_hashes: Mapped[list[str]] = mapped_column(JSON)


def _system(row: InventorySystemRow) -> System:
    return System(
        name=row.name,
        owner=row.owner,
        environment=Environment(row.environment),
        description=row.description,
        data_elements=tuple(DataElement(e) for e in row.data_elements),
        records=tuple(
            Records(r["jurisdiction"], int(r["count"]), r.get("customer")) for r in row.records
        ),
        encrypted_at_rest=row.encrypted_at_rest,
        key_location=row.key_location,
        key_system=row.key_system,
    )


class SqlInventory:
    def __init__(self, session: Session) -> None:
        self.session = session

    # ---- inventory ----

    def load(self) -> Inventory:
        systems = self.session.execute(
            select(InventorySystemRow).order_by(InventorySystemRow.name)
        ).scalars()
        creds = self.session.execute(
            select(InventoryCredentialRow).order_by(
                InventoryCredentialRow.customer, InventoryCredentialRow.masked
            )
        ).scalars()
        code = self.session.execute(
            select(InventoryCodeRow).order_by(InventoryCodeRow.name, InventoryCodeRow.version)
        ).scalars()
        return Inventory(
            systems=tuple(_system(r) for r in systems),
            credentials=tuple(
                Credential(
                    customer=r.customer,
                    provider=r.provider,
                    type=r.type,
                    masked=r.masked,
                    identifier_sha256=r.identifier_sha256,
                    system=r.system,
                    label=r.label,
                )
                for r in creds
            ),
            code=tuple(
                ShippedCode(r.name, CodeKind(r.kind), r.version, r.description, tuple(r.systems))
                for r in code
            ),
        )

    def replace(self, inventory: Inventory) -> None:
        for table in (InventorySystemRow, InventoryCredentialRow, InventoryCodeRow):
            self.session.execute(delete(table))
        for s in inventory.systems:
            self.session.add(
                InventorySystemRow(
                    id=uuid.uuid4(),
                    name=s.name,
                    owner=s.owner,
                    environment=s.environment.value,
                    description=s.description,
                    data_elements=[e.value for e in s.data_elements],
                    records=[
                        {"jurisdiction": r.jurisdiction, "count": r.count, "customer": r.customer}
                        for r in s.records
                    ],
                    encrypted_at_rest=s.encrypted_at_rest,
                    key_location=s.key_location,
                    key_system=s.key_system,
                )
            )
        for c in inventory.credentials:
            self.session.add(InventoryCredentialRow(id=uuid.uuid4(), **c.as_dict()))
        for code in inventory.code:
            self.session.add(InventoryCodeRow(id=uuid.uuid4(), **code.as_dict()))
        self.session.flush()

    # ---- customers ----

    def customers(self) -> list[Customer]:
        rows = self.session.execute(select(CustomerRow).order_by(CustomerRow.external_id)).scalars()
        contacts: dict[uuid.UUID, list[Contact]] = {}
        for c in self.session.execute(
            select(CustomerContactRow).order_by(
                CustomerContactRow.customer_id, CustomerContactRow.position
            )
        ).scalars():
            contacts.setdefault(c.customer_id, []).append(
                Contact(c.email, c.name, c.role, c.verified_at, c.unreachable_reason)
            )
        return [
            Customer(
                external_id=r.external_id,
                name=r.name,
                tier=r.tier,
                jurisdictions=tuple(r.jurisdictions),
                contacts=tuple(contacts.get(r.id, ())),
            )
            for r in rows
        ]

    def customer_ids(self) -> frozenset[str]:
        return frozenset(self.session.execute(select(CustomerRow.external_id)).scalars())

    def save_customers(self, customers: list[Customer]) -> None:
        """Insert or replace customers and their contacts, in a few statements for any number."""
        if not customers:
            return
        ids = {
            external_id: id_
            for external_id, id_ in self.session.execute(
                select(CustomerRow.external_id, CustomerRow.id)
            ).all()
        }
        new_rows = []
        for customer in customers:
            values = {
                "name": customer.name,
                "tier": customer.tier,
                "jurisdictions": list(customer.jurisdictions),
            }
            found = ids.get(customer.external_id)
            if found is None:
                ids[customer.external_id] = uuid.uuid4()
                new_rows.append(
                    {"id": ids[customer.external_id], "external_id": customer.external_id, **values}
                )
            else:
                self.session.execute(
                    update(CustomerRow).where(CustomerRow.id == found).values(**values)
                )
        if new_rows:
            self.session.execute(insert(CustomerRow), new_rows)
        replaced = [ids[c.external_id] for c in customers]
        for start in range(0, len(replaced), 500):  # stay under the bind-parameter limits
            self.session.execute(
                delete(CustomerContactRow).where(
                    CustomerContactRow.customer_id.in_(replaced[start : start + 500])
                )
            )
        contacts = [
            {
                "id": uuid.uuid4(),
                "customer_id": ids[customer.external_id],
                "position": position,
                "email": c.email,
                "name": c.name,
                "role": c.role,
                "verified_at": c.verified_at,
                "unreachable_reason": c.unreachable_reason,
            }
            for customer in customers
            for position, c in enumerate(customer.contacts)
        ]
        if contacts:
            self.session.execute(insert(CustomerContactRow), contacts)

    def mark_unreachable(self, email: str, reason: str) -> list[str]:
        """Flag every contact with this address; returns the customers' external ids."""
        rows = self.session.execute(
            select(CustomerContactRow.id, CustomerRow.external_id)
            .join(CustomerRow, CustomerRow.id == CustomerContactRow.customer_id)
            .where(func.lower(CustomerContactRow.email) == email.lower())
            .order_by(CustomerRow.external_id)
        ).all()
        if rows:
            self.session.execute(
                update(CustomerContactRow)
                .where(CustomerContactRow.id.in_([r[0] for r in rows]))
                .values(unreachable_reason=reason)
            )
        return [r[1] for r in rows]

    # ---- incident scope ----

    def marks(self, incident_id: uuid.UUID) -> list[Mark]:
        rows = self.session.execute(
            select(ScopeMarkRow)
            .where(ScopeMarkRow.incident_id == incident_id)
            .order_by(ScopeMarkRow.seq)
        ).scalars()
        return [
            Mark(r.system, Compromise(r.status), r.marked_by, r.marked_at, r.note) for r in rows
        ]

    def add_mark(self, incident_id: uuid.UUID, mark: Mark) -> int:
        seq = (
            self.session.execute(
                select(func.max(ScopeMarkRow.seq)).where(ScopeMarkRow.incident_id == incident_id)
            ).scalar_one_or_none()
            or 0
        ) + 1
        self.session.execute(
            insert(ScopeMarkRow).values(
                id=uuid.uuid4(),
                incident_id=incident_id,
                seq=seq,
                system=mark.system,
                status=mark.status.value,
                marked_by=mark.by,
                marked_at=mark.at,
                note=mark.note,
            )
        )
        return seq

    def scans(self, incident_id: uuid.UUID) -> list[AttachedScan]:
        rows = self.session.execute(
            select(IncidentScanRow)
            .where(IncidentScanRow.incident_id == incident_id)
            .order_by(IncidentScanRow.number)
        ).scalars()
        return [
            AttachedScan(
                r.number, r.label, r.attached_by, r.attached_at, r.summary, frozenset(r.key_hashes)
            )
            for r in rows
        ]

    def add_scan(
        self,
        incident_id: uuid.UUID,
        *,
        label: str,
        by: str,
        at: datetime,
        summary: dict[str, Any],
        key_hashes: frozenset[str],
    ) -> int:
        number = (
            self.session.execute(
                select(func.max(IncidentScanRow.number)).where(
                    IncidentScanRow.incident_id == incident_id
                )
            ).scalar_one_or_none()
            or 0
        ) + 1
        self.session.execute(
            insert(IncidentScanRow).values(
                id=uuid.uuid4(),
                incident_id=incident_id,
                number=number,
                label=label,
                attached_by=by,
                attached_at=at,
                summary=summary,
                key_hashes=sorted(key_hashes),
            )
        )
        return number

    def scrub_mark_notes(self, incident_id: uuid.UUID, *, marker: str) -> int:
        result = self.session.execute(
            update(ScopeMarkRow)
            .where(
                ScopeMarkRow.incident_id == incident_id,
                ScopeMarkRow.note != "",
                ScopeMarkRow.note != marker,
            )
            .values(note=marker)
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    def rewrite_scan(self, incident_id: uuid.UUID, scan: AttachedScan) -> None:
        self.session.execute(
            update(IncidentScanRow)
            .where(
                IncidentScanRow.incident_id == incident_id, IncidentScanRow.number == scan.number
            )
            .values(
                label=scan.label, summary=dict(scan.summary), key_hashes=sorted(scan.key_hashes)
            )
            .execution_options(synchronize_session=False)
        )


register_repository("inventory", SqlInventory)
