"""``candor playbook …``: list, show and check playbooks; apply one to an incident."""

from __future__ import annotations

from pathlib import Path

import typer

from candor.adapters import prepare_files
from candor.cli.common import (
    INCIDENT_KEY,
    JSON_OPTION,
    actor,
    application,
    console,
    err,
    print_json,
    short_time,
)
from candor.domain.fields import format_duration
from candor.domain.playbooks import Playbook, PlaybookTask, as_data, parse_playbook
from candor.services import playbooks, views

app = typer.Typer(no_args_is_help=True)


def library() -> prepare_files.Library[Playbook]:
    """The packaged playbooks and the organisation's (``[prepare] playbooks_dir``), checked."""
    settings = application(require_schema=False).settings
    return prepare_files.load_playbooks(settings.prepare.playbooks_dir).require()


def find(name: str) -> Playbook:
    return library().get(name).value


@app.command("list")
def list_(json: bool = JSON_OPTION) -> None:
    """The playbooks: packaged ones and the organisation's own."""
    items = library().entries
    if json:
        print_json(
            [
                {**as_data(e.value), "file": e.file, "packaged": e.packaged}
                for _, e in sorted(items.items())
            ]
        )
        return
    for name, entry in sorted(items.items()):
        p = entry.value
        origin = "" if entry.packaged else f"  [{entry.file}]"
        kinds = ", ".join(k.value for k in p.kinds)
        console.print(f"{name}: {p.title} ({len(p.tasks)} tasks; {kinds}){origin}", markup=False)


@app.command("show")
def show(name: str = typer.Argument(..., help="Playbook name."), json: bool = JSON_OPTION) -> None:
    """A playbook's roles, contacts and tasks per phase."""
    entry = library().get(name)
    p = entry.value
    if json:
        print_json({**as_data(p), "file": entry.file, "packaged": entry.packaged})
        return
    out = [f"{p.name}: {p.title} (version {p.version}; {entry.file})", "", p.summary, "", "Roles:"]
    out += [f"  {role.value}: {why}" for role, why in p.roles]
    out += ["", "Call:"]
    out += [f"  {category.value}: {why}" for category, why in p.contacts]
    for phase in p.phases():
        out += ["", f"{phase.value}:"]
        for task in p.tasks_in(phase):
            extra = [x for x in (task.role.value if task.role else "", _within(task)) if x]
            out.append(f"  - {task.title}" + (f" ({', '.join(extra)})" if extra else ""))
            if task.notes:
                out.append(f"      {task.notes}")
    console.print("\n".join(out), markup=False)


def _within(task: PlaybookTask) -> str:
    return f"within {format_duration(task.within)}" if task.within else ""


@app.command("check")
def check(
    files: list[Path] = typer.Argument(
        None, metavar="[FILE.yaml]...", help="Files to check; default: the whole library."
    ),
) -> None:
    """Check playbook files; every problem with its file:line:column. Exits 1 on any problem."""
    if files:
        problems = prepare_files.check_files(files, parse_playbook)
        count = len(files)
    else:
        settings = application(require_schema=False).settings
        loaded = prepare_files.load_playbooks(settings.prepare.playbooks_dir)
        problems, count = loaded.problems, loaded.files
    if problems:
        for problem in problems:
            err.print(str(problem), markup=False)
        err.print(f"{len(problems)} problem(s) in {count} file(s).")
        raise typer.Exit(1)
    console.print(f"{count} file(s): no problems.")


@app.command("apply")
def apply(
    key: str = INCIDENT_KEY,
    name: str = typer.Argument(..., help="Playbook name."),
    json: bool = JSON_OPTION,
) -> None:
    """Create a playbook's tasks on an incident declared without it."""
    playbook = find(name)
    app_ = application()
    created = playbooks.apply(app_.context, actor(), key, playbook)
    if json:
        print_json([views.task(t) for t in created])
        return
    console.print(f"Playbook {playbook.name}: {len(created)} tasks added to {key.upper()}.")
    for task in created:
        due = f", due {short_time(task.due_at)}" if task.due_at else ""
        console.print(f"  {task.seq}. [{task.phase}] {task.title}{due}", markup=False)
