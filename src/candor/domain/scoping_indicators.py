"""Indicators to share, read from a scoping result (the JSON of ``candor scope run --json``).

Scoping looks for access keys, addresses, networks, user agents and principals; it reports each
with how often and when it was seen (``by_indicator``), and the source addresses of the matched
events (``source_ips``). What was seen becomes an indicator under the TLP level the responder
chooses; what was searched for but never seen is left out (it is not evidence of anything), and
principals (ARNs of the victim's own accounts) are not indicators of the attacker.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from candor.domain.errors import InvalidInput, Problem
from candor.domain.indicators import Indicator, IndicatorType, Source, Tlp, indicator
from candor.domain.scoping.indicators import parse_ipv4_lenient
from candor.domain.vocabulary import parse_enum, parse_instant

SCOPING_TYPES = {"aws_access_key_id", "ip", "cidr", "user_agent", "principal_arn"}


def _address(value: str) -> str:
    """Logs and anonymised exports write zero-padded octets (``08.1.250.216``); scoping reads
    them as decimal, and so does the import."""
    lenient = parse_ipv4_lenient(value.strip())
    return str(lenient) if lenient is not None else value.strip()


def _address_type(value: str) -> IndicatorType:
    try:
        network = ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        return IndicatorType.IPV4  # canonical_value names the problem
    return IndicatorType.IPV6 if network.version == 6 else IndicatorType.IPV4


def _time(
    row: Mapping[str, Any], name: str, path: tuple[str | int, ...], problems: list[Problem]
) -> datetime | None:
    raw = row.get(name)
    if raw in (None, ""):
        return None
    try:
        return parse_instant(raw, field=name)
    except InvalidInput as exc:
        problems += [Problem(p.message, hint=p.hint, path=(*path, name)) for p in exc.problems]
        return None


def _count(
    row: Mapping[str, Any], name: str, path: tuple[str | int, ...], problems: list[Problem]
) -> int:
    raw = row.get(name, 0)
    if not isinstance(raw, int) or isinstance(raw, bool) or raw < 0:
        problems.append(Problem("must be a whole number, 0 or more", path=(*path, name)))
        return 0
    return raw


def from_scoping_result(data: Any, *, tlp: Tlp | str) -> list[Indicator]:
    """The indicators a scan saw, each with its sightings; every problem reported at once with
    its path (``by_indicator[2].value``). Duplicates (an address both searched for and seen as
    a source) are merged, keeping the earliest first and latest last sighting."""
    if not isinstance(data, Mapping) or not (
        isinstance(data.get("by_indicator"), Sequence)
        or isinstance(data.get("source_ips"), Sequence)
    ):
        raise InvalidInput(
            Problem(
                "is not a scoping result: expected by_indicator and source_ips lists",
                hint="write one with `candor scope run … --out-json FILE`",
            )
        )
    # one level for the whole import, checked once (not once per row)
    tlp = parse_enum(Tlp, str(tlp).lower().removeprefix("tlp:"), field="tlp")
    problems: list[Problem] = []
    found: dict[tuple[IndicatorType, str], Indicator] = {}

    def keep(
        path: tuple[str | int, ...],
        kind: IndicatorType,
        value: Any,
        hits: int,
        first: datetime | None,
        last: datetime | None,
        note: str,
    ) -> None:
        try:
            item = indicator(
                type=kind,
                value=str(value or ""),
                tlp=tlp,
                source=Source.SCOPING,
                description=note,
                first_seen=first,
                last_seen=last,
                sightings=hits,
            )
        except InvalidInput as exc:
            problems.extend(
                Problem(p.message, hint=p.hint, path=(*path, p.field or "value"))
                for p in exc.problems
            )
            return
        key = (item.type, item.value)
        if key in found:
            old = found[key]
            firsts = [t for t in (old.first_seen, item.first_seen) if t]
            lasts = [t for t in (old.last_seen, item.last_seen) if t]
            item = Indicator(
                item.type,
                item.value,
                item.tlp,
                Source.SCOPING,
                old.description,
                min(firsts) if firsts else None,
                max(lasts) if lasts else None,
                max(old.sightings, item.sightings),
            )
        found[key] = item

    for i, row in enumerate(data.get("by_indicator") or []):
        path: tuple[str | int, ...] = ("by_indicator", i)
        if not isinstance(row, Mapping):
            problems.append(Problem("must be a mapping", path=path))
            continue
        kind = row.get("type")
        if kind not in SCOPING_TYPES:
            problems.append(Problem(f"unknown indicator type {kind!r}", path=(*path, "type")))
            continue
        hits = _count(row, "hits", path, problems)
        first, last = (
            _time(row, "first_seen", path, problems),
            _time(row, "last_seen", path, problems),
        )
        if hits == 0 or kind == "principal_arn":
            continue
        value = str(row.get("value") or "")
        label = str(row.get("label") or "")
        note = f"seen {hits} times by scoping" + (f" ({label})" if label else "")
        if kind in ("ip", "cidr"):
            keep(path, _address_type(value), _address(value), hits, first, last, note)
        else:
            keep(path, IndicatorType(kind), value, hits, first, last, note)
    for i, row in enumerate(data.get("source_ips") or []):
        path = ("source_ips", i)
        if not isinstance(row, Mapping):
            problems.append(Problem("must be a mapping", path=path))
            continue
        events = _count(row, "events", path, problems)
        first, last = (
            _time(row, "first_seen", path, problems),
            _time(row, "last_seen", path, problems),
        )
        address = row.get("ip")
        if not address:
            continue  # events without a source address
        keep(
            path,
            _address_type(str(address)),
            _address(str(address)),
            events,
            first,
            last,
            f"source of {events} matched events",
        )
    if problems:
        raise InvalidInput(problems)
    return list(found.values())
