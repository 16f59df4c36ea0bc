"""Request and response bodies of the intake and triage API. Field names match the CLI's
``--json`` (``services.views_intake``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from candor.domain.reports import LIMITS, ReportStatus
from candor.domain.vocabulary import Kind, Severity
from candor.web.api.schemas import Strict


class ReportIn(Strict):
    """A report. Only ``what_happened`` (or ``pgp_message``) is needed; sizes are characters."""

    what_happened: str = Field("", max_length=LIMITS["what_happened"])
    how_found: str = Field("", max_length=LIMITS["how_found"])
    affected: str = Field("", max_length=LIMITS["affected"], description="Product or URL.")
    reporter_name: str = Field("", max_length=LIMITS["reporter_name"])
    reporter_email: str = Field(
        "", max_length=LIMITS["reporter_email"], description="For follow-up; optional."
    )
    pgp_message: str = Field(
        "",
        max_length=LIMITS["pgp_message"],
        description="An ASCII-armoured PGP message, stored exactly as sent.",
    )


class ReceivedOut(BaseModel):
    key: str = Field(description="The reference to quote, e.g. REP-2026-17.")
    received_at: str
    status: ReportStatus


class ReportSummaryOut(BaseModel):
    key: str
    status: ReportStatus
    channel: str
    received_at: str
    encrypted: bool
    excerpt: str
    incident_key: str | None
    version: int


class ReportList(BaseModel):
    items: list[ReportSummaryOut]
    total: int
    limit: int
    offset: int


class DecryptionOut(BaseModel):
    id: str
    decrypted_at: str
    decrypted_by: str
    key_fingerprint: str
    plaintext: str
    binary: bool


class ReportOut(ReportSummaryOut):
    what_happened: str
    how_found: str
    affected: str
    reporter_name: str
    reporter_email: str
    pgp_message: str
    client_network: str
    submitted_by: str | None
    acknowledged_at: str | None
    acknowledged_by: str | None
    handled_at: str | None
    handled_by: str | None
    decline_reason: str
    decryptions: list[DecryptionOut]


class VersionIn(Strict):
    expected_version: int | None = Field(None, ge=1)


class DeclineIn(Strict):
    reason: str = Field(min_length=1, max_length=2_000)
    expected_version: int | None = Field(None, ge=1)


class PromoteIn(Strict):
    title: str = Field("", max_length=200, description="Default: the report's first line.")
    kind: Kind = Kind.SECURITY_INCIDENT
    severity: Severity = Severity.SEV3
    restricted: bool = False
    expected_version: int | None = Field(None, ge=1)


class PromotedOut(BaseModel):
    report: ReportSummaryOut
    incident_key: str


class DecryptIn(Strict):
    keep: bool = Field(False, description="Also store the plaintext as a decryption record.")


class AssessIn(Strict):
    answers: dict[str, Any] = Field(
        description="question: answer, as in an answers file (`candor triage questions`)."
    )
    note: str = Field("", max_length=2_000)


class AssessmentOut(BaseModel):
    version: int
    assessed_at: str
    assessed_by: str
    note: str
    answers: dict[str, Any]
    kind: Kind
    severity: Severity
    policy: str
    policy_version: str
    deciding_rules: list[str]
    deciding_answers: dict[str, Any]
    rationale: list[str]
    fired: list[dict[str, Any]]
    unanswered: list[str]


class AssessedOut(BaseModel):
    assessment: AssessmentOut
    change: dict[str, Any]


class AssessmentList(BaseModel):
    items: list[AssessmentOut]


class ApplyIn(Strict):
    assessment: int | None = Field(
        None, ge=1, description="The assessment you reviewed; refused if it is not the latest."
    )
    expected_version: int | None = Field(None, ge=1, description="The incident's version.")


class ConfirmBreachIn(Strict):
    assessment: int | None = Field(None, ge=1)
    at: datetime | None = Field(None, description="When it was determined; default now.")
