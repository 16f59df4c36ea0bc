"""What every log engine shares: capabilities, the scan loop, malformed-file isolation.

An engine supplies three things: raw tables over files (``read``), a way to run an Ibis
expression (``execute``) and a way to keep an intermediate result (``materialize``, ``append``).
The scan itself (``IbisEngine.scan``) is the same for all: batches of files → one aggregation
each (``query.scan``) → the matched events kept in the engine → figures over them
(``report``). A file the engine cannot read (truncated gzip, broken JSON document) is taken out
of its batch, reported as malformed, and the batch runs again without it.
"""

from __future__ import annotations

import itertools
import threading
from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from candor.adapters.logs import normalize, query, report, samples
from candor.domain.errors import MalformedLogs, Problem
from candor.domain.scoping.plan import Layout, ScanPlan, SourceFile, SourceKind
from candor.domain.scoping.results import HourCount, ScanAggregates

Progress = Callable[[int, int], None]  # (bytes done, bytes total)


@dataclass(frozen=True)
class Capabilities:
    """What an engine can do; the service checks before it starts a scan."""

    sources: frozenset[SourceKind]
    layouts: frozenset[Layout]
    batches: bool  # streams files in bounded batches (progress and memory per batch)
    distributed: bool  # can run on a cluster
    regex_groups: bool = False  # one regular-expression match yields every group (a struct)

    def supports(self, plan: ScanPlan) -> str | None:
        """Why this engine cannot run ``plan``, or None."""
        if plan.source not in self.sources:
            return f"cannot read {plan.source.value} logs"
        layouts = {f.layout for f in plan.files} - self.layouts
        if layouts:
            return "cannot read files laid out as " + ", ".join(sorted(layouts))
        return None


@dataclass
class _Tally:
    hours: dict[datetime, list[int]]
    bad_files: dict[str, int]
    file_errors: dict[str, str]


class IbisEngine(ABC):
    name: str
    capabilities: Capabilities
    parallel_queries = 1  # figures over the matched events run this many at a time

    def __init__(self) -> None:
        self._matched: ir.Table | None = None
        # within a batch, engines that can tell how far a query got report the fraction here
        self._batch_progress: Callable[[float], None] | None = None

    # -- what each engine provides -----------------------------------------------------------

    @abstractmethod
    def read(
        self, plan: ScanPlan, layout: Layout, gzip: bool, files: Sequence[SourceFile]
    ) -> ir.Table:
        """A raw table over ``files`` (all of one layout and compression)."""

    @abstractmethod
    def execute(self, expr: ir.Table) -> pa.Table: ...

    def rows(self, expr: ir.Table) -> list[dict[str, Any]]:
        """``expr``'s rows as dicts (engines with a cheaper path than Arrow override this)."""
        return self.execute(expr).to_pylist()  # type: ignore[no-any-return]

    @abstractmethod
    def materialize(self, expr: ir.Table, name: str) -> ir.Table:
        """Compute ``expr`` once and keep it, replacing any earlier table called ``name``."""

    @abstractmethod
    def append(self, expr: ir.Table, name: str) -> ir.Table:
        """Add the rows of ``expr`` to the table ``name`` (created on first use)."""

    @abstractmethod
    def is_read_error(self, error: Exception) -> bool:
        """Whether ``error`` came from reading a file (as opposed to a bug or lack of memory)."""

    def batches(self, files: Sequence[SourceFile]) -> list[list[SourceFile]]:
        return [list(files)]

    def take_read_errors(self) -> dict[str, str]:
        """Files left out of the last query because they could not be read (path → why), for
        engines that read some files themselves and skip the broken ones."""
        return {}

    def unsupported(self, plan: ScanPlan) -> str | None:
        return self.capabilities.supports(plan)

    def close(self) -> None:  # noqa: B027 - engines without resources need nothing
        """Release the engine's resources."""

    def prepare(self, expr: ir.Table) -> None:  # noqa: B027 - optional
        """Do ahead of time whatever running ``expr`` later needs (compiling it)."""

    def record_parser(self) -> normalize.Parse | None:
        """How a query parses a CloudTrail record's JSON text, for engines whose ``read``
        yields records lazily (``json`` and ``hot`` columns; see ``normalize.cloudtrail``)."""
        return None

    # -- the scan ----------------------------------------------------------------------------

    def events(self, plan: ScanPlan, files: Sequence[SourceFile]) -> normalize.Events:
        groups: dict[tuple[Layout, bool], list[SourceFile]] = defaultdict(list)
        for f in files:
            groups[(f.layout, f.gzip)].append(f)
        parts = [
            self._normalize(plan, self.read(plan, layout, gz, group))
            for (layout, gz), group in sorted(groups.items())
        ]
        if len(parts) == 1:
            return parts[0]
        return normalize.Events.of(ibis.union(*(p.projected() for p in parts)))

    def _normalize(self, plan: ScanPlan, raw: ir.Table) -> normalize.Events:
        if plan.source is SourceKind.CLOUDTRAIL:
            return normalize.cloudtrail(raw, self.record_parser())
        if plan.source is SourceKind.WEB:
            return normalize.web(raw, one_match=self.capabilities.regex_groups)
        assert plan.mapping is not None
        return normalize.mapped(raw, plan.mapping, root="record")

    def scan(self, plan: ScanPlan, progress: Progress | None = None) -> ScanAggregates:
        found = ScanAggregates(files_scanned=len(plan.files), bytes_scanned=plan.bytes_total)
        tally = _Tally(defaultdict(lambda: [0, 0, 0]), defaultdict(int), {})
        self._matched = None
        done = 0
        # compile the figures while the engine reads: the scan runs outside Python's lock
        figures = report.expressions(
            ibis.table(query.MATCHED_SCHEMA, name=query.MATCHED_TABLE), plan.indicators
        )
        warm = threading.Thread(
            target=lambda: [self.prepare(expr) for expr in figures.values()], daemon=True
        )
        for batch in self.batches(plan.files):
            size = sum(f.size for f in batch)
            if progress is not None:
                self._batch_progress = lambda part, base=done, size=size: progress(
                    base + int(min(part, 1.0) * size), plan.bytes_total
                )
            self._scan_batch(plan, batch, tally, warm)
            self._batch_progress = None
            done += size
            if progress is not None:
                progress(done, plan.bytes_total)
            if plan.strict and (tally.bad_files or tally.file_errors):
                self._finish_malformed(plan, tally, found)
                raise MalformedLogs(
                    found.malformed_count,
                    [
                        Problem(s.error, file=s.file, line=s.line, field=_record(s.record_index))
                        for s in found.malformed_samples
                    ],
                )
        for hour, (events, in_window, matched) in sorted(tally.hours.items()):
            found.events_scanned += events
            found.events_in_window += in_window
            found.histogram.append(HourCount(hour, events, matched))
        self._finish_malformed(plan, tally, found)
        if warm.ident is not None:  # started with the first batch
            warm.join()
        if self._matched is not None:
            report.collect(
                self._matched, plan.indicators, self.rows, found, parallel=self.parallel_queries
            )
        return found

    def _finish_malformed(self, plan: ScanPlan, tally: _Tally, found: ScanAggregates) -> None:
        found.malformed_count = sum(tally.bad_files.values()) + len(tally.file_errors)
        found.malformed_samples = samples.locate(plan, tally.bad_files, tally.file_errors)

    def _scan_batch(
        self, plan: ScanPlan, batch: list[SourceFile], tally: _Tally, warm: threading.Thread
    ) -> None:
        pending = list(batch)
        while pending:
            try:
                expr = query.scan(self.events(plan, pending), plan.indicators)
                # the batch's own query first; the figures compile while the engine reads
                self.prepare(expr)
                if warm.ident is None:
                    warm.start()
                scanned = self.materialize(expr, "candor_batch")
                tally.file_errors.update(self.take_read_errors())
                rows = self.rows(query.counts(scanned))
                if any(r["matched"] for r in rows):
                    self._matched = self.append(query.matched_rows(scanned), query.MATCHED_TABLE)
            except Exception as error:
                if not self.is_read_error(error):
                    raise
                culprit = self._culprit(plan, pending, error)
                tally.file_errors[culprit.path] = _one_line(error, culprit.path)
                pending.remove(culprit)
                if plan.strict:
                    return
                continue
            for row in rows:
                if row["bad_file"] is not None:
                    tally.bad_files[_local(row["bad_file"])] += int(row["events"])
                elif row["hour"] is not None:
                    counts = tally.hours[_utc(row["hour"])]
                    counts[0] += int(row["events"])
                    counts[1] += int(row["in_window"] or 0)
                    counts[2] += int(row["matched"] or 0)
            return

    def _culprit(self, plan: ScanPlan, files: list[SourceFile], error: Exception) -> SourceFile:
        """The file that made reading fail: named in the message, or found one by one."""
        message = str(error)
        named = [f for f in files if f.path in message]
        if named:
            return max(named, key=lambda f: len(f.path))
        if len(files) == 1:
            return files[0]
        for f in files:
            try:
                self.rows(query.counts(query.scan(self.events(plan, [f]), plan.indicators)))
            except Exception as again:
                if self.is_read_error(again):
                    return f
                raise
        raise error

    # -- export ------------------------------------------------------------------------------

    def matched_events(self, *, chunk: int = 10_000) -> Iterator[list[dict[str, Any]]]:
        """The matched events of the last scan, oldest first, in chunks of dicts."""
        if self._matched is None:
            return
        ordered = self._matched.order_by([self._matched.event_time, self._matched.event_id])
        for offset in itertools.count(0, chunk):
            rows = self.rows(ordered.limit(chunk, offset=offset))
            if not rows:
                return
            yield rows
            if len(rows) < chunk:
                return


def _record(index: int | None) -> str | None:
    return None if index is None else f"record {index}"


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _local(path: str) -> str:
    """Spark reports ``file:///x``; the plan and the responder know ``/x``."""
    return unquote(path[len("file://") :]) if path.startswith("file://") else path


def _one_line(error: Exception, path: str) -> str:
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return text.replace(f'"{path}"', "this file").replace(path, "this file")[:300]
