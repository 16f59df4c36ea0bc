"""Request and response bodies of the JSON API. Field names match the CLI's ``--json``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from candor.domain.lifecycle import Phase
from candor.domain.tasks import TaskStatus
from candor.domain.timeline import EntryKind
from candor.domain.vocabulary import Confidentiality, Kind, Severity


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Warning(BaseModel):
    code: str
    message: str


class PhaseEntry(BaseModel):
    phase: Phase
    entered_at: str
    by: str
    reason: str


class IncidentOut(BaseModel):
    key: str
    id: str
    title: str
    summary: str
    kind: Kind
    severity: Severity
    confidentiality: Confidentiality
    exercise: bool
    phase: Phase
    declared_at: str
    declared_by: str
    closed_at: str | None
    clocks: dict[str, str | None]
    roles: dict[str, str]
    participants: list[str]
    phase_history: list[PhaseEntry]
    warnings: list[Warning]
    version: int
    updated_at: str | None
    age_seconds: int | None = None


class IncidentSummaryOut(BaseModel):
    key: str
    title: str
    kind: Kind
    severity: Severity
    phase: Phase
    exercise: bool
    confidentiality: Confidentiality
    incident_lead: str | None
    declared_at: str
    version: int
    age_seconds: int | None = None


class IncidentList(BaseModel):
    items: list[IncidentSummaryOut]
    total: int
    limit: int
    offset: int


class DeclareIn(Strict):
    title: str = Field(min_length=1, max_length=200)
    summary: str = Field("", max_length=20_000)
    kind: Kind = Kind.SECURITY_INCIDENT
    severity: Severity = Severity.SEV3
    confidentiality: Confidentiality = Confidentiality.NORMAL
    exercise: bool = False
    detected_at: datetime | None = None
    aware_at: datetime | None = None


class UpdateIn(Strict):
    title: str | None = Field(None, min_length=1, max_length=200)
    summary: str | None = Field(None, max_length=20_000)
    kind: Kind | None = None
    severity: Severity | None = None
    confidentiality: Confidentiality | None = None
    expected_version: int | None = Field(
        None,
        ge=1,
        description="Refuse the change if the "
        "incident is no longer at this version (or send "
        "If-Match).",
    )
    reason: str = Field("", max_length=2_000)


class TransitionIn(Strict):
    phase: Phase
    reason: str = Field("", max_length=2_000)
    expected_version: int | None = Field(None, ge=1)


class RoleIn(Strict):
    person: str | None = Field(None, max_length=100, description="User name; null clears the role.")
    expected_version: int | None = Field(None, ge=1)


class ParticipantsIn(Strict):
    add: list[str] = Field(default_factory=list, max_length=100)
    remove: list[str] = Field(default_factory=list, max_length=100)
    expected_version: int | None = Field(None, ge=1)


class ClockIn(Strict):
    value: datetime | None
    reason: str = Field("", max_length=2_000)
    expected_version: int | None = Field(None, ge=1)


class TaskOut(BaseModel):
    seq: int
    id: str
    title: str
    owner: str | None
    due_at: str | None
    phase: Phase | None
    status: TaskStatus
    created_at: str
    created_by: str
    completed_at: str | None
    notes: str
    source: str


class TaskIn(Strict):
    title: str = Field(min_length=1, max_length=300)
    owner: str | None = Field(None, max_length=100)
    due_at: datetime | None = None
    phase: Phase | None = None
    notes: str = Field("", max_length=10_000)


class TaskStatusIn(Strict):
    status: TaskStatus


class EntryOut(BaseModel):
    seq: int
    id: str
    kind: EntryKind
    author: str
    occurred_at: str
    recorded_at: str
    body: str
    data: Any
    corrects: int | None
    content_hash: str
    prev_hash: str
    hash: str


class EntryIn(Strict):
    kind: EntryKind = EntryKind.NOTE
    body: str = Field(min_length=1, max_length=50_000)
    occurred_at: datetime | None = None
    corrects: int | None = Field(None, ge=1, le=2_147_483_647)


class BadLinkOut(BaseModel):
    label: str
    seq: int
    reason: str


class VerificationOut(BaseModel):
    ok: bool
    checked: int
    head: str
    first_bad: BadLinkOut | None


class UserOut(BaseModel):
    username: str
    display_name: str
    email: str
    role: str
    active: bool


class UserIn(Strict):
    username: str = Field(min_length=1, max_length=100)
    password: str | None = Field(None, max_length=1024)
    display_name: str = Field("", max_length=200)
    email: str = Field("", max_length=320)
    role: str = "responder"


class UserPatch(Strict):
    role: str | None = None
    active: bool | None = None
    display_name: str | None = Field(None, max_length=200)
    email: str | None = Field(None, max_length=320)


class TokenOut(BaseModel):
    id: str
    name: str
    user: str | None
    prefix: str
    scopes: list[str]
    created_at: str
    expires_at: str | None
    revoked: bool
    last_used_at: str | None


class TokenIn(Strict):
    name: str = Field(min_length=1, max_length=100)
    scopes: list[str] = Field(default_factory=lambda: ["read"], min_length=1, max_length=3)
    expires_days: int | None = Field(None, ge=1, le=3650)
    user: str | None = Field(None, max_length=100)


class NewTokenOut(TokenOut):
    token: str = Field(description="Shown once; only its hash is stored.")


class AuditOut(BaseModel):
    seq: int
    at: str | None
    actor: str
    action: str
    target_type: str
    target_id: str
    incident_key: str | None
    before: Any
    after: Any
    detail: str
    hash: str


class Me(BaseModel):
    username: str
    display_name: str
    role: str
    via: str
    scopes: list[str]
