"""Generate the reference parts of the docs from the code, so they cannot drift.

    uv run python -m candor.docsgen          # rewrite docs/cli.md and the settings table
    uv run python -m candor.docsgen --check  # exit 1 if either is out of date (run by the tests)

``docs/configuration.md`` keeps its hand-written prose; only the part between the
``<!-- settings:begin -->`` and ``<!-- settings:end -->`` markers is generated.

Generated text is only as good as what it is generated from, so both modes also exit 1 naming
every command, option, argument or setting that has no help text or description
(``undocumented_cli``, ``undocumented_settings``; the tests call them too).
"""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Any

import typer
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from candor import config

DOCS = Path(__file__).resolve().parents[2] / "docs"
BEGIN, END = "<!-- settings:begin -->", "<!-- settings:end -->"


def _default(info: FieldInfo) -> str:
    if info.default_factory is not None:
        if info.annotation is Path or str(info.annotation).endswith("Path"):
            return "see description"
        value: Any = info.default_factory()  # type: ignore[call-arg]
        if isinstance(value, BaseModel):
            return ""
    else:
        value = info.default
    if value is PydanticUndefined or value is None:
        return "—"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'`"{value}"`'
    if isinstance(value, list):
        return "`[]`" if not value else f"`{value}`"
    return f"`{value}`"


def _type(info: FieldInfo) -> str:
    text = str(info.annotation).replace("typing.", "").replace("pathlib.", "")
    text = text.replace("<class '", "").replace("'>", "").replace("datetime.datetime", "datetime")
    return text.replace(" | ", " or ")


def _setting_fields(
    model: type[BaseModel] = config.Settings, prefix: str = ""
) -> list[tuple[str, FieldInfo]]:
    """Every setting as (dotted name, field), sections ([web], [smtp] …) walked into."""
    fields: list[tuple[str, FieldInfo]] = []
    for name, info in model.model_fields.items():
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            fields.extend(_setting_fields(annotation, f"{prefix}{name}."))
        else:
            fields.append((f"{prefix}{name}", info))
    return fields


def settings_rows(model: type[BaseModel] = config.Settings) -> list[str]:
    rows: list[str] = []
    for dotted, info in _setting_fields(model):
        env = "CANDOR_" + dotted.upper().replace(".", "__")
        description = (info.description or "").replace("|", "\\|")
        rows.append(f"| `{dotted}` | `{env}` | {_type(info)} | {_default(info)} | {description} |")
    return rows


def settings_table() -> str:
    header = [
        "| setting | environment variable | type | default | what it does |",
        "| --- | --- | --- | --- | --- |",
    ]
    return "\n".join([BEGIN, *header, *settings_rows(), END])


def setting_names(model: type[BaseModel] = config.Settings) -> list[str]:
    return [dotted for dotted, _ in _setting_fields(model)]


def undocumented_settings(model: type[BaseModel] = config.Settings) -> list[str]:
    """Settings whose field has no ``description``: their row in the table would say nothing."""
    fields = _setting_fields(model)
    return [dotted for dotted, info in fields if not (info.description or "").strip()]


def configuration_doc(current: str) -> str:
    if BEGIN not in current or END not in current:
        raise SystemExit(f"docs/configuration.md lacks the {BEGIN} … {END} markers")
    head, rest = current.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return head + settings_table() + tail


def _commands(group: Any, path: list[str]) -> list[tuple[list[str], Any]]:
    found: list[tuple[list[str], Any]] = []
    for name, command in sorted(getattr(group, "commands", {}).items()):
        if getattr(command, "hidden", False):
            continue
        found.append(([*path, name], command))
        found.extend(_commands(command, [*path, name]))
    return found


def _shown_params(command: Any) -> list[Any]:
    return [p for p in command.params if not getattr(p, "hidden", False)]


def _is_argument(param: Any) -> bool:
    return bool(param.param_type_name == "argument")


def _facts(param: Any) -> list[str]:
    """What ``--help`` shows next to a parameter (choices, repeatable, default) for the page."""
    facts = ["argument" if _is_argument(param) else "option"]
    annotation = getattr(getattr(param, "type_descriptor", None), "annotation", None)
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        facts.append("one of " + ", ".join(f"`{member.value}`" for member in annotation))
    if getattr(param, "multiple", False):
        facts.append("repeatable")
    default = param.default
    shown = not _is_argument(param) and not getattr(param, "is_flag", False)
    if shown and param.show_default is not False and default not in (None, "", (), []):
        values = default if isinstance(default, list | tuple) else [default]
        shown_values = ", ".join(str(v.value if isinstance(v, Enum) else v) for v in values)
        facts.append(f"default `{shown_values}`")
    return facts


def cli_doc() -> str:
    from candor.cli.app import full_app

    root = typer.main.get_command(full_app())
    lines = [
        "# CLI reference",
        "",
        "Generated from the command definitions by `uv run python -m candor.docsgen`; do not "
        "edit by hand.",
        "",
        "Exit codes: 0 done; 1 refused (not found, illegal transition, conflict, invalid value); "
        "2 the command line itself is wrong. Read commands accept `--json` with stable field "
        "names. `candor --as USER …` acts as USER (default: `CANDOR_USER`, then your login "
        "name).",
        "",
    ]
    for path, command in _commands(root, ["candor"]):
        is_group = bool(getattr(command, "commands", None))
        level = "##" if len(path) == 2 else "###"
        lines.append(f"{level} `{' '.join(path)}`")
        lines.append("")
        help_text = (command.help or "").strip()
        if help_text:
            lines.append(help_text.split("\n\n")[0].replace("\n", " "))
            lines.append("")
        if is_group:
            continue
        usage = " ".join(command.collect_usage_pieces(_ctx(command, path)))
        lines.append(f"Usage: `{' '.join(path)} {usage}`".rstrip())
        lines.append("")
        options = []
        for param in _shown_params(command):
            names = ", ".join(f"`{o}`" for o in [*param.opts, *param.secondary_opts])
            help_line = " ".join((getattr(param, "help", None) or "").split())
            facts = "; ".join(_facts(param))
            options.append(f"- {names} ({facts}){': ' + help_line if help_line else ''}")
        if options:
            lines.extend(options)
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def undocumented_cli(app: typer.Typer | None = None, *, prog: str = "candor") -> list[str]:
    """Every command, option and argument under ``app`` (default: all of ``candor``) that has no
    help text, named as typed: ``candor incident update --title``, ``candor task add KEY``.

    Hidden ones are left out, as they are from the page and from ``--help``."""
    if app is None:
        from candor.cli.app import full_app

        app = full_app()
    root = typer.main.get_command(app)
    missing: list[str] = []
    for path, command in [([prog], root), *_commands(root, [prog])]:
        where = " ".join(path)
        if not (command.help or "").strip():
            missing.append(f"{where} (the command itself)")
        for param in _shown_params(command):
            if (getattr(param, "help", None) or "").strip():
                continue
            if _is_argument(param):
                missing.append(f"{where} {param.metavar or (param.name or '').upper()}")
            else:
                missing.append(f"{where} {param.opts[0]}")
    return missing


def _ctx(command: Any, path: list[str]) -> Any:
    return command.make_context(" ".join(path), [], resilient_parsing=True)


def main(argv: list[str]) -> int:
    check = "--check" in argv
    outputs = {
        DOCS / "cli.md": cli_doc(),
        DOCS / "configuration.md": configuration_doc(
            (DOCS / "configuration.md").read_text(encoding="utf-8")
        ),
    }
    stale = []
    for path, text in outputs.items():
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current != text:
            stale.append(path)
            if not check:
                path.write_text(text, encoding="utf-8")
    failed = False
    if check and stale:
        names = ", ".join(str(p.relative_to(DOCS.parent)) for p in stale)
        sys.stderr.write(f"out of date: {names}; run `uv run python -m candor.docsgen`\n")
        failed = True
    for what, missing in (
        ("without help text (give `help=` or a docstring in src/candor/cli/)", undocumented_cli()),
        ("settings without a description (src/candor/config.py)", undocumented_settings()),
    ):
        if missing:
            sys.stderr.write(f"{len(missing)} {what}:\n" + "".join(f"  {m}\n" for m in missing))
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
