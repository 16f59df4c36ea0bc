"""``candor scope …``: blast radius from logs. Needs no workspace or database."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
import yaml
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from candor.adapters.logs import ENGINES, files, load_indicators, load_mapping, make_engine
from candor.cli.common import console, err, print_json
from candor.domain.errors import InvalidInput, Problem
from candor.domain.scoping.plan import SourceKind
from candor.domain.scoping.results import ScanResult, iso
from candor.services import scoping

app = typer.Typer(no_args_is_help=True)

CSV_COLUMNS = (
    "event_time",
    "event_name",
    "event_source",
    "event_id",
    "account",
    "source_ip",
    "user_agent",
    "access_key_id",
    "principal_arn",
    "issuer_arn",
    "error_code",
    "resources",
    "matched_by",
    "count",
    "file",
)
_FLAGS = {
    "by_key": "aws_access_key_id",
    "by_ip": "ip",
    "by_user_agent": "user_agent",
    "by_principal": "principal_arn",
}


@contextmanager
def _progress(enabled: bool) -> Iterator[Any]:
    """A byte progress bar on stderr for interactive runs; silent otherwise."""
    if not enabled or not err.is_terminal:
        yield None
        return
    with Progress(
        TextColumn("scanning"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task("scan", total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


@app.command("run")
def run(
    paths: list[str] = typer.Argument(..., metavar="PATH...", help="Log files or directories."),
    source: SourceKind = typer.Option(
        ...,
        "--source",
        case_sensitive=False,
        help="What the logs are: cloudtrail (AWS CloudTrail JSON), web (Apache or nginx access "
        "logs), or jsonl, csv, parquet with a --mapping of their fields.",
    ),
    iocs: Path = typer.Option(
        ...,
        "--iocs",
        metavar="IOCS.yaml",
        help="The indicators to look for: access key ids, addresses, user agents … "
        "(docs/scoping.md); --out-iocs writes the next one.",
    ),
    engine_name: str = typer.Option(
        "duckdb", "--engine", metavar="ENGINE", help="duckdb (default), spark, or ibis:<url>."
    ),
    mapping: Path | None = typer.Option(
        None, "--mapping", metavar="MAP.yaml", help="Field mapping for jsonl, csv, parquet."
    ),
    strict: bool = typer.Option(False, "--strict", help="Fail on the first malformed record."),
    json_: bool = typer.Option(False, "--json", help="Print JSON with stable field names."),
    out_csv: Path | None = typer.Option(
        None, "--out-csv", metavar="FILE", help="Write the matched events as CSV."
    ),
    out_json: Path | None = typer.Option(
        None, "--out-json", metavar="FILE", help="Write the JSON result to a file."
    ),
    out_iocs: Path | None = typer.Option(
        None,
        "--out-iocs",
        metavar="FILE",
        help="Write the indicators plus the pivots found, ready for the next run.",
    ),
    incident: str | None = typer.Option(
        None,
        "--incident",
        metavar="INC-…",
        help="Attach the result to this incident (needs the workspace).",
    ),
    label: str = typer.Option("", "--label", help="The attached scan's label."),
) -> None:
    """Scan logs for indicators: who, from where, which accounts and resources, when."""
    if engine_name not in ENGINES[:2] and not engine_name.startswith("ibis:"):
        raise InvalidInput(
            Problem(
                f"unknown engine {engine_name!r}",
                field="--engine",
                hint="one of " + ", ".join(ENGINES),
            )
        )
    indicators = load_indicators(iocs)
    field_mapping = load_mapping(mapping) if mapping is not None else None
    found, skipped = files.discover(source, paths)
    plan = scoping.plan(
        source=source,
        files=found,
        indicators=indicators,
        mapping=field_mapping,
        strict=strict,
        skipped=skipped,
    )
    engine = make_engine(engine_name)
    try:
        with _progress(not json_) as progress:
            result = scoping.run(engine, plan, progress)
        if out_csv is not None:
            _write_csv(out_csv, engine.matched_events())
    finally:
        engine.close()
    data = result.as_dict()
    if out_json is not None:
        out_json.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", "utf-8")
    if out_iocs is not None:
        _write_iocs(out_iocs, result)
    if json_:
        print_json(data)
    else:
        _show(result)
    if incident is not None:
        from candor.cli.inventory import attach_result

        attach_result(incident, data, label=label or f"{source.value} scan of {', '.join(paths)}")


def _write_csv(path: Path, chunks: Iterator[list[dict[str, Any]]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        for rows in chunks:
            for row in rows:
                writer.writerow(
                    [
                        iso(row["event_time"]),
                        *(row[c] for c in CSV_COLUMNS[1:11]),
                        " ".join(row["resources"] or []),
                        ",".join(name for flag, name in _FLAGS.items() if row[flag]),
                        row["n"],
                        row["file"],
                    ]
                )


def _write_iocs(path: Path, result: ScanResult) -> None:
    merged = result.indicators.with_added(p.indicator() for p in result.pivots)
    header = (
        "# Indicators for the next run: the original ones, then the pivots found by\n"
        f"# candor scope run ({len(result.pivots)} new). Review each pivot before re-running.\n"
    )
    body = yaml.safe_dump(merged.as_dict(), sort_keys=False, allow_unicode=True, width=100)
    path.write_text(header + body, encoding="utf-8")


def _show(result: ScanResult) -> None:
    mb = result.bytes_scanned / 1e6
    console.print(
        f"Scanned {result.events_scanned:,} {result.source} events in {result.files_scanned:,} "
        f"file(s) ({mb:,.1f} MB) with {result.engine}; {result.events_matched:,} matched."
    )
    if result.indicators.window.bounded:
        window = result.indicators.window.as_dict()
        console.print(
            f"Window {window['start'] or '…'} → {window['end'] or '…'}: "
            f"{result.events_in_window:,} events inside."
        )
    if result.first_seen:
        console.print(f"First matched {iso(result.first_seen)}, last {iso(result.last_seen)}.")
    if result.malformed_count:
        console.print(f"Malformed: {result.malformed_count:,} record(s) or file(s) skipped:")
        for sample in result.malformed_samples:
            where = sample.file + (f":{sample.line}" if sample.line else "")
            if sample.record_index is not None:
                where += f" record {sample.record_index}"
            console.print(f"  {where}: {sample.error}", markup=False)
    table = Table("indicator", "hits", "first seen", "last seen", title="By indicator")
    for hit in result.by_indicator:
        table.add_row(
            f"{hit.indicator.type.value} {hit.indicator.value}",
            f"{hit.hits:,}",
            iso(hit.first_seen) or "—",
            iso(hit.last_seen) or "—",
        )
    console.print(table)
    for acc in result.accounts:
        failed = f", {acc.failed_events:,} failed" if acc.failed_events else ""
        console.print(
            f"Account {acc.account or '(none)'}: {acc.events:,} events{failed}, "
            f"{iso(acc.first_seen)} → {iso(acc.last_seen)}; {acc.resources_total:,} resources",
            markup=False,
        )
        top = ", ".join(f"{name} {n:,}" for name, n in acc.event_names[:6])
        console.print(f"  actions: {top}", markup=False)
        for res in acc.resources[:5]:
            console.print(f"  {res.events:>8,}  {res.resource}", markup=False)
    if result.pivots:
        console.print("Pivots (add to the indicators file and run again, or use --out-iocs):")
        for pivot in result.pivots:
            line = json.dumps({"type": pivot.type.value, "value": pivot.value})
            console.print(f"  - {line}   # {pivot.detail}", markup=False, highlight=False)
    sys.stdout.flush()
