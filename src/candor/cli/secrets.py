"""``candor secrets …``: what a leaked secret is, what it grants, how to revoke and rotate it.

Pass ``-`` and paste the value on standard input: a secret typed as an argument lands in the
shell's history file (and in the process list while the command runs). Only the masked form is
ever printed.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from candor.adapters.rules_files import load_secret_catalogue
from candor.cli.common import JSON_OPTION, console, err, print_json
from candor.domain.secrets import SecretMatch, identify

app = typer.Typer(no_args_is_help=True)

CATALOGUE_OPTION = typer.Option(
    None,
    "--catalogue",
    metavar="FILE",
    help="A catalogue file of the same format, instead of the packaged one.",
)


@app.command("identify")
def identify_(
    value: str = typer.Argument(
        ...,
        metavar="VALUE|-",
        help="The value, or - to read it from standard input (keeps it out of shell history).",
    ),
    catalogue: Path | None = CATALOGUE_OPTION,
    json: bool = JSON_OPTION,
) -> None:
    """Recognise secrets in a pasted value: type, masked value, what it grants, how to rotate.

    Exits 1 when nothing known was recognised.
    """
    if value == "-":
        text = sys.stdin.read()
    else:
        text = value
        err.print(
            "Tip: run `candor secrets identify -` and paste the value, so it stays out of your "
            "shell history.",
            markup=False,
        )
    matches = identify(text, load_secret_catalogue(catalogue))
    if json:
        print_json([m.as_dict() for m in matches])
    else:
        for index, match in enumerate(matches):
            if index:
                console.print()
            _show(match)
        if not matches:
            console.print("No known secret type recognised.", markup=False)
    if not matches:
        raise typer.Exit(1)


def _show(match: SecretMatch) -> None:
    kind = match.type
    out = [f"{kind.name} ({kind.provider}): {match.masked}"]
    out += [f"  {name}: {value}" for name, value in match.details]
    out += ["", f"Grants: {kind.grants}", "", "Revoke now:"]
    out += [f"  {i}. {step}" for i, step in enumerate(kind.revoke, start=1)]
    out += ["Rotate:"]
    out += [f"  {i}. {step}" for i, step in enumerate(kind.rotate, start=1)]
    if kind.notes:
        out += [f"Note: {kind.notes}"]
    out += [f"Docs: {kind.docs}"]
    console.print("\n".join(out), markup=False)


@app.command("types")
def types(catalogue: Path | None = CATALOGUE_OPTION, json: bool = JSON_OPTION) -> None:
    """List the secret types the catalogue recognises."""
    loaded = load_secret_catalogue(catalogue)
    if json:
        print_json([t.as_dict() for t in loaded.types])
        return
    for kind in loaded.types:
        console.print(f"{kind.id:34} {kind.name} ({kind.provider})", markup=False)
