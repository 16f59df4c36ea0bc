"""What an evaluation returns, and its JSON shape (the stable interface of
``candor obligations evaluate --json``; docs/obligations.md lists every field)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from candor.domain.obligations.model import Rule
from candor.domain.obligations.vocabulary import Status

DISCLAIMER = (
    "This prepares counsel's decision; it is not legal advice. Rules are transcribed from a "
    "research table and each shows when it was last reviewed; unverified rules and details are "
    "marked. Confirm every obligation with counsel before relying on it."
)


def iso_utc(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_local(moment: datetime, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).isoformat(timespec="minutes")


@dataclass(frozen=True, slots=True)
class SubstituteOutcome:
    available: bool | None  # None: it depends on facts not recorded (cost, contact details)
    reason: str
    conditions: str


@dataclass(frozen=True, slots=True)
class Finding:
    """One obligation (or internal duty) the facts trigger."""

    rule: Rule
    jurisdiction: str
    status: Status
    deadline: datetime | None
    deadline_rule: str
    trigger: str | None
    trigger_at: datetime | None
    rationale: tuple[str, ...]
    zone: str
    substitute: SubstituteOutcome | None = None
    notified_at: datetime | None = None
    overdue: bool | None = None

    def sort_key(self) -> tuple[int, datetime, str, str]:
        far = datetime.max.replace(tzinfo=UTC)
        return (0 if self.deadline else 1, self.deadline or far, self.rule.id, self.jurisdiction)

    def as_dict(self, *, organization_zone: str) -> dict[str, Any]:
        rule = self.rule
        local = None
        if self.deadline is not None:
            local = {
                "organization": {
                    "zone": organization_zone,
                    "time": iso_local(self.deadline, organization_zone),
                },
                "jurisdiction": {"zone": self.zone, "time": iso_local(self.deadline, self.zone)},
            }
        out: dict[str, Any] = {
            "rule_id": rule.id,
            "reference_id": rule.reference,
            "jurisdiction": self.jurisdiction,
            "regime": rule.regime,
            "law": rule.law,
            "recipient_category": rule.recipient_category.value
            if rule.recipient_category
            else None,
            "recipient": rule.recipient,
            "status": self.status.value,
            "deadline": iso_utc(self.deadline),
            "deadline_local": local,
            "deadline_rule": self.deadline_rule,
            "trigger": {"name": self.trigger, "at": iso_utc(self.trigger_at)},
            "standard": rule.deadline.standard,
            "citation": rule.citation,
            "verified": rule.verified,
            "unverified": list(rule.unverified),
            "content_required": list(rule.content_required),
            "substitute_notice": None,
            "exceptions": [
                {
                    "type": e.type_name,
                    "description": e.describe(),
                    "text": e.text,
                    "unverified": e.unverified,
                }
                for e in rule.exceptions
            ],
            "other_exceptions": list(rule.other_exceptions),
            "rationale": ". ".join(self.rationale),
            "notes": rule.notes,
            "last_reviewed": rule.last_reviewed.isoformat(),
            "effective": effective(rule),
            "notified_at": iso_utc(self.notified_at),
            "overdue": self.overdue,
            "sources": [{"title": s.title, "url": s.url} for s in rule.sources],
        }
        if self.substitute is not None:
            out["substitute_notice"] = {
                "available": self.substitute.available,
                "reason": self.substitute.reason,
                "conditions": self.substitute.conditions,
            }
        return out


@dataclass(frozen=True, slots=True)
class Skipped:
    """A rule considered that does not apply, and why."""

    rule: Rule
    jurisdiction: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        rule = self.rule
        return {
            "rule_id": rule.id,
            "reference_id": rule.reference,
            "jurisdiction": self.jurisdiction,
            "regime": rule.regime,
            "recipient_category": rule.recipient_category.value
            if rule.recipient_category
            else None,
            "recipient": rule.recipient,
            "reason": self.reason,
            "verified": rule.verified,
            "last_reviewed": rule.last_reviewed.isoformat(),
        }


def effective(rule: Rule) -> dict[str, Any]:
    return {
        "from": rule.effective_from.isoformat() if rule.effective_from else None,
        "until": rule.effective_until.isoformat() if rule.effective_until else None,
        "note": rule.effective_note,
        "in_force": rule.in_force,
    }


@dataclass(frozen=True, slots=True)
class Evaluation:
    organization: str
    organization_zone: str
    aware_at: datetime
    rules_date: date | None  # set when rules of another date were asked for
    obligations: tuple[Finding, ...]
    duties: tuple[Finding, ...]
    not_triggered: tuple[Skipped, ...]
    warnings: tuple[str, ...]
    evaluated_at: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        zone = self.organization_zone
        return {
            "disclaimer": DISCLAIMER,
            "organization": self.organization,
            "organization_timezone": zone,
            "aware_at": iso_utc(self.aware_at),
            "rules_date": self.rules_date.isoformat() if self.rules_date else None,
            "evaluated_at": iso_utc(self.evaluated_at),
            "obligations": [f.as_dict(organization_zone=zone) for f in self.obligations],
            "duties": [f.as_dict(organization_zone=zone) for f in self.duties],
            "not_triggered": [s.as_dict() for s in self.not_triggered],
            "warnings": list(self.warnings),
        }
