"""The reference docs are generated from the code and every dependency is explained."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from candor import docsgen

ROOT = Path(__file__).resolve().parents[2]


def test_cli_and_settings_references_are_current() -> None:
    assert docsgen.main(["--check"]) == 0, (
        "docs/cli.md or the settings table in docs/configuration.md is out of date: "
        "run `uv run python -m candor.docsgen`"
    )


def test_every_setting_is_documented() -> None:
    text = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    missing = [name for name in docsgen.setting_names() if f"`{name}`" not in text]
    assert missing == []


def test_every_dependency_is_explained() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    names = list(project["project"]["dependencies"])
    names += [d for group in project["dependency-groups"].values() for d in group]
    names += [d for extra in project["project"]["optional-dependencies"].values() for d in extra]
    text = (ROOT / "docs" / "dependencies.md").read_text(encoding="utf-8")
    missing = []
    for spec in names:
        base = re.split(r"[\[<>=!~ ]", spec, maxsplit=1)[0]
        if f"`{base}" not in text:
            missing.append(base)
    assert missing == []


def test_readme_links_resolve() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)#]+)\)", text):
        if target.startswith("http"):
            continue
        assert (ROOT / target).exists(), f"README links to missing {target}"
