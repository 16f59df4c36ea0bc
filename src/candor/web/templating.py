"""Jinja2 for the server-rendered pages: autoescaped, loaded from the package, no network."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markdown_it import MarkdownIt
from markupsafe import Markup

from candor import __version__
from candor.adapters.records.blobs import human_size
from candor.domain.incidents import CLOCK_DESCRIPTIONS, Clock
from candor.domain.lifecycle import PHASE_DESCRIPTIONS
from candor.domain.vocabulary import (
    KIND_DEFINITIONS,
    ROLE_DEFINITIONS,
    SEVERITY_DEFINITIONS,
    Role,
)
from candor.services.ports import Clock as TimeSource

TEMPLATES = Path(__file__).with_name("templates")
STATIC = Path(__file__).with_name("static")

# Feature modules add links to the main navigation: {"href": "/playbooks", "label": "Playbooks"}
# Feature modules add links to the main navigation: {"href", "label", "show"}, where the
# optional "show" takes the signed-in Actor and says whether the link is theirs to follow.
NAV_ITEMS: list[dict[str, Any]] = []

# Markdown from users is rendered without raw HTML: it can never inject markup or script
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def markdown(text: str) -> Markup:
    return Markup(_markdown.render(text or ""))  # noqa: S704 - html is disabled in the parser


def age(value: datetime | None, now: datetime) -> str:
    """A short, human duration since ``value``: '2 d 3 h', '4 h 10 min', '7 min'."""
    if value is None:
        return "—"
    seconds = int((now - value).total_seconds())
    if seconds < 0:
        return "in the future"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min"
    return f"{seconds} s"


class Templates:
    def __init__(
        self,
        *,
        organization: str,
        timezone: str,
        clock: TimeSource | None = None,
        extra_dirs: list[Path] | None = None,
    ) -> None:
        self.clock = clock
        dirs = [*(extra_dirs or []), TEMPLATES]
        self.env = Environment(
            loader=FileSystemLoader([str(d) for d in dirs]),
            autoescape=select_autoescape(["html", "xml"]),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.zone = ZoneInfo(timezone)
        self.env.filters["markdown"] = markdown
        self.env.filters["local"] = self.local
        self.env.filters["utc"] = lambda v: v.strftime("%Y-%m-%d %H:%M UTC") if v else "—"
        self.env.filters["iso"] = lambda v: v.isoformat() if v else ""
        self.env.filters["size"] = human_size
        self.env.filters["thousands"] = lambda v: f"{v:,}" if isinstance(v, int) else str(v)
        self.env.globals.update(
            version=__version__,
            organization=organization,
            timezone=timezone,
            KIND_DEFINITIONS=KIND_DEFINITIONS,
            SEVERITY_DEFINITIONS=SEVERITY_DEFINITIONS,
            ROLE_DEFINITIONS=ROLE_DEFINITIONS,
            PHASE_DESCRIPTIONS=PHASE_DESCRIPTIONS,
            CLOCK_DESCRIPTIONS=CLOCK_DESCRIPTIONS,
            age=age,
            ROLE=Role,
            CLOCKS=Clock,
            nav_items=NAV_ITEMS,
        )

    def local(self, value: datetime | None) -> str:
        if value is None:
            return "—"
        return value.astimezone(self.zone).strftime("%Y-%m-%d %H:%M %Z")

    def render(self, name: str, **values: Any) -> str:
        return self.env.get_template(name).render(**values)

    def response(
        self, request: Request, name: str, *, status_code: int = 200, **values: Any
    ) -> HTMLResponse:
        caller = values.pop("caller", None)
        values.setdefault("now", self.clock.now() if self.clock else datetime.now(UTC))
        html = self.render(
            name,
            request=request,
            caller=caller,
            user=caller.resolved.user if caller else None,
            csrf_token=caller.csrf_token if caller else "",
            **values,
        )
        return HTMLResponse(html, status_code=status_code)
