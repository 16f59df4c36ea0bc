"""Find the log files under the paths a responder names, and tell how each is laid out.

A few kilobytes at the start of each file decide its layout (``Layout``), so exports in any of
the shapes seen in the wild read without options: CloudTrail's own ``{"Records": [...]}`` files,
the same pretty-printed, JSON arrays, and JSON Lines. Files under the documented CloudTrail tree
(``AWSLogs/<account>/CloudTrail/…/*.json.gz``) skip the sniff: there may be a hundred thousand of
them and their layout is fixed.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import struct
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from candor.domain.errors import InvalidInput, Problem
from candor.domain.scoping.plan import Layout, SourceFile, SourceKind

SNIFF_BYTES = 64 * 1024
_NATIVE = re.compile(
    r"(^|/)AWSLogs/(o-[a-z0-9]+/)?\d{12}/CloudTrail/[^/]+/\d{4}/\d{2}/\d{2}/[^/]+\.json\.gz$"
)
_RECORDS_KEY = re.compile(rb'^\{\s*"Records"\s*:')
_JSON_SUFFIXES = (".json", ".jsonl", ".ndjson", ".json.gz", ".jsonl.gz", ".ndjson.gz")
_NOT_LOGS = re.compile(r"^(readme|license|licence|provenance|citation|notice|changelog)", re.I)
_DOC_SUFFIXES = (".md", ".txt", ".yaml", ".yml", ".rst", ".html", ".pdf", ".zip")
# CloudTrail also delivers hourly digest files (signatures, not events) next to the logs
_SKIP_PARTS = ("CloudTrail-Digest",)

SUFFIXES: dict[SourceKind, tuple[str, ...]] = {
    SourceKind.CLOUDTRAIL: _JSON_SUFFIXES,
    SourceKind.JSONL: _JSON_SUFFIXES,
    SourceKind.CSV: (".csv", ".csv.gz", ".tsv", ".tsv.gz"),
    SourceKind.PARQUET: (".parquet", ".pq"),
    SourceKind.WEB: (),  # access.log, access.log.1, access.log.2.gz, apache_logs: any name
}


def discover(kind: SourceKind, paths: Iterable[str]) -> tuple[list[SourceFile], list[str]]:
    """The log files to scan (sorted) and the ones passed over (not logs, or empty).

    A named file is always read; inside a directory only files that look like ``kind``.
    Raises ``InvalidInput`` naming every path that does not exist, cannot be read, or holds
    no logs.
    """
    problems: list[Problem] = []
    found: dict[str, SourceFile] = {}
    skipped: list[str] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            problems.append(Problem("no such file or directory", file=raw))
            continue
        if path.is_dir():
            before = len(found)
            listed = False
            for candidate in _walk(path):
                listed = True
                if not _looks_like(kind, candidate):
                    skipped.append(str(candidate))
                    continue
                _add(kind, candidate, found, skipped, problems)
            if len(found) == before:
                hint = _hint(kind)
                message = "no log files in this directory" if listed else "the directory is empty"
                problems.append(Problem(message, file=raw, hint=hint))
        else:
            _add(kind, path, found, skipped, problems)
    if problems:
        raise InvalidInput(problems)
    if not found:
        raise InvalidInput(
            Problem("every file named is empty", file=", ".join(paths), hint=_hint(kind))
        )
    return [found[k] for k in sorted(found)], sorted(skipped)


def _hint(kind: SourceKind) -> str:
    if kind is SourceKind.CLOUDTRAIL:
        return "expected *.json or *.json.gz (e.g. AWSLogs/<account>/CloudTrail/<region>/…)"
    if kind is SourceKind.WEB:
        return "expected access logs in the combined or common log format"
    return "expected files ending in " + ", ".join(SUFFIXES[kind])


def _walk(root: Path) -> Iterator[Path]:
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _SKIP_PARTS)
        for name in sorted(files):
            if not name.startswith("."):
                yield Path(folder) / name


def _looks_like(kind: SourceKind, path: Path) -> bool:
    name = path.name.lower()
    if kind is SourceKind.WEB:
        return not _NOT_LOGS.match(name) and not name.endswith(_DOC_SUFFIXES)
    return name.endswith(SUFFIXES[kind])


def _add(
    kind: SourceKind,
    path: Path,
    found: dict[str, SourceFile],
    skipped: list[str],
    problems: list[Problem],
) -> None:
    # absolute and normalised: engines report files so (Spark resolves "..")
    key = os.path.abspath(path)
    if key in found:
        return
    try:
        # one open per file, sizes and layout from the same handle: a CloudTrail tree has
        # thousands of files
        with open(key, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size == 0:
                skipped.append(str(path))
                return
            gz = handle.read(2) == b"\x1f\x8b"
            content_size = _gzip_content_size(handle, size) if gz else None
            layout = _layout(kind, path, gz, handle)
    except OSError as exc:
        problems.append(Problem(f"cannot read: {exc.strerror}", file=str(path)))
        return
    found[key] = SourceFile(key, size, layout, gzip=gz, content_size=content_size)


def _gzip_content_size(handle: BinaryIO, size: int) -> int | None:
    """The uncompressed size from gzip's trailer (modulo 4 GiB, so only a lower bound)."""
    if size < 18:
        return None
    handle.seek(size - 4)
    (isize,) = struct.unpack("<I", handle.read(4))
    # a truncated file ends mid-stream and its last bytes are no size at all; deflate
    # expands at most ~1032 times, and rarely shrinks anything by half
    if not size // 2 <= isize <= size * 1100:
        return None
    return int(isize)


def _layout(kind: SourceKind, path: Path, gz: bool, handle: BinaryIO) -> Layout:
    if kind is SourceKind.WEB:
        return Layout.TEXT_LINES
    if kind is SourceKind.CSV:
        return Layout.CSV
    if kind is SourceKind.PARQUET:
        return Layout.PARQUET
    if kind is SourceKind.CLOUDTRAIL and gz and _NATIVE.search(path.as_posix()):
        return Layout.RECORDS_LINES
    head = _head(handle, gz)
    return sniff(head, allow_records=kind is SourceKind.CLOUDTRAIL)


def _head(handle: BinaryIO, gz: bool) -> bytes:
    """The first bytes of the file open in ``handle``, inflated when it is gzip."""
    try:
        handle.seek(0)
        if gz:
            with gzip.GzipFile(fileobj=handle, mode="rb") as inflated:
                return inflated.read(SNIFF_BYTES)
        return handle.read(SNIFF_BYTES)
    except (OSError, EOFError, zlib.error):
        # unreadable: the engine will fail on it and report it as malformed
        return b""


def sniff(head: bytes, *, allow_records: bool = True) -> Layout:
    """The layout of a file from its first bytes (decompressed)."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"["):
        return Layout.ARRAY_DOCUMENT
    if not text.startswith(b"{"):
        # not JSON at all: read line by line so each bad line is counted
        return Layout.RECORD_LINES
    newline = text.find(b"\n")
    first_line = text if newline < 0 else text[:newline]
    whole_line = newline >= 0 or len(head) < SNIFF_BYTES
    if allow_records and _RECORDS_KEY.match(text):
        if newline < 0 or _is_json(first_line):
            return Layout.RECORDS_LINES
        return Layout.RECORDS_DOCUMENT
    if not whole_line or _is_json(first_line):
        return Layout.RECORD_LINES
    return Layout.OBJECTS_DOCUMENT


def _is_json(line: bytes) -> bool:
    try:
        json.loads(line)
    except ValueError:
        return False
    return True
