"""What a scan found: the engine's grouped figures in, the responder's answer out.

Engines hand back ``ScanAggregates`` (rows grouped by key, account, IP …, never raw events);
``summarize`` turns them into a ``ScanResult``, whose ``as_dict`` is the stable JSON of
``candor scope run --json``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from candor.domain.scoping.indicators import Indicator, IndicatorSet, IndicatorType
from candor.domain.scoping.pivots import Pivot, PivotCandidate, derive_pivots
from candor.domain.scoping.plan import ScanPlan

MAX_MALFORMED_SAMPLES = 20
MAX_RESOURCES_PER_ACCOUNT = 1000


def iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


@dataclass(frozen=True, slots=True)
class MalformedSample:
    file: str
    error: str
    line: int | None = None
    record_index: int | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "record_index": self.record_index,
            "error": self.error,
        }


@dataclass(frozen=True, slots=True)
class Seen:
    """Events grouped by one value: how many, first and last."""

    value: str | None
    events: int
    first_seen: datetime
    last_seen: datetime


@dataclass(frozen=True, slots=True)
class PrincipalSeen:
    principal_arn: str | None
    issuer_arn: str | None
    access_key_id: str | None
    events: int
    first_seen: datetime
    last_seen: datetime


@dataclass(frozen=True, slots=True)
class AccountSeen:
    account: str | None
    events: int
    failed_events: int
    first_seen: datetime
    last_seen: datetime


@dataclass(frozen=True, slots=True)
class AccountAction:
    account: str | None
    event_name: str | None
    events: int


@dataclass(frozen=True, slots=True)
class AccountResource:
    account: str | None
    resource: str
    events: int
    failed_events: int


@dataclass(frozen=True, slots=True)
class HourCount:
    hour: datetime
    events: int
    matched: int


@dataclass
class ScanAggregates:
    """Grouped figures from an engine. Lists may arrive in any order."""

    files_scanned: int = 0
    bytes_scanned: int = 0
    events_scanned: int = 0
    events_in_window: int = 0
    events_matched: int = 0
    matched_first: datetime | None = None
    matched_last: datetime | None = None
    malformed_count: int = 0
    malformed_samples: list[MalformedSample] = field(default_factory=list)
    histogram: list[HourCount] = field(default_factory=list)
    by_key: list[Seen] = field(default_factory=list)
    by_ip: list[Seen] = field(default_factory=list)
    by_user_agent: list[Seen] = field(default_factory=list)
    by_principal: list[PrincipalSeen] = field(default_factory=list)
    accounts: list[AccountSeen] = field(default_factory=list)
    account_actions: list[AccountAction] = field(default_factory=list)
    account_resources: list[AccountResource] = field(default_factory=list)
    account_resource_totals: dict[str | None, int] = field(default_factory=dict)
    pivot_candidates: list[PivotCandidate] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class IndicatorHits:
    indicator: Indicator
    hits: int
    first_seen: datetime | None
    last_seen: datetime | None

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = dict(self.indicator.as_dict())
        out.update(hits=self.hits, first_seen=iso(self.first_seen), last_seen=iso(self.last_seen))
        return out


@dataclass(frozen=True, slots=True)
class ResourceTouched:
    resource: str
    events: int
    failed_events: int


@dataclass(frozen=True, slots=True)
class AccountSummary:
    account: str | None
    events: int
    failed_events: int
    first_seen: datetime
    last_seen: datetime
    event_names: tuple[tuple[str, int], ...]
    resources: tuple[ResourceTouched, ...]
    resources_total: int

    def as_dict(self) -> dict[str, object]:
        return {
            "account": self.account,
            "events": self.events,
            "failed_events": self.failed_events,
            "first_seen": iso(self.first_seen),
            "last_seen": iso(self.last_seen),
            "event_names": dict(self.event_names),
            "resources": [
                {"resource": r.resource, "events": r.events, "failed_events": r.failed_events}
                for r in self.resources
            ],
            "resources_total": self.resources_total,
        }


@dataclass(frozen=True, slots=True)
class PrincipalSummary:
    principal_arn: str
    events: int
    first_seen: datetime
    last_seen: datetime
    access_key_ids: tuple[str, ...]

    def as_dict(self) -> dict[str, object]:
        return {
            "principal_arn": self.principal_arn,
            "events": self.events,
            "first_seen": iso(self.first_seen),
            "last_seen": iso(self.last_seen),
            "access_key_ids": list(self.access_key_ids),
        }


@dataclass(frozen=True, slots=True)
class ScanResult:
    source: str
    engine: str
    indicators: IndicatorSet
    files_scanned: int
    bytes_scanned: int
    events_scanned: int
    events_in_window: int
    events_matched: int
    first_seen: datetime | None
    last_seen: datetime | None
    malformed_count: int
    malformed_samples: tuple[MalformedSample, ...]
    by_indicator: tuple[IndicatorHits, ...]
    accounts: tuple[AccountSummary, ...]
    source_ips: tuple[Seen, ...]
    principals: tuple[PrincipalSummary, ...]
    histogram: tuple[HourCount, ...]
    pivots: tuple[Pivot, ...]
    skipped_files: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, object]:
        return {
            "source": self.source,
            "engine": self.engine,
            "window": self.indicators.window.as_dict() if self.indicators.window.bounded else None,
            "files_scanned": self.files_scanned,
            "skipped_files": list(self.skipped_files),
            "bytes_scanned": self.bytes_scanned,
            "events_scanned": self.events_scanned,
            "events_in_window": self.events_in_window,
            "events_matched": self.events_matched,
            "first_seen": iso(self.first_seen),
            "last_seen": iso(self.last_seen),
            "malformed_records": {
                "count": self.malformed_count,
                "samples": [s.as_dict() for s in self.malformed_samples],
            },
            "by_indicator": [h.as_dict() for h in self.by_indicator],
            "accounts": [a.as_dict() for a in self.accounts],
            "source_ips": [
                {
                    "ip": s.value,
                    "events": s.events,
                    "first_seen": iso(s.first_seen),
                    "last_seen": iso(s.last_seen),
                }
                for s in self.source_ips
            ],
            "principals": [p.as_dict() for p in self.principals],
            "histogram": [
                {"hour": iso(h.hour), "events": h.events, "matched": h.matched}
                for h in self.histogram
            ],
            "pivots": [p.as_dict() for p in self.pivots],
        }


def _span(rows: Iterable[Seen | PrincipalSeen]) -> tuple[int, datetime | None, datetime | None]:
    events, first, last = 0, None, None
    for row in rows:
        events += row.events
        first = row.first_seen if first is None else min(first, row.first_seen)
        last = row.last_seen if last is None else max(last, row.last_seen)
    return events, first, last


def indicator_hits(indicator: Indicator, found: ScanAggregates) -> IndicatorHits:
    """Hits of one indicator, from the matched events grouped by the field it looks at.

    Each event sits in exactly one group, so summing the groups the indicator matches counts
    each matching event once.
    """
    rows: list[Seen] | list[PrincipalSeen]
    if indicator.type is IndicatorType.PRINCIPAL_ARN:
        rows = [p for p in found.by_principal if indicator.value in (p.principal_arn, p.issuer_arn)]
    else:
        source = {
            IndicatorType.AWS_ACCESS_KEY_ID: found.by_key,
            IndicatorType.IP: found.by_ip,
            IndicatorType.CIDR: found.by_ip,
            IndicatorType.USER_AGENT: found.by_user_agent,
        }[indicator.type]
        rows = [s for s in source if indicator.matches_value(s.value)]
    events, first, last = _span(rows)
    return IndicatorHits(indicator, events, first, last)


def _accounts(found: ScanAggregates) -> tuple[AccountSummary, ...]:
    actions: dict[str | None, list[tuple[str, int]]] = defaultdict(list)
    for action in found.account_actions:
        actions[action.account].append((action.event_name or "(none)", action.events))
    resources: dict[str | None, list[ResourceTouched]] = defaultdict(list)
    for res in found.account_resources:
        resources[res.account].append(ResourceTouched(res.resource, res.events, res.failed_events))
    out = []
    for acc in found.accounts:
        names = sorted(actions[acc.account], key=lambda item: (-item[1], item[0]))
        touched = sorted(resources[acc.account], key=lambda r: (-r.events, r.resource))
        out.append(
            AccountSummary(
                account=acc.account,
                events=acc.events,
                failed_events=acc.failed_events,
                first_seen=acc.first_seen,
                last_seen=acc.last_seen,
                event_names=tuple(names),
                resources=tuple(touched[:MAX_RESOURCES_PER_ACCOUNT]),
                resources_total=found.account_resource_totals.get(acc.account, len(touched)),
            )
        )
    out.sort(key=lambda a: (-a.events, a.account or ""))
    return tuple(out)


def _principals(found: ScanAggregates) -> tuple[PrincipalSummary, ...]:
    grouped: dict[str, list[PrincipalSeen]] = defaultdict(list)
    for row in found.by_principal:
        if row.principal_arn is not None:
            grouped[row.principal_arn].append(row)
    out = []
    for arn, rows in grouped.items():
        events, first, last = _span(rows)
        assert first is not None
        assert last is not None
        keys: dict[str, int] = defaultdict(int)
        for row in rows:
            if row.access_key_id:
                keys[row.access_key_id] += row.events
        ordered = tuple(k for k, _ in sorted(keys.items(), key=lambda kv: (-kv[1], kv[0])))
        out.append(PrincipalSummary(arn, events, first, last, ordered))
    out.sort(key=lambda p: (-p.events, p.principal_arn))
    return tuple(out)


def summarize(plan: ScanPlan, engine: str, found: ScanAggregates) -> ScanResult:
    hours = sorted(found.histogram, key=lambda h: h.hour)
    hits = tuple(indicator_hits(i, found) for i in plan.indicators.indicators)
    ips = sorted(
        (s for s in found.by_ip if s.value is not None),
        key=lambda s: (-s.events, s.value or ""),
    )
    return ScanResult(
        source=plan.source.value,
        engine=engine,
        indicators=plan.indicators,
        files_scanned=found.files_scanned,
        bytes_scanned=found.bytes_scanned,
        events_scanned=found.events_scanned,
        events_in_window=found.events_in_window,
        events_matched=found.events_matched,
        first_seen=found.matched_first,
        last_seen=found.matched_last,
        malformed_count=found.malformed_count,
        malformed_samples=tuple(found.malformed_samples[:MAX_MALFORMED_SAMPLES]),
        by_indicator=hits,
        accounts=_accounts(found),
        source_ips=tuple(ips),
        principals=_principals(found),
        histogram=tuple(hours),
        pivots=tuple(derive_pivots(found.pivot_candidates, plan.indicators)),
        skipped_files=plan.skipped_files,
    )
