"""The evidence section of the incident page: an incident's attachments, the upload form, and
the download route (need-to-know, the hash checked on read, every download audited)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from candor.adapters.records.blobs import human_size
from candor.domain.attachments import OWNER_HINTS, OWNER_WORDS, OwnerType
from candor.domain.errors import InvalidInput, Problem
from candor.domain.incidents import Incident
from candor.services import attachments
from candor.web.attachment_download import download
from candor.web.deps import Caller, Seq, checked_form, context, page_auth
from candor.web.pages.common import NOTICES
from candor.web.pages.incidents import INCIDENT_SECTIONS
from candor.web.pages.incidents import _act as act

router = APIRouter()

NOTICES["attached"] = "File attached; its SHA-256 is on the timeline and in the audit log."


async def chosen_file(request: Request) -> UploadFile | None:
    """The file part of a multipart form (already parsed and cached by ``checked_form``); it is
    streamed into the store, never read into memory whole."""
    upload = (await request.form()).get("file")
    return upload if isinstance(upload, UploadFile) and upload.filename else None


def evidence_section(request: Request, caller: Caller, incident: Incident) -> dict[str, Any]:
    ctx = context(request)
    return {
        "id": "evidence",
        "title": "Evidence",
        "template": "attachments_section.html",
        "items": attachments.list_attachments(ctx, caller.actor, incident.key),
        "owners": [(kind.value, OWNER_WORDS[kind], OWNER_HINTS[kind]) for kind in OwnerType],
        "max_size": human_size(ctx.max_attachment_bytes),
    }


INCIDENT_SECTIONS.append(evidence_section)


@router.post("/incidents/{key}/attachments")
def upload(
    request: Request,
    key: str,
    caller: Caller = Depends(page_auth),
    form: dict[str, str] = Depends(checked_form),
    file: UploadFile | None = Depends(chosen_file),
) -> Response:
    def action() -> object:
        if file is None or file.filename is None:
            raise InvalidInput(Problem("choose the file to attach", field="file"))
        return attachments.add_attachment(
            context(request),
            caller.actor,
            key,
            file.filename,
            file.file,
            note=form.get("note", ""),
            owner_type=form.get("owner_type", "").strip() or OwnerType.INCIDENT.value,
            owner_id=form.get("owner_id", "").strip() or None,
            claimed_type=file.content_type,
        )

    return act(request, caller, key, form, "attachment", action, "attached", "evidence")


@router.get("/incidents/{key}/attachments/{number}")
def get(request: Request, key: str, number: Seq, caller: Caller = Depends(page_auth)) -> Response:
    return download(request, caller.actor, f"{key}/{number}")
