"""The public advisory site as files: the CSAF provider directory and the HTML pages.

The web routes serve these and ``candor advisory publish-dir`` writes them, so a static copy
(hosted away from infrastructure that may be compromised) is what the server would answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from candor.adapters.export import csaf_provider
from candor.adapters.export.csaf_provider import Entry, PublicFile
from candor.bootstrap import Application
from candor.services.advisory_publication import PublicAdvisory, public_advisories
from candor.web import advisory_view
from candor.web.templating import Templates

HTML = "text/html; charset=utf-8"
PUBLIC = "advisories/public"


@dataclass(frozen=True, slots=True)
class Site:
    advisories: list[PublicAdvisory]
    entries: dict[str, Entry]  # by advisory key: those with a CSAF document
    provider: dict[str, PublicFile]  # the CSAF provider directory, by path


def build(app: Application, *, now: datetime) -> Site:
    published = public_advisories(app.context)
    entries = {
        p.key: csaf_provider.entry(csaf.data, p.revision.date)
        for p in published
        if (csaf := p.revision.csaf) is not None
    }
    provider = csaf_provider.layout(list(entries.values()), app.csaf_provider, now=now)
    return Site(published, entries, provider)


def csaf_path(entry: Entry | None) -> str | None:
    return f"/{csaf_provider.DIRECTORY}/{entry.path}" if entry else None


def page_html(templates: Templates, public: PublicAdvisory, entry: Entry | None) -> str:
    return templates.render(
        "advisories/public_page.html",
        public=public,
        advisory=public.revision.advisory,
        fmt=advisory_view,
        csaf_path=csaf_path(entry),
    )


def index_html(templates: Templates, published: list[PublicAdvisory]) -> str:
    return templates.render("advisories/public_index.html", advisories=published)


def static_files(app: Application, templates: Templates, *, now: datetime) -> dict[str, PublicFile]:
    """Every public file by path, for a static copy: directories become ``index.html``."""
    site = build(app, now=now)
    files: dict[str, PublicFile] = {}
    for path, file in site.provider.items():
        files[path + "index.html" if path.endswith("/") else path] = file
    newest = max((p.revision.date for p in site.advisories), default=now)
    files[f"{PUBLIC}/index.html"] = PublicFile(
        index_html(templates, site.advisories).encode(), HTML, newest
    )
    for p in site.advisories:
        page = page_html(templates, p, site.entries.get(p.key))
        files[f"{PUBLIC}/{p.key}/index.html"] = PublicFile(page.encode(), HTML, p.revision.date)
        for d in p.revision.documents:
            files[f"{PUBLIC}/{p.key}/{d.name}"] = PublicFile(
                d.data, "application/json", p.revision.date
            )
    return files
