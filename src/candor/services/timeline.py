"""Use cases for the timeline: add entries, correct them, read them, verify the chain."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from candor.domain import chain, timeline
from candor.domain.access import Actor, require_write
from candor.domain.audit import AuditDraft
from candor.domain.errors import InvalidInput, NotFound, Problem
from candor.domain.retention import timeline_chain
from candor.domain.timeline import MANUAL_KINDS, Entry, EntryKind
from candor.domain.vocabulary import parse_enum, require_aware
from candor.services.context import Context
from candor.services.incidents import load
from candor.services.redactions import vouched


def add(
    ctx: Context,
    actor: Actor,
    key: str,
    *,
    kind: EntryKind | str,
    body: str,
    occurred_at: datetime | None = None,
    data: Mapping[str, Any] | None = None,
    corrects: int | None = None,
) -> Entry:
    now = ctx.clock.now()
    entry_kind = parse_enum(EntryKind, kind, field="kind")
    if corrects is None and entry_kind not in MANUAL_KINDS:
        allowed = ", ".join(k.value for k in MANUAL_KINDS)
        raise InvalidInput(
            Problem(
                f"{entry_kind.value} entries are written by Candor itself; write one of: {allowed}",
                field="kind",
            )
        )
    when = require_aware(occurred_at, field="occurred_at") if occurred_at else now
    if when > now:
        raise InvalidInput(
            Problem(
                "is in the future; the timeline records what already happened", field="occurred_at"
            )
        )
    with ctx.uow(write=True) as uow:
        incident = load(uow, actor, key)
        require_write(actor, incident)
        if corrects is not None and uow.timeline.get(incident.id, corrects) is None:
            raise NotFound(f"{incident.key} has no timeline entry #{corrects} to correct")
        entry = uow.timeline.append(
            incident.id,
            timeline.draft(
                kind=entry_kind,
                author=actor.username,
                occurred_at=when,
                body=body,
                data=data,
                corrects=corrects,
            ),
            recorded_at=now,
        )
        uow.audit.append(
            AuditDraft(
                at=now,
                actor=actor.username,
                action="timeline.correct" if corrects else "timeline.append",
                target_type="timeline_entry",
                target_id=str(entry.id),
                incident_key=incident.key,
                after={"seq": entry.seq, "kind": entry.kind.value, "hash": entry.hash},
            )
        )
        uow.commit()
    return entry


def show(
    ctx: Context, actor: Actor, key: str, *, newest_first: bool = False, limit: int | None = None
) -> list[Entry]:
    with ctx.uow() as uow:
        incident = load(uow, actor, key)
        return uow.timeline.list(incident.id, newest_first=newest_first, limit=limit)


def page(ctx: Context, actor: Actor, key: str, *, after: int = 0, limit: int = 200) -> list[Entry]:
    with ctx.uow() as uow:
        incident = load(uow, actor, key)
        return uow.timeline.list(incident.id, after=after, limit=limit)


def verify(ctx: Context, actor: Actor, key: str) -> chain.Verification:
    with ctx.uow() as uow:
        incident = load(uow, actor, key)
        return chain.verify(
            uow.timeline.links(incident.id),
            prefix=f"{incident.key} #",
            redactions=vouched(uow, timeline_chain(incident.id)),
        )
