"""The scan as Ibis expressions: the same on every engine.

One pass over the logs. Every row is grouped by (hour, in window, matched, file when malformed)
and, only when it matched, by all its event columns too; unmatched rows carry NULLs there and
collapse into one group per hour. So a single aggregation yields the hourly histogram, the
malformed count per file and the matched events themselves, and the hash table holds only the
matched events: memory stays bounded however large the logs.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
from ibis import _

from candor.adapters.logs.normalize import Events
from candor.adapters.logs.schema import EVENT
from candor.domain.scoping.indicators import IndicatorSet, IndicatorType, Match, TimeWindow

# carried into the matched table (everything but the bookkeeping columns)
MATCHED_COLUMNS = [c for c in EVENT if c != "bad"]
FLAGS = ("by_key", "by_ip", "by_user_agent", "by_principal")
MATCHED_SCHEMA = ibis.schema(
    {**{c: EVENT[c] for c in MATCHED_COLUMNS}, **dict.fromkeys(FLAGS, dt.boolean), "n": dt.int64}
)
MATCHED_TABLE = "candor_matched"


def _any(conditions: Sequence[ir.BooleanValue]) -> ir.BooleanValue:
    if not conditions:
        return ibis.literal(False)
    out = conditions[0]
    for condition in conditions[1:]:
        out = out | condition
    return out


IPV4 = r"^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$"


def ipv4_prefixes(network: ipaddress.IPv4Network) -> tuple[list[str], list[str]]:
    """Exact addresses and text prefixes that together cover ``network``.

    Dotted-decimal text of an address in an octet-aligned range starts with the range's
    leading octets (``198.51.100.0/24`` → ``198.51.100.``), and ``starts_with`` is far cheaper
    per row than parsing every source IP into a number. Unaligned ranges split into at most
    128 aligned ones (a /25 into 128 single addresses). ``0.0.0.0/0`` has no prefix: it is
    returned as the empty prefix, which the caller turns into "any IPv4 address".
    """
    aligned = -(-network.prefixlen // 8) * 8
    exact: list[str] = []
    prefixes: list[str] = []
    for subnet in network.subnets(new_prefix=aligned):
        if aligned == 32:
            exact.append(str(subnet.network_address))
        else:
            octets = str(subnet.network_address).split(".")[: aligned // 8]
            prefixes.append("".join(f"{octet}." for octet in octets))
    return exact, prefixes


def match_flags(ev: Events, indicators: IndicatorSet) -> dict[str, ir.BooleanValue]:
    c = ev.columns
    keys = list(indicators.values(IndicatorType.AWS_ACCESS_KEY_ID))
    arns = list(indicators.values(IndicatorType.PRINCIPAL_ARN))
    exact_ips: list[str] = []
    prefixes: list[str] = []
    for indicator in indicators.of(IndicatorType.IP):
        exact_ips.append(indicator.value)
        if indicator.raw:
            exact_ips.append(indicator.raw)
    for indicator in indicators.of(IndicatorType.CIDR):
        network = indicator.network
        if isinstance(network, ipaddress.IPv4Network):
            more, starts = ipv4_prefixes(network)
            exact_ips.extend(more)
            prefixes.extend(starts)
    ip_conditions: list[ir.BooleanValue] = []
    if exact_ips:
        ip_conditions.append(c["source_ip"].isin(sorted(set(exact_ips))))
    ip_conditions.extend(
        c["source_ip"].startswith(p) if p else c["source_ip"].re_search(IPV4)
        for p in sorted(set(prefixes))
    )
    agents: list[ir.BooleanValue] = []
    for indicator in indicators.of(IndicatorType.USER_AGENT):
        if indicator.match is Match.SUBSTRING:
            agents.append(c["user_agent"].lower().contains(indicator.value.lower()))
        else:
            agents.append(c["user_agent"] == indicator.value)
    return {
        "by_key": c["access_key_id"].isin(keys) if keys else ibis.literal(False),
        "by_ip": _any(ip_conditions),
        "by_user_agent": _any(agents),
        "by_principal": (c["principal_arn"].isin(arns) | c["issuer_arn"].isin(arns))
        if arns
        else ibis.literal(False),
    }


def in_window(time: ir.TimestampValue, window: TimeWindow) -> ir.BooleanValue:
    condition: ir.BooleanValue = time.notnull()
    if window.start is not None:
        condition = condition & (time >= ibis.literal(window.start, EVENT["event_time"]))
    if window.end is not None:
        condition = condition & (time < ibis.literal(window.end, EVENT["event_time"]))
    return condition


def scan(ev: Events, indicators: IndicatorSet) -> ir.Table:
    """The one-pass aggregation described in the module docstring."""
    c = ev.columns
    flags = {name: flag.fill_null(False) for name, flag in match_flags(ev, indicators).items()}
    bad = c["bad"].fill_null(False)
    window = in_window(c["event_time"], indicators.window) & ~bad
    # the predicates once per row in an inner projection, referenced below: written inline in
    # every CASE they would be planned (and on some engines evaluated) twenty times over
    marked = ev.table.mutate(
        _bad=bad,
        _in_window=window,
        _matched=window & _any(list(flags.values())),
        **{f"_{name}": flag for name, flag in flags.items()},
    )
    # from here on only matched rows need their other columns: a lazily read source parses
    # the rest of each record for those alone
    ev = ev.narrowed(marked, marked._matched)
    t, c = ev.table, ev.columns
    matched = t._matched

    def when_matched(value: ir.Value) -> ir.Value:
        return ibis.ifelse(matched, value, ibis.null(value.type()))

    keyed = t.select(
        hour=ibis.ifelse(t._bad, ibis.null(EVENT["event_time"]), c["event_time"].truncate("h")),
        in_window=t._in_window,
        matched=matched,
        bad_file=ibis.ifelse(t._bad, c["file"], ibis.null(dt.string)),
        **{name: when_matched(c[name].cast(EVENT[name])) for name in MATCHED_COLUMNS},
        **{name: when_matched(t[f"_{name}"]) for name in flags},
    )
    return keyed.group_by(list(keyed.columns)).aggregate(n=_.count())


def counts(scanned: ir.Table) -> ir.Table:
    """Per hour and per malformed file: events, in window, matched (a small table)."""
    return scanned.group_by(["hour", "bad_file"]).aggregate(
        events=scanned.n.sum(),
        in_window=scanned.n.sum(where=scanned.in_window),
        matched=scanned.n.sum(where=scanned.matched),
    )


def matched_rows(scanned: ir.Table) -> ir.Table:
    rows = scanned.filter(scanned.matched)
    return rows.select(**{name: rows[name].cast(dtype) for name, dtype in MATCHED_SCHEMA.items()})
