"""Helpers for the obligations tests: facts from keyword arguments, rule sets from YAML text,
the built-in rules loaded once, and a calendar with chosen holidays."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from candor.adapters import calendars, yamlfile
from candor.adapters import rules as rule_files
from candor.domain.errors import RuleFileError
from candor.domain.obligations.engine import evaluate
from candor.domain.obligations.facts import Facts, parse_facts
from candor.domain.obligations.model import RuleSet
from candor.domain.obligations.parsing import parse_rule_file
from candor.domain.obligations.results import Evaluation
from candor.domain.obligations.ruleset import build_ruleset

CALENDARS = calendars.HolidayCalendars()


def facts_dict(org: dict[str, Any] | None = None, **incident: Any) -> dict[str, Any]:
    organization: dict[str, Any] = {
        "name": "Example SaaS Inc.",
        "roles": ["controller"],
        "sectors": [],
        "establishments": ["US-DE"],
    }
    organization.update(org or {})
    body: dict[str, Any] = {
        "discovered_at": "2026-03-02T14:00:00Z",
        "data_elements": ["name", "ssn"],
        "risk_of_harm": "likely",
        "affected": {},
    }
    body.update(incident)
    return {"organization": organization, "incident": body}


def make_facts(org: dict[str, Any] | None = None, **incident: Any) -> Facts:
    return parse_facts(facts_dict(org, **incident))


def builtin() -> RuleSet:
    return rule_files.builtin()


def run(
    facts: Facts,
    rules: RuleSet | None = None,
    *,
    rules_date: date | None = None,
    now: datetime | None = None,
) -> Evaluation:
    return evaluate(facts, rules or builtin(), calendars=CALENDARS, rules_date=rules_date, now=now)


def statuses(evaluation: Evaluation, *, prefix: str = "") -> dict[str, str]:
    """rule id (with the jurisdiction for per-state rules) → status, for rules whose id starts
    with ``prefix``."""
    out = {}
    for finding in (*evaluation.obligations, *evaluation.duties):
        key = finding.rule.id
        if finding.rule.for_each:
            key += f"@{finding.jurisdiction}"
        if key.startswith(prefix):
            out[key] = finding.status.value
    return out


def finding(evaluation: Evaluation, rule_id: str, jurisdiction: str | None = None) -> Any:
    for item in (*evaluation.obligations, *evaluation.duties):
        if item.rule.id == rule_id and (jurisdiction is None or item.jurisdiction == jurisdiction):
            return item
    reasons = [s.reason for s in evaluation.not_triggered if s.rule.id == rule_id]
    raise AssertionError(f"{rule_id} not triggered: {reasons}")


def reason(evaluation: Evaluation, rule_id: str) -> str:
    for skipped in evaluation.not_triggered:
        if skipped.rule.id == rule_id:
            return skipped.reason
    raise AssertionError(f"{rule_id} is not in not_triggered")


HEADER = """\
regime: test
jurisdiction: US-CA
timezone: America/Los_Angeles
calendar: weekends
last_reviewed: 2026-11-22
"""


def ruleset_from(*texts: str) -> RuleSet:
    """Rules from YAML texts (each a whole file, or a ``rules:`` body under a test header)."""
    all_rules = []
    problems = []
    for index, text in enumerate(texts):
        source = text if text.lstrip().startswith("regime:") else HEADER + text
        doc = yamlfile.parse(source, file=f"test-{index}.yaml")
        parsed, found = parse_rule_file(doc.data, file=f"test-{index}.yaml")
        problems.extend(doc.locate(found))
        all_rules.extend(parsed)
    ruleset, found = build_ruleset(all_rules)
    problems.extend(found)
    if problems:
        raise RuleFileError(problems)
    return ruleset


class Holidays:
    """A calendar with the holidays a test names (weekends are never business days)."""

    def __init__(self, days: Iterable[date] = (), code: str = "test") -> None:
        self.days = frozenset(days)
        self._code = code

    @property
    def code(self) -> str:
        return self._code

    def is_business_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.days
