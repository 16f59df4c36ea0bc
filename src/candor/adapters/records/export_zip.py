"""The incident export archive: records as JSON, attachments, a manifest of hashes, a README.

    README.md              what is in the archive and how to check it
    manifest.json          every other file with its SHA-256 and size; the chain heads
    records/NAME.json      one file per kind of record (incident, tasks, timeline, audit …)
    attachments/N-NAME     the evidence files, byte for byte as uploaded

The archive is written to a temporary file beside the target and renamed into place only when
complete, so a failed export (an altered attachment, a full disk) leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

from candor import __version__
from candor.adapters.records.blobs import CHUNK
from candor.domain.attachments import Attachment
from candor.domain.errors import ContentTampered, InvalidInput, Problem
from candor.services.export import Bundle, Receipt, Writer
from candor.services.views import instant

FORMAT = "candor-incident-export"
VERSION = 1


def zip_writer(target: Path) -> Writer:
    if target.exists():
        raise InvalidInput(Problem("already exists; choose a new file name", file=str(target)))
    if not target.parent.is_dir():
        raise InvalidInput(Problem("the directory does not exist", file=str(target.parent)))

    def write(bundle: Bundle, open_content: Callable[[Attachment], BinaryIO]) -> Receipt:
        partial = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.partial")
        try:
            files = _write_zip(partial, bundle, open_content)
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
        digest, size = _hash_file(target)
        return Receipt(target.name, digest, size, files)

    return write


def _write_zip(path: Path, bundle: Bundle, open_content: Callable[[Attachment], BinaryIO]) -> int:
    listed: dict[str, dict[str, Any]] = {}
    key = bundle.incident.key
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as zf:
        for name, data in bundle.records.items():
            raw = (json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n").encode()
            arcname = f"records/{name}.json"
            zf.writestr(arcname, raw)
            listed[arcname] = {"sha256": hashlib.sha256(raw).hexdigest(), "size": len(raw)}
        for attachment in bundle.attachments:
            arcname = f"attachments/{attachment.seq}-{attachment.filename}"
            hasher = hashlib.sha256()
            size = 0
            with (
                open_content(attachment) as source,
                zf.open(
                    zipfile.ZipInfo(arcname, date_time=_zip_time(bundle)), "w", force_zip64=True
                ) as out,
            ):
                while chunk := source.read(CHUNK):
                    hasher.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
            if hasher.hexdigest() != attachment.sha256:  # changed between check and copy
                raise ContentTampered(
                    f"attachment {attachment.label(key)} changed while it was exported"
                )
            listed[arcname] = {
                "sha256": attachment.sha256,
                "size": size,
                "attachment": attachment.label(key),
                "media_type": attachment.media_type,
            }
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "incident": key,
            "organization": bundle.organization,
            "exported_at": instant(bundle.exported_at),
            "exported_by": bundle.exported_by,
            "candor_version": __version__,
            "timeline": {
                "entries": bundle.timeline.checked,
                "head": bundle.timeline.head,
                "verified": bundle.timeline.ok,
                "problem": None
                if bundle.timeline.first_bad is None
                else f"{bundle.timeline.first_bad.label}: {bundle.timeline.first_bad.reason}",
                "redacted": [r.label for r in bundle.timeline.redacted],
            },
            "audit_head": None
            if bundle.audit_head is None
            else {"seq": bundle.audit_head[0], "hash": bundle.audit_head[1]},
            "files": listed,
        }
        raw = (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode()
        zf.writestr("manifest.json", raw)
        zf.writestr("README.md", readme(bundle, raw))
    return len(listed) + 2


def _zip_time(bundle: Bundle) -> tuple[int, int, int, int, int, int]:
    t = bundle.exported_at
    return (max(t.year, 1980), t.month, t.day, t.hour, t.minute, t.second)


def _hash_file(path: Path) -> tuple[str, int]:
    hasher = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            hasher.update(chunk)
            size += len(chunk)
    return hasher.hexdigest(), size


def readme(bundle: Bundle, manifest: bytes) -> str:
    key = bundle.incident.key
    kinds = "\n".join(f"- `records/{name}.json`" for name in bundle.records)
    return f"""# {key}: export from Candor

Exported by {bundle.exported_by} of {bundle.organization} at {instant(bundle.exported_at)}
with Candor {__version__}. This archive holds every record Candor keeps about incident {key}.

## Contents

{kinds}
- `attachments/`: the evidence files, byte for byte as uploaded, named `N-FILENAME` where N is
  the attachment's number on the incident (`{key}/N`); `records/attachments.json` lists each
  with its uploader, time, detected type and SHA-256.
- `manifest.json`: every file above with its SHA-256 and size, and the hash-chain heads.

Times are UTC (ISO 8601). `records/audit.json` is the chain of custody: who uploaded, viewed,
downloaded and exported each attachment, and every change to the incident.

## Checking that nothing was altered

1. Every file's SHA-256 must equal the one in `manifest.json`
   (`sha256sum attachments/*` on Linux, `shasum -a 256` on macOS).
2. The timeline is a hash chain: each entry in `records/timeline.json` carries `content_hash`,
   `prev_hash` and `hash = SHA-256(prev_hash + content_hash)`, the first `prev_hash` being 64
   zeros. The last `hash` must equal `timeline.head` in the manifest
   ({bundle.timeline.head}).
3. `audit_head` in the manifest is the newest record of the workspace's audit log when this
   archive was made; the organisation can show that its audit log still contains it unchanged.

Entries marked as redacted had their content removed under the organisation's retention
policy; their original hashes still link the chain (see `records/retention.json`).

The SHA-256 of `manifest.json` is {hashlib.sha256(manifest).hexdigest()}; the export itself is
recorded in the audit log with the SHA-256 of this archive.
"""
