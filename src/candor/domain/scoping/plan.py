"""What to scan: the source kind, the files (already listed and sniffed by the adapter), the
indicators and the window.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from candor.domain.scoping.indicators import IndicatorSet
from candor.domain.scoping.mapping import FieldMapping


class SourceKind(StrEnum):
    CLOUDTRAIL = "cloudtrail"
    WEB = "web"
    JSONL = "jsonl"
    CSV = "csv"
    PARQUET = "parquet"

    @property
    def needs_mapping(self) -> bool:
        return self in (SourceKind.JSONL, SourceKind.CSV, SourceKind.PARQUET)


class Layout(StrEnum):
    """How records sit in one file; decides how an engine reads it."""

    RECORDS_LINES = "records_lines"  # CloudTrail native: {"Records": [...]} on one line
    RECORDS_DOCUMENT = "records_document"  # the same, pretty-printed (exports, forwarders)
    ARRAY_DOCUMENT = "array_document"  # a JSON array of records
    RECORD_LINES = "record_lines"  # JSON Lines: one record per line
    OBJECTS_DOCUMENT = "objects_document"  # pretty-printed records one after another
    TEXT_LINES = "text_lines"  # web access logs
    CSV = "csv"
    PARQUET = "parquet"

    @property
    def whole_file(self) -> bool:
        """One parse error spoils the whole file (the parser cannot resynchronise on a line)."""
        return self in (
            Layout.RECORDS_DOCUMENT,
            Layout.ARRAY_DOCUMENT,
            Layout.OBJECTS_DOCUMENT,
            Layout.PARQUET,
        )


@dataclass(frozen=True, slots=True)
class SourceFile:
    path: str
    size: int  # bytes on disk
    layout: Layout
    gzip: bool = False
    # uncompressed size when known (gzip's trailer holds it modulo 4 GiB), else ``size``
    content_size: int | None = None

    @property
    def expanded_size(self) -> int:
        return self.content_size if self.content_size is not None else self.size


@dataclass(frozen=True, slots=True)
class ScanPlan:
    source: SourceKind
    files: tuple[SourceFile, ...]
    indicators: IndicatorSet
    mapping: FieldMapping | None = None
    strict: bool = False
    skipped_files: tuple[str, ...] = ()  # listed but not logs (README, digests, empty files)

    @property
    def bytes_total(self) -> int:
        return sum(f.size for f in self.files)
