"""Request and response bodies of the obligations API (field names as in the CLI's ``--json``;
``services.obligation_views`` builds them)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LocalTime(BaseModel):
    zone: str
    time: str


class DeadlineLocal(BaseModel):
    organization: LocalTime
    jurisdiction: LocalTime


class TriggerOut(BaseModel):
    name: str | None
    at: str | None


class FilingOut(BaseModel):
    filed_at: str | None
    by: str
    reference: str
    attachment: str | None
    recorded_at: str | None


class DeterminationOut(BaseModel):
    text: str
    proposed_by: str
    proposed_at: str | None
    approved_by: str | None
    approved_at: str | None
    rejected_by: str | None
    rejected_at: str | None
    rejection: str | None


class ObligationOut(BaseModel):
    seq: int
    rule_id: str
    jurisdiction: str
    kind: str
    regime: str
    recipient_category: str | None
    recipient: str
    status: str = Field(description="required | required_unless_exception | pending_trigger")
    deadline: str | None = Field(description="ISO 8601 UTC; null when the law sets a standard")
    deadline_local: DeadlineLocal | None
    time_left: str | None
    deadline_rule: str
    trigger: TriggerOut
    citation: str
    law: str
    verified: bool
    unverified: list[str]
    last_reviewed: str
    rule_effective_from: str | None
    active: bool = Field(description="false: no longer triggered (see removed_reason)")
    removed_reason: str | None
    tracking: str = Field(description="pending | filed | not_required_proposed | not_required")
    overdue: bool
    filing: FilingOut | None
    determination: DeterminationOut | None
    first_computed_at: str | None
    detail: dict[str, Any] = Field(description="the engine's full output for this obligation")


class FactOut(BaseModel):
    value: Any
    source: str = Field(description="manual | inventory | scoping")


class FactChangeOut(BaseModel):
    key: str
    before: Any
    after: Any
    source: str


class FactsVersionOut(BaseModel):
    version: int
    recorded_at: str | None
    recorded_by: str
    reason: str
    facts: dict[str, FactOut]
    changes: list[FactChangeOut]


class NeededOut(BaseModel):
    kind: str = Field(description="determination | event")
    question: str
    obligations: list[str]


class ObligationsOut(BaseModel):
    disclaimer: str
    incident: str
    organization_timezone: str
    facts: FactsVersionOut | None
    composed_facts: dict[str, Any] | None = Field(
        description="the facts the engine evaluated, in the facts-file format"
    )
    sources: dict[str, str]
    missing: str | None = Field(description="why nothing could be evaluated, if so")
    stale: bool = Field(description="the rules or settings now give other obligations")
    obligations: list[ObligationOut]
    no_longer_triggered: list[ObligationOut]
    determinations_needed: list[NeededOut]
    warnings: list[str]
    rules_last_reviewed: list[str]


class FactsHistoryOut(BaseModel):
    items: list[FactsVersionOut]


class ChangeOut(BaseModel):
    kind: str
    seq: int
    rule_id: str
    jurisdiction: str
    obligation: str
    before: str | None
    after: str | None
    note: str


class FactsIn(Strict):
    changes: dict[str, Any] = Field(
        description="Facts to set (docs/obligations.md: data_elements, affected, risk_of_harm …); "
        "null removes one."
    )
    reason: str = Field("", max_length=2_000)
    source: Literal["manual", "inventory", "scoping"] = "manual"
    expected_version: int | None = Field(
        None, ge=0, description="Refuse the change if the facts are no longer at this version."
    )


class FactsRecordedOut(BaseModel):
    changed: bool
    facts: FactsVersionOut | None
    obligation_changes: list[ChangeOut]


class ChangesOut(BaseModel):
    obligation_changes: list[ChangeOut]


class FileIn(Strict):
    reference: str = Field(min_length=1, max_length=500)
    filed_at: datetime | None = Field(None, description="When the notice was given; default now.")
    attachment: str = Field("", max_length=500)


class ProposeIn(Strict):
    text: str = Field(min_length=1, max_length=20_000, description="The written determination.")


class RejectIn(Strict):
    reason: str = Field(min_length=1, max_length=20_000)


class DueOut(ObligationOut):
    incident: str
    incident_title: str


class DueList(BaseModel):
    items: list[DueOut]
