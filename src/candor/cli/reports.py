"""``candor report …``: enter a report received elsewhere (e-mail, phone) and work the queue.

``add`` reads the report from a file or standard input, so a forwarded e-mail or an armoured
PGP message goes in as it is (``--encrypted``); it is stored exactly as read.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.table import Table

from candor.cli.common import (
    JSON_OPTION,
    NEW_KIND,
    NEW_SEVERITY,
    RESTRICTED,
    actor,
    application,
    console,
    limit_option,
    print_json,
    short_time,
)
from candor.domain.errors import InvalidInput, Problem
from candor.domain.reports import Channel, ReportStatus
from candor.domain.vocabulary import Kind, Severity
from candor.services import reports, views_intake
from candor.services.ports_intake import ReportFilter

app = typer.Typer(no_args_is_help=True)

REPORT_KEY = typer.Argument(
    ..., help="The report's reference, e.g. REP-2026-17 (`candor report list`)."
)


def read_text(source: str, *, field: str) -> str:
    """A file's text, or standard input's for ``-``; it must be UTF-8."""
    try:
        data = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
    except OSError as exc:
        raise InvalidInput(Problem(f"cannot read: {exc.strerror}", file=source)) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            Problem(
                f"is not UTF-8 text (byte {exc.start})",
                field=field,
                file=None if source == "-" else source,
                hint="convert it first, e.g. iconv -f latin1 -t utf-8",
            )
        ) from None


@app.command("add")
def add(
    source: str = typer.Argument(
        "-", metavar="[FILE|-]", help="The report's text (default: standard input)."
    ),
    encrypted: bool = typer.Option(
        False, "--encrypted", help="The text is an ASCII-armoured PGP message (kept as is)."
    ),
    how_found: str = typer.Option("", "--how-found", help="How the reporter found it."),
    affected: str = typer.Option("", "--affected", help="Affected product or URL."),
    name: str = typer.Option("", "--name", help="The reporter's name."),
    email: str = typer.Option("", "--email", help="The reporter's e-mail, for follow-up."),
    json: bool = JSON_OPTION,
) -> None:
    """Store a report received outside Candor; prints its reference."""
    text = read_text(source, field="pgp_message" if encrypted else "what_happened")
    app_ = application()
    made = reports.receive(
        app_.context,
        {
            "pgp_message" if encrypted else "what_happened": text,
            "how_found": how_found,
            "affected": affected,
            "reporter_name": name,
            "reporter_email": email,
        },
        channel=Channel.CLI,
        actor=actor(),
    )
    if json:
        print_json(views_intake.report(made))
    else:
        console.print(f"Received {made.key}.")


@app.command("list")
def list_(
    all_: bool = typer.Option(False, "--all", help="Include promoted and declined reports."),
    status: ReportStatus | None = typer.Option(
        None,
        "--status",
        case_sensitive=False,
        help="Only reports in this state: received (nobody has looked yet), acknowledged, "
        "promoted (to an incident) or declined.",
    ),
    limit: int = limit_option(100, maximum=10_000),
    json: bool = JSON_OPTION,
) -> None:
    """The reports queue, newest first (received and acknowledged unless --all or --status)."""
    chosen: tuple[ReportStatus, ...] = (status,) if status else () if all_ else reports.OPEN
    found = reports.page(application().context, actor(), ReportFilter(status=chosen, limit=limit))
    if json:
        print_json([views_intake.report_summary(r) for r in found.items])
        return
    if not found.items:
        console.print("No reports.")
        return
    table = Table("key", "received", "status", "via", "what happened")
    for item in found.items:
        summary = views_intake.report_summary(item)
        excerpt = ("[encrypted] " if item.submission.encrypted else "") + summary["excerpt"][:80]
        status_text = item.status.value + (f" → {item.incident_key}" if item.incident_key else "")
        table.add_row(
            item.key, short_time(item.received_at), status_text, item.channel.value, excerpt
        )
    console.print(table)


@app.command("show")
def show(
    key: str = REPORT_KEY,
    json: bool = JSON_OPTION,
) -> None:
    """Show a report as received, with its handling and decryption records."""
    view = reports.get(application().context, actor(), key)
    data = views_intake.report(view.report, view.decryptions)
    if json:
        print_json(data)
        return
    r = view.report
    console.print(
        f"{r.key}: {r.status.value}, received {short_time(r.received_at)} via "
        f"{r.channel.value}" + (f" → {r.incident_key}" if r.incident_key else ""),
        markup=False,
    )
    for field in ("what_happened", "how_found", "affected", "reporter_name", "reporter_email"):
        if data[field]:
            console.print(f"{field}:\n{data[field]}", markup=False)
    if r.submission.encrypted:
        console.print(
            f"Encrypted message: {len(r.submission.pgp_message)} characters "
            f"(`candor report decrypt {r.key}`)."
        )
    if r.decline_reason:
        console.print(f"Declined: {r.decline_reason}", markup=False)


@app.command("ack")
def ack(key: str = REPORT_KEY) -> None:
    """Acknowledge a report: someone is looking at it."""
    made = reports.acknowledge(application().context, actor(), key)
    console.print(f"{made.key} acknowledged.")


@app.command("promote")
def promote(
    key: str = REPORT_KEY,
    title: str = typer.Option(
        "", "--title", help="The incident's short, factual title. Unset: the report's first line."
    ),
    kind: Kind = NEW_KIND,
    severity: Severity = NEW_SEVERITY,
    restricted: bool = RESTRICTED,
    json: bool = JSON_OPTION,
) -> None:
    """Declare an incident from a report (the report's text becomes its first finding)."""
    made, incident = reports.promote(
        application().context,
        actor(),
        key,
        title=title,
        kind=kind,
        severity=severity,
        restricted=restricted,
    )
    if json:
        print_json({"report": views_intake.report_summary(made), "incident_key": incident.key})
    else:
        console.print(f"{made.key} promoted to {incident.key}: {incident.title}", markup=False)


@app.command("decline")
def decline(
    key: str = REPORT_KEY,
    reason: str = typer.Option(
        ..., "--reason", help="Why it needs no incident, e.g. 'out of scope: third-party site'."
    ),
) -> None:
    """Decline a report, with the reason."""
    made = reports.decline(application().context, actor(), key, reason=reason)
    console.print(f"{made.key} declined.")


@app.command("decrypt")
def decrypt(
    key: str = REPORT_KEY,
    keep: bool = typer.Option(
        False, "--keep", help="Also store the plaintext as a decryption record."
    ),
    json: bool = JSON_OPTION,
) -> None:
    """Decrypt a report's PGP message with the organisation's key ([pgp] settings)."""
    app_ = application()
    opened = reports.decrypt(
        app_.context, actor(), key, organisation_key=app_.organisation_key(), keep=keep
    )
    if json:
        print_json(views_intake.decryption(opened))
        return
    sys.stdout.write(opened.plaintext + ("" if opened.plaintext.endswith("\n") else "\n"))
