"""Findings: new information of unknown relevance, parked below the impact statement.

A finding is reviewed against three questions — does it change customer impact? does it reveal a
new access path? does it involve new data? — and then either integrated into a named impact
statement version or dismissed with a reason. Findings waiting longer than the incident's review
cadence are overdue; ``review_status`` says which, and when the next one falls due, for the
dashboard, ``candor findings due`` and the reminder worker.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from candor.domain.cadence import REVIEW_CADENCE, Cadence
from candor.domain.errors import IllegalTransition, InvalidInput, Problem, ProblemCollector
from candor.domain.impact import ImpactVersion
from candor.domain.triage import Tri
from candor.domain.vocabulary import Severity, require_aware

SUMMARY_MAX = 5_000
REF_MAX = 2_000


class Relevance(StrEnum):
    UNKNOWN = "unknown"
    RELEVANT = "relevant"
    NOT_RELEVANT = "not_relevant"


class FindingState(StrEnum):
    NEW = "new"  # waiting for review
    REVIEWED = "reviewed"  # questions answered, not yet integrated or dismissed
    INTEGRATED = "integrated"
    DISMISSED = "dismissed"


REVIEW_QUESTIONS: dict[str, str] = {
    "changes_customer_impact": "Does it change the impact on customers?",
    "new_access_path": "Does it reveal a new way the attacker got access?",
    "new_data": "Does it involve data we did not know was involved?",
}


@dataclass(frozen=True, slots=True)
class Review:
    changes_customer_impact: Tri
    new_access_path: Tri
    new_data: Tri
    by: str
    at: datetime
    note: str = ""

    @property
    def relevance(self) -> Relevance:
        answers = (self.changes_customer_impact, self.new_access_path, self.new_data)
        if Tri.YES in answers:
            return Relevance.RELEVANT
        if all(a is Tri.NO for a in answers):
            return Relevance.NOT_RELEVANT
        return Relevance.UNKNOWN


@dataclass(frozen=True, slots=True)
class Outcome:
    state: FindingState  # INTEGRATED or DISMISSED
    by: str
    at: datetime
    version: int | None = None  # the impact statement version it went into
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Finding:
    id: uuid.UUID
    incident_id: uuid.UUID
    summary: str
    source: str  # where it came from: a log query, a customer, a vendor …
    author: str
    added_at: datetime
    evidence_ref: str = ""  # a pointer to the evidence (ticket, file hash, query), not the evidence
    review: Review | None = None
    outcome: Outcome | None = None

    @property
    def state(self) -> FindingState:
        if self.outcome is not None:
            return self.outcome.state
        return FindingState.REVIEWED if self.review is not None else FindingState.NEW

    @property
    def relevance(self) -> Relevance:
        return self.review.relevance if self.review is not None else Relevance.UNKNOWN

    @property
    def is_open(self) -> bool:
        return self.outcome is None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "summary": self.summary,
            "source": self.source,
            "author": self.author,
            "added_at": self.added_at.isoformat(),
            "evidence_ref": self.evidence_ref,
            "state": self.state.value,
            "relevance": self.relevance.value,
            "review": None
            if self.review is None
            else {
                "changes_customer_impact": self.review.changes_customer_impact.value,
                "new_access_path": self.review.new_access_path.value,
                "new_data": self.review.new_data.value,
                "by": self.review.by,
                "at": self.review.at.isoformat(),
                "note": self.review.note,
            },
            "outcome": None
            if self.outcome is None
            else {
                "state": self.outcome.state.value,
                "by": self.outcome.by,
                "at": self.outcome.at.isoformat(),
                "version": self.outcome.version,
                "reason": self.outcome.reason,
            },
        }


def new_finding(
    *,
    id: uuid.UUID,
    incident_id: uuid.UUID,
    summary: str,
    source: str,
    author: str,
    now: datetime,
    evidence_ref: str = "",
) -> Finding:
    problems = ProblemCollector()
    summary = summary.strip()
    if not summary:
        problems.add("must not be empty", field="summary")
    if len(summary) > SUMMARY_MAX:
        problems.add(f"at most {SUMMARY_MAX} characters", field="summary")
    if not source.strip():
        problems.add(
            "say where this came from (a log query, a customer, a vendor …)", field="source"
        )
    if len(evidence_ref) > REF_MAX:
        problems.add(f"at most {REF_MAX} characters", field="evidence_ref")
    problems.raise_if_any()
    return Finding(
        id=id,
        incident_id=incident_id,
        summary=summary,
        source=source.strip(),
        author=author,
        added_at=require_aware(now, field="now"),
        evidence_ref=evidence_ref.strip(),
    )


def _open(finding: Finding, action: str) -> None:
    if finding.outcome is not None:
        raise IllegalTransition(
            f"finding is already {finding.outcome.state.value}; it cannot be {action}"
        )


def review(
    finding: Finding,
    *,
    changes_customer_impact: Tri | str,
    new_access_path: Tri | str,
    new_data: Tri | str,
    by: str,
    now: datetime,
    note: str = "",
) -> Finding:
    """Answer the three questions (again, if knowledge changed before the outcome)."""
    _open(finding, "reviewed")
    problems = ProblemCollector()
    answers: dict[str, Tri] = {}
    for name, value in (
        ("changes_customer_impact", changes_customer_impact),
        ("new_access_path", new_access_path),
        ("new_data", new_data),
    ):
        try:
            answers[name] = Tri(str(value).strip().lower())
        except ValueError:
            problems.add(f"unknown answer {value!r}; allowed: yes, no, unknown", field=name)
    problems.raise_if_any()
    return replace(
        finding,
        review=Review(**answers, by=by, at=require_aware(now, field="now"), note=note.strip()),
    )


def integrate(finding: Finding, version: ImpactVersion, *, by: str, now: datetime) -> Finding:
    """Record that ``version`` of the impact statement took this finding in."""
    _open(finding, "integrated")
    if finding.review is None:
        raise IllegalTransition(
            "review the finding first: does it change customer impact, reveal a new access "
            "path, involve new data?"
        )
    if version.created_at < finding.added_at:
        raise InvalidInput(
            Problem(
                f"version {version.number} was saved before this finding was added",
                field="version",
                hint="integrate it into a version saved after the finding",
            )
        )
    return replace(
        finding,
        outcome=Outcome(
            FindingState.INTEGRATED, by, require_aware(now, field="now"), version=version.number
        ),
    )


def dismiss(finding: Finding, *, reason: str, by: str, now: datetime) -> Finding:
    _open(finding, "dismissed")
    if finding.review is None:
        raise IllegalTransition(
            "review the finding first: a dismissal needs the three questions answered"
        )
    if not reason.strip():
        raise InvalidInput(Problem("say why it is dismissed", field="reason"))
    return replace(
        finding,
        outcome=Outcome(
            FindingState.DISMISSED, by, require_aware(now, field="now"), reason=reason.strip()
        ),
    )


@dataclass(frozen=True, slots=True)
class DueFinding:
    finding: Finding
    due_at: datetime
    overdue_by: timedelta  # zero or more once due; negative while still waiting

    @property
    def reminder_key(self) -> str:
        """Identifies one reminder: the worker sends each key at most once. A changed cadence
        (severity raised) gives a new due time, hence a new reminder."""
        return f"finding-review:{self.finding.id}:{self.due_at.isoformat()}"


@dataclass(frozen=True, slots=True)
class ReviewStatus:
    every: timedelta
    overdue: tuple[DueFinding, ...]  # oldest first
    waiting: tuple[DueFinding, ...]  # not yet due, soonest first
    next_due_at: datetime | None  # earliest due time of any open finding, past or future


def review_status(
    findings: Iterable[Finding],
    *,
    severity: Severity,
    now: datetime,
    cadence: Cadence = REVIEW_CADENCE,
    override: timedelta | None = None,
) -> ReviewStatus:
    """Which open findings have waited longer than the cadence, and when the next falls due.

    Each finding has its own clock from the moment it was added: one added a minute before the
    team's review meeting is due one full interval later, not at that meeting.
    """
    now = require_aware(now, field="now")
    every = cadence.every(severity, override=override)
    if every is None:
        raise InvalidInput(Problem("the review cadence has no interval for this severity"))
    overdue: list[DueFinding] = []
    waiting: list[DueFinding] = []
    for finding in findings:
        if not finding.is_open:
            continue
        due_at = finding.added_at + every
        item = DueFinding(finding, due_at, now - due_at)
        (overdue if now >= due_at else waiting).append(item)
    overdue.sort(key=lambda d: (d.due_at, str(d.finding.id)))
    waiting.sort(key=lambda d: (d.due_at, str(d.finding.id)))
    first = [*overdue[:1], *waiting[:1]]
    next_due = min((d.due_at for d in first), default=None)
    return ReviewStatus(every, tuple(overdue), tuple(waiting), next_due)


def scrubbed(finding: Finding, marker: str) -> Finding:
    """The finding with its free text replaced by ``marker`` (retention); its state, reviewer
    answers and times stay, so the record of how the team worked survives."""
    return replace(
        finding,
        summary=marker,
        source=marker if finding.source else "",
        evidence_ref="",
        review=replace(finding.review, note="") if finding.review is not None else None,
        outcome=(
            replace(finding.outcome, reason=marker if finding.outcome.reason else "")
            if finding.outcome is not None
            else None
        ),
    )
