"""Use cases of internal status reports: draft one from the impact statement, edit and post it,
and say when the next one is due.

A draft is not stored: it is rebuilt from the current impact statement and findings each time.
The communications lead edits it (in the form, a file or the API) and posts it; the audit record
of the post keeps the draft beside what was posted, so every edit is visible.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from candor.domain import findings as fmodel
from candor.domain import timeline
from candor.domain.access import Actor, require_write
from candor.domain.audit import AuditDraft, AuditFilter
from candor.domain.errors import Conflict
from candor.domain.incidents import Incident
from candor.domain.status_report import (
    StatusReport,
    StatusSchedule,
    draft_status_report,
    status_schedule,
)
from candor.domain.timeline import EntryKind
from candor.services.context import Context
from candor.services.incidents import load
from candor.services.ports import IncidentFilter, UnitOfWork
from candor.services.ports_impact import with_impact

POSTED = "status_report.post"


@dataclass(frozen=True, slots=True)
class Edit:
    """The report as its editor rewrote it, and the impact statement version the draft they
    started from was built on (None: there was no statement yet)."""

    conditions: Sequence[str]
    actions: Sequence[str]
    needs: Sequence[str]
    impact_version: int | None


def last_report_at(uow: UnitOfWork, incident: Incident) -> datetime | None:
    posted = uow.audit.list(AuditFilter(incident_key=incident.key, action_prefix=POSTED, limit=1))
    return posted[0].at if posted else None


def schedule_in(uow: UnitOfWork, incident: Incident, *, now: datetime) -> StatusSchedule:
    return status_schedule(incident, last_report_at=last_report_at(uow, incident), now=now)


def schedule(ctx: Context, actor: Actor, key: str) -> StatusSchedule:
    """When the incident's next internal status report is due, and whether it is overdue."""
    now = ctx.clock.now()
    with ctx.uow() as uow:
        return schedule_in(uow, load(uow, actor, key), now=now)


def _draft_in(uow: UnitOfWork, incident: Incident, *, now: datetime) -> StatusReport:
    impact_uow = with_impact(uow)
    status = fmodel.review_status(
        [f for _, _, f in impact_uow.findings.list(incident.id)],
        severity=incident.severity,
        now=now,
        override=impact_uow.impact.cadence(incident.id),
    )
    return draft_status_report(
        incident, impact=impact_uow.impact.latest(incident.id), findings=status, now=now
    )


def draft(ctx: Context, actor: Actor, key: str) -> StatusReport:
    now = ctx.clock.now()
    with ctx.uow() as uow:
        return _draft_in(uow, load(uow, actor, key), now=now)


def post(ctx: Context, actor: Actor, key: str, *, edit: Edit | None = None) -> StatusReport:
    """Post the draft to the timeline, or the edited report when ``edit`` is given. An edit
    started from a draft of an older impact statement version is a conflict: the draft would
    have said something else by now."""
    now = ctx.clock.now()
    with ctx.uow(write=True) as uow:
        incident = load(uow, actor, key)
        require_write(actor, incident)
        drafted = _draft_in(uow, incident, now=now)
        report = drafted
        if edit is not None:
            if edit.impact_version != drafted.impact_version:
                raise Conflict(
                    f"the impact statement of {incident.key} changed while you edited the status "
                    f"report (now at version {drafted.impact_version or 'none'}, your draft was "
                    f"built on version {edit.impact_version or 'none'}). Read the new draft, then "
                    "post again."
                )
            report = drafted.edited(
                conditions=edit.conditions, actions=edit.actions, needs=edit.needs
            )
        due = schedule_in(uow, incident, now=now)
        edited = report != drafted
        data = {**report.as_dict(), "edited": edited}
        uow.timeline.append(
            incident.id,
            timeline.draft(
                kind=EntryKind.STATUS_REPORT,
                author=actor.username,
                occurred_at=now,
                body=report.body(),
                data=data,
            ),
            recorded_at=now,
        )
        uow.audit.append(
            AuditDraft(
                at=now,
                actor=actor.username,
                action=POSTED,
                target_type="incident",
                target_id=str(incident.id),
                incident_key=incident.key,
                before=_parts(drafted) if edited else None,
                after={
                    "impact_version": report.impact_version,
                    "edited": edited,
                    "was_due_at": due.due_at.isoformat() if due.due_at else None,
                    **(_parts(report) if edited else {}),
                },
                detail="edited from the draft" if edited else "",
            )
        )
        uow.commit()
    return report


def _parts(report: StatusReport) -> dict[str, list[str]]:
    return {
        "conditions": list(report.conditions),
        "actions": list(report.actions),
        "needs": list(report.needs),
    }


def open_incidents(uow: UnitOfWork, *, page: int = 500) -> Iterator[Incident]:
    """Every open incident, for the worker (which sees them all)."""
    offset = 0
    while True:
        batch = uow.incidents.list(
            IncidentFilter(open_only=True, see_all=True, limit=page, offset=offset)
        )
        yield from batch
        if len(batch) < page:
            return
        offset += page


def overdue_schedules(uow: UnitOfWork, *, now: datetime) -> list[StatusSchedule]:
    """Open incidents whose next status report is overdue, longest overdue first."""
    due = [s for i in open_incidents(uow) if (s := schedule_in(uow, i, now=now)).overdue]
    return sorted(due, key=lambda s: s.due_at or now)
