"""``candor attach …``, ``candor hold …`` and ``candor export incident``."""

from __future__ import annotations

import os
import shutil
import sys
import uuid
from pathlib import Path

import typer
from rich.table import Table

from candor.adapters.records.blobs import human_size
from candor.adapters.records.export_zip import zip_writer
from candor.cli.common import (
    INCIDENT_KEY,
    JSON_OPTION,
    actor,
    application,
    console,
    print_json,
    short_time,
)
from candor.domain.attachments import OwnerType
from candor.domain.errors import InvalidInput, Problem
from candor.services import attachments, export, retention, views

app = typer.Typer(no_args_is_help=True)
hold_app = typer.Typer(no_args_is_help=True)
export_app = typer.Typer(no_args_is_help=True)


@app.command("add")
def add(
    key: str = INCIDENT_KEY,
    file: Path = typer.Argument(..., help="The file to keep as evidence."),
    note: str = typer.Option("", "--note", help="What it is and where it came from."),
    owner: str | None = typer.Option(
        None,
        "--on",
        metavar="TYPE:ID",
        help="Attach to a record of the incident instead of the incident itself: task:3, "
        "timeline_entry:12, finding:2, obligation:4 (or obligation:RULE-ID), statement:1, "
        "report:REP-2026-17. The record must exist in the incident.",
    ),
    json: bool = JSON_OPTION,
) -> None:
    """Attach a file to an incident. Its SHA-256 is recorded; the content is never changed."""
    if not file.is_file():
        raise InvalidInput(Problem("does not exist or is not a file", file=str(file)))
    owner_type: str = OwnerType.INCIDENT.value
    owner_id: str | None = None
    if owner:
        owner_type, _, owner_id = owner.partition(":")
    app_ = application()
    with file.open("rb") as stream:
        made = attachments.add_attachment(
            app_.context,
            actor(),
            key,
            str(file),  # the path names the file in errors; only its last part is kept
            stream,
            note=note,
            owner_type=owner_type,
            owner_id=owner_id,
        )
    label = made.label(key.strip().upper())
    if json:
        print_json(export.attachment_record(made, key.strip().upper()))
        return
    console.print(
        f"Attached {made.filename} as {label} ({made.media_type}, {human_size(made.size)}, "
        f"SHA-256 {made.sha256}).",
        markup=False,
    )


@app.command("list")
def list_(key: str = INCIDENT_KEY, json: bool = JSON_OPTION) -> None:
    """List an incident's attachments."""
    app_ = application()
    items = attachments.list_attachments(app_.context, actor(), key)
    incident_key = key.strip().upper()
    if json:
        print_json([export.attachment_record(a, incident_key) for a in items])
        return
    if not items:
        console.print(f"{incident_key} has no attachments.")
        return
    table = Table("attachment", "file", "type", "size", "sha256", "on", "uploaded")
    for a in items:
        table.add_row(
            a.label(incident_key),
            a.filename + (" [content removed]" if a.purged else ""),
            a.media_type,
            human_size(a.size),
            a.sha256[:16] + "…",
            f"{a.owner_type.value}:{a.owner_id[:12]}",
            f"{short_time(a.uploaded_at)} {a.uploaded_by}",
        )
    console.print(table)


@app.command("get")
def get(
    attachment: str = typer.Argument(..., help="An id from `candor attach list`, or KEY/N."),
    out: Path = typer.Argument(..., help="Where to write it; - for standard output."),
) -> None:
    """Write an attachment's content, after checking it against its SHA-256 (audited)."""
    if str(out) != "-" and out.exists():
        raise InvalidInput(Problem("already exists; choose a new file name", file=str(out)))
    app_ = application()
    with attachments.opened(app_.context, actor(), attachment) as found:
        if str(out) == "-":
            shutil.copyfileobj(found.stream, sys.stdout.buffer)
            return
        partial = out.with_name(f".{out.name}.{uuid.uuid4().hex[:8]}.partial")
        try:
            with partial.open("wb") as target:
                shutil.copyfileobj(found.stream, target)
            os.replace(partial, out)
        finally:
            partial.unlink(missing_ok=True)
    console.print(
        f"Wrote {found.attachment.filename} ({human_size(found.attachment.size)}, SHA-256 "
        f"verified) to {out}.",
        markup=False,
    )


@hold_app.command("place")
def place(
    key: str = INCIDENT_KEY,
    reason: str = typer.Option(..., "--reason", help="Why: the matter, the request, who asked."),
) -> None:
    """Place a legal hold: nothing under the incident may be deleted until it is released."""
    hold = retention.place_hold(application().context, actor(), key, reason=reason)
    console.print(f"{key.upper()} is under legal hold since {short_time(hold.placed_at)}.")


@hold_app.command("release")
def release(
    key: str = INCIDENT_KEY,
    reason: str = typer.Option(
        ...,
        "--reason",
        help="Why the records may be deleted again: the matter closed, who confirmed it.",
    ),
) -> None:
    """Release an incident's legal hold."""
    retention.release_hold(application().context, actor(), key, reason=reason)
    console.print(f"Released the legal hold on {key.upper()}.")


@hold_app.command("list")
def holds(key: str = INCIDENT_KEY, json: bool = JSON_OPTION) -> None:
    """Show an incident's legal holds, current and past."""
    items = retention.holds(application().context, actor(), key)
    if json:
        print_json(
            [
                {
                    "placed_at": views.instant(h.placed_at),
                    "placed_by": h.placed_by,
                    "reason": h.reason,
                    "released_at": views.instant(h.released_at),
                    "released_by": h.released_by,
                    "release_reason": h.release_reason,
                }
                for h in items
            ]
        )
        return
    if not items:
        console.print(f"{key.upper()} has never been under legal hold.")
    for h in items:
        state = "ACTIVE" if h.active else f"released {short_time(h.released_at)} by {h.released_by}"
        console.print(
            f"{short_time(h.placed_at)} by {h.placed_by}: {h.reason} ({state})", markup=False
        )


@export_app.command("incident")
def export_incident(
    key: str = INCIDENT_KEY,
    out: Path = typer.Argument(..., help="The ZIP file to write."),
) -> None:
    """Everything about one incident in one ZIP, with a manifest of hashes (audited)."""
    app_ = application()
    receipt = export.export_incident(app_.context, actor(), key, zip_writer(out))
    console.print(
        f"Exported {key.upper()} to {out} ({receipt.files} files, {human_size(receipt.size)}, "
        f"SHA-256 {receipt.sha256}).",
        markup=False,
    )
