"""A log scan's result attached to an incident: what is kept, what goes on the timeline, and the
matched summary as rows for CSV.

The stored summary is the stable JSON of ``candor scope run --json`` (``ScanResult.as_dict``)
without the per-hour histogram. Access key ids are kept only as SHA-256 hashes next to it
(``key_hashes``) so they can be compared with customers' credentials in the inventory.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from candor.domain.errors import InvalidInput, Problem

REQUIRED = ("source", "events_scanned", "events_matched", "by_indicator", "accounts")
KEPT = (
    "source",
    "engine",
    "window",
    "files_scanned",
    "events_scanned",
    "events_in_window",
    "events_matched",
    "first_seen",
    "last_seen",
    "malformed_records",
    "by_indicator",
    "accounts",
    "source_ips",
    "principals",
    "pivots",
)
CSV_HEADER = ("section", "value", "events", "first_seen", "last_seen", "detail")


@dataclass(frozen=True, slots=True)
class AttachedScan:
    number: int
    label: str
    by: str
    at: datetime
    summary: Mapping[str, Any]
    key_hashes: frozenset[str]

    @property
    def malformed(self) -> int:
        raw = self.summary.get("malformed_records") or {}
        return int(raw.get("count", 0)) if isinstance(raw, Mapping) else 0


def check(data: Any, *, file: str) -> dict[str, Any]:
    """The kept part of a scan result, or ``InvalidInput`` naming what is missing."""
    if not isinstance(data, Mapping):
        raise InvalidInput(Problem("not a scan result: expected a JSON object", file=file))
    problems = [
        Problem(
            f"missing {key!r}: is this the output of candor scope run --json?", file=file, field=key
        )
        for key in REQUIRED
        if key not in data
    ]
    for key in ("events_scanned", "events_matched"):
        if key in data and (isinstance(data[key], bool) or not isinstance(data[key], int)):
            problems.append(Problem("must be a whole number", file=file, field=key))
    for key in ("by_indicator", "accounts", "source_ips", "principals", "pivots"):
        if key in data and not isinstance(data[key], list):
            problems.append(Problem("must be a list", file=file, field=key))
        elif key in data:
            problems += _item_problems(data[key], key=key, file=file)
    if problems:
        raise InvalidInput(problems)
    return {key: data[key] for key in KEPT if key in data}


COUNTS = ("hits", "events", "failed_events")


def _whole(value: Any) -> bool:
    return value is None or (isinstance(value, int) and not isinstance(value, bool))


def _item_problems(items: list[Any], *, key: str, file: str) -> list[Problem]:
    """Each entry an object whose counts are whole numbers (what the summary and its CSV read)."""
    problems = []
    for index, item in enumerate(items):
        field = f"{key}[{index}]"
        if not isinstance(item, Mapping):
            problems.append(Problem("must be an object", file=file, field=field))
            continue
        problems += [
            Problem("must be a whole number", file=file, field=f"{field}.{name}")
            for name in COUNTS
            if not _whole(item.get(name))
        ]
        keys = item.get("access_key_ids")
        if keys is not None and not isinstance(keys, list):
            problems.append(Problem("must be a list", file=file, field=f"{field}.access_key_ids"))
    return problems


def key_ids(summary: Mapping[str, Any]) -> set[str]:
    """Access key ids the scan matched: matched key indicators and the principals' keys."""
    out: set[str] = set()
    for hit in summary.get("by_indicator") or ():
        if hit.get("type") == "aws_access_key_id" and int(hit.get("hits") or 0) > 0:
            out.add(str(hit.get("value")))
    for principal in summary.get("principals") or ():
        out.update(str(k) for k in principal.get("access_key_ids") or () if k)
    return out


def hashes(summary: Mapping[str, Any]) -> frozenset[str]:
    return frozenset(hashlib.sha256(k.encode()).hexdigest() for k in key_ids(summary))


def key_facts(summary: Mapping[str, Any]) -> list[str]:
    """Findings to add for review: first attacker activity and the accounts touched."""
    out = []
    matched = int(summary.get("events_matched") or 0)
    if summary.get("first_seen"):
        out.append(
            f"First matched activity at {summary['first_seen']} (last {summary.get('last_seen')}); "
            f"{matched:,} of {int(summary.get('events_scanned') or 0):,} events matched."
        )
    accounts = [a for a in summary.get("accounts") or () if a.get("account")]
    if accounts:
        listed = ", ".join(
            f"{a['account']} ({int(a.get('events') or 0):,} events)" for a in accounts[:20]
        )
        more = f" and {len(accounts) - 20} more" if len(accounts) > 20 else ""
        out.append(f"Accounts touched: {listed}{more}.")
    return out


def rows(summary: Mapping[str, Any]) -> list[tuple[str, str, int, str, str, str]]:
    """The matched summary as flat rows: indicators, accounts, source ips, principals, pivots."""
    out: list[tuple[str, str, int, str, str, str]] = []
    for hit in summary.get("by_indicator") or ():
        out.append(
            (
                "indicator",
                f"{hit.get('type')} {hit.get('value')}",
                int(hit.get("hits") or 0),
                hit.get("first_seen") or "",
                hit.get("last_seen") or "",
                hit.get("label") or "",
            )
        )
    for acc in summary.get("accounts") or ():
        out.append(
            (
                "account",
                str(acc.get("account") or ""),
                int(acc.get("events") or 0),
                acc.get("first_seen") or "",
                acc.get("last_seen") or "",
                f"{int(acc.get('failed_events') or 0)} failed",
            )
        )
    for ip in summary.get("source_ips") or ():
        out.append(
            (
                "source_ip",
                str(ip.get("ip") or ""),
                int(ip.get("events") or 0),
                ip.get("first_seen") or "",
                ip.get("last_seen") or "",
                "",
            )
        )
    for p in summary.get("principals") or ():
        out.append(
            (
                "principal",
                str(p.get("principal_arn") or ""),
                int(p.get("events") or 0),
                p.get("first_seen") or "",
                p.get("last_seen") or "",
                " ".join(p.get("access_key_ids") or ()),
            )
        )
    for pivot in summary.get("pivots") or ():
        out.append(
            (
                "pivot",
                f"{pivot.get('type')} {pivot.get('value')}",
                int(pivot.get("events") or 0),
                pivot.get("first_seen") or "",
                pivot.get("last_seen") or "",
                str(pivot.get("reason") or ""),
            )
        )
    return out


# lists of the summary that name addresses, accounts, principals and user agents: personal data
PERSONAL = ("by_indicator", "accounts", "source_ips", "principals", "pivots")


def scrubbed(scan: AttachedScan, marker: str) -> AttachedScan:
    """The scan as retention leaves it: what was scanned, when, and how much matched, but no
    indicator value, account, address, principal, user agent or access key id.
    Each removed list is kept as its length under ``removed``."""
    summary = {k: v for k, v in scan.summary.items() if k not in PERSONAL}
    summary["removed"] = {
        key: len(scan.summary.get(key) or ()) for key in PERSONAL if key in scan.summary
    }
    summary["retention"] = marker
    for key in PERSONAL:
        if key in scan.summary:
            summary[key] = []
    malformed = scan.summary.get("malformed_records")
    if isinstance(malformed, Mapping):  # its samples are raw log lines
        summary["malformed_records"] = {"count": int(malformed.get("count", 0))}
    # the key hashes stay: they name customers' credentials in the inventory, not a person, and
    # are the proof of which customers the scan narrowed the notice to
    return AttachedScan(
        scan.number, f"Scan {scan.number}", scan.by, scan.at, summary, scan.key_hashes
    )


def personal(scan: AttachedScan) -> bool:
    """Whether retention has anything left to remove from the scan."""
    return "retention" not in scan.summary
