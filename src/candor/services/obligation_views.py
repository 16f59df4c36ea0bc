"""Plain, JSON-ready views of obligations in an incident, with the names the API, the CLI's
``--json`` and the facts file share. Changing a name is a breaking change (CHANGELOG)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from candor.domain.obligations.incident_facts import FactsVersion
from candor.domain.obligations.reconcile import ObligationChange
from candor.domain.obligations.reminders import left
from candor.domain.obligations.results import DISCLAIMER, iso_utc
from candor.domain.obligations.tracking import TrackedObligation
from candor.services import export
from candor.services.obligations import Overview, Upcoming
from candor.services.ports_obligations import tracked


def _local(moment: datetime, zone: str) -> dict[str, str]:
    return {"zone": zone, "time": moment.astimezone(ZoneInfo(zone)).isoformat(timespec="minutes")}


def obligation(ob: TrackedObligation, *, now: datetime, org_zone: str) -> dict[str, Any]:
    c = ob.computed
    deadline = c.deadline
    out: dict[str, Any] = {
        "seq": ob.seq,
        "rule_id": c.rule_id,
        "jurisdiction": c.jurisdiction,
        "kind": c.kind,
        "regime": c.regime,
        "recipient_category": c.recipient_category,
        "recipient": c.recipient,
        "status": c.status.value,
        "deadline": iso_utc(deadline),
        "deadline_local": {
            "organization": _local(deadline, org_zone),
            "jurisdiction": _local(deadline, c.zone),
        }
        if deadline
        else None,
        "time_left": left(deadline, now) if deadline else None,
        "deadline_rule": c.deadline_rule,
        "trigger": {"name": c.trigger, "at": iso_utc(c.trigger_at)},
        "citation": c.citation,
        "law": c.law,
        "verified": c.verified,
        "unverified": list(c.unverified),
        "last_reviewed": c.last_reviewed.isoformat(),
        "rule_effective_from": c.rule_effective_from.isoformat() if c.rule_effective_from else None,
        "active": ob.active,
        "removed_reason": ob.removed_reason or None,
        "tracking": ob.state.value,
        "overdue": ob.overdue(now),
        "filing": None,
        "determination": None,
        "first_computed_at": iso_utc(ob.first_computed_at),
        "detail": dict(c.detail),
    }
    if ob.filing:
        f = ob.filing
        out["filing"] = {
            "filed_at": iso_utc(f.at),
            "by": f.by,
            "reference": f.reference,
            "attachment": f.attachment or None,
            "recorded_at": iso_utc(f.recorded_at),
        }
    if ob.determination:
        d = ob.determination
        out["determination"] = {
            "text": d.text,
            "proposed_by": d.proposed_by,
            "proposed_at": iso_utc(d.proposed_at),
            "approved_by": d.approved_by,
            "approved_at": iso_utc(d.approved_at),
            "rejected_by": d.rejected_by,
            "rejected_at": iso_utc(d.rejected_at),
            "rejection": d.rejection or None,
        }
    return out


def facts_version(version: FactsVersion) -> dict[str, Any]:
    return {
        "version": version.version,
        "recorded_at": iso_utc(version.recorded_at),
        "recorded_by": version.recorded_by,
        "reason": version.reason,
        "facts": {
            k: {"value": f.value, "source": f.source.value} for k, f in version.facts.items()
        },
        "changes": [
            {"key": c.key, "before": c.before, "after": c.after, "source": c.source.value}
            for c in version.changes
        ],
    }


def change(item: ObligationChange) -> dict[str, Any]:
    return item.as_dict()


def overview(view: Overview, *, now: datetime) -> dict[str, Any]:
    zone = view.profile.timezone
    reviews = sorted({o.computed.last_reviewed.isoformat() for o in view.obligations})
    return {
        "disclaimer": DISCLAIMER,
        "incident": view.incident.key,
        "organization_timezone": zone,
        "facts": facts_version(view.facts) if view.facts else None,
        "composed_facts": view.composed.document if view.composed else None,
        "sources": view.composed.sources if view.composed else {},
        "missing": view.missing,
        "stale": view.stale,
        "obligations": [obligation(o, now=now, org_zone=zone) for o in view.active],
        "no_longer_triggered": [obligation(o, now=now, org_zone=zone) for o in view.inactive],
        "determinations_needed": [
            {"kind": n.kind, "question": n.question, "obligations": list(n.obligations)}
            for n in view.needed
        ],
        "warnings": list(view.evaluation.warnings) if view.evaluation else [],
        "rules_last_reviewed": reviews,
    }


def upcoming(item: Upcoming, *, now: datetime, org_zone: str) -> dict[str, Any]:
    return {
        "incident": item.incident.key,
        "incident_title": item.incident.title,
        **obligation(item.obligation, now=now, org_zone=org_zone),
    }


def _export(r: export.Request) -> Any:
    """Every facts version, every obligation ever computed (those no longer triggered too)
    with its filing and counsel's determination, and the reminders sent. Times left and
    overdue flags are as of the export."""
    if getattr(r.uow, "obligations", None) is None:
        return None
    repo = tracked(r.uow).obligations
    zone = r.ctx.obligations.profile().timezone if r.ctx.obligations else "UTC"
    items = repo.of_incident(r.incident.id)
    return {
        "disclaimer": DISCLAIMER,
        "organization_timezone": zone,
        "facts_versions": [facts_version(v) for v in repo.facts_history(r.incident.id)],
        "obligations": [obligation(o, now=r.now, org_zone=zone) for o in items],
        "reminders": [
            {
                "obligation": next((o.seq for o in items if o.id == m.obligation_id), None),
                "mark": m.mark,
                "deadline": iso_utc(m.deadline),
                "emitted_at": iso_utc(m.emitted_at),
                "timeline_entry": m.entry,
            }
            for m in repo.reminders([o.id for o in items])
        ],
    }


export.register_exporter("obligations", _export)
