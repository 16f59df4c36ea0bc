"""``candor incident …``"""

from __future__ import annotations

import typer
from rich.table import Table

from candor.cli.common import (
    EXPECTED_VERSION,
    INCIDENT_KEY,
    JSON_OPTION,
    KIND_HELP,
    NEW_KIND,
    NEW_SEVERITY,
    RESTRICTED,
    SEVERITY_HELP,
    actor,
    application,
    console,
    limit_option,
    print_json,
    short_time,
    when,
)
from candor.cli.playbooks import find as find_playbook
from candor.domain.lifecycle import Phase
from candor.domain.vocabulary import Confidentiality, Kind, Role, Severity
from candor.services import incidents, playbooks, tasks, timeline, views
from candor.services.ports import IncidentFilter

app = typer.Typer(no_args_is_help=True)


@app.command("declare")
def declare(
    title: str = typer.Argument(..., help="A short, factual title."),
    summary: str = typer.Option("", "--summary", help="What is known so far."),
    kind: Kind = NEW_KIND,
    severity: Severity = NEW_SEVERITY,
    restricted: bool = RESTRICTED,
    exercise: bool = typer.Option(
        False, "--exercise", help="A practice incident: nothing is sent outside."
    ),
    detected_at: str | None = typer.Option(
        None,
        "--detected-at",
        help="When the first signal was seen: ISO 8601 with a zone, e.g. 2026-03-02T14:00Z. "
        "Unset: not recorded yet (`candor incident set-time`).",
    ),
    aware_at: str | None = typer.Option(
        None,
        "--aware-at",
        help="When the organisation became aware (ISO 8601 with a zone); GDPR and most US state "
        "notification deadlines run from it. Unset: not recorded yet, and the incident warns.",
    ),
    playbook: str | None = typer.Option(
        None, "--playbook", help="Create this playbook's tasks (see `candor playbook list`)."
    ),
    json: bool = JSON_OPTION,
) -> None:
    """Declare an incident. It starts in triage."""
    chosen = find_playbook(playbook) if playbook else None
    app_ = application()
    incident, created = playbooks.declare(
        app_.context,
        actor(),
        chosen,
        title=title,
        summary=summary,
        kind=kind,
        severity=severity,
        confidentiality=Confidentiality.RESTRICTED if restricted else Confidentiality.NORMAL,
        exercise=exercise,
        detected_at=when(detected_at, field="--detected-at"),
        aware_at=when(aware_at, field="--aware-at"),
    )
    if json:
        print_json({**views.incident(incident), "tasks": [views.task(t) for t in created]})
    else:
        console.print(
            f"Declared {incident.key}: {incident.title} ({incident.severity.value}, "
            f"{incident.kind.value}). Phase: triage."
        )
        if chosen is not None:
            console.print(f"Playbook {chosen.name}: {len(created)} tasks created.")
        for warning in views.incident(incident)["warnings"]:
            console.print(f"Warning: {warning['message']}")


@app.command("list")
def list_(
    all_: bool = typer.Option(False, "--all", help="Include closed and declined incidents."),
    phase: Phase | None = typer.Option(
        None, "--phase", case_sensitive=False, help="Only incidents in this phase."
    ),
    severity: Severity | None = typer.Option(
        None, "--severity", help="Only incidents of this severity."
    ),
    limit: int = limit_option(100, maximum=10_000),
    json: bool = JSON_OPTION,
) -> None:
    """List incidents (open ones unless --all), newest first."""
    app_ = application()
    now = app_.clock.now()
    items = incidents.list_incidents(
        app_.context,
        actor(),
        IncidentFilter(open_only=not all_, phase=phase, severity=severity, limit=limit),
    )
    if json:
        print_json([views.incident_summary(i, now=now) for i in items])
        return
    if not items:
        console.print("No incidents." if all_ else "No open incidents.")
        return
    table = Table("key", "severity", "phase", "title", "lead", "declared")
    for item in items:
        lead = item.roles.get(Role.INCIDENT_LEAD)
        title = ("[exercise] " if item.exercise else "") + item.title
        table.add_row(
            item.key,
            item.severity.value,
            item.phase.value,
            title,
            lead or "—",
            short_time(item.declared_at),
        )
    console.print(table)


@app.command("show")
def show(
    key: str = INCIDENT_KEY,
    json: bool = JSON_OPTION,
) -> None:
    """Show an incident: header, roles, warnings, open tasks and the latest timeline entries."""
    app_ = application()
    who = actor()
    incident = incidents.get(app_.context, who, key)
    if json:
        print_json(views.incident(incident, now=app_.clock.now()))
        return
    data = views.incident(incident)
    flag = " [EXERCISE]" if incident.exercise else ""
    restricted = " [restricted]" if incident.confidentiality.value == "restricted" else ""
    console.print(f"{incident.key}{flag}{restricted}: {incident.title}", markup=False)
    console.print(
        f"  {incident.severity.value} · {incident.kind.value} · phase "
        f"{incident.phase.value} · version {incident.version}"
    )
    if incident.summary:
        console.print(f"  {incident.summary}", markup=False)
    for clock, value in data["clocks"].items():
        if value:
            console.print(f"  {clock}: {value}")
    console.print("Roles:")
    if incident.roles:
        for role, person in sorted(incident.roles.items()):
            console.print(f"  {role.value}: {person}")
    else:
        console.print("  none assigned")
    for warning in data["warnings"]:
        console.print(f"Warning: {warning['message']}", markup=False)
    open_tasks = tasks.list_tasks(app_.context, who, key, open_only=True)
    if open_tasks:
        console.print("Open tasks:")
        for task in open_tasks:
            owner = task.owner or "unassigned"
            console.print(f"  {task.seq}. {task.title} ({owner})", markup=False)
    entries = timeline.show(app_.context, who, key, newest_first=True, limit=10)
    console.print("Latest timeline entries:")
    for entry in reversed(entries):
        console.print(
            f"  #{entry.seq} {short_time(entry.occurred_at)} {entry.kind.value} "
            f"{entry.author}: {entry.body}",
            markup=False,
        )


@app.command("update")
def update(
    key: str = INCIDENT_KEY,
    title: str | None = typer.Option(
        None, "--title", help="A new short, factual title. Unset: unchanged."
    ),
    summary: str | None = typer.Option(
        None, "--summary", help="A new summary of what is known. Unset: unchanged."
    ),
    kind: Kind | None = typer.Option(
        None, "--kind", case_sensitive=False, help=KIND_HELP + " Unset: unchanged."
    ),
    severity: Severity | None = typer.Option(
        None, "--severity", help=SEVERITY_HELP + " Unset: unchanged."
    ),
    confidentiality: Confidentiality | None = typer.Option(
        None,
        "--confidentiality",
        case_sensitive=False,
        help="restricted: need-to-know, only members (roles, participants, the declarer) and "
        "admins see it; normal: everyone signed in. Unset: unchanged.",
    ),
    reason: str = typer.Option("", "--reason", help="Why (recorded on the timeline)."),
    expected_version: int | None = EXPECTED_VERSION,
    json: bool = JSON_OPTION,
) -> None:
    """Change an incident's title, summary, kind, severity or confidentiality."""
    changes = {
        name: value
        for name, value in (
            ("title", title),
            ("summary", summary),
            ("kind", kind),
            ("severity", severity),
            ("confidentiality", confidentiality),
        )
        if value is not None
    }
    if not changes:
        raise typer.BadParameter(
            "give at least one of --title, --summary, --kind, --severity, --confidentiality"
        )
    app_ = application()
    incident = incidents.update(
        app_.context, actor(), key, changes, expected_version=expected_version, reason=reason
    )
    if json:
        print_json(views.incident(incident))
    else:
        console.print(f"Updated {incident.key} (version {incident.version}).")


@app.command("transition")
def transition(
    key: str = INCIDENT_KEY,
    phase: Phase = typer.Argument(..., case_sensitive=False, help="The phase to move to."),
    reason: str = typer.Option(
        "", "--reason", help="Why, recorded on the timeline; required to decline."
    ),
    expected_version: int | None = EXPECTED_VERSION,
    json: bool = JSON_OPTION,
) -> None:
    """Move an incident to another phase."""
    app_ = application()
    incident = incidents.transition(
        app_.context, actor(), key, phase, reason=reason, expected_version=expected_version
    )
    if json:
        print_json(views.incident(incident))
    else:
        console.print(f"{incident.key} is now in {incident.phase.value}.")


@app.command("close")
def close(
    key: str = INCIDENT_KEY,
    reason: str = typer.Option(
        "", "--reason", help="Why it can be closed, e.g. 'retro published'; on the timeline."
    ),
    json: bool = JSON_OPTION,
) -> None:
    """Close an incident (from post_incident)."""
    transition(key, Phase.CLOSED, reason=reason, expected_version=None, json=json)


@app.command("set-time")
def set_time(
    key: str = INCIDENT_KEY,
    clock: str = typer.Argument(
        ...,
        help="detected_at, aware_at, breach_determined_at, "
        "materiality_determined_at or classified_major_at",
    ),
    value: str = typer.Argument(..., help="ISO 8601 time with zone, or 'none' to clear."),
    reason: str = typer.Option(
        "",
        "--reason",
        help="How the time was established, e.g. 'first SIEM alert'; on the timeline, for "
        "whoever checks the deadlines later.",
    ),
) -> None:
    """Record a legal-clock time; notification deadlines run from these."""
    app_ = application()
    instant = None if value.strip().lower() == "none" else when(value, field="value")
    incident = incidents.set_clock(app_.context, actor(), key, clock, instant, reason=reason)
    console.print(f"{incident.key}: {clock} = {value}.")
