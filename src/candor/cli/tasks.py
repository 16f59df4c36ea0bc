"""``candor task …``"""

from __future__ import annotations

import typer
from rich.table import Table

from candor.cli.common import JSON_OPTION, actor, application, console, print_json, short_time, when
from candor.domain.lifecycle import Phase
from candor.domain.tasks import TaskStatus
from candor.services import tasks, views

app = typer.Typer(no_args_is_help=True)


@app.command("add")
def add(
    key: str = typer.Argument(..., help="Incident key."),
    title: str = typer.Argument(...),
    owner: str | None = typer.Option(None, "--owner"),
    due: str | None = typer.Option(None, "--due", help="ISO 8601 time."),
    phase: Phase | None = typer.Option(None, "--phase", case_sensitive=False),
    notes: str = typer.Option("", "--notes"),
    json: bool = JSON_OPTION,
) -> None:
    """Add a task to an incident."""
    app_ = application()
    task = tasks.add(
        app_.context,
        actor(),
        key,
        title=title,
        owner=owner,
        due_at=when(due, field="--due"),
        phase=phase,
        notes=notes,
    )
    if json:
        print_json(views.task(task))
    else:
        console.print(f"Task {task.seq} added to {key.upper()}: {task.title}", markup=False)


@app.command("done")
def done(
    key: str = typer.Argument(...),
    seq: int = typer.Argument(..., help="Task number."),
    json: bool = JSON_OPTION,
) -> None:
    """Mark a task done."""
    app_ = application()
    task = tasks.set_status(app_.context, actor(), key, seq, TaskStatus.DONE)
    if json:
        print_json(views.task(task))
    else:
        console.print(f"Task {task.seq} done.")


@app.command("status")
def status(
    key: str = typer.Argument(...),
    seq: int = typer.Argument(...),
    status: TaskStatus = typer.Argument(..., case_sensitive=False),
) -> None:
    """Set a task's status (open, in_progress, done, cancelled)."""
    app_ = application()
    task = tasks.set_status(app_.context, actor(), key, seq, status)
    console.print(f"Task {task.seq} is {task.status.value}.")


@app.command("list")
def list_(
    key: str = typer.Argument(...),
    open_only: bool = typer.Option(False, "--open", help="Only open tasks."),
    json: bool = JSON_OPTION,
) -> None:
    """List an incident's tasks."""
    app_ = application()
    items = tasks.list_tasks(app_.context, actor(), key, open_only=open_only)
    if json:
        print_json([views.task(t) for t in items])
        return
    if not items:
        console.print("No tasks.")
        return
    table = Table("#", "status", "title", "owner", "due", "phase")
    for t in items:
        table.add_row(
            str(t.seq),
            t.status.value,
            t.title,
            t.owner or "—",
            short_time(t.due_at),
            t.phase.value if t.phase else "—",
        )
    console.print(table)
