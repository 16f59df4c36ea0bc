"""``candor advisory list|show|create|edit|publish|discard|publish-dir``: advisories stored in the
workspace. (``export`` and ``import`` in ``cli/advisories.py`` work on files and on the store.)"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import typer

from candor.adapters.export import cvss, formats
from candor.cli.common import JSON_OPTION, actor, application, console, err, print_json, short_time
from candor.domain.advisories import Advisory, AdvisoryStatus, Tlp
from candor.domain.advisory_parse import parse_advisory
from candor.domain.advisory_store import UNNUMBERED
from candor.domain.errors import InvalidInput, Problem
from candor.services import advisories, advisory_views
from candor.services.ports_advisories import AdvisoryFilter
from candor.web.advisories_public import site
from candor.web.templating import STATIC, Templates

MARKER = ".candor-publish"  # written into a publish-dir output, so a rerun may replace it

ADVISORY_ID = typer.Argument(
    ...,
    metavar="ID",
    help="The advisory's id, ORG-SA-YEAR-SEQ, e.g. ACME-SA-2026-001 (`candor advisory list`).",
)
VERSION_HELP = (
    "Refuse if the advisory is no longer at this version (`candor advisory show` prints it), "
    "so you never overwrite a colleague's edit. Unset: no check."
)


def _record_file(path: Path, default_id: str = UNNUMBERED) -> Advisory:
    """A record from YAML; a new one need not name an id (the workspace gives it one)."""
    return formats.load_record(path, default_id=default_id)


def list_(
    status: AdvisoryStatus | None = typer.Option(
        None,
        "--status",
        help="Only drafts (never published) or only published advisories. Unset: both.",
    ),
    cve: str | None = typer.Option(None, "--cve", help="Only advisories naming this CVE id."),
    incident: str | None = typer.Option(None, "--incident", help="Only those linked to it."),
    json: bool = JSON_OPTION,
) -> None:
    """Advisories in the workspace, most recently published first."""
    app = application()
    where = AdvisoryFilter(
        status=status,
        cve=cve.strip().upper() if cve else None,
        incident=incident.strip().upper() if incident else None,
    )
    found = advisories.page(app.context, actor(), where).items
    if json:
        print_json([advisory_views.summary(s) for s in found])
        return
    if not found:
        console.print("No advisories.")
    for s in found:
        cves = ", ".join(s.advisory.cve_ids()) or "no CVE"
        revision = f"rev {s.published_number}" if s.published_number else "draft"
        pending = " (unpublished changes)" if s.pending_changes else ""
        console.print(
            f"{s.key}  {revision}{pending}  TLP:{s.advisory.tlp.value}  {cves}  "
            f"{s.advisory.title or ''}",
            markup=False,
        )


def show(
    advisory_id: str = ADVISORY_ID,
    yaml: bool = typer.Option(False, "--yaml", help="Print the record, ready to edit."),
    json: bool = JSON_OPTION,
) -> None:
    """One advisory: its facts, incidents and every published revision with its hashes."""
    app = application()
    view = advisories.get(app.context, actor(), advisory_id)
    data = advisory_views.full(view)
    if json:
        print_json(data)
        return
    if yaml:
        console.out(formats.dump_record(view.stored.advisory), end="", highlight=False)
        return
    s = view.stored
    lines = [
        f"{s.key}  {s.advisory.title or '(untitled)'}",
        f"status: {s.advisory.status.value}   TLP:{s.advisory.tlp.value}   version {s.version}",
        f"CVE: {', '.join(s.advisory.cve_ids()) or '—'}",
        f"incidents: {', '.join(data['incidents']) or '—'}"
        + (f" (+{view.hidden_incidents} restricted)" if view.hidden_incidents else ""),
    ]
    if s.pending_changes:
        lines.append("changes not published yet")
    if s.is_public:
        lines.append(f"public: /advisories/public/{s.key}")
    for r in view.revisions:
        lines.append(f"revision {r.number}  {short_time(r.date)}  {r.published_by}: {r.summary}")
        lines.extend(f"    {d.name}  sha256 {d.sha256}" for d in r.documents)
    if not view.revisions:
        lines.append("not published yet")
    console.print("\n".join(lines), markup=False)


def create(
    file: Path | None = typer.Option(None, "--file", help="The advisory as YAML (record format)."),
    title: str | None = typer.Option(
        None, "--title", help="A short public title, e.g. 'API keys written to debug logs'."
    ),
    description: str | None = typer.Option(
        None,
        "--description",
        help="What the vulnerability is, who is affected and what to do, in plain words.",
    ),
    tlp: Tlp = typer.Option(
        Tlp.CLEAR,
        "--tlp",
        case_sensitive=False,
        help="Traffic Light Protocol 2.0 label: who may see it. Only TLP:CLEAR advisories "
        "appear on the public pages once published.",
    ),
    incident: list[str] = typer.Option(
        [],
        "--incident",
        help="Key of an incident this advisory comes from, e.g. INC-2026-7; repeat for several.",
    ),
    cve: str | None = typer.Option(
        None, "--cve", help="CVE id of the vulnerability, e.g. CVE-2026-12345, if it has one."
    ),
    cvss_vector: list[str] = typer.Option(
        [],
        "--cvss",
        help="CVSS vector (v2.0, v3.x or v4.0), e.g. CVSS:3.1/AV:N/AC:L/…; the score is "
        "computed from it. Repeat for one per version.",
    ),
    cwe: str | None = typer.Option(None, "--cwe", help="The weakness's CWE id, e.g. CWE-532."),
    cwe_name: str | None = typer.Option(
        None,
        "--cwe-name",
        help="The weakness's name, e.g. 'Insertion of Sensitive Information into Log File'.",
    ),
    json: bool = JSON_OPTION,
) -> None:
    """Create a draft from a YAML record (--file) or from fields; it gets the next id."""
    app = application()
    if file is not None:
        advisory = _record_file(file)
    else:
        data: dict[str, Any] = {"id": UNNUMBERED, "tlp": tlp.value, "incidents": incident}
        if title:
            data["title"] = title
        if description:
            data["description"] = description
        vulnerability: dict[str, Any] = {}
        if cve:
            vulnerability["cve"] = cve
        if cvss_vector:
            vulnerability["cvss"] = cvss_vector
        if cwe:
            vulnerability["cwe"] = [{"id": cwe, **({"name": cwe_name} if cwe_name else {})}]
        if vulnerability:
            data["vulnerabilities"] = [vulnerability]
        advisory = parse_advisory(data, scorer=cvss.score)
    made = advisories.create(app.context, actor(), app.advisories, advisory)
    if json:
        print_json(advisory_views.full(advisories.get(app.context, actor(), made.key)))
    else:
        console.print(f"Created {made.key} (draft).", markup=False)


def edit(
    advisory_id: str = ADVISORY_ID,
    file: Path = typer.Option(
        ...,
        "--file",
        help="The whole record as YAML; start from `candor advisory show ID --yaml`.",
    ),
    version: int | None = typer.Option(None, "--version", help=VERSION_HELP),
    reason: str = typer.Option(
        "", "--reason", help="Why it changed, in a sentence; kept in the audit log."
    ),
) -> None:
    """Replace what the advisory says. Its id and published revisions stay as they are."""
    app = application()
    saved = advisories.update(
        app.context,
        actor(),
        advisory_id,
        _record_file(file),
        expected_version=version,
        reason=reason,
    )
    console.print(f"{saved.key} is at version {saved.version}.", markup=False)


def publish(
    advisory_id: str = ADVISORY_ID,
    summary: str = typer.Option(
        ...,
        "--summary",
        help="What changed in this revision, e.g. 'Initial public release' or 'Fixed "
        "version corrected'; published in the revision history.",
    ),
    version: int | None = typer.Option(None, "--version", help=VERSION_HELP),
    json: bool = JSON_OPTION,
) -> None:
    """Publish the advisory as its next revision, dated now; its documents are frozen with it."""
    app = application()
    saved, revision = advisories.publish(
        app.context, actor(), app.advisories, advisory_id, summary=summary, expected_version=version
    )
    if json:
        print_json(advisory_views.revision(saved.key, revision))
        return
    console.print(f"Published {saved.key} revision {revision.number}.", markup=False)
    for d in revision.documents:
        console.print(f"  {d.name}  sha256 {d.sha256}", markup=False)
    if saved.is_public:
        console.print(f"Public at /advisories/public/{saved.key}", markup=False)


def discard(
    advisory_id: str = ADVISORY_ID,
    reason: str = typer.Option(
        "", "--reason", help="Why the draft is dropped, in a sentence; kept in the audit log."
    ),
) -> None:
    """Delete a draft that was never published."""
    app = application()
    gone = advisories.discard(app.context, actor(), advisory_id, reason=reason)
    console.print(f"Deleted the draft {gone.key}.", markup=False)


def publish_dir(
    out: Path = typer.Argument(..., help="An empty or absent directory (or an earlier output)."),
) -> None:
    """Write the public advisory site as static files: pages, documents, the CSAF provider
    directory. Host OUT at the root of a web server kept apart from Candor's own."""
    app = application()
    _prepare(out)
    templates = Templates(
        organization=app.settings.organization.name,
        timezone=app.settings.organization.timezone,
        clock=app.clock,
    )
    files = site.static_files(app, templates, now=app.clock.now())
    for path, file in files.items():
        target = out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(file.content)
    (out / "static").mkdir(exist_ok=True)
    shutil.copy2(STATIC / "candor.css", out / "static" / "candor.css")
    (out / MARKER).write_text("Written by `candor advisory publish-dir`.\n", encoding="utf-8")
    count = sum(1 for p in files if p.endswith(".json") and "/white/" in p)
    err.print(f"Wrote {len(files) + 1} files to {out} ({count} public CSAF document(s)).")


def _prepare(out: Path) -> None:
    """OUT must be new or empty, or an earlier output (replaced whole, so nothing withdrawn from
    the public, like an advisory re-labelled AMBER, survives in it)."""
    if not out.exists():
        out.mkdir(parents=True)
        return
    if not out.is_dir():
        raise InvalidInput(Problem("is not a directory", field=str(out)))
    entries = list(out.iterdir())
    if not entries:
        return
    if not (out / MARKER).exists():
        raise InvalidInput(
            Problem(
                "is not empty and was not written by publish-dir",
                field=str(out),
                hint="name a new directory; an earlier output is replaced",
            )
        )
    for entry in entries:
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def register(app: typer.Typer) -> None:
    app.command("list")(list_)
    app.command("show")(show)
    app.command("create")(create)
    app.command("edit")(edit)
    app.command("publish")(publish)
    app.command("discard")(discard)
    app.command("publish-dir")(publish_dir)
