"""``candor impact …``, ``candor findings …`` and ``candor status-report``."""

from __future__ import annotations

from pathlib import Path

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
)
from candor.domain.errors import InvalidInput, Problem, ProblemCollector
from candor.domain.obligations.reminders import left
from candor.domain.status_report import PARTS, StatusSchedule
from candor.services import impact, status_reports

impact_app = typer.Typer(no_args_is_help=True)
findings_app = typer.Typer(no_args_is_help=True)

ANSWER = typer.Option("unknown", help="yes, no or unknown")
FINDING = typer.Argument(
    ..., help="The finding's number within the incident (`candor findings list`)."
)
SHOWN_VERSION = typer.Option(
    None, "--version", help="The version number (`candor impact versions`). Unset: the current one."
)


@impact_app.command("show")
def show(
    key: str = INCIDENT_KEY,
    version: int | None = SHOWN_VERSION,
    json: bool = JSON_OPTION,
) -> None:
    """Show the impact statement (the current version unless --version)."""
    app = application()
    found = impact.statement(app.context, actor(), key)
    if json:
        chosen = (
            found.current
            if version is None
            else next((v for v in found.versions if v.number == version), None)
        )
        print_json(chosen.as_dict() if chosen else None)
        return
    console.print(impact.markdown(app.context, actor(), key, version), markup=False)


@impact_app.command("save")
def save(
    key: str = INCIDENT_KEY,
    file: Path = typer.Argument(
        ...,
        help="YAML: {sections: {what_happened: {text, "
        "confidence}, …}, affected: {customers, people, confidence}}.",
    ),
    reason: str = typer.Option(..., "--reason", help="Why this version."),
    based_on: int | None = typer.Option(
        None,
        "--based-on",
        help="The version you edited (required once one exists): refused if a newer one was saved.",
    ),
    finding: list[int] = typer.Option([], "--finding", help="Integrate finding N (repeatable)."),
) -> None:
    """Save a new version of the impact statement from a file."""
    from candor.adapters import yamlfile

    document = yamlfile.load(file)
    data = document.data or {}
    if not isinstance(data, dict) or not isinstance(data.get("sections", {}), dict):
        raise InvalidInput(
            Problem("expected a mapping with 'sections' (and 'affected')", file=str(file), line=1)
        )
    app = application()
    version = impact.save_version(
        app.context,
        actor(),
        key,
        sections=data.get("sections", {}),
        affected=data.get("affected") or {},
        reason=reason,
        based_on=based_on,
        findings=finding,
    )
    console.print(f"{key.upper()}: impact statement version {version.number} saved.")


@impact_app.command("versions")
def versions(key: str = INCIDENT_KEY, json: bool = JSON_OPTION) -> None:
    """List the versions."""
    app = application()
    found = impact.statement(app.context, actor(), key)
    if json:
        print_json(
            [
                {
                    "number": v.number,
                    "author": v.author,
                    "created_at": v.created_at.isoformat(),
                    "reason": v.reason,
                    "changed": sorted(s.value for s in v.changed),
                }
                for v in found.versions
            ]
        )
        return
    table = Table("#", "saved", "by", "reason", "changed")
    for v in found.versions:
        table.add_row(
            str(v.number),
            short_time(v.created_at),
            v.author,
            v.reason,
            ", ".join(sorted(s.value for s in v.changed)),
        )
    console.print(table)


@impact_app.command("diff")
def diff(
    key: str = INCIDENT_KEY,
    a: int = typer.Argument(..., help="The older version's number (`candor impact versions`)."),
    b: int = typer.Argument(..., help="The newer version's number."),
    json: bool = JSON_OPTION,
) -> None:
    """Word-level differences between two versions ([-removed-] {+added+})."""
    app = application()
    delta = impact.diff(app.context, actor(), key, a, b)
    if json:
        print_json(delta.as_dict())
    else:
        console.print(delta.render(), markup=False)


@impact_app.command("export")
def export(
    key: str = INCIDENT_KEY,
    version: int | None = SHOWN_VERSION,
    out: Path | None = typer.Option(
        None, "--out", help="The Markdown file to write (replaced if it exists). Unset: stdout."
    ),
) -> None:
    """Export a version as Markdown."""
    app = application()
    text = impact.markdown(app.context, actor(), key, version)
    if out is None:
        print(text, end="")
    else:
        out.write_text(text, encoding="utf-8")
        console.print(f"Wrote {out}")


@findings_app.command("add")
def add(
    key: str = INCIDENT_KEY,
    summary: str = typer.Argument(
        ...,
        help="The new information in one factual sentence, e.g. 'Key AKIA… was used from "
        "203.0.113.9 on 3 March'.",
    ),
    source: str = typer.Option(
        ..., "--source", help="Where it came from: a person, a tool, a log, a vendor."
    ),
    evidence: str = typer.Option("", "--evidence", help="A pointer to the evidence."),
) -> None:
    """Park a new piece of information for review."""
    app = application()
    number, _ = impact.add_finding(
        app.context, actor(), key, summary=summary, source=source, evidence_ref=evidence
    )
    console.print(f"{key.upper()}: finding #{number} added.")


@findings_app.command("review")
def review(
    key: str = INCIDENT_KEY,
    number: int = FINDING,
    customer_impact: str = typer.Option(
        "unknown", "--customer-impact", help="Does it change customer impact? yes, no or unknown"
    ),
    access_path: str = typer.Option(
        "unknown", "--access-path", help="A new access path? yes, no or unknown"
    ),
    new_data: str = typer.Option(
        "unknown", "--new-data", help="New data involved? yes, no or unknown"
    ),
    note: str = typer.Option(
        "", "--note", help="Why you answered so, for whoever writes the next version."
    ),
) -> None:
    """Answer the three questions for a finding."""
    app = application()
    found = impact.review_finding(
        app.context,
        actor(),
        key,
        number,
        changes_customer_impact=customer_impact,
        new_access_path=access_path,
        new_data=new_data,
        note=note,
    )
    console.print(f"Finding #{number}: {found.relevance.value.replace('_', ' ')}.")


@findings_app.command("dismiss")
def dismiss(
    key: str = INCIDENT_KEY,
    number: int = FINDING,
    reason: str = typer.Option(
        ...,
        "--reason",
        help="Why it changes nothing in the impact statement, e.g. 'duplicate of #3'.",
    ),
) -> None:
    """Dismiss a reviewed finding, saying why."""
    app = application()
    impact.dismiss_finding(app.context, actor(), key, number, reason=reason)
    console.print(f"Finding #{number} dismissed.")


@findings_app.command("integrate")
def integrate(
    key: str = INCIDENT_KEY,
    number: int = FINDING,
    version: int = typer.Option(
        ..., "--version", help="The saved impact-statement version that took the finding in."
    ),
) -> None:
    """Record that a saved version already took a reviewed finding in."""
    app = application()
    impact.integrate_finding(app.context, actor(), key, number, version=version)
    console.print(f"Finding #{number} integrated into version {version}.")


@findings_app.command("list")
def list_(key: str = INCIDENT_KEY, json: bool = JSON_OPTION) -> None:
    """List an incident's findings with their state and whether they are overdue."""
    app = application()
    view = impact.findings(app.context, actor(), key)
    overdue = {d.finding.id for d in view.status.overdue}
    if json:
        print_json(
            [{"number": n, **f.as_dict(), "overdue": f.id in overdue} for n, _, f in view.findings]
        )
        return
    table = Table("#", "added", "state", "finding", "source")
    for n, _, f in view.findings:
        state = f.state.value + (" (overdue)" if f.id in overdue else "")
        table.add_row(str(n), short_time(f.added_at), state, f.summary, f.source)
    console.print(table)


@findings_app.command("due")
def due(json: bool = JSON_OPTION) -> None:
    """Open incidents whose findings wait past their review cadence."""
    app = application()
    items = impact.overdue_everywhere(app.context, actor())
    if json:
        print_json(
            [
                {
                    "incident": o.incident.key,
                    "overdue": len(o.status.overdue),
                    "oldest_due_at": o.status.overdue[0].due_at.isoformat(),
                }
                for o in items
            ]
        )
        return
    if not items:
        console.print("No findings are overdue.")
    for o in items:
        console.print(
            f"{o.incident.key}: {len(o.status.overdue)} overdue "
            f"(oldest due {short_time(o.status.overdue[0].due_at)})",
            markup=False,
        )


def status_report(
    key: str = INCIDENT_KEY,
    post: bool = typer.Option(False, "--post", help="Post it to the timeline."),
    edited: Path | None = typer.Option(
        None,
        "--from",
        help="With --post: post this edited report instead of the draft. YAML or JSON with "
        "conditions, actions and needs (lists) and impact_version: the --json output, edited.",
    ),
    json: bool = JSON_OPTION,
) -> None:
    """Draft an internal status report (conditions, actions, needs) from the impact statement,
    and say when the next one is due; --post posts it (edited with --from)."""
    if edited is not None and not post:
        raise InvalidInput(
            Problem("posts the edited report: add --post", field="--from", hint="--post --from")
        )
    app = application()
    if post:
        edit = _load_edit(edited, key) if edited is not None else None
        report = status_reports.post(app.context, actor(), key, edit=edit)
    else:
        report = status_reports.draft(app.context, actor(), key)
    due = status_reports.schedule(app.context, actor(), key)
    if json:
        print_json({**report.as_dict(), "schedule": due.as_dict()})
        return
    console.print(report.body(), markup=False)
    console.print(_due_line(due), markup=False)


def _due_line(due: StatusSchedule) -> str:
    if due.due_at is None:
        return "No internal status report is scheduled (SEV4 or closed)."
    return f"Next status report due {short_time(due.due_at)} ({left(due.due_at, due.now)})."


_OUTPUT_ONLY = {"incident", "title", "as_of", "schedule"}  # in the --json output; not edited


def _load_edit(file: Path, key: str) -> status_reports.Edit:
    from candor.adapters import yamlfile

    document = yamlfile.load(file)
    data = document.data
    problems = ProblemCollector()
    if not isinstance(data, dict):
        raise InvalidInput(
            Problem("expected a mapping with conditions, actions and needs", file=str(file), line=1)
        )
    parts: dict[str, list[str]] = {}
    for name in PARTS:
        items = data.get(name, [])
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            problems.add("must be a list of text items", path=(name,))
            items = []
        parts[name] = items
    version = data.get("impact_version")
    if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
        problems.add("must be a version number, or null before the first", path=("impact_version",))
    for name in sorted(set(data) - {*PARTS, "impact_version", *_OUTPUT_ONLY}):
        problems.add("is not part of a status report", path=(str(name),))
    if str(data.get("incident") or key).upper() != key.strip().upper():
        problems.add(f"is another incident's report, not {key.upper()}", path=("incident",))
    if problems:
        raise InvalidInput(document.locate(problems.problems))
    return status_reports.Edit(
        conditions=parts["conditions"],
        actions=parts["actions"],
        needs=parts["needs"],
        impact_version=version,
    )
