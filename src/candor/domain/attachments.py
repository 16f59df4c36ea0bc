"""Attachments: evidence files kept unaltered, with a chain of custody in the audit log.

An attachment belongs to one incident and hangs from one record of it, named by
``(owner_type, owner_id)``: the incident itself, or a finding, an obligation (a filing receipt),
a statement or a report. Later features attach files to their own records without a schema
change. The content is stored once per SHA-256 (content addressing) and never modified; the hash
is checked on every read.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from candor.domain.errors import InvalidInput, Problem
from candor.domain.vocabulary import parse_enum

FILENAME_MAX = 255
NOTE_MAX = 2_000
SHA256 = re.compile(r"^[0-9a-f]{64}$")
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\]")


class OwnerType(StrEnum):
    INCIDENT = "incident"
    FINDING = "finding"
    OBLIGATION = "obligation"
    STATEMENT = "statement"
    REPORT = "report"
    TASK = "task"
    TIMELINE_ENTRY = "timeline_entry"


# how users name each kind of owner record, in errors and on the incident page
OWNER_WORDS = {
    OwnerType.INCIDENT: "incident",
    OwnerType.FINDING: "finding",
    OwnerType.OBLIGATION: "obligation",
    OwnerType.STATEMENT: "statement",
    OwnerType.REPORT: "report",
    OwnerType.TASK: "task",
    OwnerType.TIMELINE_ENTRY: "timeline entry",
}
OWNER_HINTS = {
    OwnerType.INCIDENT: None,
    OwnerType.FINDING: "the finding's number on the incident page, e.g. 3",
    OwnerType.OBLIGATION: "the obligation's number (3) or rule id (us-ca-individuals)",
    OwnerType.STATEMENT: "the statement's number on the incident page, e.g. 2",
    OwnerType.REPORT: "the key of a report promoted into this incident, e.g. REP-2026-17",
    OwnerType.TASK: "the task's number on the incident page, e.g. 4",
    OwnerType.TIMELINE_ENTRY: "the entry's number on the timeline, e.g. 12",
}
NUMBER_MAX = 2_147_483_647  # record numbers are stored as 32-bit integers


@dataclass(frozen=True, slots=True)
class Attachment:
    id: uuid.UUID
    incident_id: uuid.UUID
    seq: int  # per incident: INC-2026-7/3 is the third file attached to INC-2026-7
    owner_type: OwnerType
    owner_id: str
    filename: str
    sha256: str
    size: int
    media_type: str  # what the content is, sniffed from its bytes
    claimed_type: str | None  # what the uploader's client said it is, kept for the record
    note: str
    uploaded_at: datetime
    uploaded_by: str
    purged_at: datetime | None = None  # content removed under the retention policy
    purge_audit_seq: int | None = None

    @property
    def purged(self) -> bool:
        return self.purged_at is not None

    def label(self, incident_key: str) -> str:
        return f"{incident_key}/{self.seq}"

    @property
    def owner_label(self) -> str:
        """The record it hangs from, as the incident page names it: "obligation 3"."""
        if self.owner_type is OwnerType.INCIDENT:
            return "the incident"
        return f"{OWNER_WORDS[self.owner_type]} {self.owner_id}"


def clean_filename(name: str) -> str:
    """The name as shown and offered on download: the last path component, no control
    characters or separators (a name is never used as a storage path: content is stored by hash).
    """
    base = re.split(r"[/\\]", name.strip())[-1]
    base = _UNSAFE.sub("_", base).strip(". ")
    if not base:
        raise InvalidInput(Problem(f"not a usable file name: {name!r}", field="filename"))
    if len(base) > FILENAME_MAX:
        stem, dot, ext = base.rpartition(".")
        keep = FILENAME_MAX - len(ext) - 1 if dot and len(ext) < 16 else FILENAME_MAX
        base = (stem[:keep] + "." + ext) if dot and len(ext) < 16 else base[:FILENAME_MAX]
    return base


def check_note(note: str) -> str:
    text = note.strip()
    if len(text) > NOTE_MAX:
        raise InvalidInput(
            Problem(f"is {len(text)} characters long; at most {NOTE_MAX} allowed", field="note")
        )
    if "\x00" in text:
        raise InvalidInput(Problem("contains a NUL character", field="note"))
    return text


def parse_owner(owner_type: OwnerType | str, owner_id: str) -> tuple[OwnerType, str]:
    kind = parse_enum(OwnerType, owner_type, field="owner_type")
    ident = owner_id.strip()
    if not ident or len(ident) > 100:
        raise InvalidInput(Problem("must be 1 to 100 characters", field="owner_id"))
    return kind, ident


def parse_reference(text: str) -> uuid.UUID | tuple[str, int]:
    """An attachment as users name it: its id, or ``INC-2026-7/3``."""
    value = text.strip()
    if "/" in value:
        key, _, number = value.rpartition("/")
        if number.isdigit() and int(number) > 0:
            return key.upper(), int(number)
    else:
        try:
            return uuid.UUID(value)
        except ValueError:
            pass
    raise InvalidInput(
        Problem(
            f"not an attachment reference: {text!r}",
            field="attachment",
            hint="an id from `candor attach list`, or INC-2026-7/3",
        )
    )


def custody(attachment: Attachment, incident_key: str) -> dict[str, object]:
    """What the audit log keeps about an attachment on every upload, view, download, export."""
    return {
        "attachment": attachment.label(incident_key),
        "filename": attachment.filename,
        "sha256": attachment.sha256,
        "size": attachment.size,
        "media_type": attachment.media_type,
        "owner": f"{attachment.owner_type.value}:{attachment.owner_id}",
    }
