"""Hash chains: the mechanism that makes the timeline and the audit log tamper-evident.

Each record stores three hashes (hex SHA-256):

* ``content_hash``: of the record's canonical content (every stored field but the hashes);
* ``prev_hash``: the ``hash`` of the record before it (``GENESIS`` for the first);
* ``hash``: of ``prev_hash`` and ``content_hash`` together.

Changing any byte of a stored record changes its content hash; deleting or reordering records
breaks the link to the previous one; rewriting the whole tail consistently would need the hashes
exported earlier (reports and backups carry the head hash), so an edit is always detectable.

Canonical content is a sequence of fields, each written as ``<length>:<utf-8 text>`` (a netstring
without the trailing comma), which is unambiguous and much faster than JSON. Field order is fixed
by the caller. Instants are written as UTC with microseconds: ``2026-03-02T14:00:00.000000Z``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

GENESIS = "0" * 64

Field = str | int | bool | None | datetime


def canonical_instant(value: datetime | str) -> str:
    """The one text form of an instant that every database round-trips to the same string."""
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return "invalid:" + value
        value = parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_json(value: object) -> str:
    """JSON with sorted keys and no spaces: the stored form of structured fields."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_json_default
    )


def _json_default(value: object) -> object:
    if isinstance(value, datetime):
        return canonical_instant(value)
    raise TypeError(f"cannot store {type(value).__name__} in a hashed record")


def encode(fields: Sequence[Field]) -> bytes:
    parts: list[str] = []
    for value in fields:
        if value is None:
            text = "\x00"  # distinct from the empty string
        elif isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, datetime):
            text = canonical_instant(value)
        else:
            text = str(value)
        parts.append(f"{len(text)}:{text}")
    return "".join(parts).encode("utf-8", "surrogatepass")


def content_hash(fields: Sequence[Field]) -> str:
    return hashlib.sha256(encode(fields)).hexdigest()


def link(prev_hash: str, content_digest: str) -> str:
    return hashlib.sha256((prev_hash + content_digest).encode("ascii", "replace")).hexdigest()


@dataclass(frozen=True, slots=True)
class Sealed:
    content_hash: str
    prev_hash: str
    hash: str


def seal(prev_hash: str, fields: Sequence[Field]) -> Sealed:
    digest = content_hash(fields)
    return Sealed(digest, prev_hash, link(prev_hash, digest))


@dataclass(frozen=True, slots=True)
class StoredLink:
    """A record as read back from storage, for verification."""

    position: int  # 1-based, as expected by the chain
    label: str  # how a person names the record ("INC-2026-7 #12", "audit #3051")
    seq: int  # the sequence number stored in the record
    fields: Sequence[Field]
    content_hash: str
    prev_hash: str
    hash: str


@dataclass(frozen=True, slots=True)
class BadLink:
    label: str
    seq: int
    reason: str


@dataclass(frozen=True, slots=True)
class Verification:
    checked: int
    head: str
    first_bad: BadLink | None

    @property
    def ok(self) -> bool:
        return self.first_bad is None


def verify(records: Iterable[StoredLink], *, start_hash: str = GENESIS) -> Verification:
    """Walk the chain in order and stop at the first record that does not verify."""
    expected_prev = start_hash
    checked = 0
    sha256 = hashlib.sha256
    for record in records:
        checked += 1
        if record.seq != record.position:
            reason = (
                f"sequence gap: expected #{record.position}, found #{record.seq} "
                "(an entry was deleted or renumbered)"
            )
            return Verification(
                checked - 1, expected_prev, BadLink(record.label, record.seq, reason)
            )
        try:
            digest = sha256(encode(record.fields)).hexdigest()
        except (UnicodeError, ValueError) as exc:  # pragma: no cover - defensive
            return Verification(
                checked - 1,
                expected_prev,
                BadLink(record.label, record.seq, f"unreadable content: {exc}"),
            )
        if digest != record.content_hash:
            return Verification(
                checked - 1,
                expected_prev,
                BadLink(
                    record.label,
                    record.seq,
                    "content does not match its hash (the entry was edited)",
                ),
            )
        if record.prev_hash != expected_prev:
            return Verification(
                checked - 1,
                expected_prev,
                BadLink(
                    record.label,
                    record.seq,
                    "link to the previous entry is broken (an entry before it was removed, "
                    "inserted or rewritten)",
                ),
            )
        if link(record.prev_hash, digest) != record.hash:
            return Verification(
                checked - 1,
                expected_prev,
                BadLink(
                    record.label, record.seq, "stored chain hash is wrong (the hash was edited)"
                ),
            )
        expected_prev = record.hash
    return Verification(checked, expected_prev, None)
