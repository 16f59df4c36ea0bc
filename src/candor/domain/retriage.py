"""Assessments over time: each triage is kept, and a re-triage says what changed and why.

The timeline records every assessment with ``TriageChange.summary()`` as its body and
``as_data()`` as its data. When a change moves the incident from a routine kind to a breach kind,
``breach_escalation`` is true and ``escalating_answers`` names the answer changes that did it; the
service then asks a responder to confirm the determination and, on confirmation, sets the
``breach_determined_at`` clock (some US state deadlines start there). Triage alone never sets it:
a determination is a person's decision.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from candor.domain.triage import QUESTIONS, QUESTIONS_BY_ID, Answers, Scale, display_value, rank
from candor.domain.triage_policy import Policy, TriageResult, evaluate
from candor.domain.vocabulary import Kind, Severity, require_aware

BREACH_KINDS: frozenset[Kind] = frozenset({Kind.PERSONAL_DATA_BREACH, Kind.SUPPLY_CHAIN_BREACH})


@dataclass(frozen=True, slots=True)
class Assessment:
    answers: Answers
    result: TriageResult
    assessed_at: datetime
    assessed_by: str
    note: str = ""

    @property
    def is_breach(self) -> bool:
        return self.result.kind in BREACH_KINDS


def assess(
    answers: Answers, policy: Policy, *, by: str, now: datetime, note: str = ""
) -> Assessment:
    return Assessment(
        answers=answers,
        result=evaluate(policy, answers),
        assessed_at=require_aware(now, field="now"),
        assessed_by=by,
        note=note.strip(),
    )


class Direction(StrEnum):
    WORSE = "worse"  # more worrying than before
    BETTER = "better"
    CHANGED = "changed"  # sets that gained and lost members


@dataclass(frozen=True, slots=True)
class AnswerChange:
    question: str
    before: Any
    after: Any
    direction: Direction

    def __str__(self) -> str:
        return f"{self.question}: {_show(self.before)} → {_show(self.after)}"


def _show(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(value) + "]" if value else "none"
    return "not known" if value is None else str(value)


@dataclass(frozen=True, slots=True)
class TriageChange:
    answer_changes: tuple[AnswerChange, ...]
    kind_before: Kind | None
    kind_after: Kind
    severity_before: Severity | None
    severity_after: Severity
    rules_added: tuple[str, ...]
    rules_removed: tuple[str, ...]
    breach_escalation: bool
    escalating_answers: tuple[str, ...]

    @property
    def escalated(self) -> bool:
        return (
            self.severity_before is not None
            and self.severity_after.rank < self.severity_before.rank
        )

    @property
    def de_escalated(self) -> bool:
        return (
            self.severity_before is not None
            and self.severity_after.rank > self.severity_before.rank
        )

    @property
    def unchanged(self) -> bool:
        return (
            not self.answer_changes
            and self.kind_before is self.kind_after
            and self.severity_before is self.severity_after
        )

    def summary(self) -> str:
        """One paragraph for the timeline."""
        if self.kind_before is None or self.severity_before is None:
            head = f"Triaged as {self.kind_after.value}, {self.severity_after.value}."
        elif self.kind_before is self.kind_after and self.severity_before is self.severity_after:
            head = f"Re-triaged: still {self.kind_after.value}, {self.severity_after.value}."
        else:
            head = (
                f"Re-triaged: {self.kind_before.value}, {self.severity_before.value} → "
                f"{self.kind_after.value}, {self.severity_after.value}."
            )
        parts = [head]
        if self.answer_changes:
            parts.append("Answers changed: " + "; ".join(str(c) for c in self.answer_changes) + ".")
        if self.breach_escalation:
            driver = (
                ", ".join(self.escalating_answers)
                if self.escalating_answers
                else "a change of policy, not of answers"
            )
            parts.append(
                f"Escalation from routine to breach, driven by: {driver}. "
                "A responder must confirm the breach determination."
            )
        return " ".join(parts)

    def as_data(self) -> dict[str, Any]:
        return {
            "kind": {"before": _val(self.kind_before), "after": self.kind_after.value},
            "severity": {"before": _val(self.severity_before), "after": self.severity_after.value},
            "answer_changes": [
                {
                    "question": c.question,
                    "before": c.before,
                    "after": c.after,
                    "direction": c.direction.value,
                }
                for c in self.answer_changes
            ],
            "rules_added": list(self.rules_added),
            "rules_removed": list(self.rules_removed),
            "breach_escalation": self.breach_escalation,
            "escalating_answers": list(self.escalating_answers),
        }


def _val(value: StrEnum | None) -> str | None:
    return None if value is None else value.value


def compare(before: Assessment | None, after: Assessment) -> TriageChange:
    """What changed from ``before`` (None for the first triage) to ``after``."""
    changes: list[AnswerChange] = []
    if before is not None:
        for question in QUESTIONS:
            old = before.answers.value(question.id)
            new = after.answers.value(question.id)
            if old != new:
                changes.append(
                    AnswerChange(
                        question.id,
                        display_value(old),
                        display_value(new),
                        _direction(question.id, old, new),
                    )
                )
    old_fired = [f.id for f in before.result.fired] if before else []
    new_fired = [f.id for f in after.result.fired]
    breach = after.is_breach and (before is None or not before.is_breach)
    escalating: tuple[str, ...] = ()
    if breach:
        # the answers behind the rules that set the breach kind, which changed (or, on a first
        # triage, which were given at all)
        kind_rules = {f.id for f in after.result.fired if f.kind is after.result.kind}
        behind = [r.question for f in after.result.fired if f.id in kind_rules for r in f.reasons]
        changed = {c.question for c in changes}
        order = list(QUESTIONS_BY_ID)
        escalating = tuple(
            sorted(
                {q for q in behind if before is None or q in changed},
                key=order.index,
            )
        )
    return TriageChange(
        answer_changes=tuple(changes),
        kind_before=before.result.kind if before else None,
        kind_after=after.result.kind,
        severity_before=before.result.severity if before else None,
        severity_after=after.result.severity,
        rules_added=tuple(r for r in new_fired if r not in old_fired),
        rules_removed=tuple(r for r in old_fired if r not in new_fired),
        breach_escalation=breach,
        escalating_answers=escalating,
    )


def _direction(question: str, old: Any, new: Any) -> Direction:
    scale = QUESTIONS_BY_ID[question].scale
    if scale is Scale.SET:
        if old <= new:
            return Direction.WORSE
        if new <= old:
            return Direction.BETTER
        return Direction.CHANGED
    return Direction.WORSE if rank(question, new) > rank(question, old) else Direction.BETTER
