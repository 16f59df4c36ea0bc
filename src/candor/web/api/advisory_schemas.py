"""Request and response bodies of /api/v1/advisories. Records travel in the record format of
docs/advisories.md, the same plain data ``candor advisory show --yaml`` prints."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from candor.domain.advisories import AdvisoryStatus, Tlp
from candor.web.api.schemas import Strict


class AdvisoryIn(Strict):
    record: dict[str, Any] = Field(
        description="The advisory in the record format. A new advisory gets its id from the "
        "workspace (ORG-SA-YEAR-SEQ); leave `id` out.",
    )


class AdvisoryUpdateIn(Strict):
    record: dict[str, Any] = Field(
        description="The whole record. The id and published revisions cannot change; leave "
        "`revisions` out or as they are."
    )
    expected_version: int | None = Field(
        None, ge=1, description="Refuse if the advisory is no longer at this version (or send "
        "If-Match).",
    )  # fmt: skip
    reason: str = Field("", max_length=2_000)


class PublishIn(Strict):
    summary: str = Field(min_length=1, max_length=2_000, description="What changed.")
    expected_version: int | None = Field(None, ge=1)


class ImportIn(Strict):
    document: dict[str, Any] = Field(description="A CVE JSON 5 record, CSAF 2.0 document or OSV.")
    format: Literal["auto", "cve", "csaf", "osv"] = "auto"


class DocumentOut(BaseModel):
    name: str
    format: str
    sha256: str
    sha512: str
    url: str


class RevisionOut(BaseModel):
    ordinal: int
    number: str
    date: str
    summary: str
    published_by: str
    tlp: Tlp
    changes: list[str]
    documents: list[DocumentOut]


class AdvisorySummaryOut(BaseModel):
    id: str
    title: str | None
    status: AdvisoryStatus
    tlp: Tlp
    cve_ids: list[str]
    version: int
    published_revision: str | None
    published_at: str | None
    public: bool
    pending_changes: bool
    updated_at: str


class AdvisoryOut(AdvisorySummaryOut):
    record: dict[str, Any]
    incidents: list[str]
    hidden_incidents: int
    revisions: list[RevisionOut]
    public_url: str | None
    created_at: str
    created_by: str
    updated_by: str


class AdvisoryList(BaseModel):
    items: list[AdvisorySummaryOut]
    total: int
    limit: int
    offset: int


class ImportOut(BaseModel):
    advisory: AdvisoryOut
    not_made: list[str] = Field(
        description="Documents that could not be made from the imported advisory, and why."
    )
