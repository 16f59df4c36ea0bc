"""What a file is, from its first bytes, never from the name or the type the client claims.

``puremagic`` (pure Python, no libmagic) holds the table of signatures. Text has no signature,
so content that decodes as UTF-8 without NUL bytes is ``text/plain``; anything else unknown is
``application/octet-stream``.
"""

from __future__ import annotations

import puremagic

HEAD_BYTES = 64 * 1024
UNKNOWN = "application/octet-stream"


def sniff(head: bytes) -> str:
    if not head:
        return "application/x-empty"
    try:
        matches = puremagic.magic_string(head)
    except (puremagic.PureError, ValueError):
        matches = []
    for match in matches:
        if match.mime_type:
            return str(match.mime_type)
    if b"\x00" not in head:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:
            # a multi-byte character cut by the end of the sample is still text
            if exc.start < len(head) - 3:
                return UNKNOWN
        return "text/plain"
    return UNKNOWN
