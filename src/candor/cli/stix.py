"""``candor stix …``: check STIX 2.1 bundles (no workspace needed)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import typer

from candor.adapters import jsonfile
from candor.adapters.export import stix
from candor.cli.common import JSON_OPTION, console, err, print_json

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
