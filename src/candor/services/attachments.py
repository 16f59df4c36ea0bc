"""Use cases for attachments: add, list, open (view or download), with a chain of custody.

Every upload, view, download and export writes an audit record naming the file and its SHA-256;
so does every refused download and every read that finds the stored content altered.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from typing import BinaryIO, Literal

from candor.domain import attachments as model
from candor.domain import timeline
from candor.domain.access import Actor, can_see, require_write
from candor.domain.attachments import Attachment, OwnerType
from candor.domain.audit import AuditDraft
from candor.domain.errors import (
    CandorError,
    Conflict,
    ContentTampered,
    InvalidInput,
    NotFound,
    Problem,
)
from candor.domain.incidents import Incident
from candor.domain.obligations.tracking import find as find_obligation
from candor.domain.timeline import EntryKind
from candor.services.context import Context
from candor.services.incidents import load
from candor.services.ports import BlobStore, StoredBlob, UnitOfWork
from candor.services.ports_impact import with_impact
from candor.services.ports_intake import intake
from candor.services.ports_obligations import tracked
from candor.services.ports_statements import with_statements


class NoAttachmentStore(CandorError):
    status = 503
    title = "No attachment store"
    code = "no-attachment-store"


def store(ctx: Context) -> BlobStore:
    if ctx.blobs is None:
        raise NoAttachmentStore("no attachment store is configured for this workspace")
    return ctx.blobs


@dataclass(frozen=True, slots=True)
class Opened:
    """An attachment whose content was just checked against its hash, ready to be sent."""

    attachment: Attachment
    incident_key: str
    stream: BinaryIO

    def close(self) -> None:
        self.stream.close()


def _number(ident: str) -> int | None:
    text = ident.removeprefix("#")
    return int(text) if text.isdigit() and 0 < int(text) <= model.NUMBER_MAX else None


def _task(uow: UnitOfWork, incident: Incident, ident: str) -> str | None:
    n = _number(ident)
    return str(n) if n is not None and uow.tasks.get(incident.id, n) is not None else None


def _timeline_entry(uow: UnitOfWork, incident: Incident, ident: str) -> str | None:
    n = _number(ident)
    return str(n) if n is not None and uow.timeline.get(incident.id, n) is not None else None


def _finding(uow: UnitOfWork, incident: Incident, ident: str) -> str | None:
    n = _number(ident)
    found = n is not None and with_impact(uow).findings.get(incident.id, n) is not None
    return str(n) if found else None


def _obligation(uow: UnitOfWork, incident: Incident, ident: str) -> str | None:
    try:  # by number, or by rule id as `candor obligations …` takes it
        found = find_obligation(tracked(uow).obligations.of_incident(incident.id), ident)
    except InvalidInput as exc:  # a rule applying in several places: name the form's field
        raise InvalidInput([replace(p, field="owner_id") for p in exc.problems_list()]) from None
    return str(found.seq) if found is not None else None


def _statement(uow: UnitOfWork, incident: Incident, ident: str) -> str | None:
    n = _number(ident)
    found = n is not None and with_statements(uow).statements.get(incident.id, n) is not None
    return str(n) if found else None


def _report(uow: UnitOfWork, incident: Incident, ident: str) -> str | None:
    key = ident.strip().upper()
    found = intake(uow).reports.get(key)
    return key if found is not None and found.incident_key == incident.key else None


# Each owner type's check: the record's canonical id in this incident, or None when it has none.
OWNER_CHECKS: dict[OwnerType, Callable[[UnitOfWork, Incident, str], str | None]] = {
    OwnerType.TASK: _task,
    OwnerType.TIMELINE_ENTRY: _timeline_entry,
    OwnerType.FINDING: _finding,
    OwnerType.OBLIGATION: _obligation,
    OwnerType.STATEMENT: _statement,
    OwnerType.REPORT: _report,
}


def _owner(
    uow: UnitOfWork, incident: Incident, owner_type: OwnerType | str, owner_id: str | None
) -> tuple[OwnerType, str]:
    """The record an attachment hangs from, checked to exist in the incident."""
    if owner_type == OwnerType.INCIDENT and not (owner_id or "").strip():
        return OwnerType.INCIDENT, str(incident.id)
    kind, ident = model.parse_owner(owner_type, owner_id or "")
    if kind is OwnerType.INCIDENT:
        if ident not in (str(incident.id), incident.key):
            raise InvalidInput(Problem("must be the incident's own id", field="owner_id"))
        return kind, str(incident.id)
    canonical = OWNER_CHECKS[kind](uow, incident, ident)
    if canonical is None:
        raise InvalidInput(
            Problem(
                f"{incident.key} has no {model.OWNER_WORDS[kind]} {ident}",
                field="owner_id",
                hint=model.OWNER_HINTS[kind],
            )
        )
    return kind, canonical


def add_attachment(
    ctx: Context,
    actor: Actor,
    key: str,
    filename: str,
    stream: BinaryIO,
    *,
    note: str = "",
    owner_type: OwnerType | str = OwnerType.INCIDENT,
    owner_id: str | None = None,
    claimed_type: str | None = None,
) -> Attachment:
    """Store a file as evidence on an incident (or one of its records).

    The content is stored before the record is written (it may be large and must not hold the
    database's write lock); if the record cannot be written, content stored by this call alone
    is removed again, so nothing is left half-way.
    """
    blobs = store(ctx)
    name = model.clean_filename(filename)
    text = model.check_note(note)
    claimed = (claimed_type or "").strip()[:100] or None
    with ctx.uow() as uow:  # refuse before storing anything
        incident = load(uow, actor, key)
        require_write(actor, incident)
        _owner(uow, incident, owner_type, owner_id)
    stored = blobs.put(stream, max_bytes=ctx.max_attachment_bytes, name=filename)
    try:
        if stored.size == 0:
            raise InvalidInput(Problem("is empty; there is nothing to keep", file=filename))
        return _record_upload(ctx, actor, key, name, text, owner_type, owner_id, claimed, stored)
    except BaseException:
        if stored.created:
            _discard(ctx, blobs, stored.sha256)
        raise


def _record_upload(
    ctx: Context,
    actor: Actor,
    key: str,
    name: str,
    note: str,
    owner_type: OwnerType | str,
    owner_id: str | None,
    claimed: str | None,
    stored: StoredBlob,
) -> Attachment:
    now = ctx.clock.now()
    with ctx.uow(write=True) as uow:
        incident = load(uow, actor, key)
        require_write(actor, incident)
        if uow.redactions.tombstone(incident.id) is not None:
            raise Conflict(
                f"{incident.key}'s records were removed under the retention policy; "
                "nothing more can be attached to it"
            )
        kind, ident = _owner(uow, incident, owner_type, owner_id)
        entry = uow.timeline.append(
            incident.id,
            timeline.draft(
                kind=EntryKind.EVIDENCE,
                author=actor.username,
                occurred_at=now,
                body=f"Attached {name} ({stored.media_type}, {stored.size} bytes, "
                f"SHA-256 {stored.sha256}).",
                data={"sha256": stored.sha256, "owner": f"{kind.value}:{ident}"},
            ),
            recorded_at=now,
        )
        attachment = Attachment(
            id=ctx.new_id(),
            incident_id=incident.id,
            seq=uow.attachments.next_seq(incident.id),
            owner_type=kind,
            owner_id=ident,
            filename=name,
            sha256=stored.sha256,
            size=stored.size,
            media_type=stored.media_type,
            claimed_type=claimed,
            note=note,
            uploaded_at=now,
            uploaded_by=actor.username,
        )
        uow.attachments.add(attachment)
        uow.audit.append(
            AuditDraft(
                at=now,
                actor=actor.username,
                action="attachment.upload",
                target_type="attachment",
                target_id=str(attachment.id),
                incident_key=incident.key,
                after={
                    **model.custody(attachment, incident.key),
                    "claimed_type": claimed,
                    "timeline_seq": entry.seq,
                },
                detail=note,
            )
        )
        uow.commit()
    return attachment


def _discard(ctx: Context, blobs: BlobStore, sha256: str) -> None:
    with suppress(Exception), ctx.uow() as uow:  # best effort: an orphan is harmless
        if not uow.attachments.in_use(sha256):
            blobs.delete(sha256)


def list_attachments(
    ctx: Context,
    actor: Actor,
    key: str,
    *,
    owner_type: OwnerType | str | None = None,
    owner_id: str | None = None,
) -> list[Attachment]:
    with ctx.uow() as uow:
        incident = load(uow, actor, key)
        kind = model.parse_owner(owner_type, owner_id or "-")[0] if owner_type else None
        return uow.attachments.list(incident.id, owner_type=kind, owner_id=owner_id)


def _find(uow: UnitOfWork, reference: str) -> tuple[Attachment | None, Incident | None]:
    ref = model.parse_reference(reference)
    if isinstance(ref, uuid.UUID):
        found = uow.attachments.get(ref)
        return found, (uow.incidents.get_by_id(found.incident_id) if found else None)
    incident = uow.incidents.get(ref[0])
    if incident is None:
        return None, None
    return uow.attachments.get_by_seq(incident.id, ref[1]), incident


def open_attachment(
    ctx: Context,
    actor: Actor,
    attachment_id: str,
    *,
    purpose: Literal["download", "view", "export"] = "download",
    client: str = "",
) -> Opened:
    """The content of an attachment for the web download route and ``candor attach get``.

    A caller who may not see the incident gets ``NotFound``, exactly as for an attachment that
    does not exist, and the refusal is audited. The content is checked against its SHA-256
    before it is handed out; the caller closes ``Opened.stream``.
    """
    blobs = store(ctx)
    with ctx.uow() as uow:
        attachment, incident = _find(uow, attachment_id)
    if attachment is None or incident is None or not can_see(actor, incident):
        _audit(
            ctx,
            actor,
            f"attachment.{purpose}_refused",
            str(attachment.id) if attachment else attachment_id.strip()[:100],
            incident.key if incident else None,
            {"requested": attachment_id.strip()[:100]},
            client,
        )
        raise NotFound(f"no attachment {attachment_id.strip()}")
    label = attachment.label(incident.key)
    if attachment.purged:
        raise NotFound(
            f"the content of attachment {label} was removed under the retention policy "
            f"(audit #{attachment.purge_audit_seq}); its SHA-256 was {attachment.sha256}"
        )
    try:
        stream = blobs.open(attachment.sha256)
    except ContentTampered as exc:
        _audit(
            ctx,
            actor,
            "attachment.integrity_failure",
            str(attachment.id),
            incident.key,
            model.custody(attachment, incident.key),
            exc.message,
        )
        raise ContentTampered(
            f"attachment {label} ({attachment.filename}) failed verification and was not "
            f"served: {exc.message}"
        ) from None
    try:
        _audit(
            ctx,
            actor,
            f"attachment.{purpose}",
            str(attachment.id),
            incident.key,
            model.custody(attachment, incident.key),
            client,
        )
    except BaseException:
        stream.close()
        raise
    return Opened(attachment, incident.key, stream)


@contextmanager
def opened(
    ctx: Context,
    actor: Actor,
    attachment_id: str,
    *,
    purpose: Literal["download", "view", "export"] = "download",
) -> Iterator[Opened]:
    result = open_attachment(ctx, actor, attachment_id, purpose=purpose)
    try:
        yield result
    finally:
        result.close()


def _audit(
    ctx: Context,
    actor: Actor,
    action: str,
    target_id: str,
    incident_key: str | None,
    after: dict[str, object],
    detail: str,
) -> None:
    with ctx.uow(write=True) as uow:
        uow.audit.append(
            AuditDraft(
                at=ctx.clock.now(),
                actor=actor.username,
                action=action,
                target_type="attachment",
                target_id=target_id,
                incident_key=incident_key,
                after=after,
                detail=detail,
            )
        )
        uow.commit()
