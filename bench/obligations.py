"""Benchmark: evaluate an incident affecting all 54 US state-level jurisdictions and 30
countries against every built-in obligation rule.

Target: median evaluation under 20 ms. The peer, measured in the same run, is the naive way of
doing the same thing: reading and validating every rule file again for each evaluation (what a
tool without a loaded rule set does on each call).

    uv run python bench/obligations.py [--runs 200] [--peer-runs 10] [--no-append]

Prints the figures and appends them to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from candor.adapters import calendars  # noqa: E402 - after the path is set, for a bare checkout
from candor.adapters import rules as rule_files  # noqa: E402
from candor.domain.obligations import jurisdictions  # noqa: E402
from candor.domain.obligations.engine import evaluate  # noqa: E402
from candor.domain.obligations.facts import parse_facts  # noqa: E402

COUNTRIES = [
    # 20 EU/EEA member states
    "DE",
    "FR",
    "IE",
    "IT",
    "ES",
    "NL",
    "BE",
    "AT",
    "PL",
    "SE",
    "DK",
    "FI",
    "PT",
    "GR",
    "CZ",
    "HU",
    "RO",
    "NO",
    "LU",
    "SI",
    # 10 others with rules in Candor
    "GB",
    "BR",
    "SG",
    "JP",
    "KR",
    "AU",
    "CA",
    "CN",
    "CH",
    "ZA",
]


def facts_document() -> dict[str, object]:
    affected: dict[str, int] = {}
    for index, code in enumerate(jurisdictions.US_STATE_LEVEL):
        affected[code] = 200 + 137 * index  # from 200 to ~7,500: crosses most thresholds
    for index, code in enumerate(COUNTRIES):
        affected[code] = 50 + 311 * index
    return {
        "organization": {
            "name": "Benchmark SaaS Inc.",
            "roles": ["controller", "processor"],
            "sectors": ["sec_registrant", "nis2_important"],
            "establishments": ["US-DE", "IE", "GB"],
            "eu_main_establishment": "IE",
        },
        "incident": {
            "discovered_at": "2026-11-20T21:30:00Z",
            "aware_at": "2026-11-21T09:00:00Z",
            "materiality_determined_at": "2026-11-23T16:00:00Z",
            "data_elements": [
                "name",
                "ssn",
                "email_address",
                "account_credentials",
                "payment_card",
                "date_of_birth",
            ],
            "risk_of_harm": "likely",
            "affected": affected,
            "determinations": {"significant_incident": True},
            "notified": {"US-CA/individuals": "2026-12-01T15:00:00Z"},
        },
    }


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))
    return ordered[index]


def measure(runs: int, once: object) -> list[float]:
    assert callable(once)
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        once()
        timings.append((time.perf_counter() - start) * 1000)
    return timings


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "unknown RAM"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB RAM"
                break
    except OSError:
        pass
    return f"{os.cpu_count()} CPUs (nproc), {cpu}, {ram}, Python {platform.python_version()}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--peer-runs", type=int, default=10)
    parser.add_argument("--no-append", action="store_true", help="do not write RESULTS.md")
    args = parser.parse_args()

    document = facts_document()
    started = time.perf_counter()
    rules = rule_files.builtin()
    load_ms = (time.perf_counter() - started) * 1000
    provider = calendars.HolidayCalendars()
    facts = parse_facts(document)
    now = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
    first = evaluate(facts, rules, calendars=provider, now=now)  # warm the holiday tables

    def ours() -> None:
        evaluate(parse_facts(document), rules, calendars=provider, now=now)

    paths = rule_files.rule_files(rule_files.builtin_dir())

    def peer() -> None:
        fresh = rule_files.load(paths)
        evaluate(parse_facts(document), fresh, calendars=provider, now=now)

    engine = measure(args.runs, ours)
    naive = measure(args.peer_runs, peer)
    places = len(jurisdictions.US_STATE_LEVEL) + len(COUNTRIES)
    lines = [
        f"incident: {places} places affected ({len(jurisdictions.US_STATE_LEVEL)} US "
        f"state-level jurisdictions, {len(COUNTRIES)} countries), "
        f"{sum(facts.incident.affected.values()):,} people; {len(rules)} rules "
        f"({len(rules.all())} versions) -> {len(first.obligations)} obligations, "
        f"{len(first.duties)} duties, {len(first.not_triggered)} not triggered",
        f"Candor (rules loaded once, {load_ms:.0f} ms): median "
        f"{statistics.median(engine):.2f} ms, p95 {percentile(engine, 0.95):.2f} ms, "
        f"min {min(engine):.2f} ms over {args.runs} runs "
        f"(target: median < 20 ms: {'met' if statistics.median(engine) < 20 else 'MISSED'})",
        f"peer, naive (re-read and validate all rule files per evaluation): median "
        f"{statistics.median(naive):.1f} ms, p95 {percentile(naive, 0.95):.1f} ms over "
        f"{args.peer_runs} runs ({statistics.median(naive) / statistics.median(engine):.0f}x "
        "slower)",
    ]
    for line in lines:
        print(line)
    if not args.no_append:
        results = ROOT / "bench" / "RESULTS.md"
        if not results.exists():
            results.write_text(
                "# Benchmark results\n\nEach section: what ran, on which machine, the figures "
                "and the peer's. Newest last.\n"
            )
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        with results.open("a") as out:
            out.write(
                f"\n## Obligations engine — {stamp}\n\n"
                f"- machine: {machine()}\n"
                f"- command: `uv run python bench/obligations.py --runs {args.runs} "
                f"--peer-runs {args.peer_runs}`\n" + "".join(f"- {line}\n" for line in lines)
            )
        print(f"appended to {results.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
