"""Any other Ibis backend, chosen by URL: ``--engine ibis:<url>`` (``ibis.connect(url)``).

For logs that already sit where such a backend can read them (a warehouse, a lakehouse, files it
reads itself), flattened through a field mapping. The backend reads the files with its own
``read_csv`` / ``read_parquet``; the scan and the figures are the same Ibis expressions as on
DuckDB and Spark, executed by the backend. Nested JSON (CloudTrail) and text logs need reading
that differs per backend, so this engine declares it cannot read them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from candor.adapters.logs.engine import Capabilities, IbisEngine
from candor.domain.errors import EngineUnavailable
from candor.domain.scoping.plan import Layout, ScanPlan, SourceFile, SourceKind


class GenericIbisEngine(IbisEngine):
    name = "ibis"

    def __init__(self, url: str | None = None, *, backend: Any | None = None) -> None:
        super().__init__()
        if backend is None:
            try:
                backend = ibis.connect(url or "")
            except Exception as exc:  # each backend fails to connect in its own way
                raise EngineUnavailable(f"cannot connect to Ibis backend {url!r}: {exc}") from None
        self.backend = backend
        self.name = f"ibis:{backend.name}"
        layouts = {Layout.CSV: "read_csv", Layout.PARQUET: "read_parquet"}
        readable = frozenset(k for k, method in layouts.items() if hasattr(backend, method))
        self.capabilities = Capabilities(
            sources=frozenset(SourceKind(layout.value) for layout in readable),
            layouts=readable,
            batches=False,
            distributed=False,
        )
        self._cached: list[ir.Table] = []

    def read(
        self, plan: ScanPlan, layout: Layout, gzip: bool, files: Sequence[SourceFile]
    ) -> ir.Table:
        parts = []
        for f in files:
            reader = self.backend.read_csv if layout is Layout.CSV else self.backend.read_parquet
            table = reader(f.path)
            # no file-name column is portable: the reader is called per file and tags it
            parts.append(
                table.select(
                    file=ibis.literal(f.path),
                    bad=ibis.literal(False),
                    record=ibis.struct({c: table[c] for c in table.columns}),
                )
            )
        return parts[0] if len(parts) == 1 else ibis.union(*parts)

    def execute(self, expr: ir.Table) -> pa.Table:
        return self.backend.to_pyarrow(expr)

    def materialize(self, expr: ir.Table, name: str) -> ir.Table:
        cached = expr.cache()
        self._cached.append(cached)
        return cached

    def append(self, expr: ir.Table, name: str) -> ir.Table:
        if self._matched is not None:
            expr = ibis.union(self._matched, expr)
        return self.materialize(expr, name)

    def is_read_error(self, error: Exception) -> bool:
        return False  # no portable way to tell: every failure stops the scan

    def close(self) -> None:
        for table in self._cached:
            table.release()
        self._cached.clear()
