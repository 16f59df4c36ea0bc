"""Plain, JSON-ready views of advisories, with the field names the API and ``--json`` share."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from candor.domain.access import can_see
from candor.domain.advisory_dump import dump_advisory
from candor.domain.advisory_store import PublishedRevision, StoredAdvisory
from candor.services import export
from candor.services.advisories import AdvisoryView
from candor.services.ports_advisories import AdvisoryFilter, with_advisories
from candor.services.views import instant


def summary(s: StoredAdvisory) -> dict[str, Any]:
    a = s.advisory
    return {
        "id": s.key,
        "title": a.title,
        "status": a.status.value,
        "tlp": a.tlp.value,
        "cve_ids": list(a.cve_ids()),
        "version": s.version,
        "published_revision": s.published_number,
        "published_at": instant(s.published_at),
        "public": s.is_public,
        "pending_changes": s.pending_changes,
        "updated_at": instant(s.updated_at),
    }


def revision(key: str, r: PublishedRevision) -> dict[str, Any]:
    return {
        "ordinal": r.ordinal,
        "number": r.number,
        "date": instant(r.date),
        "summary": r.summary,
        "published_by": r.published_by,
        "tlp": r.tlp.value,
        "changes": list(r.changes),
        "documents": [
            {
                "name": d.name,
                "format": d.format,
                "sha256": d.sha256,
                "sha512": d.sha512,
                "url": f"/api/v1/advisories/{key}/revisions/{r.ordinal}/documents/{d.name}",
            }
            for d in r.documents
        ],
    }


def full(view: AdvisoryView) -> dict[str, Any]:
    """Everything one reader may see of an advisory; incidents hidden from them are counted,
    not named."""
    s = view.stored
    visible = tuple(i.key for i in view.incidents)
    return {
        **summary(s),
        "record": dump_advisory(replace(s.advisory, incidents=visible)),
        "incidents": list(visible),
        "hidden_incidents": view.hidden_incidents,
        "revisions": [revision(s.key, r) for r in view.revisions],
        "public_url": f"/advisories/public/{s.key}" if s.is_public else None,
        "created_at": instant(s.created_at),
        "created_by": s.created_by,
        "updated_by": s.updated_by,
    }


def _export(r: export.Request) -> Any:
    """The advisories that came out of the incident; of the other incidents each is linked to,
    only those the exporter may see are named."""
    if getattr(r.uow, "advisories", None) is None:
        return None
    found = with_advisories(r.uow).advisories.list(
        AdvisoryFilter(incident=r.incident.key, limit=10_000)
    )
    out = []
    for s in found:
        linked = [
            key
            for key in s.advisory.incidents
            if (other := r.uow.incidents.get(key)) is not None and can_see(r.actor, other)
        ]
        out.append({**summary(s), "incidents": linked})
    return out


export.register_exporter("advisories", _export)
