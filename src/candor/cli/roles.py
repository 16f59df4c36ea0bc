"""``candor role …``"""

from __future__ import annotations

import typer

from candor.cli.common import JSON_OPTION, actor, application, console, print_json
from candor.domain.vocabulary import Role
from candor.services import incidents, views

app = typer.Typer(no_args_is_help=True)


@app.command("assign")
def assign(
    key: str = typer.Argument(..., help="Incident key."),
    role: Role = typer.Argument(..., case_sensitive=False),
    person: str = typer.Argument(..., help="User name, or 'none' to clear the role."),
    expected_version: int | None = typer.Option(None, "--expected-version"),
    json: bool = JSON_OPTION,
) -> None:
    """Give a response role to a person (one person per role)."""
    app_ = application()
    who = None if person.strip().lower() == "none" else person
    incident = incidents.assign_role(
        app_.context, actor(), key, role, who, expected_version=expected_version
    )
    data = views.incident(incident)
    if json:
        print_json(data)
        return
    holder = incident.roles.get(role)
    console.print(f"{incident.key}: {role.value} = {holder or 'unassigned'}.")
    for warning in data["warnings"]:
        console.print(f"Warning: {warning['message']}", markup=False)


@app.command("participants")
def participants(
    key: str = typer.Argument(...),
    add: list[str] = typer.Option([], "--add", help="Add a participant (repeatable)."),
    remove: list[str] = typer.Option([], "--remove", help="Remove a participant (repeatable)."),
) -> None:
    """Add or remove participants (members who may see a restricted incident)."""
    app_ = application()
    incident = incidents.set_participants(
        app_.context, actor(), key, add=tuple(add), remove=tuple(remove)
    )
    console.print(f"{incident.key} participants: {', '.join(sorted(incident.participants))}")
