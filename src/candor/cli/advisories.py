"""``candor advisory …``: CVE, CSAF and OSV documents from one advisory record, on files.

These commands need no workspace: they read and write files only.
"""

from __future__ import annotations

import json as jsonlib
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer

from candor.adapters.clock import SystemClock
from candor.adapters.export import cvss, formats, validate
from candor.cli.common import JSON_OPTION, console, err, print_json
from candor.domain.errors import InvalidInput, Problem

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


@app.command("export")
def export(
    file: Path = typer.Argument(..., help="The advisory, as YAML in Candor's record format."),
    fmt: Format = typer.Option(..., "--format", case_sensitive=False, help="cve, csaf or osv."),
    out: Path | None = typer.Option(None, "--out", help="Write here instead of to stdout."),
    cve: str | None = typer.Option(
        None, "--cve", help="With several vulnerabilities: the one with this CVE id (cve, osv)."
    ),
    vulnerability: int | None = typer.Option(
        None, "--vulnerability", metavar="N", help="…or the Nth, counted from 0 (cve, osv)."
    ),
) -> None:
    """Export an advisory as a CVE record, a CSAF advisory or an OSV record.

    The output is checked against the official schema (and for CSAF the mandatory tests of
    section 6.1) before it is written; a problem in the YAML is reported with its line."""
    advisory = formats.load_record(file)
    document = formats.export(
        advisory, fmt.value, now=SystemClock().now(), cve=cve, index=vulnerability
    )
    _write(jsonlib.dumps(document, indent=2, ensure_ascii=False) + "\n", out)


@app.command("import")
def import_(
    file: Path = typer.Argument(..., help="A CVE record, CSAF document or OSV record (JSON)."),
    fmt: SourceFormat = typer.Option(
        SourceFormat.AUTO, "--format", case_sensitive=False, help="auto, cve, csaf or osv."
    ),
    out: Path | None = typer.Option(None, "--out", help="Write the YAML here (default stdout)."),
) -> None:
    """Turn a published document into an advisory record (YAML) you can edit and re-export.

    Fields the record has no place for are kept under ``extras`` and written back on export."""
    document = formats.read_document(file)
    advisory = formats.import_document(document, _source(fmt, document))
    _write(formats.dump_record(advisory), out)


@app.command("validate")
def validate_(
    file: Path = typer.Argument(..., help="A CVE record, CSAF document or OSV record."),
    fmt: SourceFormat = typer.Option(
        SourceFormat.AUTO, "--format", case_sensitive=False, help="auto, cve, csaf or osv."
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
