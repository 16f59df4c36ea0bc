"""``candor retro …``, ``candor actions``, ``candor metrics`` and ``candor export-report``: the
retro of an incident, its action items, response metrics and reports from the command line."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.table import Table

from candor.adapters import yamlfile
from candor.adapters.export import learn as exports
from candor.adapters.formatting import duration, margin, when
from candor.cli.common import INCIDENT_KEY, JSON_OPTION, actor, application, console, print_json
from candor.domain.errors import InvalidInput, Problem, RuleFileError
from candor.domain.metrics import MEASURE_LABELS
from candor.domain.retro_items import ActionKind, ActionStatus
from candor.domain.retros import RetroStatus
from candor.services import learn_metrics, retros, views_learn

app = typer.Typer(no_args_is_help=True)
action_app = typer.Typer(no_args_is_help=True)
app.add_typer(action_app, name="action", help="Action items of the retro.")

ACTION_NUMBER = typer.Argument(
    ..., help="The action item's number within the incident (`candor retro show KEY`)."
)


def _show(key: str, json: bool) -> None:
    app_ = application()
    view = retros.get(app_.context, actor(), key, policy=app_.blameless_policy)
    if json:
        print_json(views_learn.retro_view(view))
        return
    retro = retros.require(view)
    console.print(f"{view.incident.key} retro: {retro.status.value}", markup=False)
    for i, chain in enumerate(retro.chains, start=1):
        console.print(f"chain {i}: {chain.problem}", markup=False)
        for step in chain.steps:
            console.print(f"  {step.why} → {step.because}", markup=False)
    for item in retro.action_items:
        console.print(
            f"#{item.seq} [{item.kind.value}] {item.title} — {item.owner or 'no owner'}, "
            f"due {item.due_on or '—'}, {item.status.value}",
            markup=False,
        )
    if view.review:
        for nudge in view.review.nudges:
            console.print(f"nudge (chain {nudge.chain + 1}): {nudge.message}", markup=False)
        for hint in view.review.hints:
            console.print(f"hint ({hint.field}): {hint.message}", markup=False)


@app.command("show")
def show(key: str = INCIDENT_KEY, json: bool = JSON_OPTION) -> None:
    """The retro, with its nudges and blameless-language hints."""
    _show(key, json)


@app.command("start")
def start(key: str = INCIDENT_KEY) -> None:
    """Start a draft retro (summary from the incident, impact from the final statement)."""
    made = retros.start(application().context, actor(), key)
    console.print(f"{made.incident_key}: retro started (draft).", markup=False)


@app.command("edit")
def edit(
    key: str = INCIDENT_KEY,
    file: Path = typer.Argument(
        ...,
        help="YAML or JSON: summary, impact, went_well, went_poorly, lucky, chains, "
        "contributing_factors, action_items, timeline_entries.",
        dir_okay=False,
    ),
) -> None:
    """Edit the retro from a file; every problem is reported with its line."""
    doc = yamlfile.load(file)
    if doc.problems:
        raise RuleFileError(doc.problems)
    data = doc.data if isinstance(doc.data, dict) else None
    if data is None:
        raise InvalidInput(Problem("must be a mapping of the fields to change", file=str(file)))
    changes = dict(data)
    entries = changes.pop("timeline_entries", None)
    try:
        retros.revise(application().context, actor(), key, changes, timeline_entries=entries)
    except InvalidInput as exc:
        raise RuleFileError(
            doc.locate(
                [
                    Problem(p.message, hint=p.hint, path=_path(p.field)) if p.field else p
                    for p in exc.problems
                ]
            )
        ) from None
    console.print(f"{key.upper()}: retro saved.")


def _path(field: str) -> tuple[str | int, ...]:
    """``chains[0].steps[1].because`` → ``("chains", 0, "steps", 1, "because")``."""
    parts: list[str | int] = []
    for piece in field.replace("]", "").split("."):
        name, *indices = piece.split("[")
        parts.append(name)
        parts += [int(i) for i in indices if i.isdigit()]
    return tuple(parts)


@app.command("chain")
def chain(
    key: str = INCIDENT_KEY,
    problem: str = typer.Option(..., "--problem", help="What went wrong."),
    steps: list[str] = typer.Option(
        ..., "--step", help="'why? :: because', in order; repeat for each level."
    ),
) -> None:
    """Add a five-whys chain."""
    parsed = []
    for i, step in enumerate(steps):
        if "::" not in step:
            raise InvalidInput(Problem("write the step as 'why? :: because'", field=f"--step[{i}]"))
        why, because = step.split("::", 1)
        parsed.append({"why": why.strip(), "because": because.strip()})
    made = retros.add_chain(application().context, actor(), key, problem=problem, steps=parsed)
    console.print(f"{made.incident_key}: chain {len(made.chains)} added.", markup=False)


@app.command("status")
def status(
    key: str = INCIDENT_KEY,
    target: RetroStatus = typer.Argument(
        ..., help="The retro's new status: draft, in_review or published."
    ),
) -> None:
    """Move the retro: draft → in_review → published (review may send it back to draft)."""
    made = retros.set_status(application().context, actor(), key, target)
    console.print(f"{made.incident_key}: retro is {made.status.value}.", markup=False)


@action_app.command("add")
def action_add(
    key: str = INCIDENT_KEY,
    title: str = typer.Option(
        ..., "--title", help="What to change, as an instruction, e.g. 'Scan commits for keys'."
    ),
    kind: ActionKind = typer.Option(
        ...,
        "--kind",
        help="prevent (removes the cause), detect (finds it sooner), mitigate (limits the "
        "damage) or process (how the team works).",
    ),
    owner: str | None = typer.Option(
        None, "--owner", help="User name of who sees it through. Unset: no owner yet."
    ),
    due: str | None = typer.Option(None, "--due", help="UTC date, e.g. 2026-12-01."),
    tracker: str | None = typer.Option(None, "--tracker", help="Link to your tracker's item."),
    json: bool = JSON_OPTION,
) -> None:
    """Add an action item."""
    item = retros.add_action_item(
        application().context,
        actor(),
        key,
        title=title,
        kind=kind.value,
        owner=owner,
        due_on=due,
        tracker_url=tracker,
    )
    if json:
        print_json(views_learn.action_item(item))
    else:
        console.print(f"{key.upper()}: action item {item.seq} added.")


@action_app.command("status")
def action_status(
    key: str = INCIDENT_KEY,
    seq: int = ACTION_NUMBER,
    target: ActionStatus = typer.Argument(..., help="The action item's new status."),
) -> None:
    """Set an action item's status (also after the retro is published)."""
    item = retros.set_action_status(application().context, actor(), key, seq, target.value)
    console.print(f"{key.upper()}: action item {item.seq} is {item.status.value}.")


def actions(
    open_only: bool = typer.Option(False, "--open", help="Only open and in-progress items."),
    owner: str | None = typer.Option(
        None, "--owner", help="Only items owned by this user name. Unset: everyone's."
    ),
    json: bool = JSON_OPTION,
) -> None:
    """Action items across incidents, overdue first."""
    rows = retros.action_items(application().context, actor(), open_only=open_only, owner=owner)
    if json:
        print_json([views_learn.action_row(r) for r in rows])
        return
    if not rows:
        console.print("No action items.")
        return
    table = Table("incident", "#", "action item", "kind", "owner", "due", "status")
    for r in rows:
        late = f" (overdue {r.days_overdue} d)" if r.overdue else ""
        table.add_row(
            r.incident.key,
            str(r.item.seq),
            r.item.title,
            r.item.kind.value,
            r.item.owner or "—",
            (str(r.item.due_on) if r.item.due_on else "—") + late,
            r.item.status.value,
        )
    console.print(table)


def metrics(
    incident: str | None = typer.Option(None, "--incident", help="One incident in detail."),
    exercises: bool = typer.Option(False, "--exercises", help="Include exercises."),
    json: bool = JSON_OPTION,
) -> None:
    """Response times, obligation margins, overdue action items and recurring root causes."""
    app_ = application()
    if incident:
        facts = learn_metrics.incident_facts(app_.context, actor(), incident)
        found = facts.metrics(now=app_.context.clock.now())
        if json:
            print_json(views_learn.metrics(found))
            return
        for measure, span in found.spans.items():
            console.print(f"{MEASURE_LABELS[measure]}: {duration(span.duration)}", markup=False)
        for o in found.obligations:
            console.print(
                f"{o.name} ({o.recipient}): {o.state.value}, deadline {when(o.deadline)}, "
                f"{margin(o.margin, o.state)}",
                markup=False,
            )
        return
    overview = learn_metrics.overview(app_.context, actor(), include_exercises=exercises)
    if json:
        print_json(views_learn.overview(overview))
        return
    for s in overview.summaries:
        console.print(
            f"{MEASURE_LABELS[s.measure]}: median {duration(s.median)}, p90 {duration(s.p90)} "
            f"({s.count} incidents)",
            markup=False,
        )
    console.print(f"Overdue action items: {len(overview.overdue)}")
    for r in overview.recurring:
        console.print(f"Recurring root cause: {r.examples[0]} ({', '.join(r.incident_keys)})")


def export_report(
    key: str = INCIDENT_KEY,
    kind: exports.Kind = typer.Option(
        exports.Kind.INCIDENT,
        "--kind",
        help="Which report: incident (the full report), retro, counsel (the packet for "
        "counsel) or writeup (a draft of the public write-up, internal names replaced).",
    ),
    fmt: str = typer.Option("md", "--format", help="md, docx or pdf."),
    privileged: bool = typer.Option(
        False, "--privileged", help="Mark every page PRIVILEGED & CONFIDENTIAL."
    ),
    out: Path | None = typer.Option(None, "--out", help="Default: KEY-KIND.FORMAT here."),
) -> None:
    """Write the incident report, the retro, the counsel packet or the public write-up draft."""
    made = exports.download(application().context, actor(), key, kind, fmt, privileged=privileged)
    if out is not None and str(out) == "-":
        sys.stdout.buffer.write(made.content)
        return
    target = out or Path(made.filename)
    target.write_bytes(made.content)
    console.print(f"{target}: {len(made.content)} bytes.", markup=False)
    if made.replaced:
        replaced = ", ".join(f"{n} {k}" for k, n in sorted(made.replaced.items()) if n)
        console.print(f"Replaced in the draft: {replaced or 'nothing'}. Read every line.")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="retro", help="The blameless retro of an incident.")
    root.command("actions")(actions)
    root.command("metrics")(metrics)
    root.command("export-report")(export_report)
