"""Use cases for what an incident shares: its indicators (entered by hand or imported from a
scoping result, each under a TLP 2.0 level), its VERIS classification, and the record of each
export. Building the STIX bundle and the VERIS record is the exporters' work
(``adapters/export/sharing.py``); this module keeps the records and the audit trail.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from candor.domain import retention, timeline
from candor.domain.access import Actor, require_write
from candor.domain.audit import AuditDraft
from candor.domain.errors import InvalidInput, NotFound, Problem
from candor.domain.incidents import Incident
from candor.domain.indicators import FILE_HASHES, Indicator, Tlp, indicator
from candor.domain.scoping_indicators import from_scoping_result
from candor.domain.timeline import EntryKind
from candor.domain.vocabulary import parse_instant
from candor.services import retention as retention_service
from candor.services.context import Context
from candor.services.incidents import load
from candor.services.ports import UnitOfWork
from candor.services.ports_learn import LearnUnitOfWork, StoredIndicator, with_learn


@dataclass(frozen=True, slots=True)
class Sharing:
    incident: Incident
    indicators: list[StoredIndicator]
    classification: Mapping[str, Any] | None


def get(ctx: Context, actor: Actor, key: str) -> Sharing:
    with ctx.uow() as base:
        uow = with_learn(base)
        incident = load(uow, actor, key)
        return Sharing(
            incident, uow.shared_indicators.list(incident.id), uow.veris.get(incident.id)
        )


def _audit(
    uow: LearnUnitOfWork,
    actor: Actor,
    incident: Incident,
    action: str,
    *,
    now: datetime,
    after: Mapping[str, Any],
    detail: str = "",
) -> None:
    uow.audit.append(
        AuditDraft(
            at=now,
            actor=actor.username,
            action=action,
            target_type="incident",
            target_id=incident.key,
            incident_key=incident.key,
            after=after,
            detail=detail,
        )
    )


def _note(
    uow: LearnUnitOfWork,
    actor: Actor,
    incident: Incident,
    body: str,
    data: Mapping[str, Any],
    now: datetime,
) -> None:
    uow.timeline.append(
        incident.id,
        timeline.draft(
            kind=EntryKind.SYSTEM, author=actor.username, occurred_at=now, body=body, data=data
        ),
        recorded_at=now,
    )


def _store(
    uow: LearnUnitOfWork, incident: Incident, items: Sequence[Indicator], *, by: str, now: datetime
) -> list[int]:
    """Add indicators; one already on the incident is refused, naming it (all at once)."""
    existing = {
        (s.indicator.type, s.indicator.value): s.seq
        for s in uow.shared_indicators.list(incident.id)
    }
    problems = [
        Problem(
            f"{item.label} is already indicator #{existing[(item.type, item.value)]}",
            field="value" if len(items) == 1 else f"indicators[{i}].value",
        )
        for i, item in enumerate(items)
        if (item.type, item.value) in existing
    ]
    if problems:
        raise InvalidInput(problems)
    return [uow.shared_indicators.add(incident.id, item, by=by, now=now) for item in items]


def add_indicator(
    ctx: Context,
    actor: Actor,
    key: str,
    *,
    type: str,
    value: str,
    tlp: str,
    description: str = "",
    first_seen: str | datetime | None = None,
    last_seen: str | datetime | None = None,
) -> int:
    """Enter one indicator by hand; returns its number on the incident."""
    problems: list[Problem] = []
    times: dict[str, datetime | None] = {}
    for name, raw in (("first_seen", first_seen), ("last_seen", last_seen)):
        try:
            times[name] = parse_instant(raw, field=name) if raw not in (None, "") else None
        except InvalidInput as exc:
            problems += exc.problems
            times[name] = None
    try:
        item = indicator(
            type=type,
            value=value,
            tlp=tlp,
            description=description,
            first_seen=times["first_seen"],
            last_seen=times["last_seen"],
        )
    except InvalidInput as exc:
        raise InvalidInput([*problems, *exc.problems]) from None
    if problems:
        raise InvalidInput(problems)
    now = ctx.clock.now()
    with ctx.uow(write=True) as base:
        uow = with_learn(base)
        incident = load(uow, actor, key)
        require_write(actor, incident)
        (seq,) = _store(uow, incident, [item], by=actor.username, now=now)
        _note(
            uow,
            actor,
            incident,
            f"Indicator #{seq} added for sharing: {item.label} ({item.tlp.label}).",
            {"indicator": seq, "tlp": item.tlp.value},
            now,
        )
        _audit(
            uow,
            actor,
            incident,
            "indicator.add",
            now=now,
            after={"seq": seq, "type": item.type.value, "value": item.value, "tlp": item.tlp.value},
        )
        uow.commit()
    return seq


def import_scoping(
    ctx: Context, actor: Actor, key: str, data: Any, *, tlp: Tlp | str, file: str | None = None
) -> list[int]:
    """Add the indicators a scoping result saw (``candor scope run --json``); those already on
    the incident are skipped. Nothing is stored when the file has any problem."""
    try:
        items = from_scoping_result(data, tlp=tlp)
    except InvalidInput as exc:
        raise InvalidInput(
            [
                Problem(
                    p.message,
                    field=p.field or ".".join(str(x) for x in p.path or ()) or None,
                    file=file,
                    hint=p.hint,
                )
                for p in exc.problems
            ]
        ) from None
    now = ctx.clock.now()
    with ctx.uow(write=True) as base:
        uow = with_learn(base)
        incident = load(uow, actor, key)
        require_write(actor, incident)
        existing = {
            (s.indicator.type, s.indicator.value) for s in uow.shared_indicators.list(incident.id)
        }
        fresh = [i for i in items if (i.type, i.value) not in existing]
        seqs = _store(uow, incident, fresh, by=actor.username, now=now)
        _note(
            uow,
            actor,
            incident,
            f"{len(seqs)} indicators imported from a scoping result "
            f"({len(items) - len(fresh)} already present).",
            {"indicators": seqs, "file": file},
            now,
        )
        _audit(
            uow,
            actor,
            incident,
            "indicator.import",
            now=now,
            after={"added": seqs, "skipped": len(items) - len(fresh), "tlp": str(tlp)},
            detail=file or "",
        )
        uow.commit()
    return seqs


def remove_indicator(ctx: Context, actor: Actor, key: str, seq: int) -> None:
    now = ctx.clock.now()
    with ctx.uow(write=True) as base:
        uow = with_learn(base)
        incident = load(uow, actor, key)
        require_write(actor, incident)
        retention.require_not_held(
            incident, uow.holds.active(incident.id), what=f"removing indicator #{seq}"
        )
        if not uow.shared_indicators.remove(incident.id, seq):
            raise NotFound(f"{incident.key} has no indicator #{seq}")
        _note(
            uow, actor, incident, f"Indicator #{seq} removed from sharing.", {"indicator": seq}, now
        )
        _audit(uow, actor, incident, "indicator.remove", now=now, after={"seq": seq})
        uow.commit()


def save_classification(
    ctx: Context, actor: Actor, key: str, classification: Mapping[str, Any]
) -> None:
    """Store the incident's VERIS classification; the caller has checked it against the
    schema (``adapters/export/sharing.py``)."""
    now = ctx.clock.now()
    with ctx.uow(write=True) as base:
        uow = with_learn(base)
        incident = load(uow, actor, key)
        require_write(actor, incident)
        uow.veris.put(incident.id, classification, by=actor.username, now=now)
        _audit(
            uow,
            actor,
            incident,
            "veris.classify",
            now=now,
            after={"parts": sorted(k for k, v in classification.items() if v)},
        )
        uow.commit()


def record_export(
    ctx: Context, actor: Actor, incident: Incident, *, what: str, after: Mapping[str, Any]
) -> None:
    """Audit an export that leaves the workspace (a STIX bundle, a VERIS record, a report)."""
    now = ctx.clock.now()
    with ctx.uow(write=True) as base:
        uow = with_learn(base)
        _audit(uow, actor, incident, f"{what}.export", now=now, after=after)
        uow.commit()


def _personal_indicators(base: UnitOfWork, incident: Incident) -> list[StoredIndicator]:
    if getattr(base, "shared_indicators", None) is None:  # a unit of work without the learn tables
        return []
    return [
        s
        for s in with_learn(base).shared_indicators.list(incident.id)
        if s.indicator.type not in FILE_HASHES
    ]


def _scrub(base: UnitOfWork, incident: Incident, marker: str) -> dict[str, int]:
    """Retention: shared indicators that can point at a person (addresses, domains, URLs,
    e-mail addresses, access keys, user agents) are removed; file hashes, which name malware,
    stay. The tombstone keeps how many went."""
    found = _personal_indicators(base, incident)
    if not found:
        return {}
    stored = with_learn(base).shared_indicators
    for item in found:
        stored.remove(incident.id, item.seq)
    return {"shared_indicators": len(found)}


def _count(base: UnitOfWork, incident: Incident) -> dict[str, int]:
    return {"shared_indicators": len(_personal_indicators(base, incident))}


retention_service.RETENTION_SCRUBBERS.append(_scrub)
retention_service.RETENTION_COUNTERS.append(_count)
