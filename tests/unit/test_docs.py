"""The reference docs are generated from the code, say something about every command, option,
argument and setting, and every dependency is explained."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import typer
from pydantic import BaseModel, Field

from candor import docsgen

ROOT = Path(__file__).resolve().parents[2]


def test_cli_and_settings_references_are_current() -> None:
    assert docsgen.main(["--check"]) == 0, (
        "docs/cli.md or the settings table in docs/configuration.md is out of date: "
        "run `uv run python -m candor.docsgen`"
    )


def test_every_command_option_and_argument_has_help() -> None:
    missing = docsgen.undocumented_cli()
    assert missing == [], "give these `help=` (options, arguments) or a docstring (commands)"


def test_every_setting_has_a_description() -> None:
    assert docsgen.undocumented_settings() == [], "give these a `description=` in config.py"


def test_the_cli_check_names_each_undocumented_command_option_and_argument() -> None:
    app = typer.Typer(help="A tiny tool.")
    things = typer.Typer()
    app.add_typer(things, name="thing", help="Things.")

    @things.command("add")
    def add(
        name: str = typer.Argument(...),
        size: int = typer.Option(1, "--size"),
        colour: str = typer.Option("red", "--colour", help="The thing's colour, e.g. red."),
        secret: bool = typer.Option(False, "--secret", hidden=True),
    ) -> None:
        """Add a thing."""

    @things.command("drop")
    def drop(name: str = typer.Argument(..., help="The thing's name.")) -> None:
        pass

    @things.command("gone", hidden=True)
    def gone(name: str = typer.Argument(...)) -> None:
        pass

    assert docsgen.undocumented_cli(app, prog="tiny") == [
        "tiny thing add NAME",
        "tiny thing add --size",
        "tiny thing drop (the command itself)",
    ]


def test_the_settings_check_names_each_setting_without_a_description() -> None:
    class Section(BaseModel):
        said: int = Field(1, description="Says what it does.")
        unsaid: int = 2

    class Model(BaseModel):
        top: str = Field("", description=" ")
        section: Section = Field(default_factory=Section)

    assert docsgen.undocumented_settings(Model) == ["top", "section.unsaid"]


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
