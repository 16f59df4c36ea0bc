"""The user guide, served from the package so it is there when the company's wiki is not.

Two kinds of pages, both Markdown under ``docs/``: the task-oriented guide in ``docs/guide/``
("a customer reports unusual activity — what now?") and the reference pages of each area in
``docs/`` itself. Both are listed in the help menu; links between them and the guide's
screenshots (``docs/guide/img/``, written by the browser tests) work on GitHub and here alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from candor.domain.errors import NotFound
from candor.web.deps import Caller, page_auth
from candor.web.pages.common import render
from candor.web.templating import markdown

router = APIRouter()

NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,60}$")
GUIDE = "guide"


def docs_dir() -> Path:
    """The guide: packaged in the wheel as candor/_docs, or docs/ in a source checkout."""
    packaged = Path(str(resources.files("candor"))) / "_docs"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[4] / "docs"


@dataclass(frozen=True)
class HelpPage:
    name: str  # the file's stem: /help/{name}
    title: str  # its first heading
    path: Path
    guide: bool  # a task page in docs/guide/, else an area's reference page


def _title(path: Path) -> str:
    first = next(
        (line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("# ")),
        path.stem,
    )
    return first.removeprefix("# ").strip()


def _order(path: Path) -> tuple[int, str]:
    """Guide pages in the order docs/guide/start.md lists them (itself first), then by name."""
    start = docs_dir() / GUIDE / "start.md"
    text = start.read_text(encoding="utf-8") if start.exists() else ""
    order = ["start", *re.findall(r"\]\(([a-z0-9-]+)\.md\)", text)]
    return (order.index(path.stem) if path.stem in order else len(order), path.stem)


@lru_cache(maxsize=1)
def all_pages() -> dict[str, HelpPage]:
    """name → page, guide first. A guide page and a reference page never share a name (a test
    says so)."""
    found: dict[str, HelpPage] = {}
    guide = list((docs_dir() / GUIDE).glob("*.md"))
    for path in sorted(guide, key=_order):
        found[path.stem] = HelpPage(path.stem, _title(path), path, guide=True)
    for path in sorted(docs_dir().glob("*.md")):
        found.setdefault(path.stem, HelpPage(path.stem, _title(path), path, guide=False))
    return found


def pages() -> dict[str, str]:
    """name → title of every help page."""
    return {name: page.title for name, page in all_pages().items()}


# links between pages, as written for GitHub: "impact.md", "../impact.md", "guide/scoping.md"
_LINK = re.compile(r'href="(?!https?:|/|#|mailto:)(?:\.\./|guide/)?([a-z0-9-]+)\.md(#[^"]*)?"')
# the guide's screenshots: "img/x.png" from a guide page, "guide/img/x.png" from the others
_IMG = re.compile(r'src="(?:guide/)?img/([a-z0-9-]+)\.png"')


@router.get("/help", response_class=HTMLResponse)
def index(request: Request, caller: Caller = Depends(page_auth)) -> Response:
    return render(request, "help.html", caller=caller, pages=all_pages(), page=None, html="")


@router.get("/help/img/{name}.png")
def image(name: str, caller: Caller = Depends(page_auth)) -> Response:
    path = docs_dir() / GUIDE / "img" / f"{name}.png"
    if not NAME.match(name) or not path.is_file():
        raise NotFound(f"no guide picture {name!r}")
    return FileResponse(path, media_type="image/png")


@router.get("/help/{name}", response_class=HTMLResponse)
def page(request: Request, name: str, caller: Caller = Depends(page_auth)) -> Response:
    found = all_pages().get(name) if NAME.match(name) else None
    if found is None:
        raise NotFound(f"no help page {name!r}")
    html = str(markdown(found.path.read_text(encoding="utf-8")))
    html = _LINK.sub(lambda m: f'href="/help/{m.group(1)}{m.group(2) or ""}"', html)
    html = _IMG.sub(lambda m: f'src="/help/img/{m.group(1)}.png"', html)
    return render(request, "help.html", caller=caller, pages=all_pages(), page=name, html=html)
