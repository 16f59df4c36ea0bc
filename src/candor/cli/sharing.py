"""``candor indicator …`` and the workspace commands of ``candor stix`` and ``candor veris``:
indicators stored on an incident, its STIX bundle and VERIS record, VERIS import."""

from __future__ import annotations

import json as _json
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from candor.adapters import jsonfile
from candor.adapters.export import learn as exports
from candor.cli import stix, veris
from candor.cli.common import (
    INCIDENT_KEY,
    JSON_OPTION,
    actor,
    application,
    console,
    print_json,
    short_time,
)
from candor.domain.indicators import IndicatorType, Tlp
from candor.services import sharing, views_learn

app = typer.Typer(no_args_is_help=True)


@app.command("add")
def add(
    key: str = INCIDENT_KEY,
    type_: IndicatorType = typer.Option(
        ..., "--type", help="What the value is: an address, domain, URL, file hash, e-mail …"
    ),
    value: str = typer.Option(
        ..., "--value", help="The indicator itself, e.g. 203.0.113.9 or evil.example."
    ),
    tlp: Tlp = typer.Option(
        ..., "--tlp", help="TLP 2.0 level: who the people you share it with may pass it to."
    ),
    description: str = typer.Option(
        "", "--description", help="What it is and how it was used, for whoever receives it."
    ),
) -> None:
    """Add an indicator to share, under a TLP 2.0 level."""
    seq = sharing.add_indicator(
        application().context,
        actor(),
        key,
        type=type_.value,
        value=value,
        tlp=tlp.value,
        description=description,
    )
    console.print(f"{key.upper()}: indicator #{seq} added.")


@app.command("import")
def import_(
    key: str = INCIDENT_KEY,
    result: Path = typer.Argument(
        ..., help="JSON of `candor scope run --out-json`.", dir_okay=False
    ),
    tlp: Tlp = typer.Option(Tlp.AMBER, "--tlp", help="Level for what scoping saw."),
) -> None:
    """Import the indicators a scoping run saw (already present ones are skipped)."""
    data = jsonfile.load(result)
    seqs = sharing.import_scoping(
        application().context, actor(), key, data, tlp=tlp, file=str(result)
    )
    console.print(f"{key.upper()}: {len(seqs)} indicators imported.")


@app.command("list")
def list_(key: str = INCIDENT_KEY, json: bool = JSON_OPTION) -> None:
    """The incident's indicators."""
    found = sharing.get(application().context, actor(), key)
    if json:
        print_json([views_learn.indicator(s) for s in found.indicators])
        return
    table = Table("#", "type", "value", "tlp", "source", "first seen")
    for s in found.indicators:
        i = s.indicator
        table.add_row(
            str(s.seq), i.type.value, i.value, i.tlp.label, i.source.value, short_time(i.first_seen)
        )
    console.print(table)


@app.command("remove")
def remove(
    key: str = INCIDENT_KEY,
    seq: int = typer.Argument(
        ..., help="The indicator's number within the incident (`candor indicator list KEY`)."
    ),
) -> None:
    """Remove an indicator from sharing."""
    sharing.remove_indicator(application().context, actor(), key, seq)
    console.print(f"{key.upper()}: indicator #{seq} removed.")


def _write(data: Any, out: Path | None) -> None:
    if out is None:
        print_json(data)
    else:
        out.write_text(_json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        console.print(f"{out} written.", markup=False)


def stix_export(
    key: str = INCIDENT_KEY,
    ceiling: Tlp = typer.Option(
        Tlp.AMBER_STRICT,
        "--ceiling",
        help="The most restricted TLP level to include; indicators above it are left out.",
    ),
    out: Path | None = typer.Option(
        None, "--out", help="The JSON file to write (replaced if it exists). Unset: stdout."
    ),
) -> None:
    """The incident's indicators as a STIX 2.1 bundle; TLP:RED items are refused, each named."""
    _write(exports.stix_bundle(application().context, actor(), key, ceiling=ceiling), out)


def veris_export(
    key: str = INCIDENT_KEY,
    out: Path | None = typer.Option(
        None, "--out", help="The JSON file to write (replaced if it exists). Unset: stdout."
    ),
) -> None:
    """The incident as a VERIS 1.4 record, checked against the schema."""
    _write(exports.veris_record(application().context, actor(), key), out)


def veris_classify(
    key: str = INCIDENT_KEY,
    file: Path = typer.Argument(
        ..., help="JSON: actor, action, asset, attribute …", dir_okay=False
    ),
) -> None:
    """Set the incident's VERIS classification (checked against VERIS 1.4)."""
    exports.classify(application().context, actor(), key, jsonfile.load(file))
    console.print(f"{key.upper()}: VERIS classification saved.")


def veris_declare(
    record: Path = typer.Argument(..., help="A VERIS record (JSON).", dir_okay=False),
) -> None:
    """Declare an incident from a VERIS record and keep its classification."""
    made = exports.veris_import(
        application().context, actor(), jsonfile.load(record), file=str(record)
    )
    console.print(f"Declared {made} from {record}.", markup=False)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="indicator", help="Indicators an incident shares, with TLP 2.0.")
    stix.app.command("export")(stix_export)
    veris.app.command("export")(veris_export)
    veris.app.command("classify")(veris_classify)
    veris.app.command("declare")(veris_declare)
