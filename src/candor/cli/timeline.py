"""``candor timeline …``"""

from __future__ import annotations

import typer

from candor.cli.common import (
    INCIDENT_KEY,
    JSON_OPTION,
    actor,
    application,
    console,
    err,
    print_json,
    short_time,
    when,
)
from candor.domain.timeline import EntryKind
from candor.services import timeline, views

app = typer.Typer(no_args_is_help=True)


@app.command("add")
def add(
    key: str = INCIDENT_KEY,
    body: str = typer.Argument(..., help="What happened, was found, decided or done."),
    kind: EntryKind = typer.Option(
        EntryKind.NOTE,
        "--kind",
        case_sensitive=False,
        help="What the entry is: note, finding, decision, action, communication or evidence "
        "(the other kinds are written by Candor itself; use them only with --corrects).",
    ),
    occurred_at: str | None = typer.Option(
        None, "--at", help="When it happened (ISO 8601); default now."
    ),
    corrects: int | None = typer.Option(
        None, "--corrects", metavar="N", help="This entry corrects entry N (both stay visible)."
    ),
    json: bool = JSON_OPTION,
) -> None:
    """Append an entry to the timeline. Entries are never edited; correct them with --corrects."""
    app_ = application()
    entry = timeline.add(
        app_.context,
        actor(),
        key,
        kind=kind,
        body=body,
        occurred_at=when(occurred_at, field="--at"),
        corrects=corrects,
    )
    if json:
        print_json(views.entry(entry))
    else:
        console.print(f"Entry #{entry.seq} added to {key.upper()}.")


@app.command("show")
def show(
    key: str = INCIDENT_KEY,
    limit: int | None = typer.Option(
        None, "--limit", min=1, help="Show only the first N entries (oldest first). Unset: all."
    ),
    json: bool = JSON_OPTION,
) -> None:
    """Show the timeline, oldest first."""
    app_ = application()
    entries = timeline.show(app_.context, actor(), key, limit=limit)
    if json:
        print_json([views.entry(e) for e in entries])
        return
    corrected = {e.corrects for e in entries if e.corrects}
    for e in entries:
        mark = " (corrected below)" if e.seq in corrected else ""
        ref = f" [corrects #{e.corrects}]" if e.corrects else ""
        console.print(
            f"#{e.seq} {short_time(e.occurred_at)} {e.kind.value}{ref} {e.author}: {e.body}{mark}",
            markup=False,
        )


@app.command("verify")
def verify(
    key: str = INCIDENT_KEY,
    json: bool = JSON_OPTION,
) -> None:
    """Check the hash chain: any edited, removed or reordered entry is named."""
    app_ = application()
    result = timeline.verify(app_.context, actor(), key)
    if json:
        print_json(views.verification(result))
    elif result.ok:
        console.print(
            f"{key.upper()}: timeline verified, {result.checked} entries, head {result.head[:16]}…"
        )
        for line in views.redaction_lines(result):
            console.print(f"  {line}")
    else:
        assert result.first_bad is not None
        err.print(
            f"{key.upper()}: timeline FAILED verification at {result.first_bad.label}: "
            f"{result.first_bad.reason}. {result.checked} entries before it verified.",
            markup=False,
        )
    if not result.ok:
        raise typer.Exit(1)
