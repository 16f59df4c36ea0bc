"""Use cases of scope in an incident: mark systems compromised, attach log scans, and read what
follows (exposure, affected customers, credentials to rotate, contact readiness, substitute
notice).

Each change is one unit of work: the mark or scan, a ``scope`` timeline entry, an audit record,
and the obligations facts the new scope implies (source ``inventory``, or ``scoping`` when a scan
narrowed them), with the obligations recomputed, all in the same transaction.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from candor.domain import scan_summary, timeline
from candor.domain.access import Actor, require_write
from candor.domain.audit import AuditDraft
from candor.domain.errors import InvalidInput, NotFound, Problem
from candor.domain.incidents import Incident
from candor.domain.inventory_scope import (
    AffectedCustomer,
    Compromise,
    Exposure,
    Mark,
    ScanEvidence,
    derive,
)
from candor.domain.obligations.incident_facts import FactSource
from candor.domain.retention import REDACTED_BODY
from candor.domain.scan_summary import AttachedScan
from candor.domain.secrets import Catalogue
from candor.domain.timeline import EntryKind
from candor.services import export, impact, incidents, retention
from candor.services import obligations as obligation_service
from candor.services.context import Context
from candor.services.inventory import catalogue_of
from candor.services.ports import UnitOfWork
from candor.services.ports_impact import with_impact
from candor.services.ports_inventory import InventoryUnitOfWork, with_inventory
from candor.services.ports_obligations import tracked

NOTE_MAX = 1_000
LABEL_MAX = 200


@dataclass(frozen=True, slots=True)
class Substitute:
    """An obligation of the incident whose rule allows substitute notice."""

    rule_id: str
    jurisdiction: str
    recipient: str
    available: bool | None
    reason: str
    conditions: str


@dataclass(frozen=True, slots=True)
class ScopeView:
    incident: Incident
    systems: tuple[str, ...]  # every system in the inventory, for the form
    exposure: Exposure
    scans: tuple[AttachedScan, ...]
    substitute: tuple[Substitute, ...] = ()


def _exposure(
    uow: InventoryUnitOfWork, incident: Incident, catalogue: Catalogue
) -> tuple[Exposure, list[AttachedScan]]:
    inventory = uow.inventory.load()
    scans = uow.inventory.scans(incident.id)
    exposure = derive(
        inventory,
        uow.inventory.customers(),
        uow.inventory.marks(incident.id),
        [ScanEvidence(s.number, s.key_hashes) for s in scans],
        catalogue,
    )
    return exposure, scans


def _record_facts(
    ctx: Context, uow: UnitOfWork, actor: Actor, incident: Incident, exposure: Exposure,
    now: datetime, reason: str,
) -> None:  # fmt: skip
    """Record what the scope implies, leaving alone facts a person entered that scope would
    only remove (nothing compromised any more)."""
    if ctx.obligations is None or not hasattr(uow, "obligations"):
        return
    ob = tracked(uow)
    current = ob.obligations.latest_facts(incident.id)
    entered = current.facts if current else {}
    changes: dict[str, object] = {}
    for key, value in exposure.facts().items():
        old = entered.get(key)
        if value is None and (old is None or old.source is FactSource.MANUAL):
            continue
        changes[key] = value
    if not changes:
        return
    source = FactSource.SCOPING if exposure.narrowed else FactSource.INVENTORY
    obligation_service.record_facts_in(
        ctx, ob, actor, incident, changes, source=source, reason=reason, now=now
    )


def mark_system(
    ctx: Context,
    actor: Actor,
    key: str,
    system: str,
    status: Compromise | str,
    *,
    note: str = "",
) -> Exposure:
    now = ctx.clock.now()
    try:
        status = Compromise(str(status).strip().lower())
    except ValueError:
        allowed = ", ".join(c.value for c in Compromise)
        raise InvalidInput(
            Problem(f"unknown status {status!r}; allowed: {allowed}", field="status")
        ) from None
    note = " ".join(note.split())
    if len(note) > NOTE_MAX:
        raise InvalidInput(Problem(f"at most {NOTE_MAX} characters", field="note"))
    catalogue = catalogue_of(ctx)
    with ctx.uow(write=True) as raw:
        uow = with_inventory(raw)
        incident = incidents.load(uow, actor, key)
        require_write(actor, incident)
        names = [s.name for s in uow.inventory.load().systems]
        name = system.strip().lower()
        if name not in names:
            raise InvalidInput(
                Problem(
                    f"no system {system!r} in the inventory",
                    field="system",
                    hint=f"known: {', '.join(names)}" if names else "import an inventory first",
                )
            )
        before = {m.system: m.status for m in uow.inventory.marks(incident.id)}
        if before.get(name) is status:
            raise InvalidInput(Problem(f"{name} is already marked {status.value}", field="status"))
        mark = Mark(name, status, actor.username, now, note)
        seq = uow.inventory.add_mark(incident.id, mark)
        exposure, _ = _exposure(uow, incident, catalogue)
        was = before.get(name)
        body = f"System {name} marked {status.value}" + (f" (was {was.value})" if was else "")
        body += f". {_summary(exposure)}"
        if note:
            body += f" Note: {note}"
        uow.timeline.append(
            incident.id,
            timeline.draft(
                kind=EntryKind.SCOPE,
                author=actor.username,
                occurred_at=now,
                body=body,
                data={"system": name, "status": status.value, "mark": seq},
            ),
            recorded_at=now,
        )
        uow.audit.append(
            AuditDraft(
                at=now,
                actor=actor.username,
                action="scope.mark",
                target_type="system",
                target_id=name,
                incident_key=incident.key,
                before={"status": was.value} if was else None,
                after={"status": status.value, "note": note},
                detail=note,
            )
        )
        _record_facts(ctx, raw, actor, incident, exposure, now, f"{name} marked {status.value}")
        uow.commit()
    return exposure


def refresh(ctx: Context, actor: Actor, key: str) -> Exposure:
    """Derive the scope again from the current inventory (after an import changed it) and record
    the obligations facts that changed; a timeline entry says so."""
    now = ctx.clock.now()
    catalogue = catalogue_of(ctx)
    with ctx.uow(write=True) as raw:
        uow = with_inventory(raw)
        incident = incidents.load(uow, actor, key)
        require_write(actor, incident)
        exposure, _ = _exposure(uow, incident, catalogue)
        if not exposure.marks:
            raise InvalidInput(Problem(f"no system is marked in {incident.key} yet", field="key"))
        uow.timeline.append(
            incident.id,
            timeline.draft(
                kind=EntryKind.SCOPE,
                author=actor.username,
                occurred_at=now,
                body=f"Scope derived again from the current inventory. {_summary(exposure)}",
                data={"refresh": True},
            ),
            recorded_at=now,
        )
        uow.audit.append(
            AuditDraft(
                at=now,
                actor=actor.username,
                action="scope.refresh",
                target_type="incident",
                target_id=str(incident.id),
                incident_key=incident.key,
                after={"customers": [c.customer.external_id for c in exposure.customers]},
            )
        )
        _record_facts(ctx, raw, actor, incident, exposure, now, "inventory changed")
        uow.commit()
    return exposure


def _summary(exposure: Exposure) -> str:
    people = sum(exposure.people.values())
    bound = sum(exposure.people_upper_bound.values())
    counted = f"{people:,} people" + (f" (upper bound {bound:,})" if people != bound else "")
    creds = sum(len(c.credentials) for c in exposure.exposed_customers)
    return (
        f"Now {len(exposure.compromised)} system(s) in scope: {counted}, "
        f"{len(exposure.customers)} affected customer(s), {creds} credential(s) to rotate."
    )


def view(ctx: Context, actor: Actor, key: str) -> ScopeView:
    catalogue = catalogue_of(ctx)
    with ctx.uow() as raw:
        uow = with_inventory(raw)
        incident = incidents.load(uow, actor, key)
        exposure, scans = _exposure(uow, incident, catalogue)
        systems = tuple(s.name for s in uow.inventory.load().systems)
        substitute: tuple[Substitute, ...] = ()
        # substitute notice only matters once something is in scope; evaluating the rules on
        # every incident page view otherwise would be wasted work
        if exposure.compromised and ctx.obligations is not None and hasattr(raw, "obligations"):
            overview = obligation_service.overview_in(ctx, tracked(raw), incident)
            if overview.evaluation is not None:
                substitute = tuple(
                    Substitute(
                        f.rule.id,
                        f.jurisdiction,
                        f.rule.recipient,
                        f.substitute.available,
                        f.substitute.reason,
                        f.substitute.conditions,
                    )
                    for f in overview.evaluation.obligations
                    if f.substitute is not None
                )
    return ScopeView(incident, systems, exposure, tuple(scans), substitute)


def affected_customers(
    source: Context | UnitOfWork,
    incident: Incident,
    *,
    catalogue: Catalogue | None = None,
) -> list[AffectedCustomer]:
    """The customers an incident affects, each with its reachable contacts and the credentials
    it must rotate: what per-customer notices are written from.

    ``source`` is a context (a read transaction is opened) or the caller's unit of work; the
    caller has already loaded ``incident`` with its access checks. With a unit of work, pass the
    secret ``catalogue`` (rotation steps come from it)."""
    if isinstance(source, Context):
        cat = catalogue or catalogue_of(source)
        with source.uow() as raw:
            return list(_exposure(with_inventory(raw), incident, cat)[0].customers)
    if catalogue is None:
        raise TypeError("affected_customers(uow, …) needs catalogue=")
    return list(_exposure(with_inventory(source), incident, catalogue)[0].customers)


# ---- scans --------------------------------------------------------------------------------


def attach_scan(
    ctx: Context,
    actor: Actor,
    key: str,
    result: Any,
    *,
    file: str,
    label: str = "",
) -> AttachedScan:
    """Attach a scan result (``candor scope run --json``): stored summary, a timeline entry, key
    facts as findings for review, and the scope (and obligations facts) narrowed by the access
    keys it matched."""
    now = ctx.clock.now()
    summary = scan_summary.check(result, file=file)
    label = " ".join((label or file).split())[:LABEL_MAX]
    hashes = scan_summary.hashes(summary)
    catalogue = catalogue_of(ctx)
    with ctx.uow(write=True) as raw:
        uow = with_inventory(raw)
        incident = incidents.load(uow, actor, key)
        require_write(actor, incident)
        number = uow.inventory.add_scan(
            incident.id, label=label, by=actor.username, at=now, summary=summary, key_hashes=hashes
        )
        exposure, _ = _exposure(uow, incident, catalogue)
        used = [c.customer.external_id for c in exposure.exposed_customers if c.evidence]
        body = (
            f"Scan #{number} attached ({label}): {int(summary['events_matched']):,} of "
            f"{int(summary['events_scanned']):,} {summary.get('source', '')} events matched"
        )
        if used:
            body += f"; keys of {', '.join(used)} were used"
        uow.timeline.append(
            incident.id,
            timeline.draft(
                kind=EntryKind.SCOPE,
                author=actor.username,
                occurred_at=now,
                body=body + ".",
                data={"scan": number, "customers_seen": used},
            ),
            recorded_at=now,
        )
        if hasattr(raw, "findings"):
            for text in scan_summary.key_facts(summary):
                impact.add_finding_in(
                    with_impact(raw),
                    actor,
                    incident,
                    id=ctx.new_id(),
                    summary=text,
                    source=f"scan #{number}",
                    now=now,
                )
        uow.audit.append(
            AuditDraft(
                at=now,
                actor=actor.username,
                action="scope.scan_attach",
                target_type="scan",
                target_id=f"{incident.key}/scan-{number}",
                incident_key=incident.key,
                after={
                    "label": label,
                    "events_matched": summary["events_matched"],
                    "keys_matched": len(hashes),
                    "customers_seen": used,
                },
                detail=label,
            )
        )
        _record_facts(ctx, raw, actor, incident, exposure, now, f"scan #{number} attached")
        uow.commit()
    return AttachedScan(number, label, actor.username, now, summary, hashes)


def scans(ctx: Context, actor: Actor, key: str) -> list[AttachedScan]:
    with ctx.uow() as raw:
        uow = with_inventory(raw)
        incident = incidents.load(uow, actor, key)
        return uow.inventory.scans(incident.id)


def scan(ctx: Context, actor: Actor, key: str, number: int) -> AttachedScan:
    found = next((s for s in scans(ctx, actor, key) if s.number == number), None)
    if found is None:
        raise NotFound(f"{key.strip().upper()} has no scan #{number}")
    return found


def scan_rows(found: AttachedScan) -> list[tuple[str, str, int, str, str, str]]:
    return scan_summary.rows(found.summary)


def summary_json(found: AttachedScan) -> Mapping[str, Any]:
    return {
        "number": found.number,
        "label": found.label,
        "attached_by": found.by,
        "attached_at": found.at.isoformat(),
        **found.summary,
    }


def scan_csv(found: AttachedScan) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(scan_summary.CSV_HEADER)
    writer.writerows(scan_rows(found))
    return buffer.getvalue()


def _export(r: export.Request) -> Any:
    """Every mark of a system (cleared ones too: the history of the scope) and every scan
    attached, with its summary and the SHA-256 of each access key it matched."""
    if getattr(r.uow, "inventory", None) is None:
        return None
    repo = with_inventory(r.uow).inventory
    return {
        "marks": [
            {
                "system": m.system,
                "status": m.status.value,
                "by": m.by,
                "at": m.at.isoformat(),
                "note": m.note,
            }
            for m in repo.marks(r.incident.id)
        ],
        "scans": [
            {**summary_json(found), "key_hashes": sorted(found.key_hashes)}
            for found in repo.scans(r.incident.id)
        ],
    }


def _personal_scans(base: UnitOfWork, incident: Incident) -> list[AttachedScan]:
    if getattr(base, "inventory", None) is None:  # a unit of work without the inventory tables
        return []
    scans = with_inventory(base).inventory.scans(incident.id)
    return [s for s in scans if scan_summary.personal(s)]


def _scrub(base: UnitOfWork, incident: Incident, marker: str) -> dict[str, int]:
    """Retention: see ``domain.scan_summary.scrubbed`` for what goes and what stays."""
    found = _personal_scans(base, incident)
    if getattr(base, "inventory", None) is None:
        return {}
    store = with_inventory(base).inventory
    for item in found:
        store.rewrite_scan(incident.id, scan_summary.scrubbed(item, marker))
    notes = store.scrub_mark_notes(incident.id, marker=marker)
    return {k: n for k, n in (("scans", len(found)), ("scope_notes", notes)) if n}


def _count(base: UnitOfWork, incident: Incident) -> dict[str, int]:
    if getattr(base, "inventory", None) is None:
        return {}
    notes = sum(
        1
        for m in with_inventory(base).inventory.marks(incident.id)
        if m.note and m.note != REDACTED_BODY
    )
    return {"scans": len(_personal_scans(base, incident)), "scope_notes": notes}


export.register_exporter("scope", _export)
retention.RETENTION_SCRUBBERS.append(_scrub)
retention.RETENTION_COUNTERS.append(_count)
