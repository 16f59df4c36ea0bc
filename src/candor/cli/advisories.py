"""``candor advisory …``: CVE, CSAF and OSV documents from one advisory record.

``export``, ``import``, ``validate`` and ``cvss`` work on files and need no workspace; ``export``
also takes the id of an advisory in the workspace and ``import --store`` keeps the advisory
there. The commands on stored advisories are in ``advisory_store``.
"""

from __future__ import annotations

import json as jsonlib
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer

from candor.adapters.clock import SystemClock
from candor.adapters.export import cvss, formats, validate
from candor.adapters.export.osv import pick
from candor.bootstrap import Application
from candor.cli import advisory_store
from candor.cli.common import JSON_OPTION, actor, application, console, err, print_json
from candor.domain.advisory_store import document_name
from candor.domain.errors import InvalidInput, Problem
from candor.services import advisories

app = typer.Typer(no_args_is_help=True)


class Format(StrEnum):
    CVE = "cve"
    CSAF = "csaf"
    OSV = "osv"


class SourceFormat(StrEnum):
    AUTO = "auto"
    CVE = "cve"
    CSAF = "csaf"
    OSV = "osv"


def _write(text: str, out: Path | None) -> None:
    if out is None:
        console.out(text, end="", highlight=False)
        return
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(Problem(f"cannot write: {exc.strerror}", field=str(out))) from None
    err.print(f"Wrote {out}", markup=False)


def _source(fmt: SourceFormat, document: Any) -> validate.Format:
    if fmt is SourceFormat.AUTO:
        return validate.detect(document)
    return fmt.value  # type: ignore[return-value]


def _looks_like_file(source: str) -> bool:
    return Path(source).exists() or source.endswith((".yaml", ".yml", ".json"))


@app.command("export")
def export(
    source: str = typer.Argument(
        ...,
        metavar="ID|FILE",
        help="An advisory in the workspace (ACME-SA-2026-001), or a YAML record file.",
    ),
    fmt: Format = typer.Option(
        ...,
        "--format",
        case_sensitive=False,
        help="The document to write: a CVE record, a CSAF advisory or an OSV record.",
    ),
    out: Path | None = typer.Option(None, "--out", help="Write here instead of to stdout."),
    cve: str | None = typer.Option(
        None, "--cve", help="With several vulnerabilities: the one with this CVE id (cve, osv)."
    ),
    vulnerability: int | None = typer.Option(
        None, "--vulnerability", metavar="N", help="…or the Nth, counted from 0 (cve, osv)."
    ),
    revision: str | None = typer.Option(
        None,
        "--revision",
        help="A stored advisory's document exactly as this revision published it (byte for "
        "byte, as hashed); default: the advisory as it is now.",
    ),
) -> None:
    """Export an advisory as a CVE record, a CSAF advisory or an OSV record.

    The output is checked against the official schema (and for CSAF the mandatory tests of
    section 6.1) before it is written; a problem in the YAML is reported with its line."""
    if _looks_like_file(source):
        if revision is not None:
            raise InvalidInput(Problem("only for advisories in the workspace", field="--revision"))
        advisory = formats.load_record(source)
        document = formats.export(
            advisory, fmt.value, now=SystemClock().now(), cve=cve, index=vulnerability
        )
        _write(jsonlib.dumps(document, indent=2, ensure_ascii=False) + "\n", out)
        return
    app = application()
    if revision is not None:
        _write(_published(app, source, fmt.value, revision, cve, vulnerability), out)
        return
    document = advisories.export(
        app.context, actor(), app.advisories, source, fmt.value, index=vulnerability, cve=cve
    )
    _write(jsonlib.dumps(document, indent=2, ensure_ascii=False) + "\n", out)


def _published(
    app: Application, key: str, fmt: str, number: str, cve: str | None, index: int | None
) -> str:
    view = advisories.get(app.context, actor(), key)
    found = next((r for r in view.revisions if r.number == number), None)
    if found is None:
        numbers = ", ".join(r.number for r in view.revisions) or "none yet"
        raise InvalidInput(Problem(f"{view.stored.key} has no revision {number} ({numbers})",
                                   field="--revision"))  # fmt: skip
    published = found.advisory
    name = "csaf.json"
    if fmt != "csaf":
        i = pick(published, cve=cve, index=index)
        name = document_name(fmt, i, len(published.vulnerabilities))
    _, document = advisories.revision_document(app.context, actor(), key, found.ordinal, name)
    return document.content


@app.command("import")
def import_(
    file: Path = typer.Argument(..., help="A CVE record, CSAF document or OSV record (JSON)."),
    fmt: SourceFormat = typer.Option(
        SourceFormat.AUTO,
        "--format",
        case_sensitive=False,
        help="What the file is; auto tells a CVE record, CSAF document or OSV record apart "
        "by its content.",
    ),
    out: Path | None = typer.Option(None, "--out", help="Write the YAML here (default stdout)."),
    store: bool = typer.Option(
        False,
        "--store",
        help="Keep the advisory in the workspace under its own id instead of writing YAML.",
    ),
) -> None:
    """Turn a published document into an advisory record (YAML) you can edit and re-export,
    or with --store keep it in the workspace (published ones become their first revision).

    Fields the record has no place for are kept under ``extras`` and written back on export."""
    document = formats.read_document(file)
    advisory = formats.import_document(document, _source(fmt, document))
    if not store:
        _write(formats.dump_record(advisory), out)
        return
    app = application()
    stored, rendered = advisories.store_imported(
        app.context, actor(), app.advisories, advisory, source=file.name
    )
    state = f"published, revision {stored.published_number}" if stored.ever_published else "draft"
    console.print(f"Stored {stored.key} ({state}).", markup=False)
    for problem in rendered.problems if rendered else ():
        err.print(f"Not made: {problem}", markup=False)


@app.command("validate")
def validate_(
    file: Path = typer.Argument(..., help="A CVE record, CSAF document or OSV record."),
    fmt: SourceFormat = typer.Option(
        SourceFormat.AUTO,
        "--format",
        case_sensitive=False,
        help="What the file is; auto tells a CVE record, CSAF document or OSV record apart "
        "by its content.",
    ),
    json: bool = JSON_OPTION,
) -> None:
    """Check a document against its official schema and, for CSAF, the mandatory tests.

    Exits 1 when anything fails, naming each failure and where it is."""
    document = formats.read_document(file)
    source = _source(fmt, document)
    found = validate.failures(document, source)
    if json:
        print_json(
            {
                "file": str(file),
                "format": source,
                "valid": not found,
                "failures": [
                    {"check": f.check, "path": f.path or "/", "message": f.message} for f in found
                ],
            }
        )
    elif found:
        for failure in found:
            console.print(f"{file}: {failure}", markup=False)
        err.print(f"{len(found)} problem(s) in {file} ({source}).", markup=False)
    else:
        console.print(f"{file}: valid {source}", markup=False)
    if found:
        raise typer.Exit(1)


@app.command("cvss")
def score(
    vector: str = typer.Argument(..., help="A CVSS v2.0, v3.0, v3.1 or v4.0 vector."),
    json: bool = JSON_OPTION,
) -> None:
    """Compute the score and severity of a CVSS vector."""
    c = cvss.compute(vector)
    if json:
        print_json(
            {
                "version": c.version.value,
                "vector": c.vector,
                "base_score": c.base_score,
                "severity": c.severity.value,
            }
        )
    else:
        console.print(f"{c.base_score} {c.severity.value} (CVSS {c.version.value})", markup=False)


advisory_store.register(app)
