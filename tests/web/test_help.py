"""The guide and the reference pages: every page in docs/ is linked from the README and from the
help menu, links between pages and the guide's screenshots work in the app, and every guide page
points to the reference of its area."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient

from candor.web.pages import help as help_pages
from tests.web.conftest import Browser

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"


def doc_pages() -> list[Path]:
    """Every Markdown page under docs/ (the examples directory holds data files, not pages)."""
    return sorted(p for p in DOCS.rglob("*.md") if "examples" not in p.relative_to(DOCS).parts)


def test_every_docs_page_is_linked_from_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    linked = {(ROOT / t).resolve() for t in re.findall(r"\]\(([^)#\s]+)", readme)}
    missing = [str(p.relative_to(ROOT)) for p in doc_pages() if p.resolve() not in linked]
    assert missing == [], f"README.md does not link to {missing}"


def test_every_docs_page_is_in_the_help_menu(browser: Callable[[str], Browser]) -> None:
    menu = browser("val").get("/help").text  # a viewer sees the whole guide
    listed = set(re.findall(r'<a href="/help/([a-z0-9-]+)"', menu))
    missing = [str(p.relative_to(ROOT)) for p in doc_pages() if p.stem not in listed]
    assert missing == [], f"the help menu does not list {missing}"
    assert menu.index("Guide: what to do when") < menu.index("Reference")


def test_a_guide_page_and_a_reference_page_never_share_a_name() -> None:
    guide = {p.stem for p in (DOCS / "guide").glob("*.md")}
    reference = {p.stem for p in DOCS.glob("*.md")}
    assert guide & reference == set()


def test_guide_pages_link_to_reference_pages_and_their_pictures_exist() -> None:
    for page in sorted((DOCS / "guide").glob("*.md")):
        text = page.read_text(encoding="utf-8")
        assert re.search(r"\]\(\.\./[a-z0-9-]+\.md", text), f"{page.name} links to no reference"
        for target in re.findall(r"\]\(([^)#\s]+)", text):
            if not target.startswith("http"):
                assert (page.parent / target).exists(), f"{page.name} links to missing {target}"
    start = (DOCS / "guide" / "start.md").read_text(encoding="utf-8")
    for page in (DOCS / "guide").glob("*.md"):
        assert page.name == "start.md" or f"]({page.name})" in start, f"start.md misses {page}"


def test_links_and_pictures_work_inside_the_app(
    browser: Callable[[str], Browser], web: object
) -> None:
    alice = browser("alice")
    page = alice.get("/help/impact-statement")
    assert page.status_code == 200
    assert 'href="/help/impact"' in page.text  # ../impact.md
    pictures = re.findall(r'src="(/help/img/[a-z0-9-]+\.png)"', page.text)
    assert pictures, "the page shows its screenshots"
    for src in pictures:
        got = alice.get(src)
        assert got.status_code == 200 and got.headers["content-type"] == "image/png"
        assert got.content.startswith(b"\x89PNG")
    assert alice.get("/help/img/nothing-here.png").status_code == 404
    assert 'href="/help/customer-reports"' in alice.get("/help/start").text
    stranger = TestClient(web, follow_redirects=False)  # type: ignore[arg-type]
    assert stranger.get(pictures[0]).status_code in (302, 303, 401)
    assert next(n for n, p in help_pages.all_pages().items() if p.guide) == "start"


def test_reference_pages_link_back_to_their_task_pages(browser: Callable[[str], Browser]) -> None:
    page = browser("alice").get("/help/impact").text
    assert 'href="/help/impact-statement"' in page  # guide/impact-statement.md
    for path in (DOCS / "guide").glob("*.md"):
        if path.name == "start.md":
            continue
        linked_from = [
            p.name for p in DOCS.glob("*.md") if f"(guide/{path.name})" in p.read_text("utf-8")
        ]
        assert linked_from, f"no reference page links to the task page {path.name}"
