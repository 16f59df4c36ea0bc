"""Internal status reports: conditions, actions, needs, drafted from the impact statement.

Executives and counsel want the current state without reading raw logs. The draft is built from
what the team already wrote (the latest impact statement version and the findings inbox), so
writing a status report costs a review, not an hour. The communications lead edits and posts it;
the service records it on the timeline.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from candor.domain.cadence import STATUS_REPORT_CADENCE, Cadence
from candor.domain.errors import InvalidInput, Problem
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
class StatusSchedule:
    """When an incident's next internal status report is due, as of ``now``."""

    incident_id: uuid.UUID
    every: timedelta | None  # None: the severity schedules none (or the incident is closed)
    last_report_at: datetime | None
    due_at: datetime | None
    now: datetime

    @property
    def overdue(self) -> bool:
        return self.due_at is not None and self.due_at <= self.now

    @property
    def reminder_key(self) -> str | None:
        """Identifies one reminder: the worker sends each key at most once. Posting a report
        or a severity change moves the due time, hence a new reminder."""
        if self.due_at is None:
            return None
        return f"status-report:{self.incident_id}:{self.due_at.isoformat()}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "every_minutes": int(self.every.total_seconds() // 60) if self.every else None,
            "last_report_at": self.last_report_at.isoformat() if self.last_report_at else None,
            "next_due_at": self.due_at.isoformat() if self.due_at else None,
            "overdue": self.overdue,
        }


def status_schedule(
    incident: Incident,
    *,
    last_report_at: datetime | None,
    now: datetime,
    cadence: Cadence = STATUS_REPORT_CADENCE,
) -> StatusSchedule:
    """A closed incident schedules no more reports."""
    now = require_aware(now, field="now")
    every = cadence.every(incident.severity) if incident.is_open else None
    due = (
        next_status_report_due(
            incident.severity,
            declared_at=incident.declared_at,
            last_report_at=last_report_at,
            cadence=cadence,
        )
        if every is not None
        else None
    )
    return StatusSchedule(incident.id, every, last_report_at, due, now)


MAX_ITEMS = 100
MAX_ITEM_LENGTH = 2000
PARTS = ("conditions", "actions", "needs")


def split_items(text: str) -> list[str]:
    """One item a line, as the edit form shows them; a leading "- " is dropped."""
    out = []
    for line in text.splitlines():
        item = line.strip()
        if item.startswith("- "):
            item = item[2:].strip()
        if item:
            out.append(item)
    return out


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

    def edited(
        self, *, conditions: Sequence[str], actions: Sequence[str], needs: Sequence[str]
    ) -> StatusReport:
        """The report as the communications lead rewrote it; every problem is reported at
        once. Conditions cannot all go: a report says at least what state the incident is in."""
        problems: list[Problem] = []
        cleaned: dict[str, tuple[str, ...]] = {}
        for part, items in zip(PARTS, (conditions, actions, needs), strict=True):
            kept = tuple(_flat(str(i)) for i in items if _flat(str(i)))
            if len(kept) > MAX_ITEMS:
                problems.append(Problem(f"at most {MAX_ITEMS} items", field=part))
            for n, item in enumerate(kept, 1):
                if len(item) > MAX_ITEM_LENGTH:
                    problems.append(
                        Problem(f"item {n} is longer than {MAX_ITEM_LENGTH} characters", field=part)
                    )
            cleaned[part] = kept
        if not cleaned["conditions"]:
            problems.append(
                Problem(
                    "a status report needs at least one condition",
                    field="conditions",
                    hint="say at least the severity and phase",
                )
            )
        if problems:
            raise InvalidInput(problems)
        return replace(
            self,
            conditions=cleaned["conditions"],
            actions=cleaned["actions"],
            needs=cleaned["needs"],
        )

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
