"""The CSAF 2.0 provider layout (section 7.1): what an aggregator or a scanner downloads.

    .well-known/csaf/provider-metadata.json      requirement 7 and 9
    .well-known/csaf/white/index.txt             requirement 12: every document, by path
    .well-known/csaf/white/changes.csv           requirement 13: path and release time, newest first
    .well-known/csaf/white/2026/acme-sa-2026-001.json          requirement 11: a folder per year
    .well-known/csaf/white/2026/acme-sa-2026-001.json.sha256   requirement 18: integrity
    .well-known/csaf/white/2026/acme-sa-2026-001.json.sha512

Only TLP:CLEAR advisories are public (CSAF 2.0 still calls the label WHITE, hence the folder).
The same files are served by the web application and written by ``candor advisory publish-dir``
(``layout``), so a static copy hosted elsewhere is byte for byte what the server answers.
Signatures (requirement 19) are not made: Candor holds no signing key.
"""

from __future__ import annotations

import hashlib
import html
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from candor.adapters.export.schemas import provider_validator
from candor.adapters.export.validate import pointer
from candor.domain.advisory_dump import instant
from candor.domain.advisory_store import csaf_filename
from candor.domain.errors import InvalidInput, Problem

ROOT = ".well-known/csaf"
FOLDER = "white"  # TLP:CLEAR, in CSAF 2.0's TLP 1.0 words
METADATA = f"{ROOT}/provider-metadata.json"
DIRECTORY = f"{ROOT}/{FOLDER}"
HASHES = ("sha256", "sha512")


@dataclass(frozen=True, slots=True)
class ProviderSettings:
    public_url: str  # where the site is reached, without a trailing slash
    publisher: dict[str, Any]  # the CSAF publisher object
    list_on_aggregators: bool = True
    mirror_on_aggregators: bool = True


@dataclass(frozen=True, slots=True)
class Entry:
    """One public CSAF document, as stored with its latest published revision."""

    tracking_id: str
    year: str  # of the initial release (requirement 11)
    current_release: str  # /document/tracking/current_release_date, as the document writes it
    released_at: datetime
    content: bytes

    @property
    def filename(self) -> str:
        return csaf_filename(self.tracking_id)

    @property
    def path(self) -> str:
        """The path inside the TLP folder: ``2026/acme-sa-2026-001.json``."""
        return f"{self.year}/{self.filename}"


def entry(content: bytes, released_at: datetime) -> Entry:
    tracking = json.loads(content)["document"]["tracking"]
    return Entry(
        tracking_id=tracking["id"],
        year=str(tracking["initial_release_date"])[:4],
        current_release=str(tracking["current_release_date"]),
        released_at=released_at,
        content=content,
    )


@dataclass(frozen=True, slots=True)
class PublicFile:
    content: bytes
    media_type: str
    last_modified: datetime


def provider_metadata(settings: ProviderSettings, *, last_updated: datetime) -> dict[str, Any]:
    """The provider metadata, checked against the CSAF 2.0 provider schema."""
    base = settings.public_url.rstrip("/")
    document = {
        "canonical_url": f"{base}/{METADATA}",
        "distributions": [{"directory_url": f"{base}/{DIRECTORY}/"}],
        "last_updated": instant(last_updated),
        "list_on_CSAF_aggregators": settings.list_on_aggregators,
        "metadata_version": "2.0",
        "mirror_on_CSAF_aggregators": settings.mirror_on_aggregators,
        "publisher": settings.publisher,
        "role": "csaf_provider",
    }
    errors = sorted(provider_validator().iter_errors(document), key=lambda e: list(e.path))
    if errors:
        raise InvalidInput(
            [
                Problem(
                    f"provider metadata: {e.message}",
                    field=pointer(list(e.absolute_path)) or "/",
                    hint="check [advisories] publisher settings and web.public_url",
                )
                for e in errors
            ]
        )
    return document


def index_txt(entries: list[Entry]) -> str:
    return "".join(f"{e.path}\n" for e in sorted(entries, key=lambda e: e.path, reverse=True))


def changes_csv(entries: list[Entry]) -> str:
    """Requirement 13: no heading, newest first; quoted as CSAF 2.0's example quotes."""
    ordered = sorted(entries, key=lambda e: (e.released_at, e.path), reverse=True)
    return "".join(f'"{e.path}","{e.current_release}"\n' for e in ordered)


def hash_line(content: bytes, filename: str, algorithm: str) -> str:
    """``<hex>  <file name>``, the form ``sha256sum -c`` checks."""
    return f"{hashlib.new(algorithm, content).hexdigest()}  {filename}\n"


def listing(title: str, names: list[str]) -> str:
    """A plain directory listing (requirement 14), linking each name relatively."""
    items = "".join(
        f'<li><a href="{html.escape(n, quote=True)}">{html.escape(n)}</a></li>\n' for n in names
    )
    return (
        '<!doctype html>\n<html lang="en">\n<head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head>\n<body>\n<h1>{html.escape(title)}</h1>\n"
        f"<ul>\n{items}</ul>\n</body>\n</html>\n"
    )


def layout(
    entries: list[Entry], settings: ProviderSettings, *, now: datetime
) -> dict[str, PublicFile]:
    """Every file of the provider directory, by path (directories end with ``/``)."""
    last = max((e.released_at for e in entries), default=now.astimezone(UTC))
    metadata = provider_metadata(settings, last_updated=last)
    files: dict[str, PublicFile] = {
        METADATA: PublicFile(_json(metadata), "application/json", last),
        f"{DIRECTORY}/index.txt": PublicFile(
            index_txt(entries).encode(), "text/plain; charset=utf-8", last
        ),
        f"{DIRECTORY}/changes.csv": PublicFile(
            changes_csv(entries).encode(), "text/csv; charset=utf-8", last
        ),
    }
    years: dict[str, list[str]] = {}
    for e in entries:
        folder = f"{DIRECTORY}/{e.year}"
        files[f"{folder}/{e.filename}"] = PublicFile(e.content, "application/json", e.released_at)
        names = years.setdefault(e.year, [])
        names.append(e.filename)
        for algorithm in HASHES:
            name = f"{e.filename}.{algorithm}"
            files[f"{folder}/{name}"] = PublicFile(
                hash_line(e.content, e.filename, algorithm).encode(),
                "text/plain; charset=utf-8",
                e.released_at,
            )
            names.append(name)
    html_type = "text/html; charset=utf-8"
    files[f"{ROOT}/"] = PublicFile(
        listing("CSAF", ["provider-metadata.json", f"{FOLDER}/"]).encode(), html_type, last
    )
    files[f"{DIRECTORY}/"] = PublicFile(
        listing(
            f"CSAF {FOLDER}", ["changes.csv", "index.txt", *[f"{y}/" for y in sorted(years)]]
        ).encode(),
        html_type,
        last,
    )
    for year, names in years.items():
        newest = max(e.released_at for e in entries if e.year == year)
        files[f"{DIRECTORY}/{year}/"] = PublicFile(
            listing(f"CSAF {FOLDER} {year}", sorted(names)).encode(), html_type, newest
        )
    return files


def _json(document: dict[str, Any]) -> bytes:
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode()
