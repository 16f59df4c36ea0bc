"""Words shared by every layer: one spelling in the domain, the database, the API and the CLI."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import TypeVar

from candor.domain.errors import InvalidInput, Problem

E = TypeVar("E", bound=StrEnum)


class Kind(StrEnum):
    EVENT = "event"
    SECURITY_INCIDENT = "security_incident"
    PERSONAL_DATA_BREACH = "personal_data_breach"
    SUPPLY_CHAIN_BREACH = "supply_chain_breach"


KIND_DEFINITIONS: dict[Kind, str] = {
    Kind.EVENT: (
        "Something observed that may matter for security but shows no compromise (a scan, a "
        "blocked phishing mail, a policy violation)."
    ),
    Kind.SECURITY_INCIDENT: (
        "Confidentiality, integrity or availability of our systems or data was, or probably "
        "was, compromised, without a known breach of personal data."
    ),
    Kind.PERSONAL_DATA_BREACH: (
        "Personal data was, or probably was, accessed, taken, altered, lost or destroyed "
        "without authorisation. Legal clocks may be running."
    ),
    Kind.SUPPLY_CHAIN_BREACH: (
        "Secrets or code we hold or ship for customers (cloud keys, tokens, source code, "
        "SDKs) were exposed: a breach of our customers, not only of us."
    ),
}


class Severity(StrEnum):
    SEV1 = "SEV1"
    SEV2 = "SEV2"
    SEV3 = "SEV3"
    SEV4 = "SEV4"

    @property
    def rank(self) -> int:
        """1 is the most severe."""
        return int(self.value[-1])


SEVERITY_DEFINITIONS: dict[Severity, str] = {
    Severity.SEV1: (
        "Critical. Confirmed access to customer or personal data, or to credentials and code "
        "we hold for customers, or an attacker still active in production. Notification "
        "obligations are likely. All hands now; executives and counsel told within the hour."
    ),
    Severity.SEV2: (
        "High. Likely compromise of a production system or sensitive data, or a confirmed "
        "compromise that is contained. Notification may follow. Responders engaged within the"
        " hour."
    ),
    Severity.SEV3: (
        "Moderate. A security incident with limited, internal impact and no known access to "
        "customer or personal data. Handled in working hours."
    ),
    Severity.SEV4: (
        "Low. An event worth recording with no evidence of compromise (a scan, a blocked "
        "attempt, a near-miss). Handled in working hours or closed."
    ),
}


class Confidentiality(StrEnum):
    NORMAL = "normal"
    RESTRICTED = "restricted"  # need-to-know: visible to members of the incident and admins only


class Role(StrEnum):
    INCIDENT_LEAD = "incident_lead"
    TECHNICAL_LEAD = "technical_lead"
    COMMS_LEAD = "comms_lead"
    SCRIBE = "scribe"
    COUNSEL = "counsel"
    EXEC_SPONSOR = "exec_sponsor"


ROLE_DEFINITIONS: dict[Role, str] = {
    Role.INCIDENT_LEAD: (
        "Runs the response: decides, delegates, keeps the clock. Not the person digging in logs."
    ),
    Role.TECHNICAL_LEAD: (
        "Leads the investigation and the technical work of stopping, containing and eradicating."
    ),
    Role.COMMS_LEAD: ("The one voice: drafts and publishes every statement after review."),
    Role.SCRIBE: ("Keeps the timeline and the impact statement current."),
    Role.COUNSEL: ("Advises on legal obligations and approves determinations."),
    Role.EXEC_SPONSOR: ("The executive who owns the business decisions and the budget."),
}


def parse_enum(enum: type[E], value: object, *, field: str) -> E:
    """Parse a vocabulary word, or fail naming the field and the allowed words."""
    if isinstance(value, enum):
        return value
    try:
        return enum(str(value).strip())
    except ValueError:
        allowed = ", ".join(member.value for member in enum)
        raise InvalidInput(
            Problem(f"unknown value {value!r}; allowed: {allowed}", field=field)
        ) from None


def require_aware(value: datetime, *, field: str) -> datetime:
    """Times are instants: a time without a zone is ambiguous, so it is refused; stored as UTC."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(
            Problem(
                "time has no time zone",
                field=field,
                hint="write it with an offset, e.g. 2026-03-02T14:00:00Z or +01:00",
            )
        )
    return value.astimezone(UTC)


def parse_instant(value: object, *, field: str) -> datetime:
    """Parse an ISO 8601 instant (``Z`` or an offset required)."""
    if isinstance(value, datetime):
        return require_aware(value, field=field)
    text = str(value).strip()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            Problem(
                f"not an ISO 8601 time: {text!r}",
                field=field,
                hint="e.g. 2026-03-02T14:00:00Z",
            )
        ) from None
    return require_aware(parsed, field=field)
