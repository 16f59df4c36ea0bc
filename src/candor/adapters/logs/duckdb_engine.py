"""The embedded engine: DuckDB, in this process, no server.

Reading uses ``read_json_objects`` + ``json_transform`` rather than ``read_json`` with columns:
on DuckDB 2.0 the latter samples and re-plans on every large CloudTrail object and runs ten
times slower. ``ignore_errors`` turns a malformed line into a NULL object, which the scan counts
per file instead of failing.

Ibis 12 builds and compiles the expressions; they run on our own DuckDB connection because
Ibis 12's DuckDB backend still calls ``fetch_arrow_table``, which DuckDB 2.0 removed.
"""

from __future__ import annotations

import functools
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Sequence
from typing import Any

import duckdb
import ibis
import ibis.expr.types as ir
import pyarrow as pa

from candor.adapters.logs import inflate, normalize, schema
from candor.adapters.logs.engine import Capabilities, IbisEngine
from candor.domain.scoping.plan import Layout, ScanPlan, SourceFile, SourceKind

MIB = 1024 * 1024
# uncompressed bytes per batch. Each batch ends with threads idling on its last files, so not
# too small; a file DuckDB cannot read (a truncated gzip file, most often) costs a second
# pass over its batch, so the gzip files DuckDB inflates itself go in smaller batches. Plain
# files fail to read only on I/O errors (a malformed line is counted, not fatal), and gzip
# JSON inflated by ISA-L reports a broken file without failing: one 1.5 GB export in two
# batches ran 1.5 s longer than in one.
BATCH_BYTES = 1024 * MIB
PLAIN_BATCH_BYTES = 4096 * MIB
BATCH_FILES = 4096
MIN_OBJECT = 16 * MIB
MAX_OBJECT = 1024 * MIB
STREAM = "candor_documents"  # Arrow streams of inflated gzip documents (``inflate``): _0, _1 …

_JSON_FORMAT = {
    Layout.RECORDS_LINES: "newline_delimited",
    Layout.RECORD_LINES: "newline_delimited",
    Layout.RECORDS_DOCUMENT: "unstructured",
    Layout.OBJECTS_DOCUMENT: "unstructured",
    Layout.ARRAY_DOCUMENT: "array",
}


# gzip layouts inflated by ISA-L before DuckDB parses them; the others DuckDB reads itself
# (documents of several values one after another, or a top-level array, need its parser)
INFLATED = frozenset({Layout.RECORDS_LINES, Layout.RECORD_LINES, Layout.RECORDS_DOCUMENT})


def _structure(plan: ScanPlan, layout: Layout) -> tuple[str, str]:
    """The ``json_transform`` structure (quoted) for ``plan``'s source and the column it
    yields: ``records`` (a CloudTrail envelope's list) or ``record``."""
    if plan.source is SourceKind.CLOUDTRAIL:
        if layout in (Layout.RECORDS_LINES, Layout.RECORDS_DOCUMENT):
            return _quote(schema.duckdb_json_structure(schema.CLOUDTRAIL_ENVELOPE)), "records"
        return _quote(schema.duckdb_json_structure(schema.CLOUDTRAIL_RECORD)), "record"
    assert plan.mapping is not None
    structure = schema.duckdb_json_structure(schema.text_struct(plan.mapping.source_paths()))
    return _quote(structure), "record"


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _lazy(plan: ScanPlan, layout: Layout) -> bool:
    """CloudTrail records one per line are read lazily: the fields matching needs come out of
    the text with one ``json_extract_string`` (``hot``), and the whole record is parsed only for
    the events that matched (``normalize.cloudtrail``). On JSON Lines the scan takes a third
    less time. Records inside an envelope gain nothing (the envelope is parsed either way)."""
    return plan.source is SourceKind.CLOUDTRAIL and layout is Layout.RECORD_LINES


_HOT_PATHS = "[" + ", ".join(_quote(schema.json_path(p)) for p in schema.CLOUDTRAIL_HOT) + "]"


@ibis.udf.scalar.builtin(name="json_transform")
def _json_transform(  # type: ignore[empty-body]
    json: str, structure: str
) -> schema.CLOUDTRAIL_RECORD:  # type: ignore[valid-type]
    """DuckDB's ``json_transform``: a CloudTrail record's text → the record."""


_RECORD_STRUCTURE = schema.duckdb_json_structure(schema.CLOUDTRAIL_RECORD)


def _parse_record(text: ir.StringValue) -> ir.StructValue:
    return _json_transform(text, _RECORD_STRUCTURE)  # type: ignore[no-any-return]


def _files(files: Sequence[SourceFile]) -> str:
    return "[" + ", ".join(_quote(f.path) for f in files) + "]"


@functools.lru_cache(maxsize=256)
def _compile_node(node: object) -> str:
    return str(ibis.to_sql(node.to_expr(), dialect="duckdb"))  # type: ignore[attr-defined]


def _compile(expr: ir.Table) -> str:
    # keyed by the operation tree, which compares by structure (expressions do not)
    return _compile_node(expr.op())


class _Advance:
    """Bytes read so far by all the streams of a query, as the fraction the bar wants."""

    def __init__(self, report: Callable[[float], None] | None, total: int) -> None:
        self.report, self.total, self.done = report, max(1, total), 0
        self._lock = threading.Lock()

    def __call__(self, size: int) -> None:
        with self._lock:
            self.done += size
            if self.report is not None:
                self.report(min(1.0, self.done / self.total))


class DuckDBEngine(IbisEngine):
    name = "duckdb"
    capabilities = Capabilities(
        sources=frozenset(SourceKind),
        layouts=frozenset(Layout),
        batches=True,
        distributed=False,
        regex_groups=True,
    )

    def __init__(self, *, threads: int | None = None, memory_limit: str = "1GB") -> None:
        super().__init__()
        self._spill = tempfile.mkdtemp(prefix="candor-duckdb-")
        self.threads = threads or os.cpu_count() or 1
        self._documents: list[inflate.Documents] = []  # one stream per thread
        self._documents_view = STREAM  # the view over the streams, set by ``read``
        self.con = duckdb.connect(
            ":memory:",
            config={
                "threads": self.threads,
                "memory_limit": memory_limit,
                # order of rows within a batch does not matter; keeping it costs memory
                "preserve_insertion_order": False,
                "temp_directory": self._spill,
            },
        )
        self.con.execute("SET TimeZone = 'UTC'")
        # DuckDB's own bar would write into --json output; the CLI draws its own
        self.con.execute("SET enable_progress_bar = false")

    def close(self) -> None:
        self.con.close()
        shutil.rmtree(self._spill, ignore_errors=True)

    def batches(self, files: Sequence[SourceFile]) -> list[list[SourceFile]]:
        out: list[list[SourceFile]] = []
        current: list[SourceFile] = []
        size = 0
        for f in sorted(files, key=lambda f: (f.layout, f.gzip, f.path)):
            limit = BATCH_BYTES if f.gzip and f.layout not in INFLATED else PLAIN_BATCH_BYTES
            if current and (
                size + f.expanded_size > limit
                or len(current) >= BATCH_FILES
                or (f.layout, f.gzip) != (current[0].layout, current[0].gzip)
            ):
                out.append(current)
                current, size = [], 0
            current.append(f)
            size += f.expanded_size
        if current:
            out.append(current)
        return out

    def _object_size(self, layout: Layout, files: Sequence[SourceFile]) -> int:
        if layout is Layout.RECORD_LINES:
            return MIN_OBJECT
        largest = max(f.expanded_size for f in files) + MIB
        return min(max(MIN_OBJECT, -(-largest // MIB) * MIB), MAX_OBJECT)

    def _json_sql(
        self, plan: ScanPlan, layout: Layout, gz: bool, files: Sequence[SourceFile]
    ) -> str:
        fmt = _JSON_FORMAT[layout]
        tolerant = ", ignore_errors = true" if fmt == "newline_delimited" else ""
        source = (
            f"read_json_objects({_files(files)}, format = '{fmt}', filename = true, "
            f"compression = '{'gzip' if gz else 'none'}', "
            f"maximum_object_size = {self._object_size(layout, files)}{tolerant})"
        )
        if _lazy(plan, layout):
            return (
                "SELECT filename AS file, json IS NULL AS bad, json, "
                f"json_extract_string(json, {_HOT_PATHS}) AS hot FROM {source}"
            )
        spec, column = _structure(plan, layout)
        value = f"json_transform(json, {spec}){'.Records' if column == 'records' else ''}"
        return f"SELECT filename AS file, json IS NULL AS bad, {value} AS {column} FROM {source}"

    def _documents_sql(self, plan: ScanPlan, layout: Layout, files: Sequence[SourceFile]) -> str:
        """gzip JSON inflated by ISA-L (``inflate``) rather than by DuckDB.

        DuckDB gives an Arrow stream one thread (it sizes a scan by its row count, and a stream
        of a few thousand documents looks small), so the files are dealt round-robin to one
        stream per thread, read side by side under UNION ALL. The views read empty streams (for
        their schema); each query that reads them binds fresh ones first (``_bind``). A value
        that does not parse becomes NULL and is counted malformed, as DuckDB's own reader does
        with ``ignore_errors``."""
        shares = [files[i :: self.threads] for i in range(min(self.threads, len(files)))]
        lines = _JSON_FORMAT[layout] == "newline_delimited"
        advance = _Advance(self._batch_progress, sum(f.size for f in files))
        self._documents = [
            inflate.Documents(share, lines=lines, threads=1, progress=advance) for share in shares
        ]
        spec, column = _structure(plan, layout)
        value = "v.Records" if column == "records" else "v"
        parts = []
        for n in range(len(shares)):
            self.con.register(f"{STREAM}_{n}", pa.Table.from_batches([], schema=inflate.DOCUMENTS))
            if _lazy(plan, layout):  # a line that is not JSON has no hot fields, and no text
                parts.append(
                    "SELECT filename AS file, hot IS NULL AS bad, "
                    "CASE WHEN hot IS NOT NULL THEN json END AS json, hot FROM "
                    f"(SELECT filename, json, TRY(json_extract_string(json, {_HOT_PATHS})) AS hot "
                    f"FROM {STREAM}_{n})"
                )
                continue
            parts.append(
                f"SELECT filename AS file, v IS NULL AS bad, {value} AS {column} FROM "
                f"(SELECT filename, TRY(json_transform(json, {spec})) AS v FROM {STREAM}_{n})"
            )
        return " UNION ALL ".join(parts)

    def _bind(self, sql: str) -> bool:
        """Give a query that reads the inflated documents fresh streams; whether it does."""
        if not self._documents or self._documents_view not in sql:
            return False
        for n, documents in enumerate(self._documents):
            self.con.register(f"{STREAM}_{n}", documents.reader())
        return True

    def take_read_errors(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for documents in self._documents:
            found.update(documents.errors)
            documents.errors = {}
        return found

    def read(
        self, plan: ScanPlan, layout: Layout, gzip: bool, files: Sequence[SourceFile]
    ) -> ir.Table:
        compression = "gzip" if gzip else "none"
        if gzip and layout in INFLATED:
            sql = self._documents_sql(plan, layout, files)
        elif layout is Layout.TEXT_LINES:
            sql = (
                f"SELECT filename AS file, line FROM read_csv({_files(files)}, "
                "columns = {'line': 'VARCHAR'}, header = false, delim = '\x1f', quote = '', "
                "escape = '', auto_detect = false, strict_mode = false, null_padding = true, "
                f"filename = true, compression = '{compression}')"
            )
        elif layout is Layout.CSV:
            sql = (
                f"SELECT t._candor_file AS file, false AS bad, t AS record FROM read_csv("
                f"{_files(files)}, header = true, all_varchar = true, union_by_name = true, "
                f"filename = '_candor_file', compression = '{compression}') t"
            )
        elif layout is Layout.PARQUET:
            sql = (
                f"SELECT t._candor_file AS file, false AS bad, t AS record FROM read_parquet("
                f"{_files(files)}, union_by_name = true, filename = '_candor_file') t"
            )
        else:
            sql = self._json_sql(plan, layout, gzip, files)
        # one stable name per layout: every batch then compiles to the same SQL (cached)
        name = f"candor_raw_{layout.value}_{compression}"
        if gzip and layout in INFLATED:
            self._documents_view = name
        self.con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS {sql}")
        return ibis.table(self._schema(name), name=name)

    def _schema(self, name: str) -> ibis.Schema:
        relation = self.con.sql(f"SELECT * FROM {name} LIMIT 0")
        return ibis.Schema.from_pyarrow(relation.to_arrow_table().schema)

    def _sql(self, expr: ir.Table) -> str:
        # compiling costs more than running a query over a small file; equal expressions
        # (every batch, every figure of every scan) compile once
        return _compile(expr)

    def prepare(self, expr: ir.Table) -> None:
        self._sql(expr)

    def record_parser(self) -> normalize.Parse:
        return _parse_record

    def execute(self, expr: ir.Table) -> pa.Table:
        sql = self._sql(expr)
        self._bind(sql)
        return self.con.sql(sql).to_arrow_table()

    def rows(self, expr: ir.Table) -> list[dict[str, Any]]:
        # straight to Python values: pyarrow's to_pylist imports pandas (0.3 s) for the first
        # time zone-aware timestamp it converts
        sql = self._sql(expr)
        self._bind(sql)
        relation = self.con.sql(sql)
        names = relation.columns
        return [dict(zip(names, row, strict=True)) for row in relation.fetchall()]

    def materialize(self, expr: ir.Table, name: str) -> ir.Table:
        sql = f"CREATE OR REPLACE TEMP TABLE {name} AS {self._sql(expr)}"
        report = self._batch_progress
        if self._bind(sql) or report is None:  # the stream reports its own progress
            self.con.execute(sql)
            return ibis.table(expr.schema(), name=name)
        # the batch is one query: ask DuckDB how far it got, for the progress bar
        stop = threading.Event()

        def poll() -> None:
            while not stop.wait(0.25):
                done = self.con.query_progress()
                if done >= 0:
                    report(done / 100)

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        try:
            self.con.execute(sql)
        finally:
            stop.set()
            poller.join()
        return ibis.table(expr.schema(), name=name)

    def append(self, expr: ir.Table, name: str) -> ir.Table:
        sql = self._sql(expr)
        if self._matched is None or self._matched.get_name() != name:
            self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}")
        else:
            self.con.execute(f"INSERT INTO {name} {sql}")
        return ibis.table(expr.schema(), name=name)

    def is_read_error(self, error: Exception) -> bool:
        return isinstance(
            error, duckdb.IOException | duckdb.InvalidInputException | duckdb.ConversionException
        )
