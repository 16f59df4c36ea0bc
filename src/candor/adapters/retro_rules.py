"""Load the blameless-retro policy (``rules/retros/blameless.yaml`` or a team's own file)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from candor.adapters import yamlfile
from candor.domain.errors import RuleFileError
from candor.domain.fivewhys import BlamelessPolicy, policy_from_dict

DEFAULT_FILE = Path(__file__).resolve().parents[1] / "rules" / "retros" / "blameless.yaml"


def load_policy(path: Path | str | None = None) -> BlamelessPolicy:
    """Parse and check the file; every problem is raised at once with its file, line and column."""
    doc = yamlfile.load(path or DEFAULT_FILE)
    policy, problems = policy_from_dict(doc.data)
    problems = [*doc.problems, *doc.locate(problems)]
    if problems or policy is None:
        raise RuleFileError(problems)
    return policy


@cache
def default_policy() -> BlamelessPolicy:
    return load_policy(DEFAULT_FILE)
