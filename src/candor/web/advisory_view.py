"""How an advisory reads on a page: version ranges in words, scores, the documents to download.

Shared by the signed-in pages and the public ones (and the static copy ``publish-dir`` writes),
so an advisory reads the same wherever it is shown.
"""

from __future__ import annotations

from dataclasses import dataclass

from candor.domain.advisories import (
    Advisory,
    Affected,
    EventKind,
    Status,
    VersionRange,
    Vulnerability,
)
from candor.domain.advisory_store import Document, document_name

FORMAT_LABELS = {"csaf": "CSAF 2.0", "cve": "CVE JSON 5.1", "osv": "OSV"}


def range_text(r: VersionRange) -> str:
    """``>= 1.0.0, < 1.4.2 (python)``; several runs joined with ``;``."""
    runs: list[str] = []
    start: str | None = None
    for event in r.events:
        if event.kind is EventKind.INTRODUCED:
            if start is not None:
                runs.append(_run(start, None, None))
            start = event.version
            continue
        if event.kind is EventKind.LAST_AFFECTED:
            runs.append(_run(start, "<=", event.version))
        else:  # fixed, limit: the first version past the run
            runs.append(_run(start, "<", event.version))
        start = None
    if start is not None:
        runs.append(_run(start, None, None))
    text = "; ".join(runs) or "all versions"
    prefix = "" if r.status is Status.AFFECTED else f"{r.status.value}: "
    return f"{prefix}{text} ({r.scheme})"


def _run(start: str | None, op: str | None, end: str | None) -> str:
    lower = f">= {start}" if start not in (None, "0", "*") else ""
    if end == "*":
        return "all versions" if not lower else f"{lower}, all later versions"
    upper = f"{op} {end}" if op and end else ""
    return ", ".join(p for p in (lower, upper) if p) or "all versions"


def link(url: str | None) -> str | None:
    """The URL if it is safe to put in an ``href``: http(s) only. The record accepts any
    ``scheme://`` address, and ``javascript://…%0A…`` is one; the static copy of the public site
    is served without Candor's Content-Security-Policy, so the page must not rely on it."""
    if url and url.lower().startswith(("https://", "http://")):
        return url
    return None


def status_text(status: Status | None) -> str:
    return {
        None: "",
        Status.AFFECTED: "affected",
        Status.UNAFFECTED: "not affected",
        Status.FIXED: "fixed",
        Status.UNKNOWN: "unknown",
    }[status]


def product_text(a: Affected) -> str:
    name = a.label
    if a.package and a.package != a.product:
        name += f" ({a.ecosystem + ': ' if a.ecosystem else ''}{a.package})"
    return name


def title_of(advisory: Advisory, v: Vulnerability) -> str:
    return v.title or v.cve or advisory.title or advisory.id


@dataclass(frozen=True, slots=True)
class Download:
    format: str
    name: str
    label: str
    index: int | None  # the vulnerability, for CVE and OSV


def downloads(advisory: Advisory) -> list[Download]:
    """What the working copy can be exported as: CSAF, and per vulnerability OSV and (with a CVE
    id) CVE. Whether each export succeeds is decided when it is asked for."""
    out = [Download("csaf", "csaf.json", "CSAF", None)]
    count = len(advisory.vulnerabilities)
    for i, v in enumerate(advisory.vulnerabilities):
        suffix = "" if count == 1 else f" ({v.cve or f'vulnerability {i + 1}'})"
        if v.cve:
            out.append(Download("cve", document_name("cve", i, count), f"CVE{suffix}", i))
        out.append(Download("osv", document_name("osv", i, count), f"OSV{suffix}", i))
    return out


def document_label(d: Document) -> str:
    return f"{FORMAT_LABELS.get(d.format, d.format)} — {d.name}"
