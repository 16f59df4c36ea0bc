"""The data inventory: systems and what they hold, customers' secrets we keep, code we ship, and
customers with their contacts.

Everything here is a frozen value; ``parse_inventory`` and ``parse_customers`` read the plain data
of an inventory file (YAML, or CSV turned into the same shape by the adapter) and collect *every*
problem with its path, so the loader can name file, line and field. Nothing is half-read: a file
with one problem yields no inventory at all.

The words are the obligations engine's: data elements are ``DataElement`` values and residency
codes are the places facts may name (``US-CA``, ``DE``), so what scoping derives feeds the
obligations facts without translation.

Customers' credentials are never stored: an import keeps the masked form (the catalogue type's
prefix and at most the last four characters) and the SHA-256 of the identifier (an access key
id, not its secret), which is enough to recognise the key in a log scan.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from candor.domain import fields
from candor.domain.errors import ProblemCollector
from candor.domain.obligations.facts import CUSTOMER
from candor.domain.obligations.jurisdictions import check_place
from candor.domain.obligations.vocabulary import DataElement
from candor.domain.secrets import Catalogue, mask

PathKey = tuple[str | int, ...]
NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
SHA256 = re.compile(r"^[0-9a-f]{64}$")
MAX_COUNT = 10_000_000_000


class Environment(StrEnum):
    PRODUCTION = "production"
    STAGING = "staging"
    DEVELOPMENT = "development"
    CORPORATE = "corporate"


class CodeKind(StrEnum):
    SDK = "sdk"
    AGENT = "agent"
    SCRIPT = "script"
    LIBRARY = "library"
    CONTAINER_IMAGE = "container_image"


@dataclass(frozen=True, slots=True)
class Records:
    """How many people's records a system holds in one jurisdiction (optionally: whose)."""

    jurisdiction: str
    count: int
    customer: str | None = None  # the customer these records belong to, when known


@dataclass(frozen=True, slots=True)
class System:
    name: str
    owner: str
    environment: Environment
    description: str = ""
    data_elements: tuple[DataElement, ...] = ()
    records: tuple[Records, ...] = ()
    encrypted_at_rest: bool = False
    key_location: str = ""  # where the encryption key lives, in words
    key_system: str | None = None  # the inventory system that holds the key, when it is one

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "owner": self.owner,
            "environment": self.environment.value,
            "description": self.description,
            "data_elements": [e.value for e in self.data_elements],
            "records": [
                {"jurisdiction": r.jurisdiction, "count": r.count}
                | ({"customer": r.customer} if r.customer else {})
                for r in self.records
            ],
            "encryption": {
                "at_rest": self.encrypted_at_rest,
                "key_location": self.key_location,
                "key_system": self.key_system,
            },
        }


@dataclass(frozen=True, slots=True)
class Credential:
    """A secret we hold for a customer: only its masked identifier and a hash are known."""

    customer: str
    provider: str
    type: str  # a secret catalogue type id (aws_access_key_id …)
    masked: str
    identifier_sha256: str | None
    system: str
    label: str = ""

    @property
    def handle(self) -> str:
        return f"{self.customer}/{self.masked}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "customer": self.customer,
            "provider": self.provider,
            "type": self.type,
            "masked": self.masked,
            "identifier_sha256": self.identifier_sha256,
            "system": self.system,
            "label": self.label,
        }


@dataclass(frozen=True, slots=True)
class ShippedCode:
    name: str
    kind: CodeKind
    version: str
    description: str = ""
    systems: tuple[str, ...] = ()  # where it is built or distributed from

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind.value,
            "version": self.version,
            "description": self.description,
            "systems": list(self.systems),
        }


@dataclass(frozen=True, slots=True)
class Inventory:
    systems: tuple[System, ...] = ()
    credentials: tuple[Credential, ...] = ()
    code: tuple[ShippedCode, ...] = ()

    def system(self, name: str) -> System | None:
        return next((s for s in self.systems if s.name == name), None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "systems": [s.as_dict() for s in self.systems],
            "credentials": [c.as_dict() for c in self.credentials],
            "code": [c.as_dict() for c in self.code],
        }


@dataclass(frozen=True, slots=True)
class Contact:
    email: str
    name: str = ""
    role: str = ""
    verified_at: datetime | None = None
    unreachable_reason: str | None = None  # set by a bounce or by hand

    @property
    def verified(self) -> bool:
        return self.verified_at is not None

    @property
    def unreachable(self) -> bool:
        return self.unreachable_reason is not None

    @property
    def reachable(self) -> bool:
        """A verified address that has not bounced: one a notice can be sent to."""
        return self.verified and not self.unreachable

    def as_dict(self) -> dict[str, Any]:
        return {
            "email": self.email,
            "name": self.name,
            "role": self.role,
            "verified": self.verified,
            "verified_at": self.verified_at.isoformat() if self.verified_at else None,
            "unreachable": self.unreachable,
            "unreachable_reason": self.unreachable_reason,
        }


@dataclass(frozen=True, slots=True)
class Customer:
    external_id: str  # also the customer's name in obligations facts (affected_customers)
    name: str
    tier: str = ""
    jurisdictions: tuple[str, ...] = ()
    contacts: tuple[Contact, ...] = field(default=())

    @property
    def reachable_contacts(self) -> tuple[Contact, ...]:
        return tuple(c for c in self.contacts if c.reachable)

    @property
    def ready(self) -> bool:
        """Contact readiness: at least one verified address that has not bounced."""
        return bool(self.reachable_contacts)

    def as_dict(self) -> dict[str, Any]:
        return {
            "external_id": self.external_id,
            "name": self.name,
            "tier": self.tier,
            "jurisdictions": list(self.jurisdictions),
            "ready": self.ready,
            "contacts": [c.as_dict() for c in self.contacts],
        }


def identifier_hash(identifier: str) -> str:
    return hashlib.sha256(identifier.strip().encode()).hexdigest()


def readiness_share(customers: Sequence[Customer]) -> tuple[int, int]:
    """(customers with a reachable verified address, all customers)."""
    return sum(1 for c in customers if c.ready), len(customers)


# ---- parsing ---------------------------------------------------------------------------------

INVENTORY_KEYS = ("systems", "credentials", "code", "customers")
SYSTEM_KEYS = (
    "name",
    "owner",
    "environment",
    "description",
    "data_elements",
    "records",
    "encryption",
)
CREDENTIAL_KEYS = (
    "customer",
    "provider",
    "type",
    "identifier",
    "identifier_sha256",
    "masked",
    "system",
    "label",
)
CODE_KEYS = ("name", "kind", "version", "description", "systems")
CUSTOMER_KEYS = ("external_id", "name", "tier", "jurisdictions", "contacts")
CONTACT_KEYS = ("email", "name", "role", "verified", "verified_at", "unreachable")


@dataclass(frozen=True, slots=True)
class InventoryFile:
    inventory: Inventory
    customers: tuple[Customer, ...] | None  # None: the file has no customers section


def _name(value: Any, path: PathKey, problems: ProblemCollector, *, what: str) -> str:
    word = str(value).strip().lower() if isinstance(value, str | int) else ""
    if not word:
        problems.add("is required", path=path)
    elif not NAME.match(word):
        problems.add(
            f"not a valid {what}: {value!r}",
            path=path,
            hint="lower-case letters, digits, '.', '_' and '-', e.g. billing-db",
        )
    return word


def _elements(raw: Any, path: PathKey, problems: ProblemCollector) -> tuple[DataElement, ...]:
    known = ", ".join(e.value for e in DataElement)
    out: list[DataElement] = []
    for i, value in enumerate(fields.items(raw, path, problems, required=False)):
        try:
            element = DataElement(str(value).strip().lower())
        except ValueError:
            problems.add(f"unknown data element {value!r}; known: {known}", path=(*path, i))
            continue
        if element not in out:
            out.append(element)
    return tuple(out)


def _place(value: Any, path: PathKey, problems: ProblemCollector) -> str:
    code = str(value).strip().upper() if isinstance(value, str) else ""
    why = check_place(code) if code else "is required"
    if why is not None and code.startswith("EU-") and check_place(code[3:]) is None:
        why = f"{code!r} is not a place code: write the country, {code[3:]!r}"
    if why is not None:
        problems.add(why, path=path)
    return code


def _records(raw: Any, path: PathKey, problems: ProblemCollector) -> tuple[Records, ...]:
    out: list[Records] = []
    seen: set[tuple[str, str | None]] = set()
    for i, item in enumerate(fields.items(raw, path, problems, required=False)):
        where = (*path, i)
        entry = fields.mapping(item, where, problems, what="{jurisdiction, count}")
        if not entry:
            continue
        fields.unknown_keys(entry, ("jurisdiction", "count", "customer"), where, problems)
        place = _place(entry.get("jurisdiction"), (*where, "jurisdiction"), problems)
        count = fields.whole(entry, "count", where, problems, maximum=MAX_COUNT)
        if "count" not in entry:
            problems.add("is required", path=(*where, "count"))
        customer = (
            _name(entry["customer"], (*where, "customer"), problems, what="customer id")
            if entry.get("customer") is not None
            else None
        )
        if (place, customer) in seen:
            problems.add(f"{place} is counted twice", path=(*where, "jurisdiction"))
        seen.add((place, customer))
        out.append(Records(place, count or 0, customer))
    return tuple(out)


def _system(raw: Any, path: PathKey, problems: ProblemCollector) -> System | None:
    entry = fields.mapping(raw, path, problems, what="a system")
    if not entry:
        return None
    fields.unknown_keys(entry, SYSTEM_KEYS, path, problems)
    name = _name(entry.get("name"), (*path, "name"), problems, what="system name")
    owner = fields.text(entry, "owner", path, problems, required=True, maximum=200)
    env = fields.enum(Environment, entry.get("environment"), (*path, "environment"), problems)
    enc = fields.mapping(entry.get("encryption") or {}, (*path, "encryption"), problems, what="")
    fields.unknown_keys(
        enc, ("at_rest", "key_location", "key_system"), (*path, "encryption"), problems
    )
    at_rest = fields.flag(enc, "at_rest", (*path, "encryption"), problems)
    key_location = fields.text(enc, "key_location", (*path, "encryption"), problems, maximum=300)
    key_system = (
        _name(enc["key_system"], (*path, "encryption", "key_system"), problems, what="system name")
        if enc.get("key_system")
        else None
    )
    if at_rest and not key_location and key_system is None:
        problems.add(
            "say where the key lives",
            path=(*path, "encryption", "at_rest"),
            hint="key_location: e.g. 'AWS KMS, account prod' or key_system: a system name",
        )
    return System(
        name=name,
        owner=owner,
        environment=env or Environment.PRODUCTION,
        description=fields.text(entry, "description", path, problems, maximum=2_000),
        data_elements=_elements(entry.get("data_elements"), (*path, "data_elements"), problems),
        records=_records(entry.get("records"), (*path, "records"), problems),
        encrypted_at_rest=at_rest,
        key_location=key_location,
        key_system=key_system,
    )


def _credential(
    raw: Any, path: PathKey, problems: ProblemCollector, catalogue: Catalogue
) -> Credential | None:
    entry = fields.mapping(raw, path, problems, what="a credential")
    if not entry:
        return None
    fields.unknown_keys(entry, CREDENTIAL_KEYS, path, problems)
    customer = _name(entry.get("customer"), (*path, "customer"), problems, what="customer id")
    type_id = fields.text(entry, "type", path, problems, required=True, maximum=64)
    secret_type = next((t for t in catalogue.types if t.id == type_id), None)
    if type_id and secret_type is None:
        known = ", ".join(t.id for t in catalogue.types)
        problems.add(f"unknown credential type {type_id!r}; known: {known}", path=(*path, "type"))
    provider = fields.text(entry, "provider", path, problems, maximum=200) or (
        secret_type.provider if secret_type else ""
    )
    if not provider and (secret_type is not None or not type_id):
        problems.add("is required", path=(*path, "provider"))
    identifier = fields.text(entry, "identifier", path, problems, maximum=300)
    digest = fields.text(entry, "identifier_sha256", path, problems, maximum=64).lower() or None
    masked = fields.text(entry, "masked", path, problems, maximum=100)
    if digest is not None and not SHA256.match(digest):
        problems.add("must be 64 hexadecimal characters", path=(*path, "identifier_sha256"))
    if identifier:
        if digest is not None:
            problems.add(
                "give identifier or identifier_sha256, not both", path=(*path, "identifier")
            )
        digest = identifier_hash(identifier)
        if not masked:
            prefix, keep = (secret_type.prefix, secret_type.keep_last) if secret_type else (0, 4)
            masked = mask(identifier, prefix=prefix, keep_last=keep)
    if not masked:
        problems.add(
            "is required",
            path=(*path, "masked"),
            hint="give identifier (only its masked form and hash are kept) or masked",
        )
    elif identifier and identifier in masked:
        problems.add("must not contain the whole identifier", path=(*path, "masked"))
    return Credential(
        customer=customer,
        provider=provider,
        type=type_id,
        masked=masked,
        identifier_sha256=digest,
        system=_name(entry.get("system"), (*path, "system"), problems, what="system name"),
        label=fields.text(entry, "label", path, problems, maximum=200),
    )


def _code(raw: Any, path: PathKey, problems: ProblemCollector) -> ShippedCode | None:
    entry = fields.mapping(raw, path, problems, what="shipped code")
    if not entry:
        return None
    fields.unknown_keys(entry, CODE_KEYS, path, problems)
    kind = fields.enum(CodeKind, entry.get("kind"), (*path, "kind"), problems)
    systems = tuple(
        _name(s, (*path, "systems", i), problems, what="system name")
        for i, s in enumerate(
            fields.items(entry.get("systems"), (*path, "systems"), problems, required=False)
        )
    )
    return ShippedCode(
        name=_name(entry.get("name"), (*path, "name"), problems, what="name"),
        kind=kind or CodeKind.SDK,
        version=fields.text(entry, "version", path, problems, required=True, maximum=100),
        description=fields.text(entry, "description", path, problems, maximum=2_000),
        systems=systems,
    )


def _when(value: Any, path: PathKey, problems: ProblemCollector) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        stamp = value
    else:
        try:
            stamp = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError:
            problems.add(f"not a time: {value!r}", path=path, hint="e.g. 2026-10-01T09:00:00Z")
            return None
    if stamp.tzinfo is None:
        problems.add("needs a time zone", path=path, hint="end it with Z for UTC")
        return None
    return stamp


def _contact(raw: Any, path: PathKey, problems: ProblemCollector, now: datetime) -> Contact | None:
    entry = fields.mapping(raw, path, problems, what="a contact")
    if not entry:
        return None
    fields.unknown_keys(entry, CONTACT_KEYS, path, problems)
    email = fields.text(entry, "email", path, problems, required=True, maximum=254).lower()
    if email and not EMAIL.match(email):
        problems.add(f"not an email address: {email!r}", path=(*path, "email"))
    verified = entry.get("verified", False)
    if not isinstance(verified, bool):
        problems.add("must be true or false", path=(*path, "verified"))
        verified = False
    verified_at = _when(entry.get("verified_at"), (*path, "verified_at"), problems)
    if verified_at is not None and verified_at > now:
        problems.add("is in the future", path=(*path, "verified_at"))
    if verified and verified_at is None:
        verified_at = now
    if not verified and entry.get("verified_at") and "verified" in entry:
        problems.add("verified is false but verified_at is set", path=(*path, "verified"))
    unreachable = entry.get("unreachable")
    reason: str | None = None
    if unreachable not in (None, False):
        if unreachable is True:
            reason = "marked unreachable"
        elif isinstance(unreachable, str) and unreachable.strip():
            reason = " ".join(unreachable.split())[:500]
        else:
            problems.add("must be false or the reason (text)", path=(*path, "unreachable"))
    return Contact(
        email=email,
        name=fields.text(entry, "name", path, problems, maximum=200),
        role=fields.text(entry, "role", path, problems, maximum=200),
        verified_at=verified_at,
        unreachable_reason=reason,
    )


def _customer(
    raw: Any, path: PathKey, problems: ProblemCollector, now: datetime
) -> Customer | None:
    entry = fields.mapping(raw, path, problems, what="a customer")
    if not entry:
        return None
    fields.unknown_keys(entry, CUSTOMER_KEYS, path, problems)
    external_id = _name(
        entry.get("external_id"), (*path, "external_id"), problems, what="customer id"
    )
    if external_id and not CUSTOMER.match(external_id):
        problems.add(f"not a valid customer id: {external_id!r}", path=(*path, "external_id"))
    places = tuple(
        _place(v, (*path, "jurisdictions", i), problems)
        for i, v in enumerate(
            fields.items(
                entry.get("jurisdictions"), (*path, "jurisdictions"), problems, required=False
            )
        )
    )
    contacts: list[Contact] = []
    for i, item in enumerate(
        fields.items(entry.get("contacts"), (*path, "contacts"), problems, required=False)
    ):
        contact = _contact(item, (*path, "contacts", i), problems, now)
        if contact is None:
            continue
        if any(c.email == contact.email for c in contacts):
            problems.add(f"{contact.email} appears twice", path=(*path, "contacts", i, "email"))
        contacts.append(contact)
    return Customer(
        external_id=external_id,
        name=fields.text(entry, "name", path, problems, required=True, maximum=200),
        tier=fields.text(entry, "tier", path, problems, maximum=50),
        jurisdictions=tuple(dict.fromkeys(places)),
        contacts=tuple(contacts),
    )


def parse_customers(
    raw: Any, problems: ProblemCollector, *, now: datetime, path: PathKey = ("customers",)
) -> tuple[Customer, ...]:
    out: list[Customer] = []
    seen: set[str] = set()
    for i, item in enumerate(fields.items(raw, path, problems, required=True)):
        customer = _customer(item, (*path, i), problems, now)
        if customer is None:
            continue
        if customer.external_id in seen:
            problems.add(
                f"customer {customer.external_id!r} appears twice", path=(*path, i, "external_id")
            )
        seen.add(customer.external_id)
        out.append(customer)
    return tuple(out)


def parse_inventory(
    data: Any,
    problems: ProblemCollector,
    *,
    catalogue: Catalogue,
    known_customers: frozenset[str],
    now: datetime,
) -> InventoryFile:
    """The inventory in ``data``; problems go to ``problems`` with their paths.

    ``known_customers`` are the customers already stored; credentials may name those or the
    customers of the same file.
    """
    doc: Mapping[str, Any] = fields.mapping(
        data, (), problems, what="an inventory: systems, credentials, code, customers"
    )
    fields.unknown_keys(doc, INVENTORY_KEYS, (), problems)
    customers = parse_customers(doc["customers"], problems, now=now) if "customers" in doc else None
    systems: list[System] = []
    for i, item in enumerate(
        fields.items(doc.get("systems"), ("systems",), problems, required=False)
    ):
        system = _system(item, ("systems", i), problems)
        if system is None:
            continue
        if any(s.name == system.name for s in systems):
            problems.add(f"system {system.name!r} appears twice", path=("systems", i, "name"))
        systems.append(system)
    names = {s.name for s in systems}
    for i, system in enumerate(systems):
        if system.key_system is not None and system.key_system not in names:
            problems.add(
                f"no system named {system.key_system!r} in this inventory",
                path=("systems", i, "encryption", "key_system"),
            )
    everyone = known_customers | {c.external_id for c in customers or ()}
    credentials: list[Credential] = []
    digests: set[str] = set()
    for i, item in enumerate(
        fields.items(doc.get("credentials"), ("credentials",), problems, required=False)
    ):
        cred = _credential(item, ("credentials", i), problems, catalogue)
        if cred is None:
            continue
        if cred.system and cred.system not in names:
            problems.add(
                f"no system named {cred.system!r}; known: {', '.join(sorted(names)) or 'none'}",
                path=("credentials", i, "system"),
            )
        if cred.customer and cred.customer not in everyone:
            problems.add(
                f"no customer {cred.customer!r}",
                path=("credentials", i, "customer"),
                hint="import the customers first, or list them under customers: in this file",
            )
        if cred.identifier_sha256 and cred.identifier_sha256 in digests:
            problems.add("the same identifier appears twice", path=("credentials", i))
        digests.add(cred.identifier_sha256 or "")
        credentials.append(cred)
    code: list[ShippedCode] = []
    for i, item in enumerate(fields.items(doc.get("code"), ("code",), problems, required=False)):
        shipped = _code(item, ("code", i), problems)
        if shipped is None:
            continue
        for j, ref in enumerate(shipped.systems):
            if ref not in names:
                problems.add(f"no system named {ref!r}", path=("code", i, "systems", j))
        code.append(shipped)
    for i, system in enumerate(systems):
        for j, rec in enumerate(system.records):
            if rec.customer is not None and rec.customer not in everyone:
                problems.add(
                    f"no customer {rec.customer!r}", path=("systems", i, "records", j, "customer")
                )
    return InventoryFile(Inventory(tuple(systems), tuple(credentials), tuple(code)), customers)
