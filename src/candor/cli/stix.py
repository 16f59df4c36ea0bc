"""``candor stix …``: build and check STIX 2.1 bundles from files (no workspace needed)."""

from __future__ import annotations

import json as _json
from collections import Counter
from pathlib import Path

import typer

from candor.adapters import iocfile, jsonfile
from candor.adapters.clock import SystemClock
from candor.adapters.export import stix
from candor.cli.common import JSON_OPTION, console, err, print_json
from candor.domain.indicators import Tlp

app = typer.Typer(no_args_is_help=True)


@app.command("validate")
def validate(
    bundle: Path = typer.Argument(..., help="A STIX 2.1 bundle (JSON).", dir_okay=False),
    json: bool = JSON_OPTION,
) -> None:
    """Check a bundle: every object against the STIX 2.1 reference library, every pattern, and
    every marking reference. Exit code 1 when anything is wrong."""
    data = jsonfile.load(bundle)
    problems = stix.validate_bundle(data)
    objects = data.get("objects", []) if isinstance(data, dict) else []
    types = Counter(str(o.get("type")) for o in objects if isinstance(o, dict))
    levels = sorted(
        {level for o in objects if isinstance(o, dict) and (level := stix.tlp_of(o))},
        key=lambda t: t.rank,
    )
    if json:
        print_json(
            {
                "file": str(bundle),
                "valid": not problems,
                "objects": dict(sorted(types.items())),
                "tlp": [level.label for level in levels],
                "problems": [p.as_dict() for p in problems],
            }
        )
    elif problems:
        err.print(f"{bundle}: {len(problems)} problem(s):", markup=False)
        for problem in problems:
            err.print(f"  - {problem}", markup=False)
    else:
        summary = ", ".join(f"{n} {t}" for t, n in sorted(types.items()))
        marks = ", ".join(level.label for level in levels) or "no TLP 2.0 marking"
        console.print(f"{bundle}: valid STIX 2.1 bundle ({summary}; {marks}).", markup=False)
    if problems:
        raise typer.Exit(1)


@app.command("bundle")
def bundle(
    iocs: Path = typer.Argument(..., help="An IOC list (YAML or JSON).", dir_okay=False),
    organisation: str = typer.Option(..., "--org", help="Your organisation, the bundle's author."),
    out: Path | None = typer.Option(None, "--out", help="Write here instead of standard output."),
    ceiling: Tlp = typer.Option(
        Tlp.AMBER_STRICT,
        "--ceiling",
        help="Refuse items marked above this level. TLP:RED is always refused.",
    ),
    incident: str | None = typer.Option(None, "--incident", help="Incident key to mention."),
) -> None:
    """Turn an IOC list into a STIX 2.1 bundle with TLP 2.0 markings."""
    items = iocfile.load(iocs)
    data = stix.build_bundle(
        items,
        organisation=organisation,
        now=SystemClock().now(),
        ceiling=ceiling,
        incident_key=incident.upper() if incident else None,
    )
    if out is None:
        print_json(data)
    else:
        out.write_text(_json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        console.print(f"{out}: {len(items)} indicators.", markup=False)
