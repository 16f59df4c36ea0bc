"""The triage policy: rules as data that map questionnaire answers to a kind and a severity.

A policy is a list of rules. Each rule has a condition over the answers and sets a *floor*: a
kind (the highest in ``kind_precedence`` wins) and/or a severity (the most severe wins), or
raises the severity by some levels. The result names every rule that fired and the answers that
made it fire, so the decision can be explained and challenged.

Conditions are built only from upward-closed tests (``at_least`` on an ordered scale,
``includes_any`` / ``includes_all`` on a set) joined by ``all`` and ``any``; there is no ``not``.
That makes the evaluation monotone by construction: a more worrying answer never lowers the kind
or the severity. The parser (``triage_policy_parse``) refuses anything else.

Policy file shape (``rules/triage/policy.yaml``)::

    policy: NAME
    version: TEXT
    defaults: {kind: event, severity: SEV4}
    kind_precedence: [event, security_incident, personal_data_breach, supply_chain_breach]
    rules:
      - id: customer-secrets-confirmed
        title: Customer secrets exposed, use confirmed
        when:
          all:
            - customer_secrets: {includes_any: [cloud_keys, tokens, source_code]}
            - any:
                - access: {at_least: confirmed}
                - exfiltration: {at_least: confirmed}
        then: {kind: supply_chain_breach, severity: SEV1}
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from candor.domain.triage import (
    QUESTIONS_BY_ID,
    Answers,
    Scale,
    display_value,
    rank,
)
from candor.domain.vocabulary import Kind, Severity


@dataclass(frozen=True, slots=True)
class Reason:
    """One answer that satisfied one test of a rule."""

    question: str
    answer: Any  # JSON-able display value
    test: str  # e.g. "at least suspected", "includes any of cloud_keys, tokens"

    def __str__(self) -> str:
        answer = ", ".join(self.answer) if isinstance(self.answer, list) else self.answer
        return f"{self.question} = {answer} ({self.test})"


@dataclass(frozen=True, slots=True)
class AtLeast:
    question: str
    threshold: Any  # a scale word, or an int for counts

    def reasons(self, answers: Answers) -> tuple[Reason, ...] | None:
        value = answers.value(self.question)
        if QUESTIONS_BY_ID[self.question].scale is Scale.COUNT:
            holds = value is not None and value >= self.threshold
        else:
            holds = rank(self.question, value) >= rank(self.question, self.threshold)
        if not holds:
            return None
        return (Reason(self.question, display_value(value), f"at least {self.threshold}"),)


@dataclass(frozen=True, slots=True)
class Includes:
    question: str
    members: frozenset[str]
    every: bool  # includes_all when true, includes_any otherwise

    def reasons(self, answers: Answers) -> tuple[Reason, ...] | None:
        value: frozenset[Any] = answers.value(self.question)
        present = {str(v) for v in value} & self.members
        holds = present == self.members if self.every else bool(present)
        if not holds:
            return None
        word = "all" if self.every else "any"
        test = f"includes {word} of {', '.join(sorted(self.members))}"
        return (Reason(self.question, sorted(present), test),)


@dataclass(frozen=True, slots=True)
class AllOf:
    parts: tuple[Condition, ...]

    def reasons(self, answers: Answers) -> tuple[Reason, ...] | None:
        out: list[Reason] = []
        for part in self.parts:
            found = part.reasons(answers)
            if found is None:
                return None
            out.extend(found)
        return tuple(out)


@dataclass(frozen=True, slots=True)
class AnyOf:
    parts: tuple[Condition, ...]

    def reasons(self, answers: Answers) -> tuple[Reason, ...] | None:
        # every branch that holds is a reason, not only the first: the rationale is complete
        out: list[Reason] = []
        matched = False
        for part in self.parts:
            found = part.reasons(answers)
            if found is not None:
                matched = True
                out.extend(found)
        return tuple(out) if matched else None


Condition = AtLeast | Includes | AllOf | AnyOf


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    title: str
    when: Condition
    kind: Kind | None = None
    severity: Severity | None = None
    raise_severity: int = 0
    why: str = ""


@dataclass(frozen=True, slots=True)
class Policy:
    name: str
    version: str
    default_kind: Kind
    default_severity: Severity
    kind_precedence: tuple[Kind, ...]
    rules: tuple[Rule, ...]
    description: str = ""

    def kind_rank(self, kind: Kind) -> int:
        return self.kind_precedence.index(kind)

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)


@dataclass(frozen=True, slots=True)
class FiredRule:
    id: str
    title: str
    kind: Kind | None
    severity: Severity | None
    raise_severity: int
    reasons: tuple[Reason, ...]
    why: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "kind": self.kind.value if self.kind else None,
            "severity": self.severity.value if self.severity else None,
            "raise_severity": self.raise_severity,
            "why": self.why,
            "reasons": [
                {"question": r.question, "answer": r.answer, "test": r.test} for r in self.reasons
            ],
        }


@dataclass(frozen=True, slots=True)
class TriageResult:
    kind: Kind
    severity: Severity
    fired: tuple[FiredRule, ...]
    # the rules that set the final kind, the final severity floor, or raised it
    deciding: tuple[str, ...]
    rationale: tuple[str, ...]
    unanswered: tuple[str, ...]
    policy: str
    policy_version: str

    def deciding_answers(self) -> tuple[Reason, ...]:
        """The answers that drove the decision, each once, in questionnaire order."""
        seen: dict[str, Reason] = {}
        for fired in self.fired:
            if fired.id in self.deciding:
                for reason in fired.reasons:
                    seen.setdefault(reason.question, reason)
        order = list(QUESTIONS_BY_ID)
        return tuple(sorted(seen.values(), key=lambda r: order.index(r.question)))

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "severity": self.severity.value,
            "policy": self.policy,
            "policy_version": self.policy_version,
            "deciding_rules": list(self.deciding),
            "deciding_answers": {r.question: r.answer for r in self.deciding_answers()},
            "rationale": list(self.rationale),
            "fired": [f.as_dict() for f in self.fired],
            "unanswered": list(self.unanswered),
        }


def evaluate(policy: Policy, answers: Answers) -> TriageResult:
    """Apply the policy to the answers. Pure and deterministic: rules are read in file order."""
    fired: list[FiredRule] = []
    for rule in policy.rules:
        reasons = rule.when.reasons(answers)
        if reasons is not None:
            fired.append(
                FiredRule(
                    rule.id,
                    rule.title,
                    rule.kind,
                    rule.severity,
                    rule.raise_severity,
                    reasons,
                    rule.why,
                )
            )

    kind = policy.default_kind
    for f in fired:
        if f.kind is not None and policy.kind_rank(f.kind) > policy.kind_rank(kind):
            kind = f.kind
    floor = policy.default_severity
    for f in fired:
        if f.severity is not None and f.severity.rank < floor.rank:
            floor = f.severity
    raised = sum(f.raise_severity for f in fired)
    severity = Severity(f"SEV{max(1, floor.rank - raised)}")

    deciding: list[str] = []
    rationale: list[str] = []
    kind_rules = [f for f in fired if f.kind is kind and kind is not policy.default_kind]
    floor_rules = [f for f in fired if f.severity is floor]
    raise_rules = [f for f in fired if f.raise_severity and severity.rank < floor.rank]
    for f in (*kind_rules, *floor_rules, *raise_rules):
        if f.id not in deciding:
            deciding.append(f.id)
    if kind_rules:
        for f in kind_rules:
            rationale.append(f"Kind {kind.value}: {_explain(f)}")
    else:
        rationale.append(f"Kind {kind.value}: the policy default (no rule set a kind).")
    if floor_rules:
        for f in floor_rules:
            rationale.append(f"Severity {floor.value}: {_explain(f)}")
    else:
        rationale.append(f"Severity {floor.value}: the policy default (no rule set a severity).")
    for f in raise_rules:
        rationale.append(f"Raised by {f.raise_severity} to {severity.value}: {_explain(f)}")
    if raised and not raise_rules:
        rationale.append(
            f"Already {floor.value}, the highest severity; raising rules changed nothing."
        )

    return TriageResult(
        kind=kind,
        severity=severity,
        fired=tuple(fired),
        deciding=tuple(deciding),
        rationale=tuple(rationale),
        unanswered=answers.unanswered(),
        policy=policy.name,
        policy_version=policy.version,
    )


def _explain(fired: FiredRule) -> str:
    because = "; ".join(str(r) for r in fired.reasons)
    text = f"rule {fired.id} — {fired.title} (because {because})"
    if fired.why:
        text += f". {fired.why}"
    return text


def questions_used(policy: Policy) -> Sequence[str]:
    """Question ids the policy looks at (the questionnaire can hide the others)."""
    found: list[str] = []

    def walk(cond: Condition) -> None:
        if isinstance(cond, AllOf | AnyOf):
            for part in cond.parts:
                walk(part)
        elif cond.question not in found:
            found.append(cond.question)

    for rule in policy.rules:
        walk(rule.when)
    return found
