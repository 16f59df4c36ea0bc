"""Load obligation rule files and facts files from disk, reporting every problem at once with
file, line and column.

Built-in rules live in the package (``candor/rules/obligations/*.yaml``); an organisation adds
its contractual and insurance-policy obligations in files of the same format (docs/obligations.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from functools import lru_cache
from importlib import resources
from pathlib import Path

from candor.adapters import calendars, yamlfile
from candor.domain.errors import InvalidInput, Problem, RuleFileError
from candor.domain.obligations.facts import Facts, parse_facts
from candor.domain.obligations.model import FOLLOW_MAIN_ESTABLISHMENT, Rule, RuleSet
from candor.domain.obligations.parsing import parse_rule_file
from candor.domain.obligations.reporting import check_facts
from candor.domain.obligations.ruleset import build_ruleset


def builtin_dir() -> Path:
    return Path(str(resources.files("candor.rules").joinpath("obligations")))


def rule_files(path: Path) -> list[Path]:
    """The rule files under ``path`` (a directory: every ``*.yaml``, sorted) or ``path`` itself."""
    if path.is_dir():
        return sorted(p for p in path.glob("*.yaml") if p.is_file())
    return [path]


def display(path: Path) -> str:
    """How a rule file is named in messages: built-in ones by their place in the package."""
    try:
        return f"rules/obligations/{path.resolve().relative_to(builtin_dir().resolve())}"
    except ValueError:
        pass
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def load(paths: Iterable[Path]) -> RuleSet:
    """Parse and check rule files together (ids must be unique across all of them).
    Raises ``RuleFileError`` listing every problem in every file."""
    documents: dict[str, yamlfile.Document] = {}
    rules: list[Rule] = []
    problems: list[Problem] = []
    for path in paths:
        shown = display(path)
        try:
            doc = yamlfile.load(path, display=shown)
        except RuleFileError as exc:
            problems.extend(exc.problems)
            continue
        documents[shown] = doc
        problems.extend(doc.problems)
        parsed, found = parse_rule_file(doc.data, file=shown)
        problems.extend(doc.locate(found))
        rules.extend(parsed)
    ruleset, found = build_ruleset(rules)
    problems.extend(_locate(found, documents))
    problems.extend(_locate(_calendar_problems(rules), documents))
    if problems:
        raise RuleFileError(problems)
    return ruleset


def _calendar_problems(rules: Sequence[Rule]) -> list[Problem]:
    out = []
    for rule in rules:
        if rule.calendar == FOLLOW_MAIN_ESTABLISHMENT:
            continue
        trouble = calendars.check(rule.calendar)
        if trouble:
            out.append(Problem(trouble, file=rule.file, path=("rules", rule.index, "calendar")))
    return out


def _locate(problems: Sequence[Problem], documents: dict[str, yamlfile.Document]) -> list[Problem]:
    out = []
    for problem in problems:
        doc = documents.get(problem.file or "")
        out.extend(doc.locate([replace(problem, file=None)]) if doc else [problem])
    return out


@lru_cache(maxsize=1)
def builtin() -> RuleSet:
    """The rules shipped with Candor, loaded once per process."""
    return load(rule_files(builtin_dir()))


def load_with(extra: Sequence[Path]) -> RuleSet:
    """Built-in rules plus an organisation's own files (contracts, insurance policy)."""
    if not extra:
        return builtin()
    paths = rule_files(builtin_dir())
    for path in extra:
        paths.extend(rule_files(path))
    return load(paths)


def load_facts(path: Path, rules: RuleSet) -> Facts:
    """A facts file, checked against the rules it will be evaluated with."""
    doc = yamlfile.load(path)
    problems = list(doc.problems)
    try:
        facts = parse_facts(doc.data)
    except InvalidInput as exc:
        raise InvalidInput(problems + doc.locate(exc.problems)) from None
    problems.extend(doc.locate(check_facts(facts, rules)))
    if problems:
        raise InvalidInput(problems)
    return facts
