"""Which redacted chain entries an audit record vouches for (see ``candor.domain.retention``).

A redaction row alone proves nothing: anyone who can write the database could add one. It
counts only when the ``retention.purge`` audit record it names carries the digest of exactly the
redactions recorded under it, so a forged redaction needs a forged audit record, which breaks
the audit chain.
"""

from __future__ import annotations

import json

from candor.domain import retention
from candor.domain.audit import AuditFilter
from candor.services.ports import UnitOfWork

PURGE_ACTION = "retention.purge"


def vouched(uow: UnitOfWork, chain: str) -> dict[int, tuple[str, int]]:
    """``seq → (redacted content hash, audit seq)`` for the chain's vouched-for redactions."""
    rows = uow.redactions.for_chain(chain)
    if not rows:
        return {}
    records = {
        r.seq: r
        for r in uow.audit.list(AuditFilter(action_prefix=PURGE_ACTION, limit=1_000_000))
        if r.action == PURGE_ACTION
    }
    good: dict[int, bool] = {}
    out: dict[int, tuple[str, int]] = {}
    for redaction, audit_seq in rows:
        if audit_seq not in good:
            record = records.get(audit_seq)
            claimed = json.loads(record.after_json or "{}") if record else {}
            good[audit_seq] = claimed.get("redactions_digest") == retention.digest(
                uow.redactions.by_audit(audit_seq)
            )
        if good[audit_seq]:
            out[redaction.seq] = (redaction.redacted_hash, audit_seq)
    return out
