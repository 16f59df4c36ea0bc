"""Internal status reports: conditions, actions, needs, drafted from the impact statement.

Executives and counsel want the current state without reading raw logs. The draft is built from
what the team already wrote (the latest impact statement version and the findings inbox), so
writing a status report costs a review, not an hour. The communications lead edits and posts it;
the service records it on the timeline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from candor.domain.cadence import STATUS_REPORT_CADENCE, Cadence
from candor.domain.findings import ReviewStatus
from candor.domain.impact import (
    SECTION_TITLES,
    Confidence,
    ImpactVersion,
    Section,
)
from candor.domain.incidents import Incident
from candor.domain.textdiff import sentences
from candor.domain.vocabulary import Severity, require_aware


def next_status_report_due(
    severity: Severity,
    *,
    declared_at: datetime,
    last_report_at: datetime | None,
    cadence: Cadence = STATUS_REPORT_CADENCE,
) -> datetime | None:
    """When the next internal status report is due; None when the severity schedules none."""
    every = cadence.every(severity)
    if every is None:
        return None
    return (last_report_at or declared_at) + every


@dataclass(frozen=True, slots=True)
class StatusReport:
    incident_key: str
    title: str
    as_of: datetime
    impact_version: int | None
    conditions: tuple[str, ...]
    actions: tuple[str, ...]
    needs: tuple[str, ...]

    def body(self) -> str:
        stamp = self.as_of.strftime("%Y-%m-%d %H:%M UTC")
        based = (
            f"impact statement version {self.impact_version}"
            if self.impact_version is not None
            else "no impact statement yet"
        )
        out = [f"Status report {self.incident_key}: {self.title} — {stamp} ({based})"]
        for heading, items in (
            ("Conditions", self.conditions),
            ("Actions", self.actions),
            ("Needs", self.needs),
        ):
            out += ["", f"{heading}:"]
            out += [f"- {item}" for item in items] or ["- None."]
        return "\n".join(out) + "\n"

    def as_dict(self) -> dict[str, Any]:
        return {
            "incident": self.incident_key,
            "title": self.title,
            "as_of": self.as_of.isoformat(),
            "impact_version": self.impact_version,
            "conditions": list(self.conditions),
            "actions": list(self.actions),
            "needs": list(self.needs),
        }


def _flat(text: str) -> str:
    return " ".join(text.split())


def _lines(text: str) -> list[str]:
    return [_flat(s) for s in sentences(text) if _flat(s)]


def draft_status_report(
    incident: Incident,
    *,
    impact: ImpactVersion | None,
    findings: ReviewStatus | None,
    now: datetime,
) -> StatusReport:
    now = require_aware(now, field="now")
    conditions = [
        f"{incident.severity.value} {incident.kind.value}, phase {incident.phase.value}.",
    ]
    actions: list[str] = []
    needs: list[str] = []
    if impact is None:
        needs.append("An impact statement: nobody has written one yet.")
    else:
        for section in (
            Section.WHAT_HAPPENED,
            Section.WHO_IS_AFFECTED,
            Section.WHAT_DATA,
            Section.NOT_AFFECTED,
        ):
            content = impact.section(section)
            label = SECTION_TITLES[section]
            if content.text:
                conditions.append(f"{label} ({content.confidence.value}): {_flat(content.text)}")
            if section is Section.WHO_IS_AFFECTED and (
                impact.affected.customers is not None or impact.affected.people is not None
            ):
                conditions.append(
                    "Counts ("
                    + impact.affected.confidence.value
                    + "): customers "
                    + _num(impact.affected.customers)
                    + ", people "
                    + _num(impact.affected.people)
                    + "."
                )
            if content.confidence is Confidence.UNKNOWN:
                needs.append(f"Establish {label.lower()}: still unknown.")
        actions += _lines(impact.section(Section.WHAT_WE_DID).text)
        advice = impact.section(Section.WHAT_CUSTOMERS_SHOULD_DO).text
        if advice:
            actions.append(f"Advice to customers: {_flat(advice)}")
        needs += [f"Answer: {q}" for q in _lines(impact.section(Section.OPEN_QUESTIONS).text)]
    if findings is not None and findings.overdue:
        oldest = findings.overdue[0].finding.added_at.strftime("%H:%M UTC")
        count = len(findings.overdue)
        needs.append(
            f"Review {count} overdue finding{'s' if count != 1 else ''} (oldest added {oldest})."
        )
    return StatusReport(
        incident_key=incident.key,
        title=incident.title,
        as_of=now,
        impact_version=impact.number if impact else None,
        conditions=tuple(conditions),
        actions=tuple(actions),
        needs=tuple(needs),
    )


def _num(value: int | None) -> str:
    return "not known yet" if value is None else f"{value:,}"
