"""Hash chains: the mechanism that makes the timeline and the audit log tamper-evident.

Each record stores three hashes (hex SHA-256):

* ``content_hash``: of the record's canonical content (every stored field but the hashes);
* ``prev_hash``: the ``hash`` of the record before it (``GENESIS`` for the first);
* ``hash``: of ``prev_hash`` and ``content_hash`` together.

Changing any byte of a stored record changes its content hash; deleting or reordering records
breaks the link to the previous one; rewriting the whole tail consistently would need the hashes
exported earlier (reports and backups carry the head hash), so an edit is always detectable.

Canonical content is a sequence of fields, each written as ``<length>:<text>`` (a netstring
without the trailing comma; the length counts characters) or ``~`` for a missing value. It is
unambiguous, much faster than JSON, and simple enough that the databases can build it themselves
when verifying (see ``candor.adapters.db.chains``). Field order is fixed by the caller. Instants
are written as UTC with microseconds: ``2026-03-02T14:00:00.000000Z``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NamedTuple

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
    v = value.astimezone(UTC)
    # not strftime: glibc writes year 1 as "1", and the text must be fixed-width to sort and to
    # read back (Go's OSV records say 0001-01-01T00:00:00Z for "unknown")
    return (
        f"{v.year:04d}-{v.month:02d}-{v.day:02d}T{v.hour:02d}:{v.minute:02d}:{v.second:02d}"
        f".{v.microsecond:06d}Z"
    )


def canonical_json(value: object) -> str:
    """JSON with sorted keys and no spaces: the stored form of structured fields."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_json_default
    )


def _json_default(value: object) -> object:
    if isinstance(value, datetime):
        return canonical_instant(value)
    raise TypeError(f"cannot store {type(value).__name__} in a hashed record")


def canonical(fields: Sequence[Field]) -> str:
    parts: list[str] = []
    for value in fields:
        if value is None:
            parts.append("~")
            continue
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, datetime):
            text = canonical_instant(value)
        else:
            text = str(value)
        parts.append(f"{len(text)}:{text}")
    return "".join(parts)


def encode(fields: Sequence[Field]) -> bytes:
    return canonical(fields).encode("utf-8", "surrogatepass")


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


class StoredLink(NamedTuple):
    """A record as read back from storage, for verification.

    Storage adapters may yield plain tuples in this order (there may be millions of them).
    """

    seq: int  # the sequence number stored in the record
    content: str  # the canonical content, built from the stored fields
    content_hash: str
    prev_hash: str
    hash: str


@dataclass(frozen=True, slots=True)
class BadLink:
    label: str
    seq: int
    reason: str


@dataclass(frozen=True, slots=True)
class Redacted:
    """An entry whose content was removed under the retention policy, vouched for by an audit
    record: its stored content hash is the original one, so the chain still links through it."""

    label: str
    seq: int
    audit_seq: int


@dataclass(frozen=True, slots=True)
class Verification:
    checked: int
    head: str
    first_bad: BadLink | None
    redacted: tuple[Redacted, ...] = ()

    @property
    def ok(self) -> bool:
        return self.first_bad is None


def verify(
    records: Iterable[tuple[int, str, str, str, str]],
    *,
    prefix: str = "#",
    start_hash: str = GENESIS,
    redactions: Mapping[int, tuple[str, int]] | None = None,
) -> Verification:
    """Walk the chain in order and stop at the first record that does not verify.

    ``records`` are ``StoredLink``-shaped tuples in chain order; ``prefix`` names the chain in
    messages ("INC-2026-7 #" gives "INC-2026-7 #12").

    ``redactions`` maps a sequence number to ``(redacted content hash, audit seq)`` for entries
    whose content the retention policy replaced (see ``candor.domain.retention``). Such an entry
    verifies only if its present content hashes to exactly the recorded redacted hash; the
    original content hash it still stores then carries the link, so the chain stays provable
    and every other edit is still reported as tampering.
    """
    expected_prev = start_hash
    position = 0
    sha256 = hashlib.sha256
    redacted: list[Redacted] = []
    # plain tuples and local names: this loop runs for every entry of every chain
    for seq, content, stored_content_hash, prev_hash, stored_hash in records:
        position += 1
        reason = None
        digest = sha256(content.encode("utf-8", "surrogatepass")).hexdigest()
        if seq != position:
            reason = (
                f"sequence gap: expected #{position}, found #{seq} "
                "(an entry was deleted or renumbered)"
            )
        elif digest != stored_content_hash and (reason := _unredacted(redactions, seq, digest)):
            pass
        elif prev_hash != expected_prev:
            reason = (
                "link to the previous entry is broken (an entry before it was removed, "
                "inserted or rewritten)"
            )
        else:
            if digest != stored_content_hash:
                audit_seq = redactions[seq][1]  # type: ignore[index]  # vouched for above
                redacted.append(Redacted(f"{prefix}{seq}", seq, audit_seq))
            # the stored content hash carries the link: for a redacted entry it is the original
            linked = sha256(
                (prev_hash + stored_content_hash).encode("ascii", "replace")
            ).hexdigest()
            if linked == stored_hash:
                expected_prev = linked
            else:
                reason = "stored chain hash is wrong (the hash was edited)"
        if reason is not None:
            return Verification(
                position - 1,
                expected_prev,
                BadLink(f"{prefix}{seq}", seq, reason),
                tuple(redacted),
            )
    return Verification(position, expected_prev, None, tuple(redacted))


def _unredacted(
    redactions: Mapping[int, tuple[str, int]] | None, seq: int, digest: str
) -> str | None:
    """Why a content mismatch is tampering, or None when a recorded redaction explains it."""
    vouched = redactions.get(seq) if redactions else None
    if vouched is None:
        return "content does not match its hash (the entry was edited)"
    if vouched[0] != digest:
        return (
            "content does not match its hash nor the redaction recorded in "
            f"audit #{vouched[1]} (the entry was edited after it was redacted)"
        )
    return None
