"""Read a triage policy from plain data, collecting every problem with its path.

The file loader (``adapters.rules_files``) turns each path into file:line:column. The format is
described in ``triage_policy`` and docs/triage.md.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from candor.domain.errors import InvalidInput, Problem, ProblemCollector
from candor.domain.triage import (
    QUESTIONS_BY_ID,
    SCALAR_TYPES,
    SET_TYPES,
    Scale,
    answer_word,
)
from candor.domain.triage_policy import (
    AllOf,
    AnyOf,
    AtLeast,
    Condition,
    Includes,
    Policy,
    Rule,
)
from candor.domain.vocabulary import Kind, Severity

RULE_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,79}$")
MAX_RAISE = 3

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
