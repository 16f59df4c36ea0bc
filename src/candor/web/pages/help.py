"""The user guide, served from the package so it is there when the company's wiki is not."""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from pathlib import Path

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from candor.domain.errors import NotFound
from candor.web.deps import Caller, page_auth
from candor.web.pages.common import render
from candor.web.templating import markdown

router = APIRouter()

NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,60}$")


def docs_dir() -> Path:
    """The guide: packaged in the wheel as candor/_docs, or docs/ in a source checkout."""
    packaged = Path(str(resources.files("candor"))) / "_docs"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[4] / "docs"


@lru_cache(maxsize=1)
def pages() -> dict[str, str]:
    """name → title (the first heading) of every guide page."""
    found: dict[str, str] = {}
    for path in sorted(docs_dir().glob("*.md")):
        first = next(
            (
                line
                for line in path.read_text(encoding="utf-8").splitlines()
                if line.startswith("# ")
            ),
            path.stem,
        )
        found[path.stem] = first.removeprefix("# ").strip()
    return found


_LINK = re.compile(r'href="(?!https?:|/|#|mailto:)([a-z0-9-]+)\.md(#[^"]*)?"')


@router.get("/help", response_class=HTMLResponse)
def index(request: Request, caller: Caller = Depends(page_auth)) -> Response:
    return render(request, "help.html", caller=caller, pages=pages(), page=None, html="")


@router.get("/help/{name}", response_class=HTMLResponse)
def page(request: Request, name: str, caller: Caller = Depends(page_auth)) -> Response:
    if not NAME.match(name) or name not in pages():
        raise NotFound(f"no help page {name!r}")
    text = (docs_dir() / f"{name}.md").read_text(encoding="utf-8")
    html = _LINK.sub(lambda m: f'href="/help/{m.group(1)}{m.group(2) or ""}"', str(markdown(text)))
    return render(request, "help.html", caller=caller, pages=pages(), page=name, html=html)
