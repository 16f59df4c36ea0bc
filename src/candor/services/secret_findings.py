"""Record a suspected leaked secret on an incident's timeline, masked.

The caller passes the pasted text; it is recognised here again (never trusted as already
masked) and only the masked matches, what they grant and how to revoke them reach the timeline
and the audit log. The text itself is neither stored nor returned.
"""

from __future__ import annotations

from candor.domain import timeline
from candor.domain.access import Actor, require_write
from candor.domain.audit import AuditDraft
from candor.domain.errors import InvalidInput, Problem
from candor.domain.secrets import Catalogue, SecretMatch, identify
from candor.domain.timeline import EntryKind
from candor.services import incidents
from candor.services.context import Context


def finding_text(matches: tuple[SecretMatch, ...]) -> str:
    parts = [f"Suspected leaked secret{'s' if len(matches) > 1 else ''} (masked):"]
    for m in matches:
        steps = "; ".join(m.type.revoke)
        parts.append(
            f"- **{m.type.name}** ({m.type.provider}) `{m.masked}` — grants: {m.type.grants} "
            f"Revoke: {steps}"
        )
    return "\n".join(parts)


def record(
    ctx: Context, actor: Actor, key: str, text: str, *, catalogue: Catalogue
) -> tuple[SecretMatch, ...]:
    matches = identify(text, catalogue)
    if not matches:
        raise InvalidInput(
            Problem("no known secret type recognised; nothing was recorded", field="value")
        )
    now = ctx.clock.now()
    with ctx.uow(write=True) as uow:
        incident = incidents.load(uow, actor, key)
        require_write(actor, incident)
        masked = [{"type": m.type.id, "masked": m.masked} for m in matches]
        entry = uow.timeline.append(
            incident.id,
            timeline.draft(
                kind=EntryKind.FINDING,
                author=actor.username,
                occurred_at=now,
                body=finding_text(matches),
                data={"secrets": masked},
            ),
            recorded_at=now,
        )
        uow.audit.append(
            AuditDraft(
                at=now,
                actor=actor.username,
                action="secret.record",
                target_type="timeline_entry",
                target_id=str(entry.id),
                incident_key=incident.key,
                after={"seq": entry.seq, "secrets": masked},
            )
        )
        uow.commit()
    return matches
