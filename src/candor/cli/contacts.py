"""``candor contact …``: the directory of outside help, retainers and notice terms."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from candor.adapters import contacts_file
from candor.cli.common import INCIDENT_KEY, JSON_OPTION, actor, application, console, print_json
from candor.cli.playbooks import find as find_playbook
from candor.domain.contacts import CATEGORY_DEFINITIONS, Category, Contact, snapshot
from candor.domain.errors import InvalidInput, Problem
from candor.services import contacts

app = typer.Typer(no_args_is_help=True)

HANDLE = typer.Argument(
    ..., help="The contact's short name, e.g. acme-law (`candor contact list`)."
)


def _day(value: str | None, *, field: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            Problem(f"not a date: {value!r}", field=field, hint="2027-06-30")
        ) from None


def _person(text: str) -> dict[str, str]:
    parts = [p.strip() for p in text.split("|")]
    keys = ("name", "role", "email", "phone")
    if len(parts) > len(keys):
        raise InvalidInput(
            Problem("too many parts", field="--person", hint="NAME|ROLE|EMAIL|PHONE")
        )
    return {k: v for k, v in zip(keys, parts, strict=False) if v}


@app.command("add")
def add(
    handle: str = typer.Argument(..., help="A short name, e.g. acme-law."),
    category: Category = typer.Option(
        ...,
        "--category",
        case_sensitive=False,
        help="What kind of help they give; `candor contact suggest` proposes contacts by it.",
    ),
    organisation: str = typer.Option(
        ..., "--organisation", "--organization", help="The firm or body, e.g. 'Acme Law LLP'."
    ),
    purpose: str = typer.Option("", "--purpose", help="What they are for, when to call."),
    person: list[str] = typer.Option(
        [], "--person", help="NAME|ROLE|EMAIL|PHONE (repeat for several people)."
    ),
    phone: str = typer.Option("", "--phone", help="Out-of-band phone (not through our systems)."),
    signal: str = typer.Option("", "--signal", help="Signal number or username."),
    pgp: str = typer.Option("", "--pgp", help="OpenPGP key fingerprint."),
    retainer: bool | None = typer.Option(
        None, "--retainer/--no-retainer", help="Whether a retainer is in place."
    ),
    retainer_number: str = typer.Option(
        "", "--retainer-number", help="The retainer's or policy's number, to quote when calling."
    ),
    retainer_hours: int | None = typer.Option(
        None, "--retainer-hours", min=0, help="Hours of work the retainer pre-pays."
    ),
    retainer_expires: str | None = typer.Option(None, "--retainer-expires", help="YYYY-MM-DD."),
    retainer_terms: str = typer.Option(
        "",
        "--retainer-terms",
        help="What the retainer covers and how to invoke it, e.g. 'response within 2 hours'.",
    ),
    notice_text: str | None = typer.Option(None, "--notice-text", help="Insurer's notice clause."),
    notice_hours: int | None = typer.Option(
        None,
        "--notice-hours",
        min=1,
        help="Within how many hours of learning of an incident the insurer must be told (from "
        "the policy's notice condition, e.g. 48). Insurers only.",
    ),
    portal: str = typer.Option("", "--portal", help="A regulator's filing portal (https)."),
    jurisdiction: str = typer.Option("", "--jurisdiction", help="e.g. IE, US-CA."),
    notes: str = typer.Option(
        "", "--notes", help="Anything else a responder should know before calling."
    ),
    verified_on: str | None = typer.Option(
        None, "--verified-on", help="YYYY-MM-DD, when the details were last checked."
    ),
    json: bool = JSON_OPTION,
) -> None:
    """Add a contact to the directory."""
    data: dict[str, Any] = {
        "category": category.value,
        "organisation": organisation,
        "purpose": purpose,
        "people": [_person(p) for p in person],
        "out_of_band": {"phone": phone, "signal": signal, "pgp_fingerprint": pgp},
        "portal_url": portal,
        "jurisdiction": jurisdiction,
        "notes": notes,
        "last_verified_on": verified_on,
    }
    if retainer is not None or retainer_number or retainer_hours is not None or retainer_expires:
        data["retainer"] = {
            "in_place": bool(retainer),
            "number": retainer_number,
            "hours": retainer_hours,
            "expires_on": retainer_expires,
            "terms": retainer_terms,
        }
    if notice_text is not None or notice_hours is not None:
        data["notice"] = {"text": notice_text, "hours": notice_hours}
    app_ = application()
    contact = contacts.add(app_.context, actor(), handle, data)
    if json:
        print_json(_view(contact, app_))
    else:
        console.print(f"Added {contact.handle} ({contact.category.value}).", markup=False)


def _view(contact: Contact, app_: Any) -> dict[str, Any]:
    return {**snapshot(contact), "stale": contact.is_stale(app_.clock.now())}


@app.command("list")
def list_(
    category: Category | None = typer.Option(
        None, "--category", case_sensitive=False, help="Only contacts of this kind."
    ),
    stale: bool = typer.Option(False, "--stale", help="Only entries not verified in 180 days."),
    json: bool = JSON_OPTION,
) -> None:
    """The directory, by category; stale entries are flagged."""
    app_ = application()
    now = app_.clock.now()
    items = contacts.list_contacts(app_.context, actor(), category=category, stale_only=stale)
    if json:
        print_json([_view(c, app_) for c in items])
        return
    if not items:
        console.print("No contacts." if not stale else "No stale contacts.")
        return
    table = Table("handle", "category", "organisation", "retainer", "verified", "")
    for c in items:
        r = c.details.retainer
        retainer = "yes" if r and r.active(now.date()) else ("expired" if r and r.in_place else "—")
        verified = c.details.last_verified_on.isoformat() if c.details.last_verified_on else "never"
        table.add_row(
            c.handle,
            c.category.value,
            c.details.organisation,
            retainer,
            verified,
            "STALE" if c.is_stale(now) else "",
        )
    console.print(table)


@app.command("show")
def show(handle: str = HANDLE, json: bool = JSON_OPTION) -> None:
    """One contact with its people, out-of-band reach and terms."""
    app_ = application()
    c = contacts.get(app_.context, actor(), handle)
    if json:
        print_json(_view(c, app_))
        return
    d = c.details
    out = [f"{c.handle}: {d.organisation} ({c.category.value})"]
    if c.is_stale(app_.clock.now()):
        out.append(
            "  STALE: not verified in the last 180 days — check it and run "
            f"`candor contact verify {c.handle}`"
        )
    out.append(f"  {d.purpose or CATEGORY_DEFINITIONS[c.category]}")
    for p in d.people:
        out.append("  - " + ", ".join(x for x in (p.name, p.role, p.email, p.phone) if x))
    oob = d.out_of_band
    if oob.any:
        reach = [
            f"phone {oob.phone}" if oob.phone else "",
            f"Signal {oob.signal}" if oob.signal else "",
            f"PGP {oob.pgp_fingerprint}" if oob.pgp_fingerprint else "",
        ]
        out.append("  Out of band: " + "; ".join(x for x in reach if x))
    if d.retainer:
        r = d.retainer
        state = "in place" if r.in_place else "not in place"
        parts = [
            state,
            f"no. {r.number}" if r.number else "",
            f"{r.hours} hours" if r.hours is not None else "",
            f"expires {r.expires_on}" if r.expires_on else "",
        ]
        out.append("  Retainer: " + ", ".join(x for x in parts if x))
        if r.terms:
            out.append(f"    {r.terms}")
    if d.notice:
        out.append(f"  Notice clause ({d.notice.hours} hours): {d.notice.text}")
    if d.portal_url:
        out.append(f"  Filing portal: {d.portal_url}")
    if d.jurisdiction:
        out.append(f"  Jurisdiction: {d.jurisdiction}")
    if d.notes:
        out.append(f"  Notes: {d.notes}")
    verified = d.last_verified_on.isoformat() if d.last_verified_on else "never"
    out.append(f"  Last verified: {verified}")
    console.print("\n".join(out), markup=False)


@app.command("verify")
def verify(
    handle: str = HANDLE,
    on: str | None = typer.Option(None, "--on", help="YYYY-MM-DD; default today."),
    note: str = typer.Option("", "--note", help="What was checked, with whom."),
) -> None:
    """Record that the contact's people, numbers and terms were checked."""
    app_ = application()
    c = contacts.verify(app_.context, actor(), handle, on=_day(on, field="--on"), note=note)
    console.print(f"{c.handle} verified on {c.details.last_verified_on}.")


@app.command("remove")
def remove(
    handle: str = HANDLE,
    reason: str = typer.Option("", "--reason", help="Why (kept in the audit log)."),
) -> None:
    """Remove a contact (its last details stay in the audit log)."""
    app_ = application()
    c = contacts.remove(app_.context, actor(), handle, reason=reason)
    console.print(f"Removed {c.handle}.")


@app.command("import")
def import_(
    file: Path = typer.Argument(
        ...,
        metavar="FILE.yaml",
        help="YAML with a list under `contacts:`, each entry a handle and the details of "
        "`candor contact add` (docs/prepare.md); an existing handle is updated.",
    ),
) -> None:
    """Add or update contacts from a YAML file; nothing is written unless all of it is valid."""
    entries = contacts_file.load(file)
    app_ = application()
    result = contacts.import_contacts(app_.context, actor(), entries)
    console.print(
        f"{len(result.added)} added, {len(result.updated)} updated, "
        f"{len(result.unchanged)} unchanged."
    )


@app.command("suggest")
def suggest(
    key: str = INCIDENT_KEY,
    playbook: str | None = typer.Option(None, "--playbook", help="Add the playbook's contacts."),
    json: bool = JSON_OPTION,
) -> None:
    """Whom to call for an incident, by its kind and severity, from the directory."""
    app_ = application()
    now = app_.clock.now()
    incident, items = contacts.suggested_for(
        app_.context, actor(), key, playbook=find_playbook(playbook) if playbook else None
    )
    if json:
        print_json(
            [
                {
                    "category": s.suggestion.category.value,
                    "why": s.suggestion.why,
                    "contacts": [
                        {
                            "handle": c.handle,
                            "organisation": c.details.organisation,
                            "stale": c.is_stale(now),
                        }
                        for c in s.contacts
                    ],
                }
                for s in items
            ]
        )
        return
    flag = " [EXERCISE]" if incident.exercise else ""
    console.print(f"{incident.key}{flag} ({incident.kind.value}, {incident.severity.value}):")
    if not items:
        console.print("  No outside contacts suggested for this kind and severity.")
    for s in items:
        console.print(f"  {s.suggestion.category.value}: {s.suggestion.why}", markup=False)
        if not s.contacts:
            console.print("      none in the directory — add one (`candor contact add`)")
        for c in s.contacts:
            stale = "  STALE" if c.is_stale(now) else ""
            console.print(f"      {c.handle}: {c.details.organisation}{stale}", markup=False)
