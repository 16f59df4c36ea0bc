"""Log scanning engines for scoping (``candor scope run``).

    files.py      find log files, sniff each file's layout
    schema.py     the record fields read, as Ibis types (→ DuckDB json_transform, Spark schema)
    normalize.py  raw rows of each source → normalised event columns (Ibis)
    query.py      the one-pass scan: matching, window, histogram, matched events (Ibis)
    report.py     figures over the matched events (Ibis) → ``ScanAggregates``
    engine.py     the scan loop every engine shares; capabilities; malformed-file isolation
    samples.py    explain malformed files and records (Python, only for the few bad files)
    duckdb_engine.py / spark_engine.py / ibis_engine.py   the engines

Engines are chosen by name (``make_engine``): ``duckdb`` (default, embedded), ``spark``
(PySpark; local mode unless ``CANDOR_SPARK_MASTER`` names a cluster) or ``ibis:<url>`` for any
other Ibis backend that can read the files itself.
"""

from __future__ import annotations

import os

# numpy comes in with pyarrow, and its OpenBLAS starts a thread per core that spins for a while
# whenever it is idle: on two cores that took 0.3-0.5 s from a 6 s scan. Nothing here does
# linear algebra. (Only takes effect before numpy is first imported; a caller's setting wins.)
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from pathlib import Path

from candor.adapters import yamlfile
from candor.adapters.logs.engine import IbisEngine
from candor.domain.errors import InvalidInput, Problem, RuleFileError
from candor.domain.scoping.indicators import IndicatorSet, parse_indicators_file
from candor.domain.scoping.mapping import FieldMapping, parse_mapping

ENGINES = ("duckdb", "spark", "ibis:<backend url>")


def make_engine(name: str) -> IbisEngine:
    if name == "duckdb":
        from candor.adapters.logs.duckdb_engine import DuckDBEngine

        return DuckDBEngine()
    if name == "spark":
        from candor.adapters.logs.spark_engine import SparkEngine

        return SparkEngine()
    if name.startswith("ibis:"):
        from candor.adapters.logs.ibis_engine import GenericIbisEngine

        return GenericIbisEngine(name.removeprefix("ibis:"))
    raise InvalidInput(
        Problem(f"unknown engine {name!r}", field="--engine", hint="one of " + ", ".join(ENGINES))
    )


def load_indicators(path: Path | str) -> IndicatorSet:
    """Read an indicators file; every problem names the file and line."""
    document = yamlfile.load(path)
    if document.problems:
        raise RuleFileError(document.problems)
    try:
        return parse_indicators_file(document.data)
    except InvalidInput as exc:
        raise RuleFileError(document.locate(exc.problems)) from None


def load_mapping(path: Path | str) -> FieldMapping:
    document = yamlfile.load(path)
    if document.problems:
        raise RuleFileError(document.problems)
    try:
        return parse_mapping(document.data)
    except InvalidInput as exc:
        raise RuleFileError(document.locate(exc.problems)) from None
