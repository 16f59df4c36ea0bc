"""``candor inventory …``, ``candor customers …``, and the incident side of ``candor scope``
(mark systems, attach scans, show the scope, export a scan)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from candor.adapters import inventory_file
from candor.cli.common import INCIDENT_KEY, JSON_OPTION, actor, application, console, print_json
from candor.cli.scope import app as scope_app
from candor.domain.errors import InvalidInput, Problem
from candor.domain.inventory_scope import Compromise, Exposure
from candor.services import inventory, scope

inventory_app = typer.Typer(no_args_is_help=True)
customers_app = typer.Typer(no_args_is_help=True)


def _imported(done: inventory.Imported, *, what: str) -> None:
    if what == "inventory":
        console.print(
            f"Inventory imported: {done.systems} system(s), {done.credentials} credential(s), "
            f"{done.code} shipped component(s)."
        )
    if done.customers_added or done.customers_updated:
        console.print(
            f"Customers: {len(done.customers_added)} added, {len(done.customers_updated)} updated."
        )
    elif what == "customers":
        console.print("Customers: nothing changed.")


@inventory_app.command("import")
def import_inventory(
    file: Path = typer.Argument(
        ...,
        metavar="FILE.yaml|FILE.csv",
        help="The whole inventory as YAML (systems, credentials, code, customers), or a CSV "
        "with one system per row (docs/inventory.md); it replaces what is there.",
    ),
) -> None:
    """Replace the inventory with FILE (YAML, or CSV of systems); all or nothing."""
    doc = inventory_file.load(file, kind="inventory")
    app = application()
    done = inventory.import_inventory(
        app.context, actor(), doc.data, file=doc.file, locate=doc.locate
    )
    _imported(done, what="inventory")


@inventory_app.command("show")
def show(json_: bool = JSON_OPTION) -> None:
    """Systems, the data they hold, customers' credentials we keep, and code we ship."""
    app = application()
    inv = inventory.show(app.context, actor())
    if json_:
        print_json(inv.as_dict())
        return
    if not inv.systems:
        console.print("The inventory is empty: candor inventory import FILE.yaml")
        return
    table = Table(
        "system", "owner", "env", "data elements", "records", "encrypted", title="Systems"
    )
    for s in inv.systems:
        records = ", ".join(
            f"{r.jurisdiction} {r.count:,}" + (f" ({r.customer})" if r.customer else "")
            for r in s.records
        )
        enc = "no"
        if s.encrypted_at_rest:
            enc = "yes, key: " + (s.key_system or s.key_location)
        table.add_row(
            s.name, s.owner, s.environment.value, ", ".join(s.data_elements), records, enc
        )
    console.print(table)
    if inv.credentials:
        creds = Table("customer", "type", "masked", "system", "label", title="Customers' secrets")
        for c in inv.credentials:
            creds.add_row(c.customer, c.type, c.masked, c.system, c.label)
        console.print(creds)
    if inv.code:
        code = Table("name", "kind", "version", "description", title="Code we ship")
        for item in inv.code:
            code.add_row(item.name, item.kind.value, item.version, item.description)
        console.print(code)


@customers_app.command("import")
def import_customers(
    file: Path = typer.Argument(
        ...,
        metavar="FILE.yaml|FILE.csv",
        help="YAML with a list under `customers:`, or a CSV with one contact per row, as "
        "`candor customers list --csv` writes (docs/inventory.md).",
    ),
) -> None:
    """Add or update customers and their contacts from FILE; all or nothing."""
    doc = inventory_file.load(file, kind="customers")
    app = application()
    done = inventory.import_customers(
        app.context, actor(), doc.data, file=doc.file, locate=doc.locate
    )
    _imported(done, what="customers")


@customers_app.command("list")
def list_customers(
    not_ready: bool = typer.Option(
        False, "--not-ready", help="Only customers without a verified, reachable address."
    ),
    csv_: bool = typer.Option(False, "--csv", help="Print a customers CSV (re-importable)."),
    json_: bool = JSON_OPTION,
) -> None:
    """Customers with their contacts and contact readiness."""
    app = application()
    everyone = inventory.customers(app.context, actor())
    shown = [c for c in everyone if not c.ready] if not_ready else everyone
    if json_:
        print_json([c.as_dict() for c in shown])
        return
    if csv_:
        console.print(inventory_file.dump_customers_csv([c.as_dict() for c in shown]), end="",
                      markup=False, soft_wrap=True)  # fmt: skip
        return
    table = Table("customer", "name", "tier", "jurisdictions", "contacts", "ready")
    for c in shown:
        contacts = "\n".join(
            f"{p.email} ({'verified' if p.verified else 'unverified'}"
            + (f", unreachable: {p.unreachable_reason}" if p.unreachable else "")
            + ")"
            for p in c.contacts
        )
        table.add_row(
            c.external_id, c.name, c.tier, ", ".join(c.jurisdictions), contacts,
            "yes" if c.ready else "NO",
        )  # fmt: skip
    console.print(table)
    ready = sum(1 for c in everyone if c.ready)
    if everyone:
        console.print(
            f"Contact readiness: {ready} of {len(everyone)} customers "
            f"({100 * ready / len(everyone):.0f}%) have a verified, reachable address."
        )


@customers_app.command("unreachable")
def unreachable(
    address: str = typer.Argument(..., help="The email address that bounced."),
    reason: str = typer.Option(..., "--reason", help="The bounce or why it cannot be used."),
) -> None:
    """Mark a contact address unreachable (as a bounce does)."""
    app = application()
    found = inventory.mark_unreachable(app.context, actor(), address, reason)
    console.print(f"{address.strip().lower()} marked unreachable for: {', '.join(found)}.")


# ---- candor scope … for an incident ----------------------------------------------------------


@scope_app.command("mark")
def mark(
    key: str = INCIDENT_KEY,
    system: str = typer.Argument(..., help="A system name from the inventory."),
    status: Compromise = typer.Option(
        ...,
        "--status",
        case_sensitive=False,
        help="confirmed or suspected compromised (both count in the scope), or cleared: looked "
        "at and not compromised.",
    ),
    note: str = typer.Option(
        "", "--note", help="The evidence or reasoning, e.g. 'GuardDuty finding 4f2a…'."
    ),
) -> None:
    """Mark a system confirmed or suspected compromised (or cleared) in an incident."""
    app = application()
    exposure = scope.mark_system(app.context, actor(), key, system, status, note=note)
    console.print(f"{key.upper()}: {system} marked {status.value}.")
    _show_exposure(exposure)


@scope_app.command("refresh")
def refresh(key: str = INCIDENT_KEY) -> None:
    """Derive the incident's scope again after the inventory changed; facts follow."""
    app = application()
    exposure = scope.refresh(app.context, actor(), key)
    console.print(f"{key.upper()}: scope derived again from the current inventory.")
    _show_exposure(exposure)


@scope_app.command("show")
def show_scope(key: str = INCIDENT_KEY, json_: bool = JSON_OPTION) -> None:
    """What the incident's scope exposes: data, people by jurisdiction, customers, keys."""
    app = application()
    found = scope.view(app.context, actor(), key)
    if json_:
        out: dict[str, Any] = found.exposure.as_dict()
        out["scans"] = [{"number": s.number, "label": s.label} for s in found.scans]
        out["substitute_notice"] = [
            {
                "rule": s.rule_id,
                "jurisdiction": s.jurisdiction,
                "available": s.available,
                "reason": s.reason,
                "conditions": s.conditions,
            }
            for s in found.substitute
        ]
        print_json(out)
        return
    _show_exposure(found.exposure)
    for s in found.substitute:
        if s.available:
            console.print(
                f"Substitute notice available for {s.rule_id} ({s.jurisdiction}): {s.reason}. "
                f"Conditions: {s.conditions}",
                markup=False,
            )


def _show_exposure(exposure: Exposure) -> None:
    if not exposure.compromised:
        console.print("No system is marked compromised.")
        return
    console.print(
        "Systems: "
        + ", ".join(f"{m.system} ({m.status.value})" for m in exposure.compromised)
        + "."
    )
    console.print("Data elements: " + (", ".join(exposure.data_elements) or "none recorded"))
    bound = exposure.people_upper_bound
    people = ", ".join(
        f"{place} {count:,}" + (f" (≤ {bound[place]:,})" if bound.get(place) != count else "")
        for place, count in exposure.people.items()
    )
    label = "People (narrowed by scans)" if exposure.narrowed else "People (upper bound)"
    console.print(f"{label}: {people or 'none'}")
    table = Table("customer", "evidence", "reachable", "credentials to rotate")
    for c in exposure.customers:
        table.add_row(
            c.customer.external_id,
            "key used" if c.evidence else "exposed",
            ", ".join(p.email for p in c.reachable_contacts) or "NO",
            "\n".join(
                f"{e.credential.masked} {e.type_name}" + (" (used)" if e.used else "")
                for e in c.credentials
            ),
        )
    console.print(table)


@scope_app.command("attach")
def attach(
    key: str = INCIDENT_KEY,
    file: Path = typer.Argument(..., metavar="RESULT.json", help="Output of scope run --json."),
    label: str = typer.Option(
        "",
        "--label",
        help="What was scanned, e.g. 'CloudTrail March 1-3'; shown in `candor scope scans`. "
        "Unset: the file name.",
    ),
) -> None:
    """Attach a saved scan result to an incident."""
    _, text = inventory_file.read(file)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            Problem(f"not JSON: {exc.msg}", file=str(file), line=exc.lineno, column=exc.colno)
        ) from None
    app = application()
    attached = scope.attach_scan(app.context, actor(), key, data, file=str(file), label=label)
    console.print(f"{key.upper()}: scan #{attached.number} attached.")


def attach_result(key: str, data: dict[str, Any], *, label: str) -> None:
    """``candor scope run … --incident`` attaches what it just scanned."""
    app = application()
    attached = scope.attach_scan(app.context, actor(), key, data, file=label, label=label)
    console.print(f"{key.upper()}: scan #{attached.number} attached.")


@scope_app.command("scans")
def scans(key: str = INCIDENT_KEY, json_: bool = JSON_OPTION) -> None:
    """Scans attached to an incident."""
    app = application()
    found = scope.scans(app.context, actor(), key)
    if json_:
        print_json([scope.summary_json(s) for s in found])
        return
    table = Table("#", "label", "attached", "scanned", "matched", "malformed")
    for s in found:
        table.add_row(
            str(s.number), s.label, f"{s.at:%Y-%m-%d %H:%M} by {s.by}",
            f"{int(s.summary['events_scanned']):,}", f"{int(s.summary['events_matched']):,}",
            f"{s.malformed:,}",
        )  # fmt: skip
    console.print(table)


@scope_app.command("export")
def export(
    key: str = INCIDENT_KEY,
    number: int = typer.Argument(..., metavar="SCAN", help="The scan's number."),
    fmt: str = typer.Option("csv", "--format", help="csv or json"),
    out: Path | None = typer.Option(None, "--out", help="Write to this file (default: stdout)."),
) -> None:
    """A scan's matched summary (indicators, accounts, source ips, principals, pivots)."""
    if fmt not in ("csv", "json"):
        raise InvalidInput(Problem("csv or json", field="--format"))
    app = application()
    found = scope.scan(app.context, actor(), key, number)
    text = (
        scope.scan_csv(found) if fmt == "csv" else json.dumps(scope.summary_json(found), indent=2)
    )
    if out is None:
        typer.echo(text, nl=fmt == "json")
    else:
        out.write_text(text if fmt == "csv" else text + "\n", "utf-8")
        console.print(f"Written {out}.")
