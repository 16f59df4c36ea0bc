"""Indicators of compromise to share with peers, ISACs and CERTs, each under a TLP 2.0 level.

Indicators come from scoping (addresses, keys and agents seen in the logs) and from manual entry
(an IOC list a responder writes). Values are checked and put in one canonical form here, so the
STIX exporter only has to write patterns. ``parse_list`` checks a whole list at once and reports
every bad row with its path; the file loader turns paths into lines.

TLP 2.0 (FIRST): CLEAR may be shared publicly; GREEN within the community; AMBER with the
recipient's organisation and its clients on a need-to-know basis; AMBER+STRICT within the
recipient's organisation only; RED only with the named people present, so never in a bundle
meant for sharing.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from candor.domain.errors import InvalidInput, Problem
from candor.domain.vocabulary import parse_enum, parse_instant


class Tlp(StrEnum):
    CLEAR = "clear"
    GREEN = "green"
    AMBER = "amber"
    AMBER_STRICT = "amber+strict"
    RED = "red"

    @property
    def label(self) -> str:
        return "TLP:" + self.value.upper()

    @property
    def rank(self) -> int:
        """0 is the least restricted."""
        return list(Tlp).index(self)


class IndicatorType(StrEnum):
    IPV4 = "ipv4"
    IPV6 = "ipv6"
    DOMAIN = "domain"
    URL = "url"
    MD5 = "md5"
    SHA1 = "sha1"
    SHA256 = "sha256"
    SHA512 = "sha512"
    EMAIL = "email"
    AWS_ACCESS_KEY_ID = "aws_access_key_id"
    USER_AGENT = "user_agent"


class Source(StrEnum):
    SCOPING = "scoping"
    MANUAL = "manual"


HASH_LENGTHS = {
    IndicatorType.MD5: 32,
    IndicatorType.SHA1: 40,
    IndicatorType.SHA256: 64,
    IndicatorType.SHA512: 128,
}
# file hashes name malware, never a person: retention keeps them
FILE_HASHES = frozenset(HASH_LENGTHS)
DOMAIN = re.compile(
    r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$"
)
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+$")
URL = re.compile(r"^[a-z][a-z0-9+.-]*://[^\s]+$", re.IGNORECASE)
AWS_KEY_ID = re.compile(r"^(?:AKIA|ASIA|AIDA|AROA|AGPA|ANPA|ANVA|AIPA|ABIA|ACCA)[A-Z0-9]{16}$")
VALUE_MAX = 2_048
DESCRIPTION_MAX = 2_000


@dataclass(frozen=True, slots=True)
class Indicator:
    type: IndicatorType
    value: str
    tlp: Tlp
    source: Source = Source.MANUAL
    description: str = ""
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    sightings: int = 0  # how many times scoping saw it; 0 for manual entries

    @property
    def label(self) -> str:
        return f"{self.type.value} {self.value}"


def canonical_value(kind: IndicatorType, raw: str) -> str:
    """The value in canonical form, or ``InvalidInput`` saying what is wrong with it."""
    value = raw.strip()
    if not value:
        raise InvalidInput(Problem("must not be empty", field="value"))
    if len(value) > VALUE_MAX:
        raise InvalidInput(Problem(f"is longer than {VALUE_MAX} characters", field="value"))
    try:
        if kind is IndicatorType.IPV4:
            net4 = ipaddress.IPv4Network(value, strict=True)
            return str(net4.network_address) if net4.prefixlen == 32 else str(net4)
        if kind is IndicatorType.IPV6:
            net6 = ipaddress.IPv6Network(value, strict=True)
            return str(net6.network_address) if net6.prefixlen == 128 else str(net6)
    except ValueError as exc:
        raise InvalidInput(Problem(f"not an {kind.value} address: {exc}", field="value")) from None
    if kind is IndicatorType.DOMAIN:
        name = value.lower().rstrip(".")
        if not DOMAIN.match(name):
            raise InvalidInput(Problem(f"not a domain name: {value!r}", field="value"))
        return name
    if kind in HASH_LENGTHS:
        digest = value.lower()
        if len(digest) != HASH_LENGTHS[kind] or not re.fullmatch(r"[0-9a-f]+", digest):
            raise InvalidInput(
                Problem(
                    f"not a {kind.value} hash: want {HASH_LENGTHS[kind]} hexadecimal digits",
                    field="value",
                )
            )
        return digest
    if kind is IndicatorType.EMAIL:
        if not EMAIL.match(value):
            raise InvalidInput(Problem(f"not an e-mail address: {value!r}", field="value"))
        local, domain = value.rsplit("@", 1)
        return f"{local}@{domain.lower()}"
    if kind is IndicatorType.URL:
        if not URL.match(value):
            raise InvalidInput(Problem(f"not a URL: {value!r}", field="value"))
        return value
    if kind is IndicatorType.AWS_ACCESS_KEY_ID:
        key = value.upper()
        if not AWS_KEY_ID.match(key):
            raise InvalidInput(
                Problem(
                    f"not an AWS access key id: {value!r}",
                    field="value",
                    hint="20 characters starting with AKIA (long-term) or ASIA (temporary)",
                )
            )
        return key
    if any(ord(c) < 0x20 for c in value):
        raise InvalidInput(Problem("contains control characters", field="value"))
    return value


def indicator(
    *,
    type: IndicatorType | str,
    value: str,
    tlp: Tlp | str,
    source: Source | str = Source.MANUAL,
    description: str = "",
    first_seen: datetime | None = None,
    last_seen: datetime | None = None,
    sightings: int = 0,
) -> Indicator:
    kind = parse_enum(IndicatorType, type, field="type")
    problems: list[Problem] = []
    canonical = ""
    try:
        canonical = canonical_value(kind, value)
    except InvalidInput as exc:
        problems += exc.problems
    level = None
    try:
        level = parse_enum(Tlp, str(tlp).lower().removeprefix("tlp:"), field="tlp")
    except InvalidInput as exc:
        problems += exc.problems
    if len(description) > DESCRIPTION_MAX:
        problems.append(
            Problem(f"is longer than {DESCRIPTION_MAX} characters", field="description")
        )
    if first_seen and last_seen and last_seen < first_seen:
        problems.append(Problem("is before first_seen", field="last_seen"))
    if sightings < 0:
        problems.append(Problem("must not be negative", field="sightings"))
    if problems:
        raise InvalidInput(problems)
    assert level is not None
    return Indicator(
        type=kind,
        value=canonical,
        tlp=level,
        source=parse_enum(Source, source, field="source"),
        description=description.strip(),
        first_seen=first_seen,
        last_seen=last_seen,
        sightings=sightings,
    )


def parse_list(rows: Any, *, default_tlp: Tlp | str | None = None) -> list[Indicator]:
    """An IOC list as plain data (``[{type, value, tlp, description, first_seen, last_seen}]``).
    Every bad row is reported at once, each problem with its path; duplicates are refused."""
    problems: list[Problem] = []
    out: list[Indicator] = []
    if not isinstance(rows, Sequence) or isinstance(rows, str):
        raise InvalidInput(Problem("must be a list of indicators", path=("indicators",)))
    seen: dict[tuple[IndicatorType, str], int] = {}
    for i, row in enumerate(rows):
        if not isinstance(row, Mapping):
            problems.append(Problem("must be a mapping with type and value", path=(i,)))
            continue
        unknown = set(row) - {"type", "value", "tlp", "description", "first_seen", "last_seen"}
        for key in sorted(unknown, key=str):
            problems.append(Problem(f"unknown key {key!r}", path=(i, str(key))))
        tlp = row.get("tlp", default_tlp)
        if tlp is None:
            problems.append(
                Problem(
                    "needs a TLP level",
                    path=(i, "tlp"),
                    hint="clear, green, amber, amber+strict or red",
                )
            )
            continue
        times: dict[str, datetime | None] = {}
        for name in ("first_seen", "last_seen"):
            try:
                times[name] = parse_instant(row[name], field=name) if row.get(name) else None
            except InvalidInput as exc:
                problems += [Problem(p.message, hint=p.hint, path=(i, name)) for p in exc.problems]
                times[name] = None
        try:
            item = indicator(
                type=str(row.get("type", "")),
                value=str(row.get("value", "")),
                tlp=str(tlp),
                description=str(row.get("description") or ""),
                first_seen=times["first_seen"],
                last_seen=times["last_seen"],
            )
        except InvalidInput as exc:
            problems += [
                Problem(p.message, hint=p.hint, path=(i, p.field or "value")) for p in exc.problems
            ]
            continue
        key = (item.type, item.value)
        if key in seen:
            problems.append(
                Problem(f"duplicate of row {seen[key] + 1}: {item.label}", path=(i, "value"))
            )
            continue
        seen[key] = i
        out.append(item)
    if problems:
        raise InvalidInput(problems)
    return out
