"""Use cases of tracking an obligation: record it filed, propose that it is not required, and
counsel's approval or rejection of that proposal.

Each writes the change, an ``obligation`` timeline entry and an audit record in one transaction.
Filing also recomputes the incident's obligations in that transaction: the notice filed is an
event other rules' clocks may start at (California's attorney general, 15 days after the
residents are notified), so they get their dates at once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from candor.domain.access import Actor, require_write
from candor.domain.audit import AuditDraft
from candor.domain.errors import NotFound
from candor.domain.incidents import Incident
from candor.domain.obligations import tracking
from candor.domain.obligations.results import iso_utc
from candor.domain.obligations.tracking import TrackedObligation
from candor.services import incidents
from candor.services.context import Context
from candor.services.obligations import entry_in, recompute_in
from candor.services.ports_obligations import ObligationsUnitOfWork, tracked

Change = Callable[[TrackedObligation, datetime], TrackedObligation]


def _snapshot(ob: TrackedObligation) -> dict[str, object]:
    out: dict[str, object] = {
        "seq": ob.seq,
        "rule_id": ob.computed.rule_id,
        "jurisdiction": ob.computed.jurisdiction,
        "state": ob.state.value,
    }
    if ob.filing:
        out["filing"] = {
            "at": iso_utc(ob.filing.at),
            "by": ob.filing.by,
            "reference": ob.filing.reference,
            "attachment": ob.filing.attachment,
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
            "rejection": d.rejection,
        }
    return out


def _change(
    ctx: Context,
    actor: Actor,
    key: str,
    handle: str,
    change: Change,
    *,
    action: str,
    describe: Callable[[TrackedObligation], str],
    then: Callable[[ObligationsUnitOfWork, Incident, TrackedObligation, datetime], None]
    | None = None,
) -> TrackedObligation:
    now = ctx.clock.now()
    with ctx.uow(write=True) as raw:
        uow = tracked(raw)
        incident = incidents.load(uow, actor, key)
        require_write(actor, incident)
        uow.obligations.lock(incident.id)
        before = tracking.find(uow.obligations.of_incident(incident.id), handle)
        if before is None:
            raise NotFound(f"no obligation {handle!r} in {incident.key}")
        after = change(before, now)
        uow.obligations.save(after)
        body = describe(after)
        seq = entry_in(uow, actor, incident, body, now, {"obligation": _snapshot(after)})
        uow.audit.append(
            AuditDraft(
                at=now,
                actor=actor.username,
                action=action,
                target_type="obligation",
                target_id=str(after.id),
                incident_key=incident.key,
                before=_snapshot(before),
                after=_snapshot(after),
                detail=f"timeline #{seq}",
            )
        )
        if then is not None:
            then(uow, incident, after, now)
        uow.commit()
    return after


def _label(ob: TrackedObligation) -> str:
    return f"obligation #{ob.seq}, {ob.computed.label}"


def file(
    ctx: Context,
    actor: Actor,
    key: str,
    handle: str,
    *,
    filed_at: datetime | None = None,
    reference: str,
    attachment: str = "",
) -> TrackedObligation:
    """Record that a notice was given (``filed_at``, default now) with its reference."""

    def change(ob: TrackedObligation, now: datetime) -> TrackedObligation:
        return tracking.file(
            ob,
            at=filed_at or now,
            by=actor.username,
            reference=reference,
            attachment=attachment,
            now=now,
        )

    def describe(ob: TrackedObligation) -> str:
        assert ob.filing is not None
        text = (
            f"Filed: {_label(ob)}, at {iso_utc(ob.filing.at)}, recorded by {ob.filing.by}. "
            f"Reference: {ob.filing.reference}."
        )
        if ob.filing.attachment:
            text += f" Evidence: {ob.filing.attachment}."
        deadline = ob.computed.deadline
        if deadline is not None and ob.filing.at > deadline:
            text += f" Filed after its deadline ({iso_utc(deadline)})."
        return text

    def chained(
        uow: ObligationsUnitOfWork, incident: Incident, ob: TrackedObligation, now: datetime
    ) -> None:
        recompute_in(ctx, uow, actor, incident, cause=f"obligation #{ob.seq} filed", now=now)

    return _change(
        ctx, actor, key, handle, change, action="obligation.file", describe=describe, then=chained
    )


def propose_not_required(
    ctx: Context, actor: Actor, key: str, handle: str, *, text: str
) -> TrackedObligation:
    """Propose, in writing, that an obligation is not required; counsel approves or rejects."""

    def change(ob: TrackedObligation, now: datetime) -> TrackedObligation:
        return tracking.propose_not_required(ob, text=text, by=actor.username, now=now)

    def describe(ob: TrackedObligation) -> str:
        assert ob.determination is not None
        return (
            f"Proposed not required: {_label(ob)}, by {ob.determination.proposed_by}; awaiting "
            f"counsel's approval.\n\n> {ob.determination.text}"
        )

    return _change(
        ctx,
        actor,
        key,
        handle,
        change,
        action="obligation.propose_not_required",
        describe=describe,
    )


def approve_not_required(ctx: Context, actor: Actor, key: str, handle: str) -> TrackedObligation:
    """Counsel approves a proposed not-required determination."""

    def change(ob: TrackedObligation, now: datetime) -> TrackedObligation:
        return tracking.approve_not_required(ob, actor, now=now)

    def describe(ob: TrackedObligation) -> str:
        assert ob.determination is not None
        d = ob.determination
        return (
            f"Not required — approved by counsel {d.approved_by}: {_label(ob)} (proposed by "
            f"{d.proposed_by} at {iso_utc(d.proposed_at)}).\n\n> {d.text}"
        )

    return _change(
        ctx,
        actor,
        key,
        handle,
        change,
        action="obligation.approve_not_required",
        describe=describe,
    )


def reject_not_required(
    ctx: Context, actor: Actor, key: str, handle: str, *, reason: str
) -> TrackedObligation:
    """Counsel rejects a proposed not-required determination: the obligation is pending again."""

    def change(ob: TrackedObligation, now: datetime) -> TrackedObligation:
        return tracking.reject_not_required(ob, actor, reason=reason, now=now)

    def describe(ob: TrackedObligation) -> str:
        assert ob.determination is not None
        return (
            f"Not-required determination rejected by counsel {ob.determination.rejected_by}: "
            f"{_label(ob)} is pending again. Reason: {ob.determination.rejection}"
        )

    return _change(
        ctx,
        actor,
        key,
        handle,
        change,
        action="obligation.reject_not_required",
        describe=describe,
    )
