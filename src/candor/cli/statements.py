"""``candor statements …`` (draft, review, publish, correct) and ``candor site build``."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from candor.cli.common import (
    INCIDENT_KEY,
    JSON_OPTION,
    actor,
    application,
    console,
    err,
    print_json,
)
from candor.domain.errors import InvalidInput, Problem
from candor.domain.statements import Statement
from candor.services import statement_delivery, statements
from candor.web.status_site import routes as status_routes
from candor.web.status_site import site
from candor.web.templating import Templates

app = typer.Typer(no_args_is_help=True)
site_app = typer.Typer(no_args_is_help=True)

MARKER = ".candor-site"  # written into a site build, so a rerun may replace it

NUMBER = typer.Argument(
    ..., help="The statement's number within the incident (`candor statements list KEY`)."
)
BODY_HELP = "The text, in Markdown."
BODY_FILE_HELP = "Read the text (Markdown, UTF-8) from this file instead of --body."


def _body(body: str | None, body_file: Path | None, *, required: bool = True) -> str | None:
    if body is not None and body_file is not None:
        raise InvalidInput(Problem("give --body or --body-file, not both", field="--body"))
    if body_file is not None:
        try:
            return body_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidInput(Problem(f"cannot read: {exc}", file=str(body_file))) from None
    if body is None and required:
        raise InvalidInput(Problem("give the text with --body or --body-file", field="--body"))
    return body


def _summary(s: Statement) -> str:
    extra = f", next: {s.next_step}" if s.next_step else ""
    return f"statement #{s.number} ({s.kind.value} to {s.audience.value}) is {s.state.value}{extra}"


@app.command("list")
def list_(key: str = INCIDENT_KEY, json: bool = JSON_OPTION) -> None:
    """List an incident's statements with their state."""
    view = statements.statements(application().context, actor(), key)
    if json:
        print_json([s.as_dict() for s in view.statements])
        return
    table = Table("#", "Kind", "Audience", "Title", "State", "Published")
    for s in view.statements:
        audience = s.audience.value + (f" {s.audience_ref}" if s.audience_ref else "")
        state = s.state.value + (f" (next: {s.next_step})" if s.next_step else "")
        published = s.published_at.isoformat() if s.published_at else ""
        table.add_row(str(s.number), s.kind.value, audience, s.title, state, published)
    console.print(table)


@app.command("show")
def show(key: str = INCIDENT_KEY, number: int = NUMBER, json: bool = JSON_OPTION) -> None:
    """Show one statement: text, reviews, required content, publication and hash."""
    _, s = statements.get(application().context, actor(), key, number)
    if json:
        print_json(s.as_dict())
        return
    out = [f"# {s.title}", "", _summary(s), f"channels: {', '.join(c.value for c in s.channels)}"]
    if s.corrects:
        out.append(f"corrects statement #{s.corrects}: {s.correction_note}")
    if s.published_at:
        out.append(f"published {s.published_at.isoformat()} by {s.published_by}")
        out.append(f"SHA-256 {s.content_hash}")
        counts = statement_delivery.delivery_status(application().context, actor(), key, number)
        sent = ", ".join(f"{n} {state.value}" for state, n in counts.items() if n)
        out.append(f"delivery: {sent or 'no message queued'}")
    out += ["", s.body]
    if s.elements:
        out.append("Required content:")
        for e in s.elements:
            mark = "x" if e.done else " "
            value = "not yet known — will be provided in phases" if e.deferred else e.text
            out.append(f"  [{mark}] {e.name}: {value}")
    for r in s.reviews:
        out.append(f"review {r.round}: {r.step} {r.by} {r.decision.value} {r.comment}".rstrip())
    console.print("\n".join(out), markup=False)


@app.command("draft")
def draft(
    key: str = INCIDENT_KEY,
    audience: str = typer.Option(
        ..., help="internal, all_customers, affected_customers, customer, regulator or public."
    ),
    channel: list[str] = typer.Option(
        ..., "--channel", help="status_site, email or webhook (repeatable)."
    ),
    kind: str = typer.Option(
        "update",
        help="acknowledgement, update, resolution, customer_notice, credential_rotation, "
        "regulator_notice.",
    ),
    to: str = typer.Option("", "--to", help="The customer, or the obligation (#3 or rule id)."),
    title: str | None = typer.Option(None, help="Title (not with --template)."),
    body: str | None = typer.Option(None, help=BODY_HELP + " Not with --template."),
    body_file: Path | None = typer.Option(None, help=BODY_FILE_HELP),
    template: str | None = typer.Option(
        None, help="Write it from a template and the impact statement (see `templates`)."
    ),
    credentials: Path | None = typer.Option(
        None,
        help="credential_rotation: YAML list of {type: secret type id, masked: shown part}.",
    ),
) -> None:
    """Draft a statement, by hand or from a template."""
    app_ = application()
    if template is not None:
        creds: list[Any] = []
        if credentials is not None:
            from candor.adapters import yamlfile

            data = yamlfile.load(credentials).data or []
            if not isinstance(data, list):
                raise InvalidInput(
                    Problem("expected a list of {type, masked}", file=str(credentials), line=1)
                )
            creds = data
        s = statements.draft_from_template(
            app_.context,
            actor(),
            key,
            template=template,
            audience=audience,
            audience_ref=to,
            channels=channel,
            credentials=creds,
        )
    else:
        if title is None:
            raise InvalidInput(Problem("give a --title (or a --template)", field="--title"))
        text = _body(body, body_file)
        s = statements.draft(
            app_.context,
            actor(),
            key,
            kind=kind,
            audience=audience,
            audience_ref=to,
            channels=channel,
            title=title,
            body=text or "",
        )
    console.print(f"{key.upper()}: {_summary(s)}.", markup=False)


@app.command("edit")
def edit(
    key: str = INCIDENT_KEY,
    number: int = NUMBER,
    title: str | None = typer.Option(None, help="A new title. Unset: unchanged."),
    body: str | None = typer.Option(None, help=BODY_HELP + " Unset: unchanged."),
    body_file: Path | None = typer.Option(None, help=BODY_FILE_HELP),
    fill: list[str] = typer.Option(
        [], "--fill", help='Required content: "ELEMENT=text" (repeatable).'
    ),
    later: list[str] = typer.Option(
        [], "--later", help="Mark required ELEMENT as to be provided in phases (repeatable)."
    ),
) -> None:
    """Change a draft (title, text, required content)."""
    elements: dict[str, dict[str, Any]] = {}
    for item in fill:
        name, sep, value = item.partition("=")
        if not sep:
            raise InvalidInput(Problem('expected "ELEMENT=text"', field="--fill"))
        elements[name.strip()] = {"text": value, "deferred": False}
    for name in later:
        elements[name.strip()] = {"text": "", "deferred": True}
    s = statements.edit(
        application().context,
        actor(),
        key,
        number,
        title=title,
        body=_body(body, body_file, required=False),
        elements=elements or None,
    )
    console.print(f"{key.upper()}: {_summary(s)}.", markup=False)


@app.command("submit")
def submit(key: str = INCIDENT_KEY, number: int = NUMBER) -> None:
    """Send a draft to the review chain."""
    s = statements.submit(application().context, actor(), key, number)
    console.print(f"{key.upper()}: {_summary(s)}.", markup=False)


@app.command("approve")
def approve(
    key: str = INCIDENT_KEY,
    number: int = NUMBER,
    comment: str = typer.Option("", help="A note for the author and the next reviewer."),
) -> None:
    """Approve as the reviewer whose turn it is."""
    s = statements.approve(application().context, actor(), key, number, comment=comment)
    console.print(f"{key.upper()}: {_summary(s)}.", markup=False)


@app.command("request-changes")
def request_changes(
    key: str = INCIDENT_KEY,
    number: int = NUMBER,
    comment: str = typer.Option(..., help="What to change, and why; the author sees it."),
) -> None:
    """Send a statement back to its author with a comment."""
    s = statements.request_changes(application().context, actor(), key, number, comment=comment)
    console.print(f"{key.upper()}: {_summary(s)}.", markup=False)


@app.command("withdraw")
def withdraw(
    key: str = INCIDENT_KEY,
    number: int = NUMBER,
    reason: str = typer.Option(
        ..., help="Why it will not be published, e.g. 'superseded by #4'; kept on the record."
    ),
) -> None:
    """Withdraw a statement that was never published."""
    s = statements.withdraw(application().context, actor(), key, number, reason=reason)
    console.print(f"{key.upper()}: {_summary(s)}.", markup=False)


@app.command("publish")
def publish(key: str = INCIDENT_KEY, number: int = NUMBER) -> None:
    """Publish an approved statement now (communications lead or delegate)."""
    s = statements.publish(application().context, actor(), key, number)
    console.print(
        f"{key.upper()}: statement #{s.number} published {s.published_at} "
        f"(SHA-256 {s.content_hash}).",
        markup=False,
    )


@app.command("correct")
def correct(
    key: str = INCIDENT_KEY,
    number: int = typer.Argument(..., help="The published statement to correct."),
    what_was_wrong: str = typer.Option(..., help="What the statement got wrong."),
    title: str = typer.Option("Correction", help="The correction's title."),
    body: str | None = typer.Option(
        None, help=BODY_HELP + " What is true now; shown beside the corrected statement."
    ),
    body_file: Path | None = typer.Option(None, help=BODY_FILE_HELP),
) -> None:
    """Draft a correction of a published statement (reviewed and published like any other)."""
    s = statements.correct(
        application().context,
        actor(),
        key,
        number,
        title=title,
        body=_body(body, body_file) or "",
        what_was_wrong=what_was_wrong,
    )
    console.print(f"{key.upper()}: {_summary(s)}, correcting #{number}.", markup=False)


@app.command("delegate")
def delegate(
    key: str = INCIDENT_KEY,
    username: str = typer.Argument(..., help="User name of the person who may publish."),
    remove: bool = typer.Option(
        False, "--remove", help="Take the permission away instead of giving it."
    ),
) -> None:
    """As communications lead, name (or remove) someone who may publish for you."""
    statements.set_delegate(application().context, actor(), key, username, on=not remove)
    console.print(
        f"{key.upper()}: {username} {'no longer publishes' if remove else 'may publish'}.",
        markup=False,
    )


@app.command("templates")
def templates() -> None:
    """List the statement templates and where each comes from."""
    comms = application().comms
    if comms.templates is None:
        return
    from candor.adapters.statement_templates import JinjaStatementTemplates

    found = comms.templates
    for name in found.names():
        where = found.source(name) if isinstance(found, JinjaStatementTemplates) else ""
        console.print(f"{name}\t{where}", markup=False)


@site_app.command("build")
def build(
    out: Path = typer.Argument(..., help="An empty or absent directory (or an earlier build)."),
    site_url: str | None = typer.Option(
        None, help="Where the copy is hosted (feeds link to it); default: web.public_url."
    ),
) -> None:
    """Write the public status site as static files: index, incident pages, Atom and JSON
    feeds, stylesheet. Host OUT at the root of a web server kept apart from Candor."""
    app_ = application()
    templates = Templates(
        organization=app_.settings.organization.name,
        timezone=app_.settings.organization.timezone,
        clock=app_.clock,
    )
    files = site.static_files(
        status_routes.content(app_),
        templates,
        public_url=app_.settings.web.public_url,
        site_url=site_url,
    )
    # only now that the new build exists: a failure above leaves the earlier build in place
    _prepare(out)
    for path, file in files.items():
        target = out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(file.content)
    (out / MARKER).write_text("Written by `candor site build`.\n", encoding="utf-8")
    pages = sum(1 for p in files if p.startswith("incidents/"))
    err.print(f"Wrote {len(files)} files to {out} ({pages} incident page(s)).")


def _prepare(out: Path) -> None:
    """OUT must be new or empty, or an earlier build (replaced whole)."""
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
                "is not empty and was not written by `candor site build`",
                field=str(out),
                hint="name a new directory; an earlier build is replaced",
            )
        )
    for entry in entries:
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
