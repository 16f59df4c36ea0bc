"""Plain, JSON-ready views of records with stable field names.

The CLI's ``--json`` output and the REST API use these same names; changing one is a breaking
change and goes in the CHANGELOG.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from candor.domain import chain
from candor.domain.audit import AuditRecord
from candor.domain.incidents import Clock, Incident, warnings
from candor.domain.tasks import Task
from candor.domain.timeline import Entry
from candor.domain.vocabulary import Role


def instant(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def incident(item: Incident, *, now: datetime | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "key": item.key,
        "id": str(item.id),
        "title": item.title,
        "summary": item.summary,
        "kind": item.kind.value,
        "severity": item.severity.value,
        "confidentiality": item.confidentiality.value,
        "exercise": item.exercise,
        "phase": item.phase.value,
        "declared_at": instant(item.declared_at),
        "declared_by": item.declared_by,
        "closed_at": instant(item.closed_at),
        "clocks": {clock.value: instant(item.clocks.get(clock)) for clock in Clock},
        "roles": {role.value: person for role, person in sorted(item.roles.items())},
        "participants": sorted(item.participants),
        "phase_history": [
            {
                "phase": c.phase.value,
                "entered_at": instant(c.entered_at),
                "by": c.by,
                "reason": c.reason,
            }
            for c in item.phase_history
        ],
        "warnings": [{"code": w.code, "message": w.message} for w in warnings(item)],
        "version": item.version,
        "updated_at": instant(item.updated_at),
    }
    if now is not None:
        out["age_seconds"] = int((now - item.declared_at).total_seconds())
    return out


def incident_summary(item: Incident, *, now: datetime | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "key": item.key,
        "title": item.title,
        "kind": item.kind.value,
        "severity": item.severity.value,
        "phase": item.phase.value,
        "exercise": item.exercise,
        "confidentiality": item.confidentiality.value,
        "incident_lead": item.roles.get(Role.INCIDENT_LEAD),
        "declared_at": instant(item.declared_at),
        "version": item.version,
    }
    if now is not None:
        out["age_seconds"] = int((now - item.declared_at).total_seconds())
    return out


def task(item: Task) -> dict[str, Any]:
    return {
        "seq": item.seq,
        "id": str(item.id),
        "title": item.title,
        "owner": item.owner,
        "due_at": instant(item.due_at),
        "phase": item.phase.value if item.phase else None,
        "status": item.status.value,
        "created_at": instant(item.created_at),
        "created_by": item.created_by,
        "completed_at": instant(item.completed_at),
        "notes": item.notes,
        "source": item.source,
    }


def entry(item: Entry) -> dict[str, Any]:
    return {
        "seq": item.seq,
        "id": str(item.id),
        "kind": item.kind.value,
        "author": item.author,
        "occurred_at": instant(item.occurred_at),
        "recorded_at": instant(item.recorded_at),
        "body": item.body,
        "data": item.data,
        "corrects": item.corrects,
        "content_hash": item.content_hash,
        "prev_hash": item.prev_hash,
        "hash": item.hash,
    }


def verification(result: chain.Verification) -> dict[str, Any]:
    return {
        "ok": result.ok,
        "checked": result.checked,
        "head": result.head,
        "first_bad": None
        if result.first_bad is None
        else {
            "label": result.first_bad.label,
            "seq": result.first_bad.seq,
            "reason": result.first_bad.reason,
        },
        "redacted": [
            {"label": r.label, "seq": r.seq, "audit_seq": r.audit_seq} for r in result.redacted
        ],
    }


def redaction_lines(result: chain.Verification) -> list[str]:
    """How a verification reports entries removed under the retention policy, one line per
    purge: "12 entries redacted under retention policy (audit #5121)"."""
    by_audit: dict[int, int] = {}
    for item in result.redacted:
        by_audit[item.audit_seq] = by_audit.get(item.audit_seq, 0) + 1
    return [
        f"{count} {'entry' if count == 1 else 'entries'} redacted under retention policy "
        f"(audit #{seq})"
        for seq, count in sorted(by_audit.items())
    ]


def audit_record(item: AuditRecord) -> dict[str, Any]:
    return {
        "seq": item.seq,
        "at": instant(item.at),
        "actor": item.actor,
        "action": item.action,
        "target_type": item.target_type,
        "target_id": item.target_id,
        "incident_key": item.incident_key,
        "before": json.loads(item.before_json) if item.before_json else None,
        "after": json.loads(item.after_json) if item.after_json else None,
        "detail": item.detail,
        "hash": item.hash,
    }
