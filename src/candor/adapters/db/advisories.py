"""Tables and repository of advisories: the working copy, published revisions, documents, links.

Importing this module registers ``advisories`` on every SQL unit of work.

The record is stored whole, as JSON in the record format (``advisory_dump``), with the fields
people search and sort by copied into indexed columns. Published revisions and their documents
are only ever inserted: the repository has no way to change or delete one.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    String,
    Text,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from candor.adapters.db.models import Base
from candor.adapters.db.repositories import dialect_of
from candor.adapters.db.uow import register_repository
from candor.adapters.export import cvss
from candor.domain.advisories import Advisory, CvssScore, Severity, Tlp
from candor.domain.advisory_dump import dump_advisory
from candor.domain.advisory_parse import parse_advisory
from candor.domain.advisory_store import (
    Document,
    PublishedRevision,
    StoredAdvisory,
    csaf_filename,
    in_order,
)
from candor.domain.errors import Conflict
from candor.services.ports_advisories import AdvisoryFilter


class AdvisoryRow(Base):
    __tablename__ = "advisories"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100), unique=True)
    # the CSAF file name: ids differing only in case or punctuation would share it
    filename: Mapped[str] = mapped_column(String(110), unique=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    cve: Mapped[str | None] = mapped_column(String(30), index=True)  # the first CVE id
    cve_ids: Mapped[str] = mapped_column(Text, default="")  # all of them, space-separated
    tlp: Mapped[str] = mapped_column(String(16))
    title: Mapped[str | None] = mapped_column(String(256))
    record: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(index=True)
    updated_by: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer, default=1)
    published_ordinal: Mapped[int] = mapped_column(Integer, default=0)
    published_number: Mapped[str | None] = mapped_column(String(32))
    published_at: Mapped[datetime | None] = mapped_column(index=True)
    published_tlp: Mapped[str | None] = mapped_column(String(16), index=True)
    pending_changes: Mapped[bool] = mapped_column(Boolean, default=False)


class AdvisoryIncidentRow(Base):
    __tablename__ = "advisory_incidents"

    advisory_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey(AdvisoryRow.id, ondelete="CASCADE"), primary_key=True
    )
    incident_key: Mapped[str] = mapped_column(
        ForeignKey("incidents.key"), primary_key=True, index=True
    )


class AdvisoryRevisionRow(Base):
    """Insert-only. A published advisory is never deleted, so neither are these."""

    __tablename__ = "advisory_revisions"

    advisory_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(AdvisoryRow.id), primary_key=True)
    ordinal: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32))
    date: Mapped[datetime]
    summary: Mapped[str] = mapped_column(Text)
    published_by: Mapped[str] = mapped_column(String(100))
    tlp: Mapped[str] = mapped_column(String(16))
    changes: Mapped[str] = mapped_column(Text)  # JSON list
    record: Mapped[str] = mapped_column(Text)


class AdvisoryDocumentRow(Base):
    """Insert-only: the bytes served to the public and the hashes published beside them."""

    __tablename__ = "advisory_documents"
    __table_args__ = (
        ForeignKeyConstraint(
            ["advisory_id", "ordinal"],
            [AdvisoryRevisionRow.advisory_id, AdvisoryRevisionRow.ordinal],
        ),
    )

    advisory_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    ordinal: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    format: Mapped[str] = mapped_column(String(8))
    content: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    sha512: Mapped[str] = mapped_column(String(128))


def encode(record: Mapping[str, Any]) -> str:
    return json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def decode(text: str) -> Advisory:
    """A stored record, read back. Scores are the ones stored: a later ``cvss`` release that
    scores a vector differently must not make published records unreadable."""
    data = json.loads(text)
    stored: dict[str, tuple[float, str]] = {}
    for vulnerability in data.get("vulnerabilities") or []:
        for entry in vulnerability.get("cvss") or []:
            if isinstance(entry, dict) and "score" in entry and "severity" in entry:
                stored[entry["vector"]] = (entry["score"], entry["severity"])

    def score(vector: str) -> CvssScore:
        fresh = cvss.score(vector)
        if vector in stored:
            value, severity = stored[vector]
            return replace(fresh, base_score=float(value), severity=Severity(severity))
        return fresh

    return parse_advisory(data, scorer=score)


class SqlAdvisories:
    def __init__(self, session: Session) -> None:
        self.session = session

    # -- the working copy ------------------------------------------------------------------------

    def add(self, stored: StoredAdvisory) -> None:
        self.session.execute(
            insert(AdvisoryRow).values(
                id=stored.id,
                key=stored.key,
                filename=csaf_filename(stored.key),
                created_at=stored.created_at,
                created_by=stored.created_by,
                version=stored.version,
                **self._columns(stored),
            )
        )
        self._write_links(stored)

    def save(self, stored: StoredAdvisory, *, expected_version: int) -> StoredAdvisory:
        if dialect_of(self.session) == "postgresql":
            # serialise writers on this advisory for the rest of the transaction
            self.session.execute(
                select(AdvisoryRow.id).where(AdvisoryRow.id == stored.id).with_for_update()
            )
        result = self.session.execute(
            update(AdvisoryRow)
            .where(AdvisoryRow.id == stored.id, AdvisoryRow.version == expected_version)
            .values(**self._columns(stored), version=expected_version + 1)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict(
                f"{stored.key} was changed by someone else since you read it (you had version "
                f"{expected_version}). Reload it and apply your change again; nothing was "
                "overwritten."
            )
        self.session.execute(
            delete(AdvisoryIncidentRow).where(AdvisoryIncidentRow.advisory_id == stored.id)
        )
        self._write_links(stored)
        return replace(stored, version=expected_version + 1)

    def remove(self, stored: StoredAdvisory) -> None:
        self.session.execute(delete(AdvisoryRow).where(AdvisoryRow.id == stored.id))

    def _write_links(self, stored: StoredAdvisory) -> None:
        for key in dict.fromkeys(stored.advisory.incidents):
            self.session.execute(
                insert(AdvisoryIncidentRow).values(advisory_id=stored.id, incident_key=key)
            )

    @staticmethod
    def _columns(stored: StoredAdvisory) -> dict[str, Any]:
        a = stored.advisory
        cves = a.cve_ids()
        return {
            "status": a.status.value,
            "cve": cves[0] if cves else None,
            "cve_ids": " ".join(cves),
            "tlp": a.tlp.value,
            "title": a.title,
            "record": encode(dump_advisory(a)),
            "updated_at": stored.updated_at,
            "updated_by": stored.updated_by,
            "published_ordinal": stored.published_ordinal,
            "published_number": stored.published_number,
            "published_at": stored.published_at,
            "published_tlp": stored.published_tlp.value if stored.published_tlp else None,
            "pending_changes": stored.pending_changes,
        }

    def get(self, key: str) -> StoredAdvisory | None:
        row = self.session.execute(
            select(AdvisoryRow).where(AdvisoryRow.key == key)
        ).scalar_one_or_none()
        return self._stored(row) if row else None

    def holder_of_filename(self, filename: str) -> str | None:
        found: str | None = self.session.execute(
            select(AdvisoryRow.key).where(AdvisoryRow.filename == filename)
        ).scalar_one_or_none()
        return found

    @staticmethod
    def _stored(row: AdvisoryRow) -> StoredAdvisory:
        return StoredAdvisory(
            id=row.id,
            advisory=decode(row.record),
            created_at=row.created_at,
            created_by=row.created_by,
            updated_at=row.updated_at,
            updated_by=row.updated_by,
            version=row.version,
            published_ordinal=row.published_ordinal,
            published_number=row.published_number,
            published_at=row.published_at,
            published_tlp=Tlp(row.published_tlp) if row.published_tlp else None,
            pending_changes=row.pending_changes,
        )

    # -- published revisions ---------------------------------------------------------------------

    def add_revision(self, advisory_id: uuid.UUID, revision: PublishedRevision) -> None:
        self.session.execute(
            insert(AdvisoryRevisionRow).values(
                advisory_id=advisory_id,
                ordinal=revision.ordinal,
                number=revision.number,
                date=revision.date,
                summary=revision.summary,
                published_by=revision.published_by,
                tlp=revision.tlp.value,
                changes=json.dumps(list(revision.changes)),
                record=encode(revision.record),
            )
        )
        for d in revision.documents:
            self.session.execute(
                insert(AdvisoryDocumentRow).values(
                    advisory_id=advisory_id,
                    ordinal=revision.ordinal,
                    name=d.name,
                    format=d.format,
                    content=d.content,
                    sha256=d.sha256,
                    sha512=d.sha512,
                )
            )

    def revisions(self, advisory_id: uuid.UUID) -> list[PublishedRevision]:
        return self._revisions(advisory_id, None)

    def revision(self, advisory_id: uuid.UUID, ordinal: int) -> PublishedRevision | None:
        found = self._revisions(advisory_id, ordinal)
        return found[0] if found else None

    def _revisions(self, advisory_id: uuid.UUID, ordinal: int | None) -> list[PublishedRevision]:
        query = select(AdvisoryRevisionRow).where(AdvisoryRevisionRow.advisory_id == advisory_id)
        docs = select(AdvisoryDocumentRow).where(AdvisoryDocumentRow.advisory_id == advisory_id)
        if ordinal is not None:
            query = query.where(AdvisoryRevisionRow.ordinal == ordinal)
            docs = docs.where(AdvisoryDocumentRow.ordinal == ordinal)
        documents: dict[int, list[Document]] = {}
        for d in self.session.execute(docs.order_by(AdvisoryDocumentRow.name)).scalars():
            documents.setdefault(d.ordinal, []).append(
                Document(d.name, d.format, d.content, d.sha256, d.sha512)
            )
        out = []
        for row in self.session.execute(query.order_by(AdvisoryRevisionRow.ordinal)).scalars():
            out.append(
                PublishedRevision(
                    ordinal=row.ordinal,
                    number=row.number,
                    date=row.date,
                    summary=row.summary,
                    published_by=row.published_by,
                    tlp=Tlp(row.tlp),
                    changes=tuple(json.loads(row.changes)),
                    record=json.loads(row.record),
                    advisory=decode(row.record),
                    documents=in_order(documents.get(row.ordinal, [])),
                )
            )
        return out

    # last: a method named ``list`` hides the built-in from the annotations after it
    def list(self, where: AdvisoryFilter) -> list[StoredAdvisory]:
        query = select(AdvisoryRow).order_by(
            func.coalesce(AdvisoryRow.published_at, AdvisoryRow.created_at).desc(),
            AdvisoryRow.key,
        )
        if where.status is not None:
            query = query.where(AdvisoryRow.status == where.status.value)
        if where.cve is not None:
            query = query.where(AdvisoryRow.cve_ids.contains(where.cve.strip().upper()))
        if where.incident is not None:
            query = query.where(
                AdvisoryRow.id.in_(
                    select(AdvisoryIncidentRow.advisory_id).where(
                        AdvisoryIncidentRow.incident_key == where.incident
                    )
                )
            )
        if where.public_only:
            query = query.where(
                AdvisoryRow.published_ordinal > 0, AdvisoryRow.published_tlp == Tlp.CLEAR.value
            )
        rows = self.session.execute(query.limit(where.limit).offset(where.offset)).scalars()
        return [self._stored(row) for row in rows]


register_repository("advisories", SqlAdvisories)
