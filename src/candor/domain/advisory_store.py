"""Advisories kept in the workspace: the working copy, its published revisions, who may see it.

An advisory in the workspace is a working copy (the record, edited freely) and the revisions
published from it. Publishing freezes a revision: the record as it was, what changed, and the
documents made from it (CSAF, CVE, OSV) byte for byte with their SHA-256 and SHA-512. Nothing
edits a frozen revision; the public pages and the CSAF provider directory serve those bytes, so
a hash file always verifies the document next to it.

Need-to-know: an advisory that was never published and is linked to a restricted incident is
part of that incident. Only people who may see every linked incident (its members, admins) see
it; for everyone else it does not exist. Once published, it is the organisation's statement.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from candor.domain.access import Actor, Scope, can_see
from candor.domain.advisories import Advisory, AdvisoryStatus, Tlp
from candor.domain.advisory_dump import dump_advisory
from candor.domain.errors import InvalidInput, NotFound, PermissionDenied, Problem
from candor.domain.incidents import Incident
from candor.domain.vocabulary import Role

# Ids of stored advisories travel in URLs and CSAF file names: Candor's own ids and the ids of
# the usual sources (GO-2021-0095, RHSA-2021:5186, GHSA-…, CVE-…) all fit; spaces and slashes
# would make addresses ambiguous. "new" and "public" are pages of their own.
STORABLE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:+-]{0,99}$")
RESERVED_IDS = frozenset({"new", "public"})
# CSAF 2.0 section 5.1: lower case, every run of other characters becomes one underscore
CSAF_FILENAME_OTHER = re.compile(r"[^+\-a-z0-9]+")
# What a new advisory carries until the store gives it its id (forms and API bodies need not
# invent one; ``create`` replaces it).
UNNUMBERED = "UNNUMBERED"
# Publication bookkeeping: not "what changed" in a revision, it changes with every one.
BOOKKEEPING = frozenset({"status", "revisions", "initial_release", "current_release"})


def check_storable_id(text: str) -> str:
    if not STORABLE_ID.match(text) or text.lower() in RESERVED_IDS:
        raise InvalidInput(
            Problem(
                f"{text!r} cannot be an advisory id in the workspace",
                field="id",
                hint="letters, digits and . _ : + - only, at most 100 characters",
            )
        )
    return text


def csaf_filename(tracking_id: str) -> str:
    """The file name CSAF 2.0 gives a document: ``ACME-SA-2026-001`` → ``acme-sa-2026-001.json``."""
    return CSAF_FILENAME_OTHER.sub("_", tracking_id.lower()) + ".json"


@dataclass(frozen=True, slots=True)
class Document:
    """One document made from a revision, exactly as published."""

    name: str  # csaf.json, cve.json, osv-2.json …
    format: str  # csaf | cve | osv
    content: str
    sha256: str
    sha512: str

    @classmethod
    def of(cls, name: str, fmt: str, content: str) -> Document:
        data = content.encode("utf-8")
        return cls(
            name, fmt, content, hashlib.sha256(data).hexdigest(), hashlib.sha512(data).hexdigest()
        )

    @property
    def data(self) -> bytes:
        return self.content.encode("utf-8")

    def verifies(self) -> bool:
        """Whether the stored hashes still match the stored bytes."""
        return (
            hashlib.sha256(self.data).hexdigest() == self.sha256
            and hashlib.sha512(self.data).hexdigest() == self.sha512
        )


def document_name(fmt: str, index: int, count: int) -> str:
    """``cve.json`` for an advisory with one vulnerability; ``cve-2.json`` for the second of
    several (numbered from 1, as OSV numbers the records of one advisory)."""
    return f"{fmt}.json" if count == 1 else f"{fmt}-{index + 1}.json"


def in_order(documents: Iterable[Document]) -> tuple[Document, ...]:
    """CSAF first, then CVE and OSV records in vulnerability order (cve-2 before cve-10)."""
    rank = {"csaf": 0, "cve": 1, "osv": 2}

    def key(d: Document) -> tuple[int, int, str]:
        stem = d.name.removesuffix(".json")
        number = stem.rsplit("-", 1)[1] if "-" in stem else "0"
        return rank.get(d.format, 3), int(number) if number.isdigit() else 0, d.name

    return tuple(sorted(documents, key=key))


@dataclass(frozen=True, slots=True)
class PublishedRevision:
    """A revision as published: never changed afterwards."""

    ordinal: int  # 1, 2, 3 … in order of publication (numbers may be semantic versions)
    number: str
    date: datetime
    summary: str
    published_by: str
    tlp: Tlp
    changes: tuple[str, ...]  # the fields that differ from the revision before
    record: Mapping[str, Any]  # the record as published, in the record format
    advisory: Advisory  # the same record, read
    documents: tuple[Document, ...] = ()

    def document(self, name: str) -> Document | None:
        return next((d for d in self.documents if d.name == name), None)

    @property
    def csaf(self) -> Document | None:
        return self.document("csaf.json")


@dataclass(frozen=True, slots=True)
class StoredAdvisory:
    id: uuid.UUID
    advisory: Advisory
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str
    version: int = 1
    # the latest published revision, in brief (0 / None: never published)
    published_ordinal: int = 0
    published_number: str | None = None
    published_at: datetime | None = None
    published_tlp: Tlp | None = None
    # whether the working copy says something the latest revision does not
    pending_changes: bool = False

    @property
    def key(self) -> str:
        return self.advisory.id

    @property
    def ever_published(self) -> bool:
        return self.published_ordinal > 0

    @property
    def is_public(self) -> bool:
        """Published, and the latest revision is TLP:CLEAR: anyone may read it."""
        return self.ever_published and self.published_tlp is Tlp.CLEAR


def new_stored(*, id: uuid.UUID, advisory: Advisory, by: str, now: datetime) -> StoredAdvisory:
    check_storable_id(advisory.id)
    return StoredAdvisory(
        id=id, advisory=advisory, created_at=now, created_by=by, updated_at=now, updated_by=by
    )


def as_draft(advisory: Advisory, *, advisory_id: str) -> Advisory:
    """A new advisory: the id the store gave it, a draft with no history."""
    if advisory.revisions or advisory.status is AdvisoryStatus.PUBLISHED:
        raise InvalidInput(
            Problem(
                "a new advisory starts as a draft without revisions; publishing adds them",
                field="revisions",
                hint="to bring in an advisory published elsewhere, import its CVE, CSAF or "
                "OSV document with `candor advisory import FILE --store`",
            )
        )
    return replace(advisory, id=advisory_id, status=AdvisoryStatus.DRAFT)


def keep_history(stored: StoredAdvisory, edited: Advisory) -> Advisory:
    """The edited record with the stored id and publication history.

    Users edit what the advisory says; the id and the revisions are the store's. A record that
    tries to change them is refused rather than silently corrected, so nobody believes they
    rewrote a published revision.
    """
    current = stored.advisory
    problems: list[Problem] = []
    if edited.id not in (current.id, UNNUMBERED):
        problems.append(
            Problem(
                f"the id is {current.id}; an advisory keeps its id", field="id", hint=current.id
            )
        )
    if edited.revisions and edited.revisions != current.revisions:
        problems.append(
            Problem(
                "published revisions are never edited; publish a new revision instead",
                field="revisions",
                hint="leave revisions out, or as they were",
            )
        )
    if problems:
        raise InvalidInput(problems)
    return replace(
        edited,
        id=current.id,
        status=current.status,
        revisions=current.revisions,
        initial_release=current.initial_release,
        current_release=current.current_release,
    )


def record_changes(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> tuple[str, ...]:
    """The fields of ``after`` (a record in plain form) that differ from ``before``, to one level
    inside each vulnerability: ``title``, ``vulnerabilities[0].affected`` …"""
    if before is None:
        return ()
    out: list[str] = []
    for key in sorted(set(before) | set(after)):
        if key in BOOKKEEPING or before.get(key) == after.get(key):
            continue
        if key == "vulnerabilities":
            old, new = before.get(key) or [], after.get(key) or []
            for i in range(max(len(old), len(new))):
                a = old[i] if i < len(old) else None
                b = new[i] if i < len(new) else None
                if a == b:
                    continue
                if a is None or b is None:
                    out.append(f"vulnerabilities[{i}] {'added' if a is None else 'removed'}")
                    continue
                out.extend(
                    f"vulnerabilities[{i}].{name}"
                    for name in sorted(set(a) | set(b))
                    if a.get(name) != b.get(name)
                )
        else:
            out.append(key)
    return tuple(out)


def freeze(
    advisory: Advisory,
    *,
    ordinal: int,
    by: str,
    previous: Mapping[str, Any] | None,
    documents: tuple[Document, ...],
) -> PublishedRevision:
    """The revision ``advisory`` publishes (its latest), with what changed since ``previous``
    (the record of the revision before, if any)."""
    latest = max(advisory.revisions, key=lambda r: r.date)
    record = dump_advisory(advisory)
    return PublishedRevision(
        ordinal=ordinal,
        number=latest.number,
        date=latest.date,
        summary=latest.summary,
        published_by=by,
        tlp=advisory.tlp,
        changes=record_changes(previous, record),
        record=record,
        advisory=advisory,
        documents=documents,
    )


# ---- need-to-know ------------------------------------------------------------------------------


def can_see_advisory(actor: Actor, stored: StoredAdvisory, linked: Iterable[Incident]) -> bool:
    if Scope.READ not in actor.scopes:
        return False
    if stored.ever_published:
        return True
    return all(can_see(actor, incident) for incident in linked)


def require_see_advisory(actor: Actor, stored: StoredAdvisory, linked: Iterable[Incident]) -> None:
    if not can_see_advisory(actor, stored, linked):
        raise NotFound(f"no advisory {stored.key}")


def require_write_advisory(
    actor: Actor, stored: StoredAdvisory, linked: Iterable[Incident]
) -> None:
    require_see_advisory(actor, stored, linked)
    if not actor.can_write:
        raise PermissionDenied(f"{actor.username} may read {stored.key} but not change it")


def require_publish_advisory(actor: Actor, linked: Iterable[Incident]) -> None:
    """One voice: when a linked incident has a communications lead, they publish (or an admin)."""
    if actor.is_admin:
        return
    for incident in linked:
        lead = incident.roles.get(Role.COMMS_LEAD)
        if lead is not None and lead != actor.username:
            raise PermissionDenied(
                f"{incident.key} has a communications lead ({lead}): they publish its "
                "advisories, or an administrator does"
            )


def snapshot(stored: StoredAdvisory, record: Mapping[str, Any]) -> dict[str, Any]:
    """What the audit log keeps of an advisory: the record and the store's facts."""
    return {
        "id": str(stored.id),
        "key": stored.key,
        "version": stored.version,
        "published_revision": stored.published_number,
        "record": dict(record),
    }
