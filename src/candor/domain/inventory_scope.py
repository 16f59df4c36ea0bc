"""Scope of an incident from the inventory: which systems are compromised, and what follows.

Responders mark systems ``confirmed`` or ``suspected`` compromised. ``derive`` computes, without
I/O, what that exposes:

* the data elements the systems hold (and ``third_party_credentials`` when they hold customers'
  secrets);
* people by jurisdiction: an *upper bound*, the sum of the systems' record counts; narrowed when
  a log scan attached to the incident shows which customers' keys were used (records attributed
  to other customers drop out, records not attributed to any customer stay in);
* the affected customers and, for each, the credentials to rotate (masked, with the catalogue's
  rotation steps) and whether a scan saw the key used;
* the obligations facts these imply (data elements, counts, customers, encryption).

Every exposed credential must be rotated whether or not a scan saw it used: evidence narrows who
is *known* to be affected, never what must be rotated.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from candor.domain.inventory import Contact, Credential, Customer, Inventory
from candor.domain.obligations.vocabulary import DataElement
from candor.domain.secrets import Catalogue


class Compromise(StrEnum):
    CONFIRMED = "confirmed"
    SUSPECTED = "suspected"
    CLEARED = "cleared"  # looked at, not compromised (kept so the history reads right)


@dataclass(frozen=True, slots=True)
class Mark:
    system: str
    status: Compromise
    by: str
    at: datetime
    note: str = ""


@dataclass(frozen=True, slots=True)
class ScanEvidence:
    """What one attached scan says: the SHA-256 of every access key id it matched."""

    number: int
    key_hashes: frozenset[str]


@dataclass(frozen=True, slots=True)
class ExposedCredential:
    credential: Credential
    status: Compromise  # of the system it is stored in
    used: bool  # a scan attached to the incident saw the key used
    type_name: str
    rotate: tuple[str, ...]
    revoke: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "masked": self.credential.masked,
            "type": self.credential.type,
            "type_name": self.type_name,
            "provider": self.credential.provider,
            "system": self.credential.system,
            "label": self.credential.label,
            "status": self.status.value,
            "used": self.used,
            "revoke": list(self.revoke),
            "rotate": list(self.rotate),
        }


@dataclass(frozen=True, slots=True)
class AffectedCustomer:
    customer: Customer
    credentials: tuple[ExposedCredential, ...]
    records: int  # records attributed to this customer in compromised systems
    evidence: bool  # a scan saw one of its keys used

    @property
    def reachable_contacts(self) -> tuple[Contact, ...]:
        return self.customer.reachable_contacts

    @property
    def reachable(self) -> bool:
        return self.customer.ready

    def as_dict(self) -> dict[str, Any]:
        return {
            "external_id": self.customer.external_id,
            "name": self.customer.name,
            "tier": self.customer.tier,
            "evidence_of_use": self.evidence,
            "records": self.records,
            "reachable": self.reachable,
            "reachable_contacts": [c.as_dict() for c in self.reachable_contacts],
            "credentials": [c.as_dict() for c in self.credentials],
        }


@dataclass(frozen=True, slots=True)
class Exposure:
    marks: tuple[Mark, ...]
    missing_systems: tuple[str, ...]  # marked but no longer in the inventory
    data_elements: tuple[DataElement, ...]
    people_upper_bound: Mapping[str, int]
    people: Mapping[str, int]  # narrowed by scan evidence; equal to the bound without any
    narrowed: bool
    scans_used: tuple[int, ...]
    customers: tuple[AffectedCustomer, ...]  # with evidence: only those seen; else all exposed
    exposed_customers: tuple[AffectedCustomer, ...]  # everyone whose data or keys were exposed
    encrypted: bool | None
    key_compromised: bool | None

    @property
    def compromised(self) -> tuple[Mark, ...]:
        return tuple(m for m in self.marks if m.status is not Compromise.CLEARED)

    @property
    def unreachable(self) -> tuple[AffectedCustomer, ...]:
        return tuple(c for c in self.customers if not c.reachable)

    def facts(self) -> dict[str, object]:
        """The obligations facts this scope implies (None removes one: nothing compromised)."""
        if not self.compromised:
            return {
                "data_elements": None,
                "affected": None,
                "affected_customers": None,
                "encrypted": None,
                "encryption_key_compromised": None,
            }
        return {
            "data_elements": [e.value for e in self.data_elements] or None,
            "affected": dict(sorted(self.people.items())) or None,
            "affected_customers": sorted(c.customer.external_id for c in self.customers) or None,
            "encrypted": self.encrypted,
            "encryption_key_compromised": self.key_compromised,
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "systems": [
                {
                    "system": m.system,
                    "status": m.status.value,
                    "by": m.by,
                    "at": m.at.isoformat(),
                    "note": m.note,
                }
                for m in self.marks
            ],
            "missing_systems": list(self.missing_systems),
            "data_elements": [e.value for e in self.data_elements],
            "people_upper_bound": dict(self.people_upper_bound),
            "people": dict(self.people),
            "narrowed": self.narrowed,
            "scans_used": list(self.scans_used),
            "affected_customers": [c.as_dict() for c in self.customers],
            "exposed_customers": [c.customer.external_id for c in self.exposed_customers],
            "unreachable_customers": [c.customer.external_id for c in self.unreachable],
            "encrypted": self.encrypted,
            "encryption_key_compromised": self.key_compromised,
        }


def current_marks(history: Iterable[Mark]) -> tuple[Mark, ...]:
    """The latest mark of each system, in the order systems were first marked."""
    latest: dict[str, Mark] = {}
    for mark in history:
        latest[mark.system] = mark
    return tuple(latest.values())


def derive(
    inventory: Inventory,
    customers: Sequence[Customer],
    marks: Iterable[Mark],
    scans: Sequence[ScanEvidence],
    catalogue: Catalogue,
) -> Exposure:
    marked = current_marks(marks)
    status = {m.system: m.status for m in marked if m.status is not Compromise.CLEARED}
    systems = [s for s in inventory.systems if s.name in status]
    missing = tuple(sorted(set(status) - {s.name for s in systems}))

    elements: list[DataElement] = []
    for system in systems:
        elements.extend(e for e in system.data_elements if e not in elements)
    creds = [c for c in inventory.credentials if c.system in status]
    if creds and DataElement.THIRD_PARTY_CREDENTIALS not in elements:
        elements.append(DataElement.THIRD_PARTY_CREDENTIALS)

    used = frozenset().union(*(s.key_hashes for s in scans)) if scans else frozenset()
    evidence = [s.number for s in scans if s.key_hashes]
    by_customer: dict[str, list[ExposedCredential]] = defaultdict(list)
    for cred in creds:
        try:
            kind = catalogue.get(cred.type)
            name, rotate, revoke = kind.name, kind.rotate, kind.revoke
        except KeyError:
            name, rotate, revoke = cred.type, (), ()
        by_customer[cred.customer].append(
            ExposedCredential(
                credential=cred,
                status=status[cred.system],
                used=cred.identifier_sha256 in used,
                type_name=name,
                rotate=rotate,
                revoke=revoke,
            )
        )
    records_of: dict[str, int] = defaultdict(int)
    for system in systems:
        for rec in system.records:
            if rec.customer is not None:
                records_of[rec.customer] += rec.count

    known = {c.external_id: c for c in customers}
    exposed: list[AffectedCustomer] = []
    for ext_id in sorted(set(by_customer) | set(records_of)):
        customer = known.get(ext_id, Customer(external_id=ext_id, name=ext_id))
        found = tuple(by_customer.get(ext_id, ()))
        exposed.append(
            AffectedCustomer(
                customer=customer,
                credentials=found,
                records=records_of.get(ext_id, 0),
                evidence=any(c.used for c in found),
            )
        )
    # a scan narrows only when it saw at least one exposed key used: a scan of unrelated logs
    # (or one that found nothing of ours) is no evidence that nobody is affected
    narrowed = any(c.evidence for c in exposed)
    seen = {c.customer.external_id for c in exposed if c.evidence}
    affected = [c for c in exposed if c.evidence] if narrowed else exposed

    bound: dict[str, int] = defaultdict(int)
    people: dict[str, int] = defaultdict(int)
    for system in systems:
        for rec in system.records:
            bound[rec.jurisdiction] += rec.count
            if not narrowed or rec.customer is None or rec.customer in seen:
                people[rec.jurisdiction] += rec.count

    storing = {c.system for c in creds}
    holding = [s for s in systems if s.data_elements or s.records or s.name in storing]
    encrypted = all(s.encrypted_at_rest for s in holding) if holding else None
    key_compromised = any(s.key_system in status for s in holding) if encrypted else None
    return Exposure(
        marks=marked,
        missing_systems=missing,
        data_elements=tuple(elements),
        people_upper_bound=dict(sorted(bound.items())),
        people=dict(sorted(people.items())),
        narrowed=narrowed,
        scans_used=tuple(evidence) if narrowed else (),
        customers=tuple(affected),
        exposed_customers=tuple(exposed),
        encrypted=encrypted,
        key_compromised=key_compromised,
    )
