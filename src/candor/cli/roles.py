"""``candor role …``"""

from __future__ import annotations

import typer

from candor.cli.common import (
    EXPECTED_VERSION,
    INCIDENT_KEY,
    JSON_OPTION,
    actor,
    application,
    console,
    print_json,
)
from candor.domain.vocabulary import Role
from candor.services import incidents, views

app = typer.Typer(no_args_is_help=True)


@app.command("assign")
def assign(
    key: str = INCIDENT_KEY,
    role: Role = typer.Argument(
        ...,
        case_sensitive=False,
        help="The response role: incident_lead runs the response, technical_lead the "
        "investigation, comms_lead what is said, scribe the record; counsel and exec_sponsor.",
    ),
    person: str = typer.Argument(..., help="User name, or 'none' to clear the role."),
    expected_version: int | None = EXPECTED_VERSION,
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
    key: str = INCIDENT_KEY,
    add: list[str] = typer.Option([], "--add", help="Add a participant (repeatable)."),
    remove: list[str] = typer.Option([], "--remove", help="Remove a participant (repeatable)."),
) -> None:
    """Add or remove participants (members who may see a restricted incident)."""
    app_ = application()
    incident = incidents.set_participants(
        app_.context, actor(), key, add=tuple(add), remove=tuple(remove)
    )
    console.print(f"{incident.key} participants: {', '.join(sorted(incident.participants))}")
