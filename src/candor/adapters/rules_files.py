"""Load the rule files users and the package provide, with every problem at file:line:column.

The domain parsers take plain data and report problems with a ``path``; this module reads the
YAML, keeps where each value came from, and turns paths into positions. All problems of a file are
reported together (duplicate keys included), so one run shows everything to fix.

Packaged defaults live in ``candor/rules/``; an organisation overrides one by pointing at its own
file of the same format (the whole file replaces the default; see docs/triage.md).
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import TypeVar

from candor.adapters import yamlfile
from candor.domain.errors import InvalidInput, Problem, RuleFileError
from candor.domain.secrets import Catalogue, parse_catalogue
from candor.domain.triage import Answers, parse_answers
from candor.domain.triage_policy import Policy
from candor.domain.triage_policy_parse import parse_policy

T = TypeVar("T")

PACKAGE_RULES = "candor.rules"
TRIAGE_POLICY = ("triage", "policy.yaml")
SECRET_CATALOGUE = ("secrets.yaml",)


def packaged_path(*parts: str) -> Path:
    """Where a packaged rule file is (rules ship as plain files inside the package)."""
    return Path(str(resources.files(PACKAGE_RULES).joinpath(*parts)))


def _parse_file(path: Path | str, parse: Callable[[object], T], *, display: str | None) -> T:
    doc = yamlfile.load(path, display=display)
    try:
        value = parse(doc.data)
    except InvalidInput as exc:
        problems = [*doc.problems, *doc.locate(exc.problems)]
        raise RuleFileError(problems) from None
    if doc.problems:
        raise RuleFileError(doc.problems)
    return value


def load_triage_policy(path: Path | str | None = None) -> Policy:
    """The organisation's policy file when given, else the packaged default."""
    if path is None:
        return _parse_file(
            packaged_path(*TRIAGE_POLICY), parse_policy, display="candor/rules/triage/policy.yaml"
        )
    return _parse_file(path, parse_policy, display=None)


def load_answers(path: Path | str, *, display: str | None = None) -> Answers:
    return _parse_file(path, _answers, display=display)


def _answers(data: object) -> Answers:
    if data is not None and not isinstance(data, dict):
        raise InvalidInput(Problem("answers must be a mapping of question: answer", path=()))
    return parse_answers(data)


def load_secret_catalogue(path: Path | str | None = None) -> Catalogue:
    if path is None:
        return _parse_file(
            packaged_path(*SECRET_CATALOGUE), parse_catalogue, display="candor/rules/secrets.yaml"
        )
    return _parse_file(path, parse_catalogue, display=None)
