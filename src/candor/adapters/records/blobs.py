"""Content-addressed, write-once storage of attachments on the local disk.

Layout: ``ROOT/sha256/ab/cd/<64 hex digits>``, files read-only. A file is written to
``ROOT/tmp`` while its hash is computed, flushed to disk, then linked into place; a link never
replaces an existing file, so stored content is never overwritten, and the same content uploaded
twice is stored once. Every read hashes the file again before handing it out.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from candor.adapters.records.sniff import HEAD_BYTES, sniff
from candor.domain.attachments import SHA256
from candor.domain.errors import ContentTampered, Problem, TooLarge
from candor.services.ports import StoredBlob

CHUNK = 1024 * 1024


def too_large(name: str, max_bytes: int) -> TooLarge:
    return TooLarge(
        Problem(
            f"is larger than the attachment limit of {human_size(max_bytes)}",
            file=name,
            hint="raise attachments.max_size_mb in candor.toml if it must be kept",
        )
    )


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def copy_hashing(
    source: BinaryIO, target: BinaryIO, *, max_bytes: int | None, name: str
) -> tuple[str, int, bytes]:
    """Copy a stream, returning its SHA-256, size and first bytes (for sniffing)."""
    hasher = hashlib.sha256()
    size = 0
    head = b""
    while chunk := source.read(CHUNK):
        size += len(chunk)
        if max_bytes is not None and size > max_bytes:
            raise too_large(name, max_bytes)
        if len(head) < HEAD_BYTES:
            head += chunk[: HEAD_BYTES - len(head)]
        hasher.update(chunk)
        target.write(chunk)
    return hasher.hexdigest(), size, head


def check_hash(sha256: str) -> str:
    if not SHA256.match(sha256):
        raise ValueError(f"not a SHA-256: {sha256!r}")
    return sha256


class LocalBlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.location = str(root)

    def path(self, sha256: str) -> Path:
        check_hash(sha256)
        return self.root / "sha256" / sha256[:2] / sha256[2:4] / sha256

    def put(self, stream: BinaryIO, *, max_bytes: int, name: str) -> StoredBlob:
        scratch = self.root / "tmp"
        scratch.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=scratch, prefix="upload-")
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out:
                digest, size, head = copy_hashing(stream, out, max_bytes=max_bytes, name=name)
                out.flush()
                os.fsync(out.fileno())
            tmp.chmod(0o444)
            target = self.path(digest)
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(tmp, target)
                created = True
            except FileExistsError:
                created = False
            else:
                _fsync_dir(target.parent)
        finally:
            tmp.unlink(missing_ok=True)
        return StoredBlob(digest, size, sniff(head), created)

    def open(self, sha256: str) -> BinaryIO:
        path = self.path(sha256)
        try:
            handle = path.open("rb")
        except FileNotFoundError:
            raise ContentTampered(
                f"content {sha256[:16]}… is missing from {self.location}"
            ) from None
        # hash through the same handle that is returned: replacing the file meanwhile changes
        # nothing for this reader
        hasher = hashlib.sha256()
        while chunk := handle.read(CHUNK):
            hasher.update(chunk)
        if hasher.hexdigest() != sha256:
            handle.close()
            raise ContentTampered(
                f"content {sha256[:16]}… in {self.location} no longer matches its SHA-256 "
                f"(it hashes to {hasher.hexdigest()[:16]}…): the stored file was altered"
            )
        handle.seek(0)
        return handle

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).exists()

    def delete(self, sha256: str) -> None:
        path = self.path(sha256)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()

    def hashes(self) -> Iterator[str]:
        base = self.root / "sha256"
        if base.exists():
            for path in sorted(base.glob("*/*/*")):
                if SHA256.match(path.name):
                    yield path.name


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
