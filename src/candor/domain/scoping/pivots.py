"""Pivots: new indicators found in the matched events, for the responder to add and re-run.

The engine finds candidates (grouped, with counts and times); this module decides which are new
(not already covered by an indicator), why each matters, and in which order to show them.

- ``created_access_key``: the attacker created an access key (``CreateAccessKey``): a
  persistence path that outlives the stolen one.
- ``assumed_role``: the attacker assumed a role (``AssumeRole``); as a ``principal_arn``
  indicator it matches every session of that role.
- ``assumed_role_key``: the temporary key that ``AssumeRole`` handed the attacker.
- ``key_from_indicator_ip``: another key used from an attacker IP: a second stolen credential.
- ``ip_of_indicator_key``: where an attacker key or principal was used from.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from candor.domain.scoping.indicators import Indicator, IndicatorSet, IndicatorType, parse_ip


class PivotKind(StrEnum):
    CREATED_ACCESS_KEY = "created_access_key"
    ASSUMED_ROLE = "assumed_role"
    ASSUMED_ROLE_KEY = "assumed_role_key"
    KEY_FROM_INDICATOR_IP = "key_from_indicator_ip"
    IP_OF_INDICATOR_KEY = "ip_of_indicator_key"

    @property
    def indicator_type(self) -> IndicatorType:
        return _TYPES[self]

    @property
    def rank(self) -> int:
        """Lower is stronger evidence: a created key beats a shared IP."""
        return list(PivotKind).index(self)


_TYPES = {
    PivotKind.CREATED_ACCESS_KEY: IndicatorType.AWS_ACCESS_KEY_ID,
    PivotKind.ASSUMED_ROLE: IndicatorType.PRINCIPAL_ARN,
    PivotKind.ASSUMED_ROLE_KEY: IndicatorType.AWS_ACCESS_KEY_ID,
    PivotKind.KEY_FROM_INDICATOR_IP: IndicatorType.AWS_ACCESS_KEY_ID,
    PivotKind.IP_OF_INDICATOR_KEY: IndicatorType.IP,
}

_DETAIL = {
    PivotKind.CREATED_ACCESS_KEY: "created with CreateAccessKey by {via}",
    PivotKind.ASSUMED_ROLE: "role assumed with AssumeRole by {via}",
    PivotKind.ASSUMED_ROLE_KEY: "temporary key AssumeRole issued to {via}",
    PivotKind.KEY_FROM_INDICATOR_IP: "key used from indicator IP {via}",
    PivotKind.IP_OF_INDICATOR_KEY: "address that indicator key or principal {via} came from",
}


@dataclass(frozen=True, slots=True)
class PivotCandidate:
    kind: PivotKind
    value: str
    events: int
    first_seen: datetime
    last_seen: datetime
    via: str | None = None  # who or where it came from: the creator, the IP, the key


@dataclass(frozen=True, slots=True)
class Pivot:
    type: IndicatorType
    value: str
    reason: PivotKind
    detail: str
    events: int
    first_seen: datetime
    last_seen: datetime
    also: tuple[PivotKind, ...] = ()

    def indicator(self) -> Indicator:
        return Indicator(self.type, self.value, label=f"pivot: {self.detail}")

    def as_dict(self) -> dict[str, object]:
        return {
            "type": self.type.value,
            "value": self.value,
            "reason": self.reason.value,
            "also": [k.value for k in self.also],
            "detail": self.detail,
            "events": self.events,
            "first_seen": _iso(self.first_seen),
            "last_seen": _iso(self.last_seen),
        }


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def derive_pivots(candidates: Iterable[PivotCandidate], indicators: IndicatorSet) -> list[Pivot]:
    """New indicators, one per value, strongest reason first, then by first sighting."""
    best: dict[tuple[IndicatorType, str], list[PivotCandidate]] = {}
    spelling: dict[tuple[IndicatorType, str], str] = {}
    for candidate in candidates:
        kind = candidate.kind.indicator_type
        value = candidate.value.strip()
        if not value:
            continue
        key = value
        if kind is IndicatorType.IP:
            address = parse_ip(value)
            if address is None:  # "AWS Internal", "ec2.amazonaws.com": services, not hosts
                continue
            key = str(address)
        if indicators.covers(kind, value):
            continue
        best.setdefault((kind, key), []).append(candidate)
        # keep the logs' own spelling (zero-padded octets survive anonymisers): the re-run
        # then matches the text as written
        spelling.setdefault((kind, key), value)
    pivots = []
    for (kind, key), found in best.items():
        value = spelling[(kind, key)]
        found.sort(key=lambda c: (c.kind.rank, c.first_seen))
        lead = found[0]
        pivots.append(
            Pivot(
                type=kind,
                value=value,
                reason=lead.kind,
                detail=_DETAIL[lead.kind].format(via=lead.via or "an indicator"),
                events=lead.events,
                first_seen=min(c.first_seen for c in found),
                last_seen=max(c.last_seen for c in found),
                also=tuple(dict.fromkeys(c.kind for c in found[1:] if c.kind is not lead.kind)),
            )
        )
    pivots.sort(key=lambda p: (p.reason.rank, p.first_seen, p.value))
    return pivots
