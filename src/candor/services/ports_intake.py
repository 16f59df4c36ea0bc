"""Ports of intake and triage: reports and their decryptions, the submission rate limiter, the
triage assessments of incidents, and the organisation's OpenPGP key.

The SQL adapter (``candor.adapters.db.intake``) registers the repositories on every unit of
work; ``intake(uow)`` gives them a type.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, cast

from candor.domain.assessments import StoredAssessment
from candor.domain.reports import Decryption, Report, ReportStatus
from candor.services.ports import UnitOfWork


@dataclass(frozen=True, slots=True)
class ReportFilter:
    status: tuple[ReportStatus, ...] = ()  # empty: every status
    incident_key: str | None = None  # promoted into this incident
    limit: int = 100
    offset: int = 0


class ReportRepository(Protocol):
    def add(self, report: Report) -> None: ...

    def get(self, key: str) -> Report | None: ...

    def save(self, report: Report, *, expected_version: int) -> Report:
        """Store a changed report unless someone changed it since ``expected_version``
        (raises ``Conflict``); returns it with its new version."""
        ...

    def add_decryption(self, decryption: Decryption) -> None: ...

    def decryptions(self, report_id: uuid.UUID) -> list[Decryption]: ...

    def scrub(self, incident_key: str, marker: str) -> int:
        """Retention: remove what the reports promoted into an incident say and who sent them
        (their decrypted copies too); returns how many reports were scrubbed."""
        ...

    def count(self, where: ReportFilter) -> int: ...

    def list(self, where: ReportFilter) -> list[Report]:
        """Newest first."""
        ...


class SubmissionAttempts(Protocol):
    """Recent submissions per client (a keyed hash of the address), shared by every worker."""

    def lock(self) -> None:
        """Serialise submissions until the transaction ends, so two workers cannot both let the
        fifth and sixth attempt through."""
        ...

    def recent(self, client: str, *, since: datetime) -> list[datetime]: ...

    def add(self, client: str, *, at: datetime) -> None: ...

    def purge(self, *, before: datetime) -> int:
        """Forget attempts older than the window: the hashes are kept no longer than needed."""
        ...


class AssessmentRepository(Protocol):
    def add(self, stored: StoredAssessment) -> None: ...

    def list(self, incident_id: uuid.UUID) -> list[StoredAssessment]:
        """Oldest first."""
        ...

    def latest(self, incident_id: uuid.UUID) -> StoredAssessment | None: ...


class IntakeUnitOfWork(UnitOfWork, Protocol):
    reports: ReportRepository
    report_attempts: SubmissionAttempts
    assessments: AssessmentRepository


def intake(uow: UnitOfWork) -> IntakeUnitOfWork:
    """The unit of work with the intake repositories (registered by their storage adapter)."""
    if not all(hasattr(uow, name) for name in ("reports", "report_attempts", "assessments")):
        raise RuntimeError(
            "the intake repositories are not registered: import candor.adapters.db.intake"
        )
    return cast(IntakeUnitOfWork, uow)


class Decrypted(Protocol):
    @property
    def plaintext(self) -> bytes: ...

    @property
    def key_fingerprint(self) -> str: ...


class OrganisationKey(Protocol):
    """The organisation's OpenPGP private key, unlocked (``candor.adapters.pgp``)."""

    def decrypt(self, message: str | bytes) -> Decrypted: ...
