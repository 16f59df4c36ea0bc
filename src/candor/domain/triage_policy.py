"""The triage policy: rules as data that map questionnaire answers to a kind and a severity.

A policy is a list of rules. Each rule has a condition over the answers and sets a *floor*: a
kind (the highest in ``kind_precedence`` wins) and/or a severity (the most severe wins), or
raises the severity by some levels. The result names every rule that fired and the answers that
made it fire, so the decision can be explained and challenged.

Conditions are built only from upward-closed tests (``at_least`` on an ordered scale,
``includes_any`` / ``includes_all`` on a set) joined by ``all`` and ``any``; there is no ``not``.
That makes the evaluation monotone by construction: a more worrying answer never lowers the kind
or the severity. The parser refuses anything else.

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

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from candor.domain.errors import InvalidInput, Problem, ProblemCollector
from candor.domain.triage import (
    QUESTIONS_BY_ID,
    SCALAR_TYPES,
    SET_TYPES,
    Answers,
    Scale,
    answer_word,
    display_value,
    rank,
)
from candor.domain.vocabulary import Kind, Severity

RULE_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,79}$")
MAX_RAISE = 3


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


# ---------------------------------------------------------------------------------------------
# Parsing: every problem is collected with its path; the file loader adds file:line.

PathKey = tuple[str | int, ...]


def parse_policy(data: Any) -> Policy:
    problems = ProblemCollector()
    if not isinstance(data, Mapping):
        raise InvalidInput(Problem("a triage policy must be a mapping", path=()))
    known = {"policy", "version", "description", "defaults", "kind_precedence", "rules"}
    for key in data:
        if key not in known:
            problems.add(f"unknown key {key!r}; allowed: {', '.join(sorted(known))}", path=(key,))
    name = _text(data, "policy", problems, required=True)
    version = _text(data, "version", problems, required=True)
    description = _text(data, "description", problems, required=False)

    precedence = _kind_precedence(data.get("kind_precedence"), problems)
    defaults = data.get("defaults") or {}
    default_kind = Kind.EVENT
    default_severity = Severity.SEV4
    if not isinstance(defaults, Mapping):
        problems.add("must be a mapping with kind and severity", path=("defaults",))
    else:
        for key in defaults:
            if key not in ("kind", "severity"):
                problems.add(
                    f"unknown key {key!r}; allowed: kind, severity", path=("defaults", key)
                )
        default_kind = _enum(Kind, defaults.get("kind", "event"), ("defaults", "kind"), problems)
        default_severity = _enum(
            Severity, defaults.get("severity", "SEV4"), ("defaults", "severity"), problems
        )

    rules: list[Rule] = []
    raw_rules = data.get("rules")
    if not isinstance(raw_rules, list) or not raw_rules:
        problems.add("must be a non-empty list of rules", path=("rules",))
        raw_rules = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_rules):
        # duplicates are checked on the raw ids so a broken first copy still counts
        raw_id = raw.get("id") if isinstance(raw, Mapping) else None
        if isinstance(raw_id, str) and raw_id:
            if raw_id in seen:
                problems.add(f"duplicate rule id {raw_id!r}", path=("rules", index, "id"))
            seen.add(raw_id)
        rule = _rule(raw, ("rules", index), problems)
        if rule is not None:
            rules.append(rule)
    problems.raise_if_any()
    return Policy(
        name=name,
        version=version,
        default_kind=default_kind,
        default_severity=default_severity,
        kind_precedence=precedence,
        rules=tuple(rules),
        description=description,
    )


def _text(data: Mapping[str, Any], key: str, problems: ProblemCollector, *, required: bool) -> str:
    value = data.get(key)
    if value is None:
        if required:
            problems.add("is required", path=(key,))
        return ""
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        problems.add("must be text", path=(key,))
        return ""
    return str(value).strip()


def _enum(enum: Any, value: object, path: PathKey, problems: ProblemCollector) -> Any:
    try:
        return enum(str(value).strip())
    except ValueError:
        allowed = ", ".join(member.value for member in enum)
        problems.add(f"unknown value {value!r}; allowed: {allowed}", path=path)
        return next(iter(enum))


def _kind_precedence(raw: object, problems: ProblemCollector) -> tuple[Kind, ...]:
    default = (
        Kind.EVENT,
        Kind.SECURITY_INCIDENT,
        Kind.PERSONAL_DATA_BREACH,
        Kind.SUPPLY_CHAIN_BREACH,
    )
    if raw is None:
        return default
    if not isinstance(raw, list):
        problems.add("must be a list naming every kind once", path=("kind_precedence",))
        return default
    kinds = [_enum(Kind, item, ("kind_precedence", i), problems) for i, item in enumerate(raw)]
    if sorted(kinds) != sorted(Kind):
        problems.add(
            "must name every kind exactly once, least serious first",
            path=("kind_precedence",),
            hint="kinds: " + ", ".join(k.value for k in Kind),
        )
        return default
    return tuple(kinds)


def _rule(raw: object, path: PathKey, problems: ProblemCollector) -> Rule | None:
    if not isinstance(raw, Mapping):
        problems.add("a rule must be a mapping with id, title, when and then", path=path)
        return None
    known = {"id", "title", "why", "when", "then"}
    for key in raw:
        if key not in known:
            problems.add(
                f"unknown key {key!r}; allowed: {', '.join(sorted(known))}", path=(*path, key)
            )
    rule_id = str(raw.get("id") or "")
    if not RULE_ID.match(rule_id):
        problems.add(
            "needs an id of lower-case letters, digits, '-', '_' or '.'",
            path=(*path, "id"),
            hint="e.g. customer-secrets-confirmed",
        )
    title = str(raw.get("title") or "").strip()
    if not title:
        problems.add("needs a title", path=(*path, "title"))
    why = str(raw.get("why") or "").strip()
    if "when" not in raw:
        problems.add("needs a condition under 'when'", path=path)
        when: Condition | None = None
    else:
        when = _condition(raw["when"], (*path, "when"), problems)
    then = raw.get("then")
    kind = severity = None
    raise_by = 0
    if not isinstance(then, Mapping) or not then:
        problems.add("needs 'then' with kind, severity and/or raise_severity", path=(*path, "then"))
    else:
        for key in then:
            if key not in ("kind", "severity", "raise_severity"):
                problems.add(
                    f"unknown key {key!r}; allowed: kind, severity, raise_severity",
                    path=(*path, "then", key),
                )
        if "kind" in then:
            kind = _enum(Kind, then["kind"], (*path, "then", "kind"), problems)
        if "severity" in then:
            severity = _enum(Severity, then["severity"], (*path, "then", "severity"), problems)
        if "raise_severity" in then:
            value = then["raise_severity"]
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_RAISE:
                problems.add(
                    f"must be a whole number from 1 to {MAX_RAISE}",
                    path=(*path, "then", "raise_severity"),
                )
            else:
                raise_by = value
    if when is None:
        return None
    return Rule(rule_id, title, when, kind, severity, raise_by, why)


def _condition(raw: object, path: PathKey, problems: ProblemCollector) -> Condition | None:
    if not isinstance(raw, Mapping) or len(raw) != 1:
        problems.add(
            "a condition is a mapping with exactly one key: all, any, or a question id",
            path=path,
        )
        return None
    ((key, value),) = raw.items()
    key = str(key)
    if key in ("all", "any"):
        if not isinstance(value, list) or not value:
            problems.add(f"'{key}' needs a non-empty list of conditions", path=(*path, key))
            return None
        parts = [_condition(item, (*path, key, i), problems) for i, item in enumerate(value)]
        if any(p is None for p in parts):
            return None
        kept = tuple(p for p in parts if p is not None)
        return AllOf(kept) if key == "all" else AnyOf(kept)
    if key == "not":
        problems.add(
            "'not' is not allowed: a more worrying answer must never lower the result",
            path=(*path, key),
            hint="express the condition with at_least / includes_any on the worrying side",
        )
        return None
    question = QUESTIONS_BY_ID.get(key)
    if question is None:
        problems.add(
            f"unknown question {key!r}",
            path=(*path, key),
            hint="questions: " + ", ".join(QUESTIONS_BY_ID),
        )
        return None
    return _test(question.id, question.scale, value, (*path, key), problems)


def _test(
    question: str, scale: Scale, raw: object, path: PathKey, problems: ProblemCollector
) -> Condition | None:
    allowed_ops = ("includes_any", "includes_all") if scale is Scale.SET else ("at_least",)
    if not isinstance(raw, Mapping) or len(raw) != 1:
        problems.add(f"needs exactly one test: {' or '.join(allowed_ops)}", path=path)
        return None
    ((op, value),) = raw.items()
    if op not in allowed_ops:
        problems.add(
            f"test {op!r} does not apply to {question}; use {' or '.join(allowed_ops)}",
            path=(*path, op),
        )
        return None
    if scale is Scale.COUNT:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            problems.add("must be a whole number ≥ 0", path=(*path, op))
            return None
        return AtLeast(question, value)
    if scale is Scale.SET:
        enum = SET_TYPES[question]
        items = value if isinstance(value, list) else [value]
        members: set[str] = set()
        for i, item in enumerate(items):
            try:
                members.add(enum(answer_word(item)).value)
            except ValueError:
                allowed = ", ".join(m.value for m in enum)
                where = (*path, op, i) if isinstance(value, list) else (*path, op)
                problems.add(f"unknown value {item!r}; allowed: {allowed}", path=where)
        if not members:
            return None
        return Includes(question, frozenset(members), every=op == "includes_all")
    enum = SCALAR_TYPES[question]
    try:
        word = enum(answer_word(value)).value
    except ValueError:
        allowed = ", ".join(m.value for m in enum)
        problems.add(f"unknown value {value!r}; allowed: {allowed}", path=(*path, op))
        return None
    return AtLeast(question, word)


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
