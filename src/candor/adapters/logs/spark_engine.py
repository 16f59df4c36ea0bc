"""The distributed engine: PySpark, through Ibis's PySpark backend.

Local mode (``local[*]``) by default; ``CANDOR_SPARK_MASTER`` names a cluster
(``spark://host:7077``, ``yarn``, ``k8s://…``) for logs bigger than one machine. The scan
expressions are the very ones DuckDB runs (``query.py``, ``report.py``); only reading differs:
Spark's JSON reader with an explicit schema, ``multiLine`` for pretty-printed documents and a
corrupt-record column that marks malformed lines and files.

The whole input is one batch: Spark plans and spills by itself.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from typing import Any

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import pyarrow as pa

from candor.adapters.logs import schema
from candor.adapters.logs.engine import Capabilities, IbisEngine
from candor.domain.errors import EngineUnavailable
from candor.domain.scoping.plan import Layout, ScanPlan, SourceFile, SourceKind

CORRUPT = "_corrupt_record"
_READ_ERRORS = (
    "FAILED_READ_FILE",
    "EOFException",
    "ZipException",
    "Not in GZIP format",
    "Unexpected end of input stream",
    "MALFORMED_RECORD",
    "CANNOT_READ_FILE_FOOTER",
    "is not a Parquet file",
)


def local_session(master: str | None = None) -> Any:
    """A SparkSession configured for scoping: UTC, case-sensitive field names, no web UI."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise EngineUnavailable(
            "the spark engine needs PySpark: pip install 'candor-ir[spark]'"
        ) from None
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        raise EngineUnavailable("the spark engine needs Java 17 or later (java not found)")
    builder = (
        SparkSession.builder.master(master or os.environ.get("CANDOR_SPARK_MASTER", "local[*]"))
        .appName("candor-scope")
        .config("spark.sql.session.timeZone", "UTC")
        # JSON keys are case-sensitive; CloudTrail has fields differing only in case
        .config("spark.sql.caseSensitive", "true")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", str(max(2, (os.cpu_count() or 2))))
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
    )
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # JVM start failures surface as assorted exception types
        raise EngineUnavailable(f"Spark did not start: {exc}") from None
    session.sparkContext.setLogLevel("ERROR")
    return session


class SparkEngine(IbisEngine):
    name = "spark"
    capabilities = Capabilities(
        sources=frozenset(SourceKind),
        layouts=frozenset(Layout) - {Layout.OBJECTS_DOCUMENT},
        batches=False,
        distributed=True,
    )
    # each figure is a small Spark job whose time is mostly scheduling: run them side by side
    parallel_queries = 4

    def __init__(self, session: Any | None = None) -> None:
        super().__init__()
        if session is None:
            try:
                from pyspark.sql import SparkSession
            except ImportError:
                raise EngineUnavailable(
                    "the spark engine needs PySpark: pip install 'candor-ir[spark]'"
                ) from None

            # a session already running in this process (a notebook, the tests) is borrowed
            session = SparkSession.getActiveSession()
            self._owns_session = session is None
        else:
            self._owns_session = False
        self.session = session if session is not None else local_session()
        self.con = ibis.pyspark.connect(self.session)
        self._views = 0
        self._cached: list[Any] = []

    def close(self) -> None:
        for df in self._cached:
            df.unpersist()
        self._cached.clear()
        if self._owns_session:
            self.session.stop()

    def _view(self, df: Any) -> ir.Table:
        self._views += 1
        name = f"candor_raw_{self._views}"
        df.createOrReplaceTempView(name)
        return self.con.table(name)

    def read(
        self, plan: ScanPlan, layout: Layout, gzip: bool, files: Sequence[SourceFile]
    ) -> ir.Table:
        from pyspark.sql import functions as F

        paths = [f.path for f in files]
        reader = self.session.read
        file = F.input_file_name().alias("file")
        if layout is Layout.TEXT_LINES:
            return self._view(reader.text(paths).select(file, F.col("value").alias("line")))
        if layout in (Layout.CSV, Layout.PARQUET):
            if layout is Layout.CSV:
                df = reader.csv(paths, header=True, mode="PERMISSIVE")
            else:
                df = reader.parquet(*paths)
            record = F.struct(*[F.col(f"`{c}`") for c in df.columns]).alias("record")
            return self._view(df.select(file, F.lit(False).alias("bad"), record))
        from ibis.backends.pyspark.datatypes import PySparkType

        envelope = plan.source is SourceKind.CLOUDTRAIL and layout in (
            Layout.RECORDS_LINES,
            Layout.RECORDS_DOCUMENT,
        )
        if plan.source is SourceKind.CLOUDTRAIL:
            fields = schema.CLOUDTRAIL_ENVELOPE if envelope else schema.CLOUDTRAIL_RECORD
        else:
            assert plan.mapping is not None
            fields = schema.text_struct(plan.mapping.source_paths())
        struct = PySparkType.from_ibis(dt.Struct({**fields.fields, CORRUPT: dt.string}))
        df = reader.json(
            paths,
            schema=struct,
            multiLine=layout.whole_file,
            mode="PERMISSIVE",
            columnNameOfCorruptRecord=CORRUPT,
        )
        bad = F.col(CORRUPT).isNotNull().alias("bad")
        if envelope:
            value = F.col("Records").alias("records")
        else:
            value = F.struct(*[F.col(f"`{name}`") for name in fields.names]).alias("record")
        return self._view(df.select(file, bad, value))

    def _df(self, expr: ir.Table) -> Any:
        return self.session.sql(str(ibis.to_sql(expr, dialect="pyspark")))

    def execute(self, expr: ir.Table) -> pa.Table:
        # straight to Arrow: Ibis's own path goes through pandas and loses time zones
        return self._df(expr).toArrow()

    def materialize(self, expr: ir.Table, name: str) -> ir.Table:
        df = self._df(expr).cache()
        self._cached.append(df)
        df.createOrReplaceTempView(name)
        return self.con.table(name)

    def append(self, expr: ir.Table, name: str) -> ir.Table:
        if self._matched is not None and self._matched.get_name() == name:
            expr = ibis.union(self._matched, expr)
        return self.materialize(expr, name)

    def is_read_error(self, error: Exception) -> bool:
        text = str(error)
        return any(marker in text for marker in _READ_ERRORS)
