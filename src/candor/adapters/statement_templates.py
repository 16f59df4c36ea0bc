"""Statement templates: Jinja2 files in ``candor/rules/statements/``, overridable.

A template is Markdown with Jinja2 (``NAME.md.j2``); its top-level ``{% set title = … %}`` is the
statement's title and its output the body. An organisation overrides any template by putting a
file of the same name in ``comms.templates_dir``; the rest keep the packaged ones. Templates run
in Jinja2's sandbox, so an override can only format the data it is given.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jinja2 import (
    ChoiceLoader,
    FileSystemLoader,
    StrictUndefined,
    TemplateError,
    TemplateNotFound,
    TemplateSyntaxError,
)
from jinja2.sandbox import SandboxedEnvironment

from candor.adapters.rules_files import packaged_path
from candor.domain.errors import InvalidInput, Problem
from candor.services.ports_statements import Rendered

SUFFIX = ".md.j2"


class JinjaStatementTemplates:
    def __init__(self, override: Path | None = None) -> None:
        self.packaged = packaged_path("statements")
        self.override = override
        loaders = [FileSystemLoader(str(self.packaged))]
        if override is not None:
            loaders.insert(0, FileSystemLoader(str(override)))
        self.env = SandboxedEnvironment(
            loader=ChoiceLoader(loaders),
            autoescape=False,  # Markdown, rendered later with raw HTML disabled
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
            undefined=StrictUndefined,
        )

    def names(self) -> list[str]:
        found = {p.name.removesuffix(SUFFIX) for p in self.packaged.glob("*" + SUFFIX)}
        if self.override is not None and self.override.is_dir():
            found |= {p.name.removesuffix(SUFFIX) for p in self.override.glob("*" + SUFFIX)}
        return sorted(found)

    def source(self, name: str) -> Path:
        if self.override is not None and (self.override / (name + SUFFIX)).exists():
            return self.override / (name + SUFFIX)
        return self.packaged / (name + SUFFIX)

    def render(self, name: str, data: Mapping[str, Any]) -> Rendered:
        file = str(self.source(name))
        try:
            template = self.env.get_template(name + SUFFIX)
            module = template.make_module(dict(data))
        except TemplateNotFound:
            raise InvalidInput(
                Problem(f"no statement template {name!r}", field="template")
            ) from None
        except TemplateSyntaxError as exc:
            raise InvalidInput(
                Problem(
                    f"template error: {exc.message}", file=exc.filename or file, line=exc.lineno
                )
            ) from None
        except TemplateError as exc:
            raise InvalidInput(
                Problem(f"template error: {exc}", file=file, line=_line(exc))
            ) from None
        title = str(getattr(module, "title", "") or "").strip()
        if not title:
            raise InvalidInput(
                Problem("the template sets no title ({% set title = … %})", file=file)
            )
        body = re.sub(r"\n{3,}", "\n\n", str(module)).strip() + "\n"
        return Rendered(title=title, body=body)


def _line(exc: BaseException) -> int | None:
    tb = exc.__traceback__
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.endswith(SUFFIX):
            line = tb.tb_lineno
        tb = tb.tb_next
    return line
