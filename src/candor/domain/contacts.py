"""The contacts directory: whom to call, how to reach them out of band, and what is agreed.

Relationships are built before they are needed: outside counsel and a forensics firm on retainer,
the insurer and its notice clause, the national CERT, an ISAC, peers' security teams, regulators'
filing portals. An entry not checked for 180 days is *stale*: phone numbers, people and retainers
change, and an incident is the worst time to find out.

``suggest`` says which categories to call for an incident of a given kind and severity; it is pure
so the web page, the CLI and the readiness score agree.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from candor.domain import fields
from candor.domain.errors import InvalidInput, Problem, ProblemCollector
from candor.domain.vocabulary import Kind, Severity, require_aware

STALE_AFTER = timedelta(days=180)
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^\+?[0-9 ().-]{5,30}$")
PGP_FINGERPRINT = re.compile(r"^(?:[0-9A-F]{40}|[0-9A-F]{64})$")


class Category(StrEnum):
    OUTSIDE_COUNSEL = "outside_counsel"
    FORENSICS = "forensics"
    INSURER = "insurer"
    CERT = "cert"
    ISAC = "isac"
    LAW_ENFORCEMENT = "law_enforcement"
    REGULATOR = "regulator"
    PEER_SECURITY_TEAM = "peer_security_team"
    PR = "pr"
    CLOUD_PROVIDER = "cloud_provider"


CATEGORY_DEFINITIONS: dict[Category, str] = {
    Category.OUTSIDE_COUNSEL: "Breach counsel: obligations, privilege, notices, regulators.",
    Category.FORENSICS: "An incident-response firm: investigation, evidence, eradication.",
    Category.INSURER: "The cyber-insurance carrier: notice is often a condition of cover.",
    Category.CERT: "The national CERT/CSIRT: coordination, indicators, sometimes mandatory notice.",
    Category.ISAC: "Your sector's information sharing and analysis centre.",
    Category.LAW_ENFORCEMENT: "Police or national cyber-crime unit: extortion, fraud, theft.",
    Category.REGULATOR: "A supervisory authority you may have to notify, with its filing portal.",
    Category.PEER_SECURITY_TEAM: "Security teams of peers, customers and vendors you trust.",
    Category.PR: "Crisis-communications help for one truthful public voice.",
    Category.CLOUD_PROVIDER: "Your cloud provider's security or abuse team.",
}


@dataclass(frozen=True, slots=True)
class Person:
    name: str
    role: str = ""
    email: str = ""
    phone: str = ""


@dataclass(frozen=True, slots=True)
class OutOfBand:
    """How to reach them when our own mail and chat may be compromised."""

    phone: str = ""
    signal: str = ""
    pgp_fingerprint: str = ""

    @property
    def any(self) -> bool:
        return bool(self.phone or self.signal or self.pgp_fingerprint)


@dataclass(frozen=True, slots=True)
class Retainer:
    in_place: bool
    number: str = ""
    hours: int | None = None
    expires_on: date | None = None
    terms: str = ""

    def active(self, today: date) -> bool:
        return self.in_place and (self.expires_on is None or self.expires_on >= today)


@dataclass(frozen=True, slots=True)
class NoticeClause:
    """The insurer's notice condition: what the policy says and within how many hours."""

    text: str
    hours: int | None = None


@dataclass(frozen=True, slots=True)
class Details:
    """Everything a person edits about a contact (the import file and the form share it)."""

    category: Category
    organisation: str
    purpose: str = ""
    people: tuple[Person, ...] = ()
    out_of_band: OutOfBand = field(default_factory=OutOfBand)
    retainer: Retainer | None = None
    notice: NoticeClause | None = None
    portal_url: str = ""
    jurisdiction: str = ""
    notes: str = ""
    last_verified_on: date | None = None


@dataclass(frozen=True, slots=True)
class Contact:
    id: uuid.UUID
    handle: str  # the short name people type: ``candor contact show acme-law``
    details: Details
    created_at: datetime
    created_by: str
    updated_at: datetime
    version: int = 1

    @property
    def category(self) -> Category:
        return self.details.category

    def is_stale(self, now: datetime) -> bool:
        return is_stale(self.details.last_verified_on, now)


def is_stale(last_verified_on: date | None, now: datetime) -> bool:
    """Never verified, or verified more than 180 days ago."""
    now = require_aware(now, field="now")
    return last_verified_on is None or now.date() - last_verified_on > STALE_AFTER


DETAIL_KEYS = (
    "handle",
    "category",
    "organisation",
    "purpose",
    "people",
    "out_of_band",
    "retainer",
    "notice",
    "portal_url",
    "jurisdiction",
    "notes",
    "last_verified_on",
)


def parse_details(data: Any, *, path: fields.PathKey = (), problems: ProblemCollector) -> Details:
    """Read one contact from plain data (an import file entry, a form, JSON)."""
    d = fields.mapping(data, path, problems, what="a contact")
    fields.unknown_keys(d, DETAIL_KEYS, path, problems)
    category = fields.enum(Category, d.get("category"), (*path, "category"), problems)
    organisation = fields.text(d, "organisation", path, problems, required=True, maximum=200)
    people = tuple(
        p
        for i, raw in enumerate(
            fields.items(d.get("people"), (*path, "people"), problems, required=False)
        )
        if (p := _person(raw, (*path, "people", i), problems)) is not None
    )
    oob = _out_of_band(d.get("out_of_band"), (*path, "out_of_band"), problems)
    retainer = _retainer(d.get("retainer"), (*path, "retainer"), problems)
    notice = _notice(d.get("notice"), (*path, "notice"), problems)
    if notice is not None and category not in (None, Category.INSURER):
        problems.add(
            "only an insurer has a notice clause",
            path=(*path, "notice"),
            hint="record other agreements under retainer.terms or notes",
        )
    portal = fields.text(d, "portal_url", path, problems, maximum=500)
    if portal and not fields.URL.match(portal):
        problems.add("must be an http(s) link", path=(*path, "portal_url"))
    verified = fields.day(d, "last_verified_on", path, problems)
    return Details(
        category=category or Category.OUTSIDE_COUNSEL,
        organisation=organisation,
        purpose=fields.text(d, "purpose", path, problems, maximum=2_000),
        people=people,
        out_of_band=oob,
        retainer=retainer,
        notice=notice,
        portal_url=portal,
        jurisdiction=fields.text(d, "jurisdiction", path, problems, maximum=20).upper(),
        notes=fields.text(d, "notes", path, problems, maximum=10_000),
        last_verified_on=verified,
    )


def _person(raw: Any, path: fields.PathKey, problems: ProblemCollector) -> Person | None:
    d = fields.mapping(raw, path, problems, what="name, role, email, phone")
    fields.unknown_keys(d, ("name", "role", "email", "phone"), path, problems)
    name = fields.text(d, "name", path, problems, required=True, maximum=200)
    email = fields.text(d, "email", path, problems, maximum=254)
    phone = fields.text(d, "phone", path, problems, maximum=40)
    if email and not EMAIL.match(email):
        problems.add(f"not an e-mail address: {email!r}", path=(*path, "email"))
    if phone and not PHONE.match(phone):
        problems.add(f"not a phone number: {phone!r}", path=(*path, "phone"), hint="+1 555 0100")
    if not name:
        return None
    return Person(name, fields.text(d, "role", path, problems, maximum=200), email, phone)


def normalise_fingerprint(value: str) -> str:
    return re.sub(r"[\s:]", "", value).upper()


def _out_of_band(raw: Any, path: fields.PathKey, problems: ProblemCollector) -> OutOfBand:
    if raw is None:
        return OutOfBand()
    d = fields.mapping(raw, path, problems, what="phone, signal, pgp_fingerprint")
    fields.unknown_keys(d, ("phone", "signal", "pgp_fingerprint"), path, problems)
    phone = fields.text(d, "phone", path, problems, maximum=40)
    if phone and not PHONE.match(phone):
        problems.add(f"not a phone number: {phone!r}", path=(*path, "phone"), hint="+1 555 0100")
    fingerprint = normalise_fingerprint(fields.text(d, "pgp_fingerprint", path, problems))
    if fingerprint and not PGP_FINGERPRINT.match(fingerprint):
        problems.add(
            "not an OpenPGP fingerprint",
            path=(*path, "pgp_fingerprint"),
            hint="40 hexadecimal digits (v4 key) or 64 (v6), spaces allowed",
        )
    return OutOfBand(phone, fields.text(d, "signal", path, problems, maximum=100), fingerprint)


def _retainer(raw: Any, path: fields.PathKey, problems: ProblemCollector) -> Retainer | None:
    if raw is None:
        return None
    d = fields.mapping(raw, path, problems, what="in_place, number, hours, expires_on, terms")
    fields.unknown_keys(d, ("in_place", "number", "hours", "expires_on", "terms"), path, problems)
    if "in_place" not in d:
        problems.add("is required (true or false)", path=(*path, "in_place"))
    return Retainer(
        in_place=fields.flag(d, "in_place", path, problems),
        number=fields.text(d, "number", path, problems, maximum=100),
        hours=fields.whole(d, "hours", path, problems, maximum=100_000),
        expires_on=fields.day(d, "expires_on", path, problems),
        terms=fields.text(d, "terms", path, problems, maximum=10_000),
    )


def _notice(raw: Any, path: fields.PathKey, problems: ProblemCollector) -> NoticeClause | None:
    if raw is None:
        return None
    d = fields.mapping(raw, path, problems, what="text and hours")
    fields.unknown_keys(d, ("text", "hours"), path, problems)
    hours = fields.whole(d, "hours", path, problems, minimum=1, maximum=24 * 365)
    if hours is None and "hours" not in d:
        problems.add(
            "is required: within how many hours the insurer must be told",
            path=(*path, "hours"),
            hint="read it from the policy's notice condition, e.g. 48",
        )
    return NoticeClause(
        fields.text(d, "text", path, problems, required=True, maximum=10_000), hours
    )


def parse_handle(value: Any, *, path: fields.PathKey = ("handle",)) -> str:
    problems = ProblemCollector()
    handle = fields.slug(value, path, problems)
    problems.raise_if_any()
    return handle


def details_from(data: Mapping[str, Any]) -> Details:
    """Parse one contact or raise ``InvalidInput`` naming every field that is wrong."""
    problems = ProblemCollector()
    details = parse_details(data, problems=problems)
    problems.raise_if_any()
    return details


def new_contact(*, id: uuid.UUID, handle: str, details: Details, by: str, now: datetime) -> Contact:
    now = require_aware(now, field="now")
    _check_verified_date(details.last_verified_on, now)
    return Contact(
        id=id,
        handle=parse_handle(handle),
        details=details,
        created_at=now,
        created_by=by,
        updated_at=now,
    )


def _check_verified_date(value: date | None, now: datetime) -> None:
    if value is not None and value > now.date():
        raise InvalidInput(
            Problem("is in the future", field="last_verified_on", hint="the day it was checked")
        )


def change(contact: Contact, details: Details, *, now: datetime) -> Contact:
    now = require_aware(now, field="now")
    _check_verified_date(details.last_verified_on, now)
    return replace(contact, details=details, updated_at=now)


def verify(contact: Contact, *, now: datetime, on: date | None = None) -> Contact:
    """Someone checked that the people, numbers and terms are still right."""
    now = require_aware(now, field="now")
    day = on or now.date()
    _check_verified_date(day, now)
    return replace(contact, details=replace(contact.details, last_verified_on=day), updated_at=now)


def snapshot(contact: Contact) -> dict[str, Any]:
    """Plain, JSON-ready view: for the audit log, ``--json`` and the import file format."""
    d = contact.details
    out: dict[str, Any] = {"handle": contact.handle, **details_data(d)}
    out["version"] = contact.version
    return out


def details_data(d: Details) -> dict[str, Any]:
    """The import-file form of ``Details``; ``parse_details`` reads it back unchanged."""
    out: dict[str, Any] = {
        "category": d.category.value,
        "organisation": d.organisation,
        "purpose": d.purpose,
        "people": [
            {
                k: v
                for k, v in (
                    ("name", p.name),
                    ("role", p.role),
                    ("email", p.email),
                    ("phone", p.phone),
                )
                if v
            }
            for p in d.people
        ],
        "out_of_band": {
            k: v
            for k, v in (
                ("phone", d.out_of_band.phone),
                ("signal", d.out_of_band.signal),
                ("pgp_fingerprint", d.out_of_band.pgp_fingerprint),
            )
            if v
        },
        "retainer": None,
        "notice": None,
        "portal_url": d.portal_url,
        "jurisdiction": d.jurisdiction,
        "notes": d.notes,
        "last_verified_on": d.last_verified_on.isoformat() if d.last_verified_on else None,
    }
    if d.retainer is not None:
        r = d.retainer
        out["retainer"] = {
            "in_place": r.in_place,
            "number": r.number,
            "hours": r.hours,
            "expires_on": r.expires_on.isoformat() if r.expires_on else None,
            "terms": r.terms,
        }
    if d.notice is not None:
        out["notice"] = {"text": d.notice.text, "hours": d.notice.hours}
    return out


# ---- suggestions ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Suggestion:
    category: Category
    why: str


_BREACH_KINDS = (Kind.PERSONAL_DATA_BREACH, Kind.SUPPLY_CHAIN_BREACH)


def suggest(
    kind: Kind, severity: Severity, *, extra: Iterable[tuple[Category, str]] = ()
) -> list[Suggestion]:
    """Which kinds of outside help to call for an incident, most urgent first, each with why.

    ``extra`` adds the categories a playbook names, with the playbook's reason.
    """
    out: dict[Category, str] = {}
    serious = severity.rank <= 2
    if kind is Kind.EVENT:
        pass
    elif kind in _BREACH_KINDS:
        out[Category.OUTSIDE_COUNSEL] = (
            "A breach: counsel works out who must be told and by when, under privilege."
        )
        out[Category.INSURER] = (
            "Most cyber policies make timely notice a condition of cover; the clock may be hours."
        )
        if serious:
            out[Category.FORENSICS] = (
                "Confirmed or likely access to data: an investigation that will stand up later."
            )
        if kind is Kind.PERSONAL_DATA_BREACH and serious:
            out[Category.REGULATOR] = (
                "Personal data at this severity: a supervisory authority may need notice "
                "(GDPR: 72 hours from awareness)."
            )
        if kind is Kind.SUPPLY_CHAIN_BREACH:
            out[Category.CLOUD_PROVIDER] = (
                "Customers' cloud keys or tokens: the provider can help find and revoke misuse."
            )
            out[Category.PEER_SECURITY_TEAM] = (
                "Customers' security teams must rotate what was exposed; reach them directly."
            )
    elif serious:
        out[Category.FORENSICS] = "A serious compromise: outside investigators if it grows."
        out[Category.INSURER] = (
            "Notice early: cover often depends on it, even before it is a breach."
        )
        if severity is Severity.SEV1:
            out[Category.OUTSIDE_COUNSEL] = "A SEV1 often becomes a breach; involve counsel early."
    if kind is not Kind.EVENT and severity is Severity.SEV1:
        out.setdefault(
            Category.CERT, "The national CERT coordinates and may hold indicators for this attack."
        )
        out.setdefault(Category.PR, "A SEV1 draws attention: prepare one truthful public voice.")
        out.setdefault(
            Category.LAW_ENFORCEMENT,
            "If there is extortion, fraud or theft, report the crime (counsel decides when).",
        )
    if kind is not Kind.EVENT and serious:
        out.setdefault(
            Category.ISAC, "Share indicators with your sector and learn if others are hit."
        )
    for category, why in extra:
        out.setdefault(category, why)
    return [Suggestion(category, why) for category, why in out.items()]
