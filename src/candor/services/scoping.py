"""Use case: scope an incident from logs.

``plan`` validates the responder's input (indicators, mapping) into a ``ScanPlan``; ``run``
scans with a ``LogEngine`` and summarises. Reading files is the adapters' job: the caller
passes documents already loaded (with their locations, so problems name file and line).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from candor.domain.errors import InvalidInput, Problem
from candor.domain.scoping.indicators import IndicatorSet
from candor.domain.scoping.mapping import FieldMapping
from candor.domain.scoping.plan import ScanPlan, SourceFile, SourceKind
from candor.domain.scoping.results import ScanResult, summarize
from candor.services.ports import LogEngine


def plan(
    *,
    source: SourceKind,
    files: Sequence[SourceFile],
    indicators: IndicatorSet,
    mapping: FieldMapping | None = None,
    strict: bool = False,
    skipped: Sequence[str] = (),
) -> ScanPlan:
    if source.needs_mapping and mapping is None:
        raise InvalidInput(
            Problem(
                f"{source.value} logs need a field mapping",
                field="--mapping",
                hint="name the time, actor and source IP fields: see docs/scoping.md",
            )
        )
    if not source.needs_mapping and mapping is not None:
        raise InvalidInput(
            Problem(
                f"{source.value} logs have a known layout; --mapping is for jsonl, csv, parquet",
                field="--mapping",
            )
        )
    return ScanPlan(
        source=source,
        files=tuple(files),
        indicators=indicators,
        mapping=mapping,
        strict=strict,
        skipped_files=tuple(skipped),
    )


def run(
    engine: LogEngine, scan_plan: ScanPlan, progress: Callable[[int, int], None] | None = None
) -> ScanResult:
    why = engine.unsupported(scan_plan)
    if why is not None:
        raise InvalidInput(
            Problem(f"the {engine.name} engine {why}", field="--engine", hint="try --engine duckdb")
        )
    found = engine.scan(scan_plan, progress)
    return summarize(scan_plan, engine.name, found)
