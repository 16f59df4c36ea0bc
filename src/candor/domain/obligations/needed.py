"""The determinations counsel (or the team) still has to make, read off an evaluation.

An obligation is ``required_unless_exception`` because some condition or exception could not be
decided (the risk of harm is not assessed, "significant incident" is not determined, the
encryption key's fate is unknown …), and ``pending_trigger`` because the event its clock starts
at is not recorded. This lists each open question once, with the obligations that hang on it,
so the team sees what to decide rather than a list of maybes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from candor.domain.obligations.condition_types import ObligationCondition
from candor.domain.obligations.conditions import (
    AllOf,
    AnyOf,
    Condition,
    Context,
    Not,
    Truth,
)
from candor.domain.obligations.facts import Facts
from candor.domain.obligations.results import Evaluation, Finding
from candor.domain.obligations.vocabulary import Status


@dataclass(frozen=True, slots=True)
class Needed:
    kind: str  # "determination": a finding to make; "event": a time or notice to record
    question: str
    obligations: tuple[str, ...]  # "rule-id (JURISDICTION)"


def _unknown_leaves(condition: Condition, ctx: Context) -> list[str]:
    """The undecided conditions that leave ``condition`` undecided. One that only repeats
    another rule's outcome is given as ``@rule-id``: that rule's own questions stand for it."""
    if condition.evaluate(ctx).truth is not Truth.UNKNOWN:
        return []
    if isinstance(condition, AllOf | AnyOf):
        return [r for child in condition.conditions for r in _unknown_leaves(child, ctx)]
    if isinstance(condition, Not):
        return _unknown_leaves(condition.condition, ctx)
    if isinstance(condition, ObligationCondition):
        return [f"@{condition.rule}"]
    return [condition.evaluate(ctx).reason]


def _resolve(rule_id: str, direct: dict[str, list[str]], seen: set[str]) -> list[str]:
    if rule_id in seen:
        return []
    seen.add(rule_id)
    out: list[str] = []
    for question in direct.get(rule_id, []):
        if question.startswith("@"):
            out += _resolve(question[1:], direct, seen)
        else:
            out.append(question)
    return out


def _event_question(trigger: str) -> str:
    kind, _, name = trigger.partition(":")
    if kind == "notified":
        return (
            f"the notice {name} is not recorded yet: its clock starts when it is filed (or "
            "entered among the facts' notified events)"
        )
    if kind == "determination":
        return f"the determination {name} is not recorded yet (its time starts the clock)"
    return f"{trigger} is not recorded yet on the incident's legal clocks (it starts the clock)"


def _questions(finding: Finding, facts: Facts, outcomes: dict[str, Truth]) -> list[str]:
    ctx = Context(facts, finding.jurisdiction, outcomes)
    found = [q for condition in finding.rule.conditions for q in _unknown_leaves(condition, ctx)]
    for exception in finding.rule.exceptions:
        outcome = exception.evaluate(ctx)
        if outcome.truth is Truth.UNKNOWN:
            found.append(outcome.reason)
    return found


def determinations_needed(facts: Facts, evaluation: Evaluation) -> list[Needed]:
    findings: Iterable[Finding] = (*evaluation.obligations, *evaluation.duties)
    outcomes = {
        f.rule.id: Truth.UNKNOWN if f.status is Status.REQUIRED_UNLESS_EXCEPTION else Truth.YES
        for f in findings
        if not f.rule.for_each
    }
    direct: dict[str, list[str]] = {}
    for finding in (*evaluation.obligations, *evaluation.duties):
        if finding.status is not Status.REQUIRED_UNLESS_EXCEPTION or finding.rule.for_each:
            continue
        direct[finding.rule.id] = _questions(finding, facts, outcomes)
    grouped: dict[tuple[str, str], list[str]] = {}
    for finding in (*evaluation.obligations, *evaluation.duties):
        label = f"{finding.rule.id} ({finding.jurisdiction})"
        questions: list[tuple[str, str]] = []
        if finding.status is Status.REQUIRED_UNLESS_EXCEPTION:
            asked = direct.get(finding.rule.id) or _questions(finding, facts, outcomes)
            for text in asked:
                if text.startswith("@"):
                    found = _resolve(text[1:], direct, {finding.rule.id})
                    questions += [("determination", q) for q in found]
                else:
                    questions.append(("determination", text))
        if finding.status is Status.PENDING_TRIGGER and finding.trigger:
            questions.append(("event", _event_question(finding.trigger)))
        for pair in questions:
            labels = grouped.setdefault(pair, [])
            if label not in labels:
                labels.append(label)
    return [Needed(kind, question, tuple(labels)) for (kind, question), labels in grouped.items()]
