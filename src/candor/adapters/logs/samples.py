"""Explain malformed input: which file, which line or record, and what is wrong with it.

Engines only count malformed records per file (that keeps the hot path free of per-record
Python). For the few files with a count, this module reads them again in Python, stopping at
``MAX_MALFORMED_SAMPLES`` examples, to tell the responder where to look.
"""

from __future__ import annotations

import csv
import gzip
import io
import itertools
import json
import zlib
from collections.abc import Iterator
from datetime import datetime
from typing import IO, Any

from candor.domain.scoping import weblog
from candor.domain.scoping.plan import Layout, ScanPlan, SourceFile, SourceKind
from candor.domain.scoping.results import MAX_MALFORMED_SAMPLES, MalformedSample

# Re-reading a huge file to place one error is not worth it; the engine's message stands.
MAX_DIAGNOSE_BYTES = 256 * 1024 * 1024


def locate(
    plan: ScanPlan,
    bad_files: dict[str, int],
    file_errors: dict[str, str],
    limit: int = MAX_MALFORMED_SAMPLES,
) -> list[MalformedSample]:
    by_path = {f.path: f for f in plan.files}
    out: list[MalformedSample] = []
    for path, message in sorted(file_errors.items()):
        sample = _diagnose_file(by_path.get(path), path, message)
        out.append(sample)
    for path in sorted(bad_files):
        if len(out) >= limit:
            break
        source = by_path.get(path)
        if source is None:
            out.append(MalformedSample(path, "malformed record"))
            continue
        try:
            out.extend(itertools.islice(_bad_records(plan, source), limit - len(out)))
        except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
            out.append(MalformedSample(path, f"cannot read: {exc}"))
    return out[:limit]


def _open(source: SourceFile) -> IO[bytes]:
    return gzip.open(source.path, "rb") if source.gzip else open(source.path, "rb")


def _diagnose_file(source: SourceFile | None, path: str, message: str) -> MalformedSample:
    """Say what is wrong with a file the engine could not read at all."""
    if source is None or source.size > MAX_DIAGNOSE_BYTES:
        return MalformedSample(path, message)
    try:
        with _open(source) as handle:
            data = handle.read()
    except (EOFError, zlib.error, gzip.BadGzipFile, OSError) as exc:
        kind = "truncated gzip" if isinstance(exc, EOFError) else "unreadable gzip"
        return MalformedSample(path, f"{kind}: {exc}")
    if source.layout is Layout.PARQUET:
        return MalformedSample(path, message)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return MalformedSample(path, "not UTF-8 text", line=data[: exc.start].count(b"\n") + 1)
    if source.layout.whole_file:
        try:
            json.loads(text) if source.layout is not Layout.OBJECTS_DOCUMENT else None
        except json.JSONDecodeError as exc:
            return MalformedSample(path, f"invalid JSON: {exc.msg}", line=exc.lineno)
    return MalformedSample(path, message)


def _has_time(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _record_problem(plan: ScanPlan, record: object) -> str | None:
    if not isinstance(record, dict):
        return "not a JSON object"
    if plan.source is SourceKind.CLOUDTRAIL:
        stamp = record.get("eventTime", record.get("@timestamp"))
        if stamp is None:
            return "no eventTime"
        return None if _has_time(stamp) else f"eventTime is not a time: {stamp!r}"
    assert plan.mapping is not None
    value: Any = record
    for part in plan.mapping.time.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if value is None:
        return f"no {plan.mapping.time}"
    return None


def _bad_records(plan: ScanPlan, source: SourceFile) -> Iterator[MalformedSample]:
    path = source.path
    if source.layout is Layout.TEXT_LINES:
        with _open(source) as handle:
            for number, raw in enumerate(io.TextIOWrapper(handle, errors="replace"), 1):
                line = raw.rstrip("\n")
                if line and weblog.parse_line(line) is None:
                    yield MalformedSample(
                        path, "not in the combined or common log format", line=number
                    )
        return
    if source.layout is Layout.CSV:
        yield from _bad_csv(plan, source)
        return
    if source.layout.whole_file:
        with _open(source) as handle:
            try:
                document = json.loads(handle.read())
            except json.JSONDecodeError as exc:
                yield MalformedSample(path, f"invalid JSON: {exc.msg}", line=exc.lineno)
                return
        records = document.get("Records") if isinstance(document, dict) else document
        if not isinstance(records, list):
            yield MalformedSample(path, "no Records list")
            return
        for index, record in enumerate(records):
            problem = _record_problem(plan, record)
            if problem:
                yield MalformedSample(path, problem, record_index=index)
        return
    with _open(source) as handle:
        for number, raw_line in enumerate(handle, 1):
            if not raw_line.strip():
                continue
            try:
                parsed = json.loads(raw_line)
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                yield MalformedSample(path, f"invalid JSON: {_reason(exc)}", line=number)
                continue
            if source.layout is Layout.RECORDS_LINES and isinstance(parsed, dict):
                records = parsed.get("Records")
                if not isinstance(records, list):
                    yield MalformedSample(path, "no Records list", line=number)
                    continue
                for index, record in enumerate(records):
                    problem = _record_problem(plan, record)
                    if problem:
                        yield MalformedSample(path, problem, line=number, record_index=index)
                continue
            problem = _record_problem(plan, parsed)
            if problem:
                yield MalformedSample(path, problem, line=number)


def _reason(exc: Exception) -> str:
    return exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)


def _bad_csv(plan: ScanPlan, source: SourceFile) -> Iterator[MalformedSample]:
    assert plan.mapping is not None
    column = plan.mapping.time
    with _open(source) as handle:
        reader = csv.DictReader(io.TextIOWrapper(handle, errors="replace"))
        for row in reader:
            value = row.get(column)
            if not value or not _has_time(value):
                yield MalformedSample(
                    source.path, f"{column} is not a time: {value!r}", line=reader.line_num
                )
