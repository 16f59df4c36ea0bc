"""Use cases for the audit log: read it (admins) and verify its chain."""

from __future__ import annotations

from candor.domain import chain
from candor.domain.access import Actor, require_admin
from candor.domain.audit import AuditDraft, AuditFilter, AuditRecord
from candor.domain.retention import AUDIT_CHAIN
from candor.services.context import Context
from candor.services.redactions import vouched


def record(ctx: Context, draft: AuditDraft) -> AuditRecord:
    """Append one record in its own transaction (sign-ins, downloads: no other write)."""
    with ctx.uow(write=True) as uow:
        written = uow.audit.append(draft)
        uow.commit()
    return written


def list_records(ctx: Context, actor: Actor, where: AuditFilter) -> list[AuditRecord]:
    require_admin(actor)
    with ctx.uow() as uow:
        return uow.audit.list(where)


def verify(ctx: Context, actor: Actor) -> chain.Verification:
    require_admin(actor)
    with ctx.uow() as uow:
        return chain.verify(
            uow.audit.links(), prefix="audit #", redactions=vouched(uow, AUDIT_CHAIN)
        )


def version(ctx: Context) -> int:
    """A number that grows with every change in the workspace: the audit chain's length.

    Every change appends an audit record in the transaction that makes it, so two reads that
    see the same version saw the same data; caches key on it.
    """
    with ctx.uow() as uow:
        return uow.audit.head_seq()
