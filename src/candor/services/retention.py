"""Use cases for legal holds and the retention policy (what is removed: ``domain.retention``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime

from candor.domain import retention, timeline
from candor.domain.access import Actor, require_admin, require_see
from candor.domain.audit import AuditDraft, AuditFilter
from candor.domain.errors import Conflict
from candor.domain.incidents import Incident
from candor.domain.lifecycle import Phase
from candor.domain.retention import Candidate, LegalHold, Policy
from candor.domain.timeline import EntryKind
from candor.services.attachments import store
from candor.services.context import Context
from candor.services.incidents import load
from candor.services.ports import IncidentFilter, Tombstone, UnitOfWork
from candor.services.redactions import PURGE_ACTION

# Features that keep free text about an incident outside the timeline and audit log (impact
# statements, findings …) append a scrubber here: called inside the purge's transaction with the
# incident and the marker text, it replaces that text and returns counts for the tombstone.
Scrubber = Callable[[UnitOfWork, Incident, str], dict[str, int]]
RETENTION_SCRUBBERS: list[Scrubber] = []

# What a feature's scrubber would change, without changing it, for the dry run: called in a read
# transaction, it returns the same keys and counts as the scrubber would.
Counter = Callable[[UnitOfWork, Incident], dict[str, int]]
RETENTION_COUNTERS: list[Counter] = []

# audit records that stay intact when an incident is purged: they are the record of the purge
# and of the holds, and hold no personal data of the incident's subject
KEEP_PREFIXES = ("retention.", "hold.")


def _hold_entry(uow: UnitOfWork, incident: Incident, actor: Actor, body: str, now: datetime) -> int:
    return uow.timeline.append(
        incident.id,
        timeline.draft(kind=EntryKind.DECISION, author=actor.username, occurred_at=now, body=body),
        recorded_at=now,
    ).seq


def place_hold(ctx: Context, actor: Actor, key: str, *, reason: str) -> LegalHold:
    retention.require_hold_authority(actor)
    text = retention.check_reason(reason)
    now = ctx.clock.now()
    with ctx.uow(write=True) as uow:
        incident = load(uow, actor, key)
        current = uow.holds.active(incident.id)
        if current is not None:
            raise Conflict(
                f"{incident.key} is already under legal hold since "
                f"{current.placed_at:%Y-%m-%d} ({current.reason})"
            )
        hold = LegalHold(ctx.new_id(), incident.id, now, actor.username, text)
        uow.holds.add(hold)
        seq = _hold_entry(uow, incident, actor, f"Legal hold placed: {text}", now)
        uow.audit.append(
            AuditDraft(
                at=now,
                actor=actor.username,
                action="hold.place",
                target_type="legal_hold",
                target_id=str(hold.id),
                incident_key=incident.key,
                after={"reason": text, "timeline_seq": seq},
                detail=text,
            )
        )
        uow.commit()
    return hold


def release_hold(ctx: Context, actor: Actor, key: str, *, reason: str) -> LegalHold:
    retention.require_hold_authority(actor)
    text = retention.check_reason(reason)
    now = ctx.clock.now()
    with ctx.uow(write=True) as uow:
        incident = load(uow, actor, key)
        current = uow.holds.active(incident.id)
        if current is None:
            raise Conflict(f"{incident.key} is not under legal hold")
        released = LegalHold(
            current.id,
            current.incident_id,
            current.placed_at,
            current.placed_by,
            current.reason,
            released_at=now,
            released_by=actor.username,
            release_reason=text,
        )
        uow.holds.release(released)
        seq = _hold_entry(uow, incident, actor, f"Legal hold released: {text}", now)
        uow.audit.append(
            AuditDraft(
                at=now,
                actor=actor.username,
                action="hold.release",
                target_type="legal_hold",
                target_id=str(current.id),
                incident_key=incident.key,
                before={"reason": current.reason, "placed_by": current.placed_by},
                after={"release_reason": text, "timeline_seq": seq},
                detail=text,
            )
        )
        uow.commit()
    return released


def holds(ctx: Context, actor: Actor, key: str) -> list[LegalHold]:
    with ctx.uow() as uow:
        incident = load(uow, actor, key)
        return uow.holds.list(incident.id)


@dataclass(frozen=True, slots=True)
class Planned:
    """One incident the policy has reached, and what a run would remove from it."""

    candidate: Candidate
    timeline_entries: int
    audit_records: int
    attachments: int
    attachment_bytes: int
    records: dict[str, int] = field(default_factory=dict)  # scrubbers' records, by kind


@dataclass
class RunReport:
    policy: Policy
    now: datetime
    dry_run: bool
    due: list[Planned] = field(default_factory=list)  # removed (or would be, in a dry run)
    held: list[Planned] = field(default_factory=list)  # reached but on legal hold: kept
    purged: dict[str, int] = field(default_factory=dict)  # key → audit seq of its purge
    contents_removed: int = 0


def _closed(uow: UnitOfWork) -> Iterator[Incident]:
    for phase in (Phase.CLOSED, Phase.DECLINED):
        offset = 0
        while True:
            page = uow.incidents.list(
                IncidentFilter(phase=phase, see_all=True, limit=500, offset=offset)
            )
            yield from page
            if len(page) < 500:
                break
            offset += 500


def _planned(uow: UnitOfWork, incident: Incident, candidate: Candidate) -> Planned:
    files = [a for a in uow.attachments.list(incident.id) if not a.purged]
    audit_records = uow.audit.list(AuditFilter(incident_key=incident.key, limit=1_000_000))
    records: dict[str, int] = {}
    for counter in RETENTION_COUNTERS:
        records.update({k: n for k, n in counter(uow, incident).items() if n})
    return Planned(
        candidate,
        uow.timeline.count(incident.id),
        sum(1 for r in audit_records if not r.action.startswith(KEEP_PREFIXES)),
        len(files),
        sum(a.size for a in files),
        records,
    )


def plan(ctx: Context, actor: Actor, policy: Policy) -> RunReport:
    """What ``run`` would do now: incidents past retention, split into due and held."""
    require_admin(actor)
    now = ctx.clock.now()
    report = RunReport(policy, now, dry_run=True)
    with ctx.uow() as uow:
        for incident in _closed(uow):
            if uow.redactions.tombstone(incident.id) is not None:
                continue
            found = retention.candidate(incident, policy, uow.holds.active(incident.id), now=now)
            if found is None:
                continue
            planned = _planned(uow, incident, found)
            (report.held if found.held else report.due).append(planned)
    report.due.sort(key=lambda p: p.candidate.closed_at)
    report.held.sort(key=lambda p: p.candidate.closed_at)
    return report


def run(ctx: Context, actor: Actor, policy: Policy, *, dry_run: bool = False) -> RunReport:
    """Remove the personal data of every incident that is due, one incident per transaction."""
    report = plan(ctx, actor, policy)
    report.dry_run = dry_run
    if dry_run:
        return report
    for planned in report.due:
        report.purged[planned.candidate.key] = purge_incident(
            ctx, actor, planned.candidate.key, policy
        )
    report.contents_removed = sweep(ctx)
    return report


def purge_incident(ctx: Context, actor: Actor, key: str, policy: Policy) -> int:
    """Redact one incident; returns the seq of the ``retention.purge`` audit record."""
    require_admin(actor)
    now = ctx.clock.now()
    with ctx.uow(write=True) as uow:
        incident = load(uow, actor, key)
        require_see(actor, incident)
        # checked again inside the transaction: a hold placed since the plan wins
        retention.require_not_held(incident, uow.holds.active(incident.id), what="retention")
        found = retention.candidate(incident, policy, None, now=now)
        if found is None:
            raise Conflict(f"{incident.key} is not past its retention period")
        if uow.redactions.tombstone(incident.id) is not None:
            raise Conflict(f"{incident.key} was already purged")
        redactions = uow.redactions.redact_timeline(
            incident.id, body=retention.REDACTED_BODY, data_json=retention.REDACTED_JSON
        )
        redactions += uow.redactions.redact_audit(
            incident.key, payload_json=retention.REDACTED_JSON, keep_prefixes=KEEP_PREFIXES
        )
        scrubbed = uow.redactions.scrub_records(
            incident.id, title=retention.redacted_title(incident)
        )
        for scrubber in RETENTION_SCRUBBERS:
            scrubbed.update(scrubber(uow, incident, retention.REDACTED_BODY))
        files = [a for a in uow.attachments.list(incident.id) if not a.purged]
        summary = {
            "timeline_entries": sum(1 for r in redactions if r.chain != retention.AUDIT_CHAIN),
            "audit_records": sum(1 for r in redactions if r.chain == retention.AUDIT_CHAIN),
            "attachments": len(files),
            **scrubbed,
        }
        record = uow.audit.append(
            AuditDraft(
                at=now,
                actor=actor.username,
                action=PURGE_ACTION,
                target_type="incident",
                target_id=str(incident.id),
                incident_key=incident.key,
                after={
                    "policy_years": policy.years,
                    "closed_at": found.closed_at,
                    "removed": summary,
                    "redactions_digest": retention.digest(redactions),
                    "attachments": [
                        {"attachment": a.label(incident.key), "sha256": a.sha256, "size": a.size}
                        for a in files
                    ],
                },
                detail=f"retention policy: {policy.years} years after closing",
            )
        )
        uow.redactions.add(redactions, audit_seq=record.seq)
        for attachment in files:
            uow.attachments.purge(
                attachment.id,
                at=now,
                audit_seq=record.seq,
                filename=f"attachment-{attachment.seq}",
            )
        uow.redactions.add_tombstone(
            Tombstone(incident.id, now, actor.username, policy.years, record.seq, summary)
        )
        uow.timeline.append(
            incident.id,
            timeline.draft(
                kind=EntryKind.SYSTEM,
                author=actor.username,
                occurred_at=now,
                body=f"Personal data removed under the retention policy ({policy.years} years "
                f"after closing): {summary['timeline_entries']} timeline entries, "
                f"{summary['audit_records']} audit records and {len(files)} attachments "
                f"redacted; audit #{record.seq}.",
                data={"audit_seq": record.seq},
            ),
            recorded_at=now,
        )
        uow.commit()
    sweep(ctx)
    return record.seq


def sweep(ctx: Context) -> int:
    """Remove stored content that only purged attachments refer to.

    Content is deleted after the purge commits (a deletion cannot be rolled back); this also
    finishes the job when a crash came between the two.
    """
    if ctx.blobs is None:
        return 0
    blobs = store(ctx)
    removed = 0
    with ctx.uow() as uow:
        for sha256 in sorted(uow.attachments.purged_hashes()):
            if not uow.attachments.in_use(sha256) and blobs.exists(sha256):
                with suppress(FileNotFoundError):
                    blobs.delete(sha256)
                removed += 1
    return removed
