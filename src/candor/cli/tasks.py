"""``candor task …``"""

from __future__ import annotations

import typer
from rich.table import Table

from candor.cli.common import (
    INCIDENT_KEY,
    JSON_OPTION,
    actor,
    application,
    console,
    print_json,
    short_time,
    when,
)
from candor.domain.lifecycle import Phase
from candor.domain.tasks import TaskStatus
from candor.services import tasks, views

app = typer.Typer(no_args_is_help=True)

TASK_NUMBER = typer.Argument(
    ..., help="The task's number within the incident (`candor task list KEY`)."
)


@app.command("add")
def add(
    key: str = INCIDENT_KEY,
    title: str = typer.Argument(
        ..., help="What to do, as an instruction, e.g. 'Rotate the leaked AWS key'."
    ),
    owner: str | None = typer.Option(
        None, "--owner", help="User name of who does it. Unset: unassigned."
    ),
    due: str | None = typer.Option(
        None, "--due", help="When it must be done: ISO 8601 time, e.g. 2026-03-02T18:00Z."
    ),
    phase: Phase | None = typer.Option(
        None,
        "--phase",
        case_sensitive=False,
        help="The response phase it belongs to, to group the task list. Unset: none.",
    ),
    notes: str = typer.Option("", "--notes", help="How to do it, links, context."),
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
    key: str = INCIDENT_KEY,
    seq: int = TASK_NUMBER,
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
    key: str = INCIDENT_KEY,
    seq: int = TASK_NUMBER,
    status: TaskStatus = typer.Argument(..., case_sensitive=False, help="The task's new status."),
) -> None:
    """Set a task's status (open, in_progress, done, cancelled)."""
    app_ = application()
    task = tasks.set_status(app_.context, actor(), key, seq, status)
    console.print(f"Task {task.seq} is {task.status.value}.")


@app.command("list")
def list_(
    key: str = INCIDENT_KEY,
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
