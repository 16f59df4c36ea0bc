"""Export everything about one incident, for counsel, an insurer or a regulator.

The records come from a registry of exporters, one per kind of record: each feature registers
its own (``register_exporter("statements", …)``) when its module is imported, and the export
picks it up; this module imports no feature. ``candor.bootstrap.EXPORT_MODULES`` lists the
feature modules, so every process that exports (the CLI, the web server) has them all. The
service collects the records in one read transaction, hands them to a writer (the ZIP
adapter), then audits the export, with the archive's hash, and one custody record per
attachment.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, BinaryIO, Protocol

from candor.domain import chain
from candor.domain.access import Actor, require_write
from candor.domain.attachments import Attachment, custody
from candor.domain.audit import AuditDraft, AuditFilter
from candor.domain.errors import ContentTampered
from candor.domain.incidents import Incident
from candor.domain.retention import timeline_chain
from candor.services import views
from candor.services.attachments import store
from candor.services.context import Context
from candor.services.incidents import load
from candor.services.ports import UnitOfWork
from candor.services.redactions import vouched


@dataclass(frozen=True, slots=True)
class Request:
    """What an exporter is given: one read transaction, the incident, who exports it (already
    allowed to; an exporter leaves out what it links to that they may not see) and when."""

    ctx: Context
    actor: Actor
    uow: UnitOfWork
    incident: Incident
    now: datetime


Exporter = Callable[[Request], Any]
"""Returns JSON-ready data (a list of records, usually) for one incident."""

EXPORTERS: dict[str, Exporter] = {}


def register_exporter(name: str, exporter: Exporter) -> None:
    """Add a kind of record to every incident export, written as ``records/NAME.json``."""
    if not name.replace("_", "").isalnum():
        raise ValueError(f"exporter names are file names: {name!r}")
    EXPORTERS[name] = exporter


@dataclass(frozen=True, slots=True)
class Bundle:
    incident: Incident
    records: dict[str, Any]
    attachments: list[Attachment]
    timeline: chain.Verification
    audit_head: tuple[int, str] | None  # (seq, hash) of the newest audit record at export
    exported_at: datetime
    exported_by: str
    organization: str


@dataclass(frozen=True, slots=True)
class Receipt:
    name: str  # where the archive was written
    sha256: str
    size: int
    files: int


class Writer(Protocol):
    def __call__(self, bundle: Bundle, open_content: Callable[[Attachment], BinaryIO]) -> Receipt:
        """Write the archive; nothing may be left behind when it raises."""
        ...


def export_incident(ctx: Context, actor: Actor, key: str, write: Writer) -> Receipt:
    """Export one incident. Readers who may not change the incident may not export it: an
    export carries its audit records and evidence out of the workspace."""
    blobs = store(ctx)
    now = ctx.clock.now()
    with ctx.uow() as uow:
        incident = load(uow, actor, key)
        require_write(actor, incident)
        request = Request(ctx, actor, uow, incident, now)
        records = {name: exporter(request) for name, exporter in EXPORTERS.items()}
        files = [a for a in uow.attachments.list(incident.id) if not a.purged]
        verification = chain.verify(
            uow.timeline.links(incident.id),
            prefix=f"{incident.key} #",
            redactions=vouched(uow, timeline_chain(incident.id)),
        )
        newest = uow.audit.list(AuditFilter(limit=1))
    bundle = Bundle(
        incident,
        records,
        files,
        verification,
        (newest[0].seq, newest[0].hash) if newest else None,
        now,
        actor.username,
        ctx.organization,
    )

    def open_content(attachment: Attachment) -> BinaryIO:
        try:
            return blobs.open(attachment.sha256)
        except ContentTampered as exc:
            raise ContentTampered(
                f"attachment {attachment.label(incident.key)} ({attachment.filename}) failed "
                f"verification; the export was not written: {exc.message}"
            ) from None

    receipt = write(bundle, open_content)
    with ctx.uow(write=True) as uow:
        uow.audit.append(
            AuditDraft(
                at=now,
                actor=actor.username,
                action="incident.export",
                target_type="incident",
                target_id=str(incident.id),
                incident_key=incident.key,
                after={
                    "archive": receipt.name,
                    "sha256": receipt.sha256,
                    "size": receipt.size,
                    "files": receipt.files,
                    "attachments": len(files),
                },
            )
        )
        for attachment in files:
            uow.audit.append(
                AuditDraft(
                    at=now,
                    actor=actor.username,
                    action="attachment.export",
                    target_type="attachment",
                    target_id=str(attachment.id),
                    incident_key=incident.key,
                    after={**custody(attachment, incident.key), "archive_sha256": receipt.sha256},
                )
            )
        uow.commit()
    return receipt


def attachment_record(attachment: Attachment, incident_key: str) -> dict[str, Any]:
    return {
        "attachment": attachment.label(incident_key),
        "id": str(attachment.id),
        "owner_type": attachment.owner_type.value,
        "owner_id": attachment.owner_id,
        "filename": attachment.filename,
        "sha256": attachment.sha256,
        "size": attachment.size,
        "media_type": attachment.media_type,
        "claimed_type": attachment.claimed_type,
        "note": attachment.note,
        "uploaded_at": views.instant(attachment.uploaded_at),
        "uploaded_by": attachment.uploaded_by,
        "purged_at": views.instant(attachment.purged_at),
        "purge_audit_seq": attachment.purge_audit_seq,
    }


def _incident(r: Request) -> Any:
    return views.incident(r.incident)


def _tasks(r: Request) -> Any:
    return [views.task(t) for t in r.uow.tasks.list(r.incident.id)]


def _timeline(r: Request) -> Any:
    return [views.entry(e) for e in r.uow.timeline.list(r.incident.id)]


def _audit(r: Request) -> Any:
    records = r.uow.audit.list(AuditFilter(incident_key=r.incident.key, limit=10_000_000))
    return [views.audit_record(r) for r in reversed(records)]


def _attachments(r: Request) -> Any:
    return [attachment_record(a, r.incident.key) for a in r.uow.attachments.list(r.incident.id)]


def _holds(r: Request) -> Any:
    return [
        {
            "placed_at": views.instant(h.placed_at),
            "placed_by": h.placed_by,
            "reason": h.reason,
            "released_at": views.instant(h.released_at),
            "released_by": h.released_by,
            "release_reason": h.release_reason,
        }
        for h in r.uow.holds.list(r.incident.id)
    ]


def _retention(r: Request) -> Any:
    tomb = r.uow.redactions.tombstone(r.incident.id)
    if tomb is None:
        return None
    return {
        "purged_at": views.instant(tomb.purged_at),
        "purged_by": tomb.purged_by,
        "policy_years": tomb.policy_years,
        "audit_seq": tomb.audit_seq,
        "removed": tomb.summary,
    }


for _name, _exporter in (
    ("incident", _incident),
    ("tasks", _tasks),
    ("timeline", _timeline),
    ("audit", _audit),
    ("attachments", _attachments),
    ("legal_holds", _holds),
    ("retention", _retention),
):
    register_exporter(_name, _exporter)
