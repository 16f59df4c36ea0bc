"""Retros, action items, metrics and indicators as JSON-ready data, for the API and the CLI."""

from __future__ import annotations

from typing import Any

from candor.domain.metrics import IncidentMetrics
from candor.domain.retros import ActionItem, Retro, Review
from candor.services import export
from candor.services.learn_metrics import Overview
from candor.services.ports_learn import StoredIndicator, with_learn
from candor.services.retros import ActionRow, RetroView
from candor.services.views import instant


def action_item(item: ActionItem) -> dict[str, Any]:
    return {
        "seq": item.seq,
        "title": item.title,
        "kind": item.kind.value,
        "owner": item.owner,
        "due_on": item.due_on.isoformat() if item.due_on else None,
        "status": item.status.value,
        "tracker_url": item.tracker_url,
    }


def review(found: Review | None) -> dict[str, Any] | None:
    if found is None:
        return None
    return {
        "nudges": [{"code": n.code, "chain": n.chain, "message": n.message} for n in found.nudges],
        "hints": [
            {"code": h.code, "field": h.field, "text": h.text, "message": h.message}
            for h in found.hints
        ],
    }


def retro(item: Retro) -> dict[str, Any]:
    return {
        "incident": item.incident_key,
        "status": item.status.value,
        "created_at": instant(item.created_at),
        "created_by": item.created_by,
        "updated_at": instant(item.updated_at),
        "published_at": instant(item.published_at),
        "summary": item.summary,
        "impact": item.impact,
        "timeline": [
            {
                "at": instant(t.at),
                "text": t.text,
                "milestone": t.milestone.value if t.milestone else None,
                "entry": t.entry,
            }
            for t in item.timeline
        ],
        "went_well": list(item.went_well),
        "went_poorly": list(item.went_poorly),
        "lucky": list(item.lucky),
        "chains": [
            {
                "problem": c.problem,
                "steps": [{"why": s.why, "because": s.because} for s in c.steps],
                "root_cause": c.root_cause,
            }
            for c in item.chains
        ],
        "contributing_factors": list(item.contributing_factors),
        "action_items": [action_item(a) for a in item.action_items],
        "status_history": [
            {"status": s.value, "at": instant(at), "by": by} for s, at, by in item.status_history
        ],
    }


def retro_view(view: RetroView) -> dict[str, Any]:
    if view.retro is None:
        return {"incident": view.incident.key, "retro": None, "version": None}
    return {
        "incident": view.incident.key,
        "version": view.version,
        "retro": retro(view.retro),
        "review": review(view.review),
    }


def action_row(row: ActionRow) -> dict[str, Any]:
    return {
        "incident": row.incident.key,
        **action_item(row.item),
        "overdue": row.overdue,
        "days_overdue": row.days_overdue,
    }


def metrics(found: IncidentMetrics) -> dict[str, Any]:
    return {
        "incident": found.key,
        "exercise": found.exercise,
        "times": {
            m.value: {
                "from": instant(s.start),
                "to": instant(s.end),
                "seconds": int(s.duration.total_seconds()),
            }
            for m, s in found.spans.items()
        },
        "obligations": [
            {
                "name": o.name,
                "recipient": o.recipient,
                "state": o.state.value,
                "deadline": instant(o.deadline),
                "filed_at": instant(o.filed_at),
                "margin_seconds": int(o.margin.total_seconds()) if o.margin is not None else None,
            }
            for o in found.obligations
        ],
    }


def overview(found: Overview) -> dict[str, Any]:
    return {
        "include_exercises": found.include_exercises,
        "incidents": [metrics(m) for m in found.incidents],
        "summaries": [
            {
                "measure": s.measure.value,
                "count": s.count,
                "median_seconds": int(s.median.total_seconds()),
                "p90_seconds": int(s.p90.total_seconds()),
            }
            for s in found.summaries
        ],
        "overdue_action_items": [
            {"incident": o.incident_key, **action_item(o.item), "days_overdue": o.days_overdue}
            for o in found.overdue
        ],
        "recurring_root_causes": [
            {"cause": r.cause, "examples": list(r.examples), "incidents": list(r.incident_keys)}
            for r in found.recurring
        ],
    }


def indicator(stored: StoredIndicator) -> dict[str, Any]:
    i = stored.indicator
    return {
        "seq": stored.seq,
        "type": i.type.value,
        "value": i.value,
        "tlp": i.tlp.value,
        "source": i.source.value,
        "description": i.description,
        "first_seen": instant(i.first_seen),
        "last_seen": instant(i.last_seen),
        "sightings": i.sightings,
        "added_at": instant(stored.added_at),
        "added_by": stored.added_by,
    }


def _export_retro(r: export.Request) -> Any:
    """The retro with its five-whys chains and action items, or None before it is started."""
    if getattr(r.uow, "retros", None) is None:
        return None
    found = with_learn(r.uow).retros.get(r.incident.id)
    return None if found is None else {**retro(found.retro), "version": found.version}


def _export_sharing(r: export.Request) -> Any:
    """The indicators kept for sharing and the VERIS classification."""
    if getattr(r.uow, "shared_indicators", None) is None:
        return None
    uow = with_learn(r.uow)
    return {
        "indicators": [indicator(i) for i in uow.shared_indicators.list(r.incident.id)],
        "veris": uow.veris.get(r.incident.id),
    }


export.register_exporter("retro", _export_retro)
export.register_exporter("sharing", _export_sharing)
