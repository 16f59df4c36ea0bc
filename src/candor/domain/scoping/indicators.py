"""The indicators file: what to look for, and in which time window.

::

    window: {start: 2026-03-01T00:00:00Z, end: 2026-03-03T00:00:00Z}   # optional
    indicators:
      - {type: aws_access_key_id, value: AKIAEXAMPLEKEY000001, label: "vendor key of ACME"}
      - {type: ip, value: 203.0.113.7}
      - {type: cidr, value: 198.51.100.0/24}
      - {type: user_agent, value: python-requests, match: substring}
      - {type: principal_arn, value: "arn:aws:iam::111122223333:user/ci"}

An event matches when any indicator matches inside the window. Every problem in the file is
reported at once, each with its path (``indicators[3].value``) for the loader to turn into a line.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from candor.domain.errors import InvalidInput, Problem, ProblemCollector
from candor.domain.vocabulary import parse_instant


class IndicatorType(StrEnum):
    AWS_ACCESS_KEY_ID = "aws_access_key_id"
    IP = "ip"
    CIDR = "cidr"
    USER_AGENT = "user_agent"
    PRINCIPAL_ARN = "principal_arn"


class Match(StrEnum):
    EXACT = "exact"
    SUBSTRING = "substring"  # user agents only; case-insensitive


# Access key ids are upper-case letters and digits with a four-letter prefix (AKIA long-term,
# ASIA temporary, and a few rarer ones); AWS documents 16 to 128 characters.
_ACCESS_KEY = re.compile(r"^A[A-Z0-9]{3}[A-Z0-9]{12,124}$")
# arn:partition:service:region:account:resource (region and account may be empty)
_ARN = re.compile(r"^arn:[a-z0-9-]+:[a-z0-9-]+:[a-z0-9-]*:[0-9]*:.+$")
_DOTTED = re.compile(r"^([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})$")
_KEYS = {"type", "value", "match", "label"}


def parse_ipv4_lenient(text: str) -> ipaddress.IPv4Address | None:
    """Dotted decimal, accepting leading zeros (``08.1.250.216``).

    Python's ``ipaddress`` refuses leading zeros because some C libraries read them as octal;
    CloudTrail writes plain decimal, and anonymised exports (LogLicker) keep zero-padded
    octets, so the logs are read as decimal and so are the indicators.
    """
    found = _DOTTED.match(text)
    if not found:
        return None
    octets = [int(part) for part in found.groups()]
    if any(octet > 255 for octet in octets):
        return None
    return ipaddress.IPv4Address(".".join(str(octet) for octet in octets))


def parse_ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    v4 = parse_ipv4_lenient(text)
    if v4 is not None:
        return v4
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class Indicator:
    type: IndicatorType
    value: str  # canonical: ``str(ip)``, ``str(network)``, the key or ARN as given
    match: Match = Match.EXACT
    label: str | None = None
    # the spelling in the file when it differs from ``value`` (a zero-padded IP), so the
    # engine can match the logs' own spelling too
    raw: str | None = None

    @property
    def network(self) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
        """The range an ``ip`` (a single address) or ``cidr`` indicator covers."""
        if self.type is IndicatorType.IP:
            return ipaddress.ip_network(self.value)
        if self.type is IndicatorType.CIDR:
            return ipaddress.ip_network(self.value)
        raise ValueError(f"{self.type} has no network")

    def matches_value(self, observed: str | None) -> bool:
        """Whether one observed field value (a key, an IP, a user agent, an ARN) matches.

        The engines compile the same rules into queries; this is the reference they are tested
        against and the rule that decides whether a pivot is already covered.
        """
        if observed is None:
            return False
        if self.type is IndicatorType.USER_AGENT and self.match is Match.SUBSTRING:
            return self.value.casefold() in observed.casefold()
        if self.type in (IndicatorType.IP, IndicatorType.CIDR):
            address = parse_ip(observed)
            return address is not None and address in self.network
        return observed == self.value

    def as_dict(self) -> dict[str, str]:
        out = {"type": self.type.value, "value": self.value}
        if self.type is IndicatorType.USER_AGENT:
            out["match"] = self.match.value
        if self.label:
            out["label"] = self.label
        return out


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """``start`` inclusive, ``end`` exclusive; either may be open."""

    start: datetime | None = None
    end: datetime | None = None

    def __post_init__(self) -> None:
        if self.start is not None and self.end is not None and self.start >= self.end:
            raise InvalidInput(
                Problem("the window ends before it starts", field="window", hint="swap them")
            )

    @property
    def bounded(self) -> bool:
        return self.start is not None or self.end is not None

    def contains(self, when: datetime) -> bool:
        if self.start is not None and when < self.start:
            return False
        return self.end is None or when < self.end

    def as_dict(self) -> dict[str, str | None]:
        return {
            "start": _iso(self.start) if self.start else None,
            "end": _iso(self.end) if self.end else None,
        }


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class IndicatorSet:
    indicators: tuple[Indicator, ...]
    window: TimeWindow = field(default_factory=TimeWindow)

    def of(self, *types: IndicatorType) -> tuple[Indicator, ...]:
        return tuple(i for i in self.indicators if i.type in types)

    def values(self, kind: IndicatorType) -> tuple[str, ...]:
        return tuple(i.value for i in self.indicators if i.type is kind)

    def covers(self, kind: IndicatorType, value: str) -> bool:
        """Would an event carrying ``value`` in the field of ``kind`` already match?"""
        if kind in (IndicatorType.IP, IndicatorType.CIDR):
            return any(
                i.matches_value(value) for i in self.of(IndicatorType.IP, IndicatorType.CIDR)
            )
        return any(i.matches_value(value) for i in self.of(kind))

    def with_added(self, extra: Iterable[Indicator]) -> IndicatorSet:
        seen = {(i.type, i.value, i.match) for i in self.indicators}
        added = list(self.indicators)
        for indicator in extra:
            if (indicator.type, indicator.value, indicator.match) not in seen:
                seen.add((indicator.type, indicator.value, indicator.match))
                added.append(indicator)
        return IndicatorSet(tuple(added), self.window)

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {}
        if self.window.bounded:
            out["window"] = self.window.as_dict()
        out["indicators"] = [i.as_dict() for i in self.indicators]
        return out


def parse_indicator(
    item: object, *, path: tuple[str | int, ...], problems: ProblemCollector
) -> Indicator | None:
    """One list item of ``indicators``; problems go to ``problems`` with their path."""
    if not isinstance(item, Mapping):
        problems.add(
            "each indicator is a mapping with type and value",
            path=path,
            hint="e.g. {type: ip, value: 203.0.113.7}",
        )
        return None
    before = len(problems.problems)
    for key in item:
        if key not in _KEYS:
            problems.add(
                f"unknown key {key!r}",
                path=(*path, str(key)),
                hint="an indicator has type, value, and optionally match and label",
            )
    raw_type = item.get("type")
    kind: IndicatorType | None = None
    if raw_type is None:
        problems.add("type is missing", path=path, hint=_allowed_types())
    else:
        try:
            kind = IndicatorType(str(raw_type).strip())
        except ValueError:
            problems.add(f"unknown type {raw_type!r}", path=(*path, "type"), hint=_allowed_types())
    raw_value = item.get("value")
    if raw_value is None or (isinstance(raw_value, str) and not raw_value.strip()):
        problems.add("value is missing", path=(*path, "value") if "value" in item else path)
    elif not isinstance(raw_value, str | int | float) or isinstance(raw_value, bool):
        problems.add("value must be text", path=(*path, "value"))
    match = Match.EXACT
    if "match" in item:
        try:
            match = Match(str(item["match"]).strip())
        except ValueError:
            problems.add(
                f"unknown match {item['match']!r}",
                path=(*path, "match"),
                hint="exact or substring",
            )
        if kind is not None and kind is not IndicatorType.USER_AGENT and match is not Match.EXACT:
            problems.add(
                "only user_agent indicators match by substring",
                path=(*path, "match"),
                hint="remove match, or list each value",
            )
    label = item.get("label")
    if label is not None and not isinstance(label, str):
        problems.add("label must be text", path=(*path, "label"))
        label = None
    if kind is None or len(problems.problems) > before:
        return None
    assert raw_value is not None
    return _typed(
        kind, str(raw_value).strip(), match, label, path=(*path, "value"), problems=problems
    )


def _typed(
    kind: IndicatorType,
    value: str,
    match: Match,
    label: str | None,
    *,
    path: tuple[str | int, ...],
    problems: ProblemCollector,
) -> Indicator | None:
    if kind is IndicatorType.AWS_ACCESS_KEY_ID:
        if not _ACCESS_KEY.match(value):
            hint = "AWS access key ids look like AKIA… or ASIA…: 20 upper-case letters and digits"
            if _ACCESS_KEY.match(value.upper()):
                hint = "access key ids are upper case: " + value.upper()
            problems.add(f"not an AWS access key id: {value!r}", path=path, hint=hint)
            return None
        return Indicator(kind, value, label=label)
    if kind is IndicatorType.IP:
        if "/" in value:
            problems.add(f"{value!r} is a range", path=path, hint="use type: cidr for ranges")
            return None
        address = parse_ip(value)
        if address is None:
            problems.add(f"not an IP address: {value!r}", path=path, hint="e.g. 203.0.113.7")
            return None
        return Indicator(
            kind, str(address), label=label, raw=value if value != str(address) else None
        )
    if kind is IndicatorType.CIDR:
        return _cidr(value, label, path=path, problems=problems)
    if kind is IndicatorType.USER_AGENT:
        return Indicator(kind, value, match=match, label=label)
    if not _ARN.match(value):
        problems.add(
            f"not an ARN: {value!r}",
            path=path,
            hint="e.g. arn:aws:iam::111122223333:user/ci or arn:aws:iam::111122223333:role/app",
        )
        return None
    return Indicator(kind, value, label=label)


def _cidr(
    value: str, label: str | None, *, path: tuple[str | int, ...], problems: ProblemCollector
) -> Indicator | None:
    text, _, prefix = value.partition("/")
    address = parse_ip(text)
    if address is None or not prefix.isdigit():
        problems.add(f"not a CIDR range: {value!r}", path=path, hint="e.g. 198.51.100.0/24")
        return None
    try:
        network = ipaddress.ip_network(f"{address}/{prefix}")
    except ValueError as exc:
        if "host bits set" in str(exc):
            loose = ipaddress.ip_network(f"{address}/{prefix}", strict=False)
            problems.add(
                f"{value!r} has host bits set",
                path=path,
                hint=f"did you mean {loose}? or use type: ip for one address",
            )
        else:
            problems.add(f"not a CIDR range: {value!r}", path=path, hint="e.g. 198.51.100.0/24")
        return None
    return Indicator(IndicatorType.CIDR, str(network), label=label)


def _allowed_types() -> str:
    return "allowed types: " + ", ".join(t.value for t in IndicatorType)


def parse_window(data: object, *, problems: ProblemCollector) -> TimeWindow:
    if data is None:
        return TimeWindow()
    if not isinstance(data, Mapping):
        problems.add(
            "window is a mapping with start and/or end",
            path=("window",),
            hint="e.g. {start: 2026-03-01T00:00:00Z, end: 2026-03-03T00:00:00Z}",
        )
        return TimeWindow()
    bounds: dict[str, datetime | None] = {"start": None, "end": None}
    for key, value in data.items():
        if key not in bounds:
            problems.add(
                f"unknown key {key!r}", path=("window", str(key)), hint="start and end only"
            )
            continue
        if value is None:
            continue
        try:
            bounds[key] = parse_instant(value, field=f"window.{key}")
        except InvalidInput as exc:
            problems.extend(
                Problem(p.message, hint=p.hint, path=("window", key)) for p in exc.problems
            )
    start, end = bounds["start"], bounds["end"]
    if start is not None and end is not None and start >= end:
        problems.add("the window ends before it starts", path=("window", "end"))
        return TimeWindow()
    return TimeWindow(start, end)


def parse_indicators_file(data: object) -> IndicatorSet:
    """Validate a whole indicators document; raise ``InvalidInput`` listing every problem.

    The same value listed twice is kept once: pasted lists often repeat keys, and a repeat
    changes no answer.
    """
    problems = ProblemCollector()
    if not isinstance(data, Mapping):
        problems.add(
            "an indicators file is a mapping with indicators (and optionally window)",
            hint="see docs/scoping.md",
        )
        problems.raise_if_any()
        raise AssertionError  # unreachable: raise_if_any raised
    for key in data:
        if key not in ("window", "indicators"):
            problems.add(
                f"unknown key {key!r}", path=(str(key),), hint="window and indicators only"
            )
    window = parse_window(data.get("window"), problems=problems)
    items = data.get("indicators")
    parsed: list[Indicator] = []
    if items is None:
        problems.add("indicators is missing", hint="list at least one indicator")
    elif not isinstance(items, Sequence) or isinstance(items, str):
        problems.add("indicators must be a list", path=("indicators",))
    elif not items:
        problems.add("indicators is empty", path=("indicators",), hint="list at least one")
    else:
        for index, item in enumerate(items):
            indicator = parse_indicator(item, path=("indicators", index), problems=problems)
            if indicator is not None:
                parsed.append(indicator)
    problems.raise_if_any()
    return IndicatorSet((), window).with_added(parsed)
