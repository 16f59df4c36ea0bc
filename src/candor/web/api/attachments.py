"""/api/v1/incidents/{key}/attachments: list, upload (multipart) and download evidence files.

The upload is ``multipart/form-data`` (a file can be large; it is streamed into the store, never
base64 in JSON). A download checks the content against its SHA-256 before sending it and is
recorded in the audit log, as is a refused one.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile, status
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from candor.domain.attachments import NOTE_MAX, Attachment, OwnerType
from candor.services import attachments, export
from candor.services.context import Context
from candor.web.attachment_download import OPENAPI_CONTENT, download
from candor.web.deps import Caller, Seq, api_auth, request_context

router = APIRouter(tags=["attachments"])


class AttachmentOut(BaseModel):
    attachment: str  # INC-2026-7/3
    id: str
    owner_type: OwnerType
    owner_id: str
    filename: str
    sha256: str
    size: int
    media_type: str  # sniffed from the content
    claimed_type: str | None  # what the uploader's client said, kept for the record
    note: str
    uploaded_at: datetime
    uploaded_by: str
    purged_at: datetime | None  # content removed under the retention policy
    purge_audit_seq: int | None
    download: str  # the API path of the content


def _out(item: Attachment, key: str) -> AttachmentOut:
    record = export.attachment_record(item, key)
    return AttachmentOut(**record, download=f"/api/v1/incidents/{key}/attachments/{item.seq}")


@router.get(
    "/incidents/{key}/attachments",
    summary="The incident's attachments",
    response_model=list[AttachmentOut],
)
def list_(
    key: str,
    owner_type: OwnerType | None = None,
    owner_id: str | None = None,
    caller: Caller = Depends(api_auth),
    ctx: Context = Depends(request_context),
) -> list[AttachmentOut]:
    found = attachments.list_attachments(
        ctx, caller.actor, key, owner_type=owner_type, owner_id=owner_id
    )
    return [_out(a, key.strip().upper()) for a in found]


@router.post(
    "/incidents/{key}/attachments",
    summary="Attach a file (multipart/form-data); over attachments.max_size_mb gives 413",
    status_code=status.HTTP_201_CREATED,
    response_model=AttachmentOut,
)
def upload(
    key: str,
    file: UploadFile = File(description="The file to keep as evidence."),
    note: str = Form("", max_length=NOTE_MAX, description="What it is, where it came from."),
    owner_type: OwnerType = Form(OwnerType.INCIDENT, description="The record it hangs from."),
    owner_id: str = Form(
        "",
        max_length=100,
        description="That record's number (task, timeline_entry, finding, statement), number "
        "or rule id (obligation), or key (report); empty for the incident itself.",
    ),
    caller: Caller = Depends(api_auth),
    ctx: Context = Depends(request_context),
) -> AttachmentOut:
    made = attachments.add_attachment(
        ctx,
        caller.actor,
        key,
        file.filename or "upload",
        file.file,
        note=note,
        owner_type=owner_type,
        owner_id=owner_id.strip() or None,
        claimed_type=file.content_type,
    )
    return _out(made, key.strip().upper())


@router.get(
    "/incidents/{key}/attachments/{number}",
    summary="An attachment's content, checked against its SHA-256 (audited)",
    response_class=StreamingResponse,
    responses=OPENAPI_CONTENT,
)
def get(
    request: Request, key: str, number: Seq, caller: Caller = Depends(api_auth)
) -> StreamingResponse:
    return download(request, caller.actor, f"{key}/{number}")
