"""The facts an evaluation starts from: who the organisation is and what happened.

The shape is the stable interface of ``candor obligations evaluate`` (docs/obligations.md). Every
problem in a facts document is reported at once, each at its key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from candor.domain.errors import InvalidInput, Problem
from candor.domain.obligations import jurisdictions
from candor.domain.obligations.reader import MapReader, Path, Problems, suggest, word
from candor.domain.obligations.vocabulary import (
    RECORDED_CLOCKS,
    Clock,
    DataElement,
    DataRole,
    Determination,
    RecipientCategory,
    RiskLevel,
    Sector,
    expand_elements,
)

ORGANIZATION_KEYS = (
    "name",
    "roles",
    "sectors",
    "establishments",
    "eu_main_establishment",
    "timezone",
)
INCIDENT_KEYS = (
    "discovered_at",
    "aware_at",
    *(clock.value for clock in RECORDED_CLOCKS),
    "data_elements",
    "encrypted",
    "encryption_key_compromised",
    "risk_of_harm",
    "affected",
    "notified",
    "determinations",
    "law_enforcement_delay_until",
    "affected_customers",
    "notice_cost_estimate",
    "insufficient_contact_info",
)
EVENT_KEY = re.compile(r"^(?P<subject>[A-Za-z0-9-]+)(?:/(?P<what>[a-z_]+))?$")
CUSTOMER = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}$")


@dataclass(frozen=True, slots=True)
class Organization:
    name: str
    roles: frozenset[DataRole]
    sectors: frozenset[Sector]
    establishments: tuple[str, ...]
    eu_main_establishment: str | None = None
    timezone: str | None = None


@dataclass(frozen=True, slots=True)
class Incident:
    discovered_at: datetime
    aware_at: datetime
    clocks: Mapping[Clock, datetime]
    data_elements: frozenset[DataElement]
    encrypted: bool
    encryption_key_compromised: bool
    risk_of_harm: RiskLevel
    affected: Mapping[str, int]
    notified: Mapping[str, datetime]
    determinations: Mapping[Determination, bool]
    determined_at: Mapping[Determination, datetime]
    law_enforcement_delay_until: datetime | None = None
    affected_customers: frozenset[str] | None = None
    notice_cost_estimate: float | None = None
    insufficient_contact_info: bool | None = None
    # people per region, summed once: every place given, each country over its subdivisions,
    # and "*" for everyone (rules ask for counts thousands of times per evaluation)
    totals: Mapping[str, int] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not self.totals:
            # frozen: the one place the value is completed, before anyone can see it
            object.__setattr__(self, "totals", MappingProxyType(region_totals(self.affected)))

    @property
    def elements(self) -> frozenset[DataElement]:
        """The data elements taken, with what each implies (account + code is an account)."""
        return expand_elements(self.data_elements)

    def count(self, region: str) -> int:
        """Affected people resident in ``region`` (a country, a subdivision or ``*`` for all)."""
        return self.totals.get(region, 0)


def region_totals(affected: Mapping[str, int]) -> dict[str, int]:
    totals: dict[str, int] = {"*": sum(affected.values())}
    for code, people in affected.items():
        totals[code] = totals.get(code, 0) + people
        if "-" in code:
            country = code.split("-", 1)[0]
            totals[country] = totals.get(country, 0) + people
    return totals


@dataclass(frozen=True, slots=True)
class Facts:
    organization: Organization
    incident: Incident

    def established_in(self, region: str) -> bool:
        return any(jurisdictions.within(code, region) for code in self.organization.establishments)


def parse_facts(data: object) -> Facts:
    """Facts from a parsed document, or ``InvalidInput`` listing every problem with its path."""
    problems = Problems()
    root = MapReader(data, (), problems, what="the facts document")
    organization = _organization(root.raw("organization"), problems)
    incident = _incident(root.raw("incident"), problems)
    if root.ok and "organization" not in root.data:
        problems.add("'organization' is required", ())
    if root.ok and "incident" not in root.data:
        problems.add("'incident' is required", ())
    root.finish(("organization", "incident"))
    if problems or organization is None or incident is None:
        raise InvalidInput(problems.items or [Problem("facts are incomplete")])
    return Facts(organization=organization, incident=incident)


def _organization(data: object, problems: Problems) -> Organization | None:
    if data is None:
        return None
    org = MapReader(data, ("organization",), problems, what="organization")
    name = org.text("name") or "the organisation"
    roles = org.enum_list("roles", DataRole)
    if org.ok and not org.data.get("roles"):
        problems.add(
            "at least one role is required; allowed: controller, processor, vendor",
            org.at("roles"),
        )
    sectors = org.enum_list("sectors", Sector)
    establishments = tuple(
        code
        for index, code in enumerate(org.text_list("establishments"))
        if _place(code, (*org.at("establishments"), index), problems)
    )
    main = org.text("eu_main_establishment")
    if main is not None and main not in jurisdictions.EEA:
        problems.add(
            f"{main!r} is not an EU/EEA member state; allowed: {', '.join(jurisdictions.EEA)}",
            org.at("eu_main_establishment"),
        )
        main = None
    zone = org.text("timezone")
    if zone is not None and not _zone_exists(zone):
        problems.add(
            f"unknown time zone {zone!r}",
            org.at("timezone"),
            hint="use an IANA name such as Europe/Dublin or America/New_York",
        )
        zone = None
    org.finish(ORGANIZATION_KEYS)
    return Organization(
        name=name,
        roles=frozenset(roles),
        sectors=frozenset(sectors),
        establishments=establishments,
        eu_main_establishment=main,
        timezone=zone,
    )


def _incident(data: object, problems: Problems) -> Incident | None:
    if data is None:
        return None
    inc = MapReader(data, ("incident",), problems, what="incident")
    discovered = _instant(inc, "discovered_at", problems)
    aware = _instant(inc, "aware_at", problems)
    if inc.ok and discovered is None and aware is None and not _has_bad_time(inc):
        problems.add(
            "'discovered_at' or 'aware_at' is required", inc.path, hint="e.g. 2026-03-02T14:00Z"
        )
    clocks: dict[Clock, datetime] = {}
    for clock in RECORDED_CLOCKS:
        value = _instant(inc, clock.value, problems)
        if value is not None:
            clocks[clock] = value
    elements = inc.enum_list("data_elements", DataElement)
    risk = inc.enum("risk_of_harm", RiskLevel) or RiskLevel.UNKNOWN
    affected = _affected(inc, problems)
    notified = _notified(inc, problems)
    determinations, determined_at = _determinations(inc, problems)
    delay = _instant(inc, "law_enforcement_delay_until", problems)
    customers = _customers(inc, problems)
    encrypted = bool(inc.flag("encrypted", default=False))
    key_compromised = bool(inc.flag("encryption_key_compromised", default=False))
    cost = inc.number("notice_cost_estimate")
    insufficient = inc.flag("insufficient_contact_info")
    inc.finish(INCIDENT_KEYS)
    start = discovered or aware
    if start is None:
        return None
    return Incident(
        discovered_at=start,
        aware_at=aware or start,
        clocks=MappingProxyType(clocks),
        data_elements=frozenset(elements),
        encrypted=encrypted,
        encryption_key_compromised=key_compromised,
        risk_of_harm=risk,
        affected=MappingProxyType(affected),
        notified=MappingProxyType(notified),
        determinations=MappingProxyType(determinations),
        determined_at=MappingProxyType(determined_at),
        law_enforcement_delay_until=delay,
        affected_customers=customers,
        notice_cost_estimate=cost,
        insufficient_contact_info=insufficient,
    )


def _has_bad_time(inc: MapReader) -> bool:
    return inc.has("discovered_at") or inc.has("aware_at")


def _instant(reader: MapReader, key: str, problems: Problems) -> datetime | None:
    return instant(reader.raw(key), reader.at(key), problems)


def instant(value: object, path: Path, problems: Problems) -> datetime | None:
    """An ISO 8601 time with a zone, as UTC. A time without a zone is ambiguous: refused."""
    if value is None:
        return None
    if isinstance(value, datetime):
        parsed = value
    else:
        try:
            parsed = datetime.fromisoformat(str(value).strip())
        except ValueError:
            problems.add(f"not an ISO 8601 time: {value!r}", path, hint="e.g. 2026-03-02T14:00Z")
            return None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        problems.add(
            "time has no time zone", path, hint="write it with an offset, e.g. 2026-03-02T14:00Z"
        )
        return None
    return parsed.astimezone(ZoneInfo("UTC"))


def _place(code: str, path: Path, problems: Problems) -> bool:
    trouble = jurisdictions.check_place(code)
    if trouble is not None:
        problems.add(
            trouble, path, hint=suggest(code, jurisdictions.COUNTRIES | jurisdictions.SUBDIVISIONS)
        )
        return False
    return True


def _affected(inc: MapReader, problems: Problems) -> dict[str, int]:
    out: dict[str, int] = {}
    for key, value in inc.mapping("affected").items():
        code = str(key).strip()
        path = (*inc.at("affected"), str(key))
        if not _place(code, path, problems):
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            problems.add(f"must be a whole number of people, at least 0, not {value!r}", path)
            continue
        out[code] = out.get(code, 0) + value
    return dict(sorted(out.items()))


def _notified(inc: MapReader, problems: Problems) -> dict[str, datetime]:
    out: dict[str, datetime] = {}
    categories = [category.value for category in RecipientCategory]
    for key, value in inc.mapping("notified").items():
        text = str(key).strip()
        path = (*inc.at("notified"), text)
        match = EVENT_KEY.match(text)
        if match is None:
            problems.add(
                f"not an event key: {text!r}",
                path,
                hint="JURISDICTION/category (US-CA/individuals) or a rule id (eu-dora-initial)",
            )
            continue
        subject, what = match["subject"], match["what"]
        if jurisdictions.is_place(subject) or subject in jurisdictions.PSEUDO:
            if what is None:
                problems.add(
                    f"{text!r} names a place but not who was notified",
                    path,
                    hint=f"write {subject}/individuals; categories: {', '.join(categories)}",
                )
                continue
            if word(RecipientCategory, what, path, problems) is None:
                continue
        elif what is not None and what != "requested":
            problems.add(
                f"unknown event {what!r} for rule {subject!r}; allowed: requested",
                path,
            )
            continue
        when = instant(value, path, problems)
        if when is not None:
            out[text] = when
    return out


def _determinations(
    inc: MapReader, problems: Problems
) -> tuple[dict[Determination, bool], dict[Determination, datetime]]:
    answers: dict[Determination, bool] = {}
    times: dict[Determination, datetime] = {}
    for key, value in inc.mapping("determinations").items():
        path = (*inc.at("determinations"), str(key))
        name = word(Determination, key, path, problems)
        if name is None or value is None:
            continue
        if isinstance(value, bool):
            answers[name] = value
            continue
        # a time means "determined yes, at this time": some clocks start at a determination
        when = instant(value, path, problems)
        if when is not None:
            answers[name] = True
            times[name] = when
    return answers, times


def _customers(inc: MapReader, problems: Problems) -> frozenset[str] | None:
    if not inc.has("affected_customers"):
        inc.raw("affected_customers")
        return None
    out = set()
    for index, name in enumerate(inc.text_list("affected_customers")):
        if not CUSTOMER.match(name):
            problems.add(
                f"not a customer key: {name!r}",
                (*inc.at("affected_customers"), index),
                hint="lower-case letters, digits, '.', '_' or '-', as in the contracts file",
            )
            continue
        out.add(name)
    return frozenset(out)


def _zone_exists(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True
