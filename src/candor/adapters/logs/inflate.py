"""gzip JSON documents inflated here with ISA-L and handed to the engine as an Arrow stream.

CloudTrail's native layout is thousands of small gzip files, each one JSON document. DuckDB
inflates gzip itself, single-threaded per file and with a slower inflater: on a 1.5 GB corpus
that was about half of a scan's CPU time (12 CPU-seconds against 6 for the same logs
uncompressed). ISA-L (``isal``, Intel's storage acceleration library) inflates the same files
in under one CPU-second. The inflated documents go to DuckDB in Arrow batches; DuckDB parses
them on all its threads as before.

Reading the files here also isolates a broken one: a truncated or corrupt gzip file, or one
that is not UTF-8, is recorded in ``errors`` with the reason and left out, and the scan goes
on. (DuckDB failed the whole batch on such a file, and the batch had to be read again.)
"""

from __future__ import annotations

import array
import struct
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

import pyarrow as pa
import pyarrow.compute as pc
from isal import igzip, isal_zlib

from candor.domain.scoping.plan import SourceFile

MIB = 1024 * 1024
DOCUMENTS = pa.schema([("filename", pa.string()), ("json", pa.large_string())])
AHEAD_BYTES = 64 * MIB  # inflated ahead of the engine, at most (bounds memory)
UNREADABLE = (OSError, EOFError, UnicodeDecodeError, isal_zlib.error)
_OFFSETS = struct.Struct("=2q")  # one value's offsets in a large binary array: 0 and its end


def _load(path: str, lines: bool) -> pa.RecordBatch | None:
    """``path`` inflated into one batch, or None when it holds nothing. Runs in a worker
    thread: ISA-L and Arrow's kernels release Python's lock, so files load side by side with
    the engine pulling the stream."""
    with open(path, "rb") as handle:
        doc = igzip.decompress(handle.read())
    if not doc or doc.isspace():  # nothing in it: no rows, as DuckDB reads it
        return None
    return _batch(path, doc, lines=lines)


def _reason(error: BaseException) -> str:
    if isinstance(error, EOFError):
        return f"truncated gzip: {error}"
    if isinstance(error, UnicodeDecodeError):
        return f"not UTF-8 text (byte {error.start})"
    return f"unreadable gzip: {error}"


class Documents:
    """The inflated documents of ``files``, one row each (``filename``, ``json``)."""

    def __init__(
        self,
        files: Sequence[SourceFile],
        *,
        lines: bool,
        threads: int,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        self.files = list(files)
        self.lines = lines  # one JSON value per line (else the whole file is one)
        self.threads = max(1, threads)
        self.progress = progress  # called with each file's size on disk once it is read
        self.errors: dict[str, str] = {}  # path → why it was left out

    def reader(self) -> pa.RecordBatchReader:
        """A fresh stream over the files (a stream is read once; each query takes its own)."""
        self.errors = {}
        return pa.RecordBatchReader.from_batches(DOCUMENTS, self._batches())

    def _batches(self) -> Iterator[pa.RecordBatch]:
        """One batch per file: the inflated bytes become the Arrow buffer without a copy."""
        waiting: deque[tuple[SourceFile, Future[pa.RecordBatch | None]]] = deque()
        queued = 0
        pending = iter(self.files)
        with ThreadPoolExecutor(self.threads, thread_name_prefix="candor-inflate") as pool:
            while True:
                while queued < AHEAD_BYTES:
                    source = next(pending, None)
                    if source is None:
                        break
                    waiting.append((source, pool.submit(_load, source.path, self.lines)))
                    queued += source.expanded_size
                if not waiting:
                    return
                source, future = waiting.popleft()
                queued -= source.expanded_size
                if self.progress is not None:
                    self.progress(source.size)
                try:
                    batch = future.result()
                except UNREADABLE as error:
                    self.errors[source.path] = _reason(error)
                    continue
                if batch is not None:
                    yield batch


def _batch(name: str, doc: bytes, *, lines: bool) -> pa.RecordBatch:
    binary = pa.LargeBinaryArray.from_buffers(
        pa.large_binary(),
        1,
        [None, pa.py_buffer(_OFFSETS.pack(0, len(doc))), pa.py_buffer(doc)],
    )
    try:
        text = binary.cast(pa.large_string())  # checks UTF-8 in C++, keeps the buffers
    except pa.ArrowInvalid:
        doc.decode("utf-8")  # raises UnicodeDecodeError, which says where
        raise
    if lines and doc.find(b"\n", 0, len(doc) - 1) != -1:  # memchr: count() is 10x slower
        # several values, one per line (CloudTrail writes one line per file): split in C++;
        # blank lines are skipped, as DuckDB's own reader does
        text = pc.split_pattern(text, "\n").flatten()
        text = text.filter(pc.cast(pc.utf8_length(pc.utf8_trim_whitespace(text)), pa.bool_()))
    return pa.record_batch([_repeat(name, len(text)), text], schema=DOCUMENTS)


def _repeat(name: str, times: int) -> pa.StringArray:
    """``name`` ``times`` over, built from its buffers. (``pa.array`` and ``pa.repeat`` import
    pandas on first use, to check for its types: 0.3 s, under Python's lock, mid-scan.)"""
    data = name.encode()
    offsets = array.array(
        "i", range(0, (times + 1) * len(data), len(data)) if data else [0] * (times + 1)
    )
    return pa.StringArray.from_buffers(times, pa.py_buffer(offsets), pa.py_buffer(data * times))
