"""``candor backup``, ``candor restore`` and ``candor retention …``."""

from __future__ import annotations

from pathlib import Path

import typer

from candor import bootstrap
from candor.adapters.records import backup as backups
from candor.adapters.records import restore as restores
from candor.adapters.records.blobs import human_size
from candor.cli.common import JSON_OPTION, actor, application, console, print_json, short_time
from candor.domain.retention import Policy
from candor.services import retention, views

retention_app = typer.Typer(no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command("backup")(backup)
    app.command("restore")(restore)
    app.add_typer(
        retention_app, name="retention", help="The retention policy for closed incidents."
    )


def backup(out: Path = typer.Argument(..., help="A new or empty directory.")) -> None:
    """A consistent snapshot of the workspace, safe while Candor runs: database, attachments
    and a manifest of SHA-256 hashes with the heads of the hash chains."""
    app_ = application()
    manifest = backups.backup(app_.engine, app_.blobs, out, now=app_.clock.now())
    files = manifest["files"]
    size = sum(f["size"] for f in files.values())
    chains = manifest["chains"]
    console.print(f"Backed up to {out}: {len(files)} files, {human_size(size)}.")
    console.print(
        f"  {manifest['counts'].get('incidents', 0)} incidents, "
        f"{manifest['counts'].get('audit_log', 0)} audit records, "
        f"{len(files) - 1} attachment contents"
    )
    if chains["audit"]:
        console.print(f"  audit head: #{chains['audit']['seq']} {chains['audit']['hash']}")


def restore(
    folder: Path = typer.Argument(..., help="A directory written by `candor backup`."),
    database_url: str | None = typer.Option(
        None,
        "--database-url",
        help="Restore into this database (default: the workspace's). SQLite backups restore "
        "into SQLite or PostgreSQL; PostgreSQL backups into PostgreSQL.",
    ),
    force: bool = typer.Option(
        False, "--force", help="Replace everything in a database that is not empty."
    ),
) -> None:
    """Restore a backup into an empty database and prove it: manifest hashes, row counts,
    the audit and timeline chains and their heads."""
    app_ = application(require_schema=False)
    target = database_url or app_.settings.database
    report = restores.restore(
        folder, target, bootstrap.blob_store(app_.settings), clock=app_.clock, force=force
    )
    for line in report.lines():
        console.print(line, markup=False)


@retention_app.command("run")
def run(
    dry_run: bool = typer.Option(False, "--dry-run", help="List what would go; change nothing."),
    json: bool = JSON_OPTION,
) -> None:
    """Remove the personal data of incidents closed longer ago than retention.years, unless
    they are on legal hold; each leaves an audited tombstone."""
    app_ = application()
    policy = Policy(app_.settings.retention.years)
    report = retention.run(app_.context, actor(), policy, dry_run=dry_run)
    if json:
        print_json(
            {
                "dry_run": report.dry_run,
                "policy_years": policy.years,
                "due": [_planned(p) for p in report.due],
                "held": [_planned(p) for p in report.held],
                "purged": report.purged,
                "contents_removed": report.contents_removed,
            }
        )
        return
    verb = "Would remove" if dry_run else "Removed"
    if not report.due:
        console.print(f"No incident is past its retention period ({policy.years} years).")
    for p in report.due:
        c = p.candidate
        done = "" if dry_run else f" (audit #{report.purged[c.key]})"
        console.print(
            f"{verb} personal data of {c.key}, closed {short_time(c.closed_at)}{done}: "
            f"{p.timeline_entries} timeline entries, {p.audit_records} audit records, "
            f"{p.attachments} attachments ({human_size(p.attachment_bytes)})"
            + "".join(f", {n} {kind.replace('_', ' ')}" for kind, n in p.records.items())
        )
    for p in report.held:
        c = p.candidate
        assert c.hold is not None
        console.print(
            f"Kept {c.key} (past retention since {short_time(c.expires_at)}): under legal hold "
            f"by {c.hold.placed_by}: {c.hold.reason}",
            markup=False,
        )


def _planned(p: retention.Planned) -> dict[str, object]:
    c = p.candidate
    return {
        "key": c.key,
        "closed_at": views.instant(c.closed_at),
        "expires_at": views.instant(c.expires_at),
        "held": c.held,
        "hold_reason": c.hold.reason if c.hold and c.held else None,
        "timeline_entries": p.timeline_entries,
        "audit_records": p.audit_records,
        "attachments": p.attachments,
        "attachment_bytes": p.attachment_bytes,
        "records": p.records,
    }
