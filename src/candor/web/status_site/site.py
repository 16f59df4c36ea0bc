"""The status site as files: pages, feeds and the stylesheet, for the server and static copies.

Only what was published to the audience ``public`` from incidents that are not exercises is
here, and of each incident nothing but those statements: no key, severity, phase or names.
"""

from __future__ import annotations

import hashlib
import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime

from candor.adapters.export.csaf_provider import PublicFile
from candor.domain.statements import Kind, Statement
from candor.services.advisory_publication import PublicAdvisory
from candor.services.statements import PublicIncident
from candor.web.templating import STATIC, Templates, markdown

HTML = "text/html; charset=utf-8"
ATOM = "application/atom+xml; charset=utf-8"
JSON_FEED = "application/feed+json; charset=utf-8"
CSS = "text/css; charset=utf-8"
ATOM_NS = "http://www.w3.org/2005/Atom"

KIND_LABELS = {
    Kind.ACKNOWLEDGEMENT: "Investigating",
    Kind.UPDATE: "Update",
    Kind.RESOLUTION: "Resolved",
    Kind.CUSTOMER_NOTICE: "Notice",
    Kind.CREDENTIAL_ROTATION: "Action needed",
    Kind.REGULATOR_NOTICE: "Notice",
    Kind.CORRECTION: "Correction",
}


@dataclass(frozen=True, slots=True)
class Links:
    """Where things are: under /status on the server, at the root of a static copy."""

    root: str  # the index page
    incident: Callable[[str], str]  # slug → page
    atom: str
    json: str
    advisory: Callable[[str], str]  # advisory key → page
    absolute: str  # the public origin feeds link to, without a trailing slash

    def full(self, path: str) -> str:
        return self.absolute + path


def server_links(public_url: str) -> Links:
    return Links(
        root="/status",
        incident=lambda slug: f"/status/incidents/{slug}",
        atom="/status/feed.atom",
        json="/status/feed.json",
        advisory=lambda key: f"/advisories/public/{key}",
        absolute=public_url.rstrip("/"),
    )


def static_links(public_url: str, site_url: str | None = None) -> Links:
    origin = public_url.rstrip("/")
    return Links(
        root="/",
        incident=lambda slug: f"/incidents/{slug}/",
        atom="/feed.atom",
        json="/feed.json",
        advisory=lambda key: f"{origin}/advisories/public/{key}",
        absolute=(site_url or origin).rstrip("/"),
    )


def anchor(statement: Statement) -> str:
    return "u-" + statement.id.hex[:12]


@dataclass(frozen=True, slots=True)
class Content:
    incidents: list[PublicIncident]
    advisories: list[PublicAdvisory]
    organization: str
    now: datetime

    @property
    def updated(self) -> datetime:
        times = [i.last_published for i in self.incidents]
        times += [a.revision.date for a in self.advisories]
        return max(times, default=self.now)


def _html(templates: Templates, name: str, links: Links, **values: object) -> bytes:
    return templates.render(
        name, links=links, anchor=anchor, KIND_LABELS=KIND_LABELS, Kind=Kind, **values
    ).encode()


def _entries(content: Content) -> list[tuple[PublicIncident, Statement, Statement | None]]:
    """(incident, statement, the statement it corrects) for every public statement, newest
    first."""
    out = []
    for incident in content.incidents:
        by_number = {e.statement.number: e.statement for e in incident.entries}
        for s in incident.statements:
            out.append((incident, s, by_number.get(s.corrects) if s.corrects else None))
    return sorted(
        out, key=lambda t: (t[1].published_at or t[1].created_at, t[1].number), reverse=True
    )


def _entry_title(s: Statement, corrected: Statement | None) -> str:
    if s.kind is Kind.CORRECTION:
        return f"Correction: {corrected.title if corrected else s.title}"
    return s.title


def _entry_html(s: Statement, corrected: Statement | None) -> str:
    text = str(markdown(s.body))
    if s.kind is Kind.CORRECTION:
        note = str(markdown("**What was wrong:** " + s.correction_note))
        when = corrected.published_at.isoformat() if corrected and corrected.published_at else ""
        text = (
            f"<p><strong>Correction</strong> of the statement published {when}.</p>" + note + text
        )
    return text


def atom(content: Content, links: Links) -> bytes:
    ET.register_namespace("", ATOM_NS)

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        el = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", attrs)
        if text is not None:
            el.text = text
        return el

    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    sub(feed, "id", links.full(links.atom))
    sub(feed, "title", f"{content.organization} status")
    sub(feed, "updated", content.updated.isoformat())
    sub(feed, "link", rel="self", href=links.full(links.atom), type="application/atom+xml")
    sub(feed, "link", rel="alternate", href=links.full(links.root), type="text/html")
    author = sub(feed, "author")
    sub(author, "name", content.organization)
    for incident, s, corrected in _entries(content):
        entry = sub(feed, "entry")
        sub(entry, "id", f"urn:uuid:{s.id}")
        sub(entry, "title", _entry_title(s, corrected))
        when = (s.published_at or s.created_at).isoformat()
        sub(entry, "published", when)
        sub(entry, "updated", when)
        sub(
            entry,
            "link",
            rel="alternate",
            type="text/html",
            href=links.full(links.incident(incident.slug)) + "#" + anchor(s),
        )
        if s.kind is Kind.CORRECTION:
            sub(entry, "category", term="correction", label="Correction")
        sub(entry, "content", _entry_html(s, corrected), type="html")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def json_feed(content: Content, links: Links) -> bytes:
    items = []
    for incident, s, corrected in _entries(content):
        item: dict[str, object] = {
            "id": f"urn:uuid:{s.id}",
            "url": links.full(links.incident(incident.slug)) + "#" + anchor(s),
            "title": _entry_title(s, corrected),
            "content_html": _entry_html(s, corrected),
            "content_text": s.body
            if s.kind is not Kind.CORRECTION
            else f"What was wrong: {s.correction_note}\n\n{s.body}",
            "date_published": (s.published_at or s.created_at).isoformat(),
        }
        if s.kind is Kind.CORRECTION:
            item["tags"] = ["correction"]
        items.append(item)
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": f"{content.organization} status",
        "home_page_url": links.full(links.root),
        "feed_url": links.full(links.json),
        "language": "en",
        "authors": [{"name": content.organization}],
        "items": items,
    }
    return json.dumps(feed, ensure_ascii=False, indent=1).encode()


def files(content: Content, templates: Templates, links: Links) -> dict[str, PublicFile]:
    """Every file of the site by its link (``links.root`` for the index)."""
    out: dict[str, PublicFile] = {}
    current = [i for i in content.incidents if not i.resolved]
    past = [i for i in content.incidents if i.resolved]
    out[links.root] = PublicFile(
        _html(
            templates,
            "status/index.html",
            links,
            current=current,
            past=past,
            advisories=content.advisories,
        ),
        HTML,
        content.updated,
    )
    for incident in content.incidents:
        out[links.incident(incident.slug)] = PublicFile(
            _html(templates, "status/incident.html", links, incident=incident),
            HTML,
            incident.last_published,
        )
    out[links.atom] = PublicFile(atom(content, links), ATOM, content.updated)
    out[links.json] = PublicFile(json_feed(content, links), JSON_FEED, content.updated)
    return out


def stylesheet() -> bytes:
    return (STATIC / "candor.css").read_bytes()


@dataclass(frozen=True, slots=True)
class Served:
    """A file ready to answer with: body and the caching headers computed once."""

    body: bytes
    media_type: str
    etag: str
    modified: datetime
    headers: dict[str, str]
    raw_headers: tuple[tuple[bytes, bytes], ...]  # the same, ready for ASGI


MAX_AGE = 60  # seconds: a new statement or correction reaches readers within a minute


def served(file: PublicFile) -> Served:
    etag = '"' + hashlib.sha256(file.content).hexdigest()[:40] + '"'
    modified = file.last_modified.astimezone(UTC).replace(microsecond=0)
    headers = {
        "ETag": etag,
        "Last-Modified": format_datetime(modified, usegmt=True),
        "Cache-Control": f"public, max-age={MAX_AGE}",
    }
    raw = tuple((k.lower().encode(), v.encode()) for k, v in headers.items())
    return Served(file.content, file.media_type, etag, modified, headers, raw)


def static_files(
    content: Content, templates: Templates, *, public_url: str, site_url: str | None = None
) -> dict[str, PublicFile]:
    """Every file of a static copy by its path relative to the output directory."""
    links = static_links(public_url, site_url)
    out: dict[str, PublicFile] = {}
    for link, file in files(content, templates, links).items():
        path = link.lstrip("/")
        out[path + "index.html" if path.endswith("/") or not path else path] = file
    out["static/candor.css"] = PublicFile(stylesheet(), CSS, content.updated)
    return out
