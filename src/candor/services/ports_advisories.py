"""Ports of the advisories feature: where advisories are stored, and how documents are made.

The documents (CVE, CSAF, OSV) are made by ``candor.adapters.export``; the use cases reach them
through ``AdvisoryDocuments`` so that publishing can render, validate and hash them inside the
same transaction that freezes the revision.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, cast

from candor.domain.advisories import Advisory, AdvisoryStatus, Publisher
from candor.domain.advisory_store import Document, PublishedRevision, StoredAdvisory
from candor.domain.errors import Problem
from candor.services.ports import UnitOfWork


@dataclass(frozen=True, slots=True)
class AdvisoryFilter:
    status: AdvisoryStatus | None = None
    cve: str | None = None
    incident: str | None = None  # linked to this incident key
    public_only: bool = False  # published, latest revision TLP:CLEAR
    limit: int = 500
    offset: int = 0


class AdvisoryRepository(Protocol):
    def add(self, stored: StoredAdvisory) -> None: ...

    def get(self, key: str) -> StoredAdvisory | None: ...

    def holder_of_filename(self, filename: str) -> str | None:
        """The key of the advisory whose CSAF file name is ``filename`` (ids that differ only
        in case or punctuation would share one file in the provider directory)."""
        ...

    def save(self, stored: StoredAdvisory, *, expected_version: int) -> StoredAdvisory:
        """Store a changed working copy unless someone changed it since ``expected_version``
        (raises ``Conflict``); returns it with its new version."""
        ...

    def remove(self, stored: StoredAdvisory) -> None:
        """Delete an advisory that was never published (the use case checks that)."""
        ...

    def add_revision(self, advisory_id: uuid.UUID, revision: PublishedRevision) -> None:
        """Append a published revision. There is no way to change or delete one."""
        ...

    def revisions(self, advisory_id: uuid.UUID) -> list[PublishedRevision]:
        """Every published revision, oldest first."""
        ...

    def revision(self, advisory_id: uuid.UUID, ordinal: int) -> PublishedRevision | None: ...

    # last: a method named ``list`` hides the built-in from the annotations after it
    def list(self, where: AdvisoryFilter) -> list[StoredAdvisory]: ...


class AdvisoryUnitOfWork(UnitOfWork, Protocol):
    advisories: AdvisoryRepository


def with_advisories(uow: UnitOfWork) -> AdvisoryUnitOfWork:
    """The unit of work with the advisory repository (registered by its storage adapter)."""
    if not hasattr(uow, "advisories"):
        raise RuntimeError(
            "the advisory repository is not registered: import candor.adapters.db.advisories"
        )
    return cast(AdvisoryUnitOfWork, uow)


@dataclass(frozen=True, slots=True)
class Rendered:
    """The documents of a revision, and what kept any other document from being made."""

    documents: tuple[Document, ...]
    problems: tuple[Problem, ...] = ()


class AdvisoryDocuments(Protocol):
    def render(self, advisory: Advisory, *, now: datetime) -> Rendered:
        """Every document a published revision carries: the CSAF advisory, an OSV record per
        vulnerability, and a CVE record per vulnerability with a CVE id when the publisher is
        a CNA. Each is validated; a document that fails is left out and its problems named."""
        ...

    def export(
        self,
        advisory: Advisory,
        fmt: str,
        *,
        now: datetime,
        index: int | None = None,
        cve: str | None = None,
    ) -> dict[str, Any]:
        """One document of the current record, validated (``InvalidInput`` otherwise). For CVE
        and OSV, the vulnerability is chosen by position or CVE id (needed with several)."""
        ...


@dataclass(frozen=True)
class AdvisorySetup:
    """What the advisory use cases need besides the unit of work, wired by ``bootstrap``."""

    documents: AdvisoryDocuments
    id_prefix: str
    publisher: Publisher | None = None
