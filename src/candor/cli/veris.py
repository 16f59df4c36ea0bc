"""``candor veris …``: check and read VERIS 1.4 incident records (no workspace needed)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import typer

from candor.adapters import jsonfile
from candor.adapters.export import veris
from candor.cli.common import JSON_OPTION, console, err, print_json
from candor.domain.errors import InvalidInput, Problem

app = typer.Typer(no_args_is_help=True)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _in_file(problems: list[Problem], file: Path) -> list[Problem]:
    return [Problem(p.message, field=p.field, file=str(file), hint=p.hint) for p in problems]


@app.command("validate")
def validate(
    record: Path = typer.Argument(..., help="A VERIS record (JSON).", dir_okay=False),
    json: bool = JSON_OPTION,
) -> None:
    """Check a record against the VERIS 1.4 schema, naming every field that is wrong."""
    data = jsonfile.load(record)
    problems = veris.validate(data)
    if json:
        print_json(
            {
                "file": str(record),
                "valid": not problems,
                "problems": [p.as_dict() for p in problems],
            }
        )
    elif problems:
        err.print(f"{record}: {len(problems)} problem(s):", markup=False)
        for problem in problems:
            err.print(f"  - {problem}", markup=False)
    else:
        console.print(f"{record}: valid VERIS 1.4 record.", markup=False)
    if problems:
        raise typer.Exit(1)


def _view(item: veris.Imported) -> dict[str, Any]:
    c = item.classification
    return {
        "incident_id": item.incident_id,
        "title": item.title,
        "summary": item.summary,
        "kind": item.kind.value,
        "severity": item.severity.value,
        "occurred": item.occurred.as_dict(),
        "security_incident": c.security_incident,
        "actor": sorted(c.actor),
        "action": sorted(c.action),
        "attribute": sorted(c.attribute),
        "schema_version": item.schema_version,
        "source_id": item.source_id,
        "notes": [p.as_dict() for p in item.notes],
        # what Candor would export again: the content only, so no modification time is needed
        "record": veris.essentials(veris.reexport(item, now=EPOCH)),
    }


@app.command("import")
def import_(
    record: Path = typer.Argument(..., help="A VERIS record (JSON), 1.3.x or 1.4.", dir_okay=False),
    json: bool = JSON_OPTION,
) -> None:
    """Read a VERIS record into Candor's terms (kind, severity to confirm, dates, the 4 A's).
    Organisation extensions in ``plus`` beyond VERIS 1.4 are kept as notes, not refused."""
    data = jsonfile.load(record)
    try:
        item = veris.import_record(data)
    except InvalidInput as exc:
        raise InvalidInput(_in_file(exc.problems, record)) from None
    if json:
        print_json(_view(item))
        return
    occurred = "-".join(f"{v:02d}" for v in item.occurred.as_dict().values())
    console.print(f"{item.title}", markup=False)
    console.print(
        f"  {item.kind.value}, {item.severity.value} (to confirm in triage), occurred {occurred}, "
        f"VERIS {item.schema_version}, {item.classification.security_incident}",
        markup=False,
    )
    c = item.classification
    console.print(
        f"  actor: {', '.join(c.actor)}; action: {', '.join(c.action)}; "
        f"attribute: {', '.join(c.attribute) or '—'}",
        markup=False,
    )
    for note in item.notes:
        console.print(f"  note: {note} (kept, outside VERIS 1.4)", markup=False)
