"""``candor audit …``"""

from __future__ import annotations

import typer
from rich.table import Table

from candor.cli.common import (
    JSON_OPTION,
    actor,
    application,
    console,
    err,
    limit_option,
    print_json,
    short_time,
)
from candor.domain.audit import AuditFilter
from candor.services import audit, views

app = typer.Typer(no_args_is_help=True)


@app.command("verify")
def verify(json: bool = JSON_OPTION) -> None:
    """Check the audit log's hash chain; names the first tampered record."""
    app_ = application()
    result = audit.verify(app_.context, actor())
    if json:
        print_json(views.verification(result))
    elif result.ok:
        console.print(f"Audit log verified: {result.checked} records, head {result.head[:16]}…")
        for line in views.redaction_lines(result):
            console.print(f"  {line}")
    else:
        assert result.first_bad is not None
        err.print(
            f"Audit log FAILED verification at {result.first_bad.label}: "
            f"{result.first_bad.reason}. {result.checked} records before it verified.",
            markup=False,
        )
    if not result.ok:
        raise typer.Exit(1)


@app.command("list")
def list_(
    incident: str | None = typer.Option(None, "--incident", help="Only this incident."),
    who: str | None = typer.Option(None, "--actor", help="Only this user."),
    action: str | None = typer.Option(None, "--action", help="Action prefix, e.g. incident."),
    limit: int = limit_option(50, maximum=10_000),
    json: bool = JSON_OPTION,
) -> None:
    """List audit records, newest first."""
    app_ = application()
    records = audit.list_records(
        app_.context,
        actor(),
        AuditFilter(
            actor=who,
            action_prefix=action,
            incident_key=incident.upper() if incident else None,
            limit=limit,
        ),
    )
    if json:
        print_json([views.audit_record(r) for r in records])
        return
    table = Table("#", "at", "actor", "action", "target", "incident")
    for r in records:
        table.add_row(
            str(r.seq),
            short_time(r.at),
            r.actor,
            r.action,
            f"{r.target_type}:{r.target_id[:12]}",
            r.incident_key or "—",
        )
    console.print(table)
