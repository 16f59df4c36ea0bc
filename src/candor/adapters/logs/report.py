"""Grouped figures over the matched events, as Ibis expressions, and their conversion into the
domain's ``ScanAggregates``. The matched table is small next to the logs, and each figure here
is one aggregation over it, run by whichever engine holds it.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from candor.domain.scoping.indicators import IndicatorSet, IndicatorType
from candor.domain.scoping.pivots import PivotCandidate, PivotKind
from candor.domain.scoping.results import (
    MAX_RESOURCES_PER_ACCOUNT,
    AccountAction,
    AccountResource,
    AccountSeen,
    PrincipalSeen,
    ScanAggregates,
    Seen,
)


def _seen(table: ir.Table, *keys: str, where: ir.BooleanValue | None = None) -> ir.Table:
    if where is not None:
        table = table.filter(where)
    return table.group_by(list(keys)).aggregate(
        events=table.n.sum(),
        first_seen=table.event_time.min(),
        last_seen=table.event_time.max(),
    )


def _pivots(m: ir.Table) -> ir.Table:
    """Every pivot candidate in one aggregation: each matched event offers up to five
    (kind, value, via) triples, unnested and grouped once (one shuffle on Spark, not five)."""

    def offer(kind: PivotKind, value: ir.Value, via: ir.Value, when: ir.Value) -> ir.Value:
        return ibis.struct(
            {
                "kind": ibis.literal(kind.value),
                "value": ibis.ifelse(when, value, ibis.null(dt.string)),
                "via": via,
            }
        )

    who = ibis.coalesce(m.principal_arn, m.access_key_id, m.source_ip)
    ok = m.error_code.isnull()
    offers = ibis.array(
        [
            offer(
                PivotKind.CREATED_ACCESS_KEY, m.created_key, who, m.event_name == "CreateAccessKey"
            ),
            offer(PivotKind.ASSUMED_ROLE, m.assumed_role_arn, who, ok),
            offer(
                PivotKind.ASSUMED_ROLE_KEY,
                m.issued_key,
                m.assumed_role_arn,
                ok & m.assumed_role_arn.notnull(),
            ),
            offer(PivotKind.KEY_FROM_INDICATOR_IP, m.access_key_id, m.source_ip, m.by_ip),
            offer(
                PivotKind.IP_OF_INDICATOR_KEY,
                m.source_ip,
                ibis.coalesce(m.access_key_id, m.principal_arn),
                m.by_key | m.by_principal,
            ),
        ]
    )
    rows = m.select("n", "event_time", offer=offers).unnest("offer")
    rows = rows.select(
        "n", "event_time", kind=rows.offer.kind, value=rows.offer.value, via=rows.offer.via
    )
    rows = rows.filter(rows.value.notnull())
    return rows.group_by(["kind", "value"]).aggregate(
        events=rows.n.sum(),
        first_seen=rows.event_time.min(),
        last_seen=rows.event_time.max(),
        via=rows.via.min(),
    )


def expressions(m: ir.Table, indicators: IndicatorSet) -> dict[str, ir.Table]:
    """Every figure, keyed by name; each is one query. Totals and per-key counts are sums of
    these (``fill``), so they cost no query of their own: on Spark each query is a job."""
    failed = m.error_code.notnull()
    out = {
        "by_ip": _seen(m, "source_ip"),
        "by_principal": _seen(m, "principal_arn", "issuer_arn", "access_key_id"),
        "accounts": m.group_by("account").aggregate(
            events=m.n.sum(),
            failed_events=m.n.sum(where=failed).fill_null(0),
            first_seen=m.event_time.min(),
            last_seen=m.event_time.max(),
        ),
        "account_actions": m.group_by(["account", "event_name"]).aggregate(events=m.n.sum()),
        "pivots": _pivots(m),
    }
    if indicators.of(IndicatorType.USER_AGENT):
        out["by_user_agent"] = _seen(m, "user_agent")
    touched = m.filter(m.resources.length() > 0).unnest("resources")
    per_resource = touched.group_by(["account", "resources"]).aggregate(
        events=touched.n.sum(),
        failed_events=touched.n.sum(where=touched.error_code.notnull()).fill_null(0),
    )
    rank = ibis.row_number().over(
        group_by=per_resource.account,
        order_by=[per_resource.events.desc(), per_resource.resources],
    )
    total = per_resource.count().over(group_by=per_resource.account)
    out["account_resources"] = per_resource.mutate(rank=rank, total=total).filter(
        lambda t: t.rank < MAX_RESOURCES_PER_ACCOUNT
    )
    return out


def _utc(value: datetime | None) -> datetime:
    assert value is not None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


Rows = list[dict[str, Any]]


def fill(found: ScanAggregates, results: dict[str, Rows]) -> None:
    """Copy executed figures into ``found``."""

    def seen(name: str, key: str) -> list[Seen]:
        return [
            Seen(r[key], int(r["events"]), _utc(r["first_seen"]), _utc(r["last_seen"]))
            for r in results[name]
        ]

    found.by_ip = seen("by_ip", "source_ip")
    if "by_user_agent" in results:
        found.by_user_agent = seen("by_user_agent", "user_agent")
    found.by_principal = [
        PrincipalSeen(
            r["principal_arn"],
            r["issuer_arn"],
            r["access_key_id"],
            int(r["events"]),
            _utc(r["first_seen"]),
            _utc(r["last_seen"]),
        )
        for r in results["by_principal"]
    ]
    keys: dict[str, list[PrincipalSeen]] = {}
    for row in found.by_principal:
        if row.access_key_id is not None:
            keys.setdefault(row.access_key_id, []).append(row)
    found.by_key = [
        Seen(
            key,
            sum(r.events for r in rows),
            min(r.first_seen for r in rows),
            max(r.last_seen for r in rows),
        )
        for key, rows in keys.items()
    ]
    found.accounts = [
        AccountSeen(
            r["account"],
            int(r["events"]),
            int(r["failed_events"]),
            _utc(r["first_seen"]),
            _utc(r["last_seen"]),
        )
        for r in results["accounts"]
    ]
    found.account_actions = [
        AccountAction(r["account"], r["event_name"], int(r["events"]))
        for r in results["account_actions"]
    ]
    found.account_resources = [
        AccountResource(r["account"], r["resources"], int(r["events"]), int(r["failed_events"]))
        for r in results["account_resources"]
    ]
    found.account_resource_totals = {
        r["account"]: int(r["total"]) for r in results["account_resources"]
    }
    found.events_matched = sum(a.events for a in found.accounts)
    if found.accounts:
        found.matched_first = min(a.first_seen for a in found.accounts)
        found.matched_last = max(a.last_seen for a in found.accounts)
    found.pivot_candidates = [
        PivotCandidate(
            PivotKind(r["kind"]),
            r["value"],
            int(r["events"]),
            _utc(r["first_seen"]),
            _utc(r["last_seen"]),
            r["via"],
        )
        for r in results["pivots"]
    ]


Runner = Callable[[ir.Table], Rows]


def collect(
    m: ir.Table,
    indicators: IndicatorSet,
    run: Runner,
    found: ScanAggregates,
    *,
    parallel: int = 1,
) -> None:
    figures = expressions(m, indicators)
    if parallel <= 1:
        fill(found, {name: run(expr) for name, expr in figures.items()})
        return
    with ThreadPoolExecutor(parallel) as pool:
        done = dict(zip(figures, pool.map(run, figures.values()), strict=True))
    fill(found, done)
