"""The moments of a response that retros mark and metrics measure.

Some come from the incident itself (declared, phase changes, legal clocks), some from its timeline
(when a lead was named), and some from features that feed simple records in: communications sent
and obligations filed. Those records are plain dataclasses here so that the obligations and
communications features can hand them over without this module knowing their storage;
``statement_communication`` says when a published statement counts as communicated.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from candor.domain import statements
from candor.domain.incidents import Clock, Incident
from candor.domain.lifecycle import Phase
from candor.domain.timeline import Entry, EntryKind
from candor.domain.vocabulary import Role, require_aware


class Milestone(StrEnum):
    FIRST_ACTIVITY = "first_activity"
    DETECTION = "detection"
    DECLARATION = "declaration"
    LEAD_ASSIGNED = "lead_assigned"
    CONTAINMENT = "containment"
    FIRST_CUSTOMER_COMMUNICATION = "first_customer_communication"
    FILING = "filing"


MILESTONE_LABELS: dict[Milestone, str] = {
    Milestone.FIRST_ACTIVITY: "First attacker activity",
    Milestone.DETECTION: "Detection",
    Milestone.DECLARATION: "Declaration",
    Milestone.LEAD_ASSIGNED: "Incident lead assigned",
    Milestone.CONTAINMENT: "Containment",
    Milestone.FIRST_CUSTOMER_COMMUNICATION: "First customer communication",
    Milestone.FILING: "Filing",
}


class Audience(StrEnum):
    CUSTOMERS = "customers"
    PUBLIC = "public"
    REGULATOR = "regulator"
    INDIVIDUALS = "individuals"
    PARTNER = "partner"
    INTERNAL = "internal"


# Audiences whose first message counts as "first customer communication": a status-page post or
# a notice to affected people reaches customers as surely as a per-customer e-mail.
CUSTOMER_FACING = frozenset({Audience.CUSTOMERS, Audience.PUBLIC, Audience.INDIVIDUALS})


@dataclass(frozen=True, slots=True)
class Communication:
    audience: Audience
    sent_at: datetime
    title: str = ""

    def __post_init__(self) -> None:
        require_aware(self.sent_at, field="sent_at")


# A statement's audience as the metrics see it. Regulator notices are left out: a regulator is
# reached when counsel files the notice through its own channel, which the obligation records (a
# filing milestone); publishing the text in Candor reaches nobody.
STATEMENT_AUDIENCES: dict[statements.Audience, Audience] = {
    statements.Audience.ALL_CUSTOMERS: Audience.CUSTOMERS,
    statements.Audience.AFFECTED_CUSTOMERS: Audience.CUSTOMERS,
    statements.Audience.CUSTOMER: Audience.CUSTOMERS,
    statements.Audience.PUBLIC: Audience.PUBLIC,
    statements.Audience.INTERNAL: Audience.INTERNAL,
}


def awaits_email(statement: statements.Statement) -> bool:
    """Whether a published statement reaches its audience only when its e-mail is delivered
    (the caller then looks up ``first_email_sent_at``)."""
    return (
        statement.state is statements.State.PUBLISHED
        and statement.audience in STATEMENT_AUDIENCES
        and statements.Channel.STATUS_SITE not in statement.channels
        and statements.Channel.EMAIL in statement.channels
    )


def statement_communication(
    statement: statements.Statement, *, first_email_sent_at: datetime | None = None
) -> Communication | None:
    """A published statement as a communication, at the first moment someone in its audience
    could read it; ``None`` while nobody could.

    On the status site that is its publication. By e-mail it is the first message a recipient's
    server accepted (``first_email_sent_at``): publishing only queues the messages, and a notice
    still in the outbox, held (an exercise) or bounced has told nobody. Webhook deliveries do not
    count: their receivers are systems an admin registered, not the audience.
    """
    audience = STATEMENT_AUDIENCES.get(statement.audience)
    published = statement.published_at
    if audience is None or statement.state is not statements.State.PUBLISHED or published is None:
        return None
    if statements.Channel.STATUS_SITE in statement.channels:
        at: datetime | None = published
    elif statements.Channel.EMAIL in statement.channels:
        at = first_email_sent_at
    else:
        at = None
    if at is None:
        return None
    return Communication(audience, at, statement.title[:200])


@dataclass(frozen=True, slots=True)
class ObligationRecord:
    """One duty to notify: when it was due and when it was filed (``None``: not yet).

    ``deadline`` is ``None`` for a standard without a fixed time ("without unreasonable delay");
    ``not_required`` when counsel documented that it does not apply.
    """

    name: str
    recipient: str
    deadline: datetime | None
    filed_at: datetime | None = None
    not_required: bool = False
    citation: str = ""

    def __post_init__(self) -> None:
        if self.deadline is not None:
            require_aware(self.deadline, field="deadline")
        if self.filed_at is not None:
            require_aware(self.filed_at, field="filed_at")


@dataclass(frozen=True, slots=True)
class Moment:
    milestone: Milestone
    at: datetime
    label: str


# Phases that mean containment is done: the incident has moved past "stop the spread".
_AFTER_CONTAINMENT = (Phase.ERADICATION, Phase.RECOVERY, Phase.POST_INCIDENT, Phase.CLOSED)


def contained_at(incident: Incident) -> datetime | None:
    """When the spread was stopped: the first move from containment (or from mitigation, when
    containment was skipped) into eradication, recovery, post-incident or closed."""
    for change in incident.phase_history:
        if change.phase in _AFTER_CONTAINMENT:
            return change.entered_at
    return None


def lead_assigned_at(incident: Incident, entries: Iterable[Entry]) -> datetime | None:
    """When an incident lead was first named, from the role changes on the timeline."""
    key = f"role.{Role.INCIDENT_LEAD.value}"
    for entry in sorted(entries, key=lambda e: e.seq):
        if entry.kind is not EntryKind.ROLE_CHANGE or entry.incident_id != incident.id:
            continue
        data = entry.data
        changes = data.get("changes", {}) if isinstance(data, dict) else {}
        change = changes.get(key)
        if isinstance(change, list) and len(change) == 2 and change[1]:
            return entry.occurred_at
    return None


def first_customer_communication(communications: Iterable[Communication]) -> datetime | None:
    times = [c.sent_at for c in communications if c.audience in CUSTOMER_FACING]
    return min(times) if times else None


def moments(
    incident: Incident,
    entries: Sequence[Entry] = (),
    *,
    communications: Iterable[Communication] = (),
    obligations: Iterable[ObligationRecord] = (),
    first_activity_at: datetime | None = None,
) -> list[Moment]:
    """Every milestone known for an incident, oldest first."""
    out: list[Moment] = []
    if first_activity_at is not None:
        out.append(
            Moment(
                Milestone.FIRST_ACTIVITY,
                require_aware(first_activity_at, field="first_activity_at"),
                "First attacker activity",
            )
        )
    detected = incident.clock(Clock.DETECTED_AT)
    if detected is not None:
        out.append(Moment(Milestone.DETECTION, detected, "Detected"))
    out.append(
        Moment(Milestone.DECLARATION, incident.declared_at, f"Declared {incident.key}"),
    )
    lead = lead_assigned_at(incident, entries)
    if lead is not None:
        out.append(Moment(Milestone.LEAD_ASSIGNED, lead, "Incident lead assigned"))
    contained = contained_at(incident)
    if contained is not None:
        out.append(Moment(Milestone.CONTAINMENT, contained, "Contained"))
    first = first_customer_communication(communications)
    if first is not None:
        out.append(
            Moment(Milestone.FIRST_CUSTOMER_COMMUNICATION, first, "First customer communication")
        )
    for obligation in obligations:
        if obligation.filed_at is not None:
            out.append(
                Moment(
                    Milestone.FILING,
                    obligation.filed_at,
                    f"Filed: {obligation.name} ({obligation.recipient})",
                )
            )
    return sorted(out, key=lambda m: m.at)
