"""Sending an attachment's checked content: the same response for the page and the API.

Evidence is whatever someone uploaded (an attacker's phishing page, a script, an SVG), so it is
never rendered by the browser: it is always offered as a download, under a cleaned file name,
with a type the browser may not second-guess, and sandboxed should it be opened anyway.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import StreamingResponse
from starlette.background import BackgroundTask

from candor.domain.access import Actor
from candor.services import attachments
from candor.services.attachments import Opened
from candor.web.deps import client_address, context

CHUNK = 256 * 1024
# types a browser would run or render as a document if it were ever shown inline
ACTIVE_TYPES = frozenset(
    {
        "text/html",
        "application/xhtml+xml",
        "image/svg+xml",
        "text/xml",
        "application/xml",
        "text/javascript",
        "application/javascript",
        "application/x-shockwave-flash",
        "application/pdf",  # browsers render PDFs inline, scripts and all
    }
)
_NOT_TOKEN = re.compile(r"[^A-Za-z0-9!#$&+.^_`|~ ()\[\]{},=@-]")

# the API documents the binary answer; pages are not in the OpenAPI document
OPENAPI_CONTENT: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The content, checked against its SHA-256 (also in `Repr-Digest`).",
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
}


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII fallback name and the exact name in RFC 5987 form."""
    fallback = _NOT_TOKEN.sub("_", filename).strip() or "attachment"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def served_type(media_type: str) -> str:
    return "application/octet-stream" if media_type in ACTIVE_TYPES else media_type


def _chunks(found: Opened) -> Iterator[bytes]:
    try:
        while chunk := found.stream.read(CHUNK):
            yield chunk
    finally:
        found.close()


def download(request: Request, actor: Actor, reference: str) -> StreamingResponse:
    """Open (need-to-know, hash check, audit: ``services.attachments.open_attachment``) and send."""
    found = attachments.open_attachment(
        context(request),
        actor,
        reference,
        purpose="download",
        client=client_address(request),
    )
    item = found.attachment
    digest = base64.b64encode(bytes.fromhex(item.sha256)).decode()
    return StreamingResponse(
        _chunks(found),
        media_type=served_type(item.media_type),
        headers={
            "Content-Disposition": content_disposition(item.filename),
            "Content-Length": str(item.size),
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Repr-Digest": f"sha-256=:{digest}:",
        },
        background=BackgroundTask(found.close),  # also when the client goes away mid-way
    )
