"""Use cases for statements: draft, review, approve, publish, correct; the public status site.

Each change is one unit of work with a timeline entry and an audit record. Publication sends
nothing itself: ``STATEMENT_PUBLISHED`` hooks run inside the publish transaction with
``(ctx, uow, incident, statement, now)``; ``services/statement_delivery.py`` queues the messages.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from candor.domain import statements as model
from candor.domain import timeline
from candor.domain.access import Actor, require_write
from candor.domain.audit import AuditDraft
from candor.domain.errors import InvalidInput, NotFound, PermissionDenied, Problem
from candor.domain.impact import SECTION_TITLES, Confidence, ImpactVersion, Section
from candor.domain.incidents import Incident
from candor.domain.obligations import tracking
from candor.domain.retention import REDACTED_BODY
from candor.domain.statements import Audience, Element, Kind, State, Statement
from candor.domain.timeline import EntryKind
from candor.domain.vocabulary import Role
from candor.services import retention
from candor.services.context import Context
from candor.services.incidents import load
from candor.services.ports import UnitOfWork
from candor.services.ports_impact import with_impact
from candor.services.ports_obligations import tracked
from candor.services.ports_statements import CommsSetup, StatementUnitOfWork, with_statements

# Called inside the publish transaction, after the statement is stored as published:
# (context, unit of work, incident, the published statement, the server time of publication).
# The context carries what delivery needs (own domains, the secret catalogue, links).
StatementPublished = Callable[[Context, UnitOfWork, Incident, Statement, datetime], None]
STATEMENT_PUBLISHED: list[StatementPublished] = []

# Templates shipped in the package (adapters/statement_templates.py renders them)
TEMPLATES: dict[str, Kind] = {
    "acknowledgement": Kind.ACKNOWLEDGEMENT,
    "update": Kind.UPDATE,
    "resolution": Kind.RESOLUTION,
    "customer_notice": Kind.CUSTOMER_NOTICE,
    "credential_rotation": Kind.CREDENTIAL_ROTATION,
    "regulator_notice": Kind.REGULATOR_NOTICE,
}


def _comms(ctx: Context) -> CommsSetup:
    return ctx.comms or CommsSetup()


@dataclass(frozen=True, slots=True)
class StatementsView:
    incident: Incident
    statements: list[Statement]
    delegates: list[str]
    can_publish: bool

    def get(self, number: int) -> Statement | None:
        return next((s for s in self.statements if s.number == number), None)

    def corrections_of(self, number: int) -> list[Statement]:
        return [s for s in self.statements if s.corrects == number]


def statements(ctx: Context, actor: Actor, key: str) -> StatementsView:
    with ctx.uow() as base:
        uow = with_statements(base)
        incident = load(uow, actor, key)
        items = uow.statements.of_incident(incident.id)
        delegates = uow.statements.delegates(incident.id)
    return StatementsView(
        incident,
        items,
        delegates,
        model.may_publish(incident, actor.username, delegates),
    )


def get(ctx: Context, actor: Actor, key: str, number: int) -> tuple[Incident, Statement]:
    with ctx.uow() as base:
        uow = with_statements(base)
        incident = load(uow, actor, key)
        found = uow.statements.get(incident.id, number)
    if found is None:
        raise NotFound(f"{incident.key} has no statement #{number}")
    return incident, found


def _record(
    uow: StatementUnitOfWork,
    incident: Incident,
    actor: Actor,
    *,
    action: str,
    statement: Statement,
    body: str,
    now: datetime,
    before: Statement | None = None,
    after: Mapping[str, Any] | None = None,
    detail: str | None = None,
    kind: EntryKind = EntryKind.COMMUNICATION,
) -> None:
    uow.timeline.append(
        incident.id,
        timeline.draft(
            kind=kind,
            author=actor.username,
            occurred_at=now,
            body=body,
            data={"statement": statement.number, "state": statement.state.value},
        ),
        recorded_at=now,
    )
    uow.audit.append(
        AuditDraft(
            at=now,
            actor=actor.username,
            action=f"statement.{action}",
            target_type="statement",
            target_id=f"{incident.key}/S{statement.number}",
            incident_key=incident.key,
            before={"state": before.state.value, "round": before.round} if before else None,
            after=dict(after) if after is not None else {"state": statement.state.value},
            detail=detail or "",
        )
    )


def draft(
    ctx: Context,
    actor: Actor,
    key: str,
    *,
    kind: str,
    audience: str,
    channels: object,
    title: str,
    body: str,
    audience_ref: str = "",
    elements: Sequence[Element] = (),
    phasing_allowed: bool = False,
    template: str = "",
) -> Statement:
    now = ctx.clock.now()
    with ctx.uow(write=True) as base:
        uow = with_statements(base)
        incident = load(uow, actor, key)
        require_write(actor, incident)
        if kind == Kind.CORRECTION.value:
            raise InvalidInput(
                Problem("write a correction from the statement it corrects", field="kind")
            )
        statement = model.new_statement(
            id=ctx.new_id(),
            incident=incident,
            number=uow.statements.next_number(incident.id),
            kind=kind,
            audience=audience,
            audience_ref=audience_ref,
            channels=channels,
            title=title,
            body=body,
            author=actor.username,
            now=now,
            review_chain=_comms(ctx).review_chain,
            elements=elements,
            phasing_allowed=phasing_allowed,
            template=template,
        )
        uow.statements.add(statement)
        _record(
            uow,
            incident,
            actor,
            action="draft",
            statement=statement,
            body=f"Statement #{statement.number} drafted ({statement.kind.value} to "
            f"{_audience(statement)}): {statement.title}",
            now=now,
            after=statement.as_dict(),
        )
        uow.commit()
    return statement


def _audience(statement: Statement) -> str:
    text = statement.audience.value.replace("_", " ")
    return f"{text} {statement.audience_ref}" if statement.audience_ref else text


def correct(
    ctx: Context,
    actor: Actor,
    key: str,
    number: int,
    *,
    title: str,
    body: str,
    what_was_wrong: str,
    channels: object | None = None,
) -> Statement:
    """Draft a correction of published statement ``number``; it is reviewed and published like
    any statement, and shown beside the one it corrects."""
    now = ctx.clock.now()
    with ctx.uow(write=True) as base:
        uow = with_statements(base)
        incident = load(uow, actor, key)
        require_write(actor, incident)
        corrected = uow.statements.get(incident.id, number)
        if corrected is None:
            raise NotFound(f"{incident.key} has no statement #{number}")
        statement = model.new_statement(
            id=ctx.new_id(),
            incident=incident,
            number=uow.statements.next_number(incident.id),
            kind=Kind.CORRECTION,
            audience=corrected.audience,
            audience_ref=corrected.audience_ref,
            channels=corrected.channels if channels is None else channels,
            title=title,
            body=body,
            author=actor.username,
            now=now,
            review_chain=_comms(ctx).review_chain,
            corrects=corrected,
            correction_note=what_was_wrong,
        )
        uow.statements.add(statement)
        _record(
            uow,
            incident,
            actor,
            action="correct",
            statement=statement,
            body=f"Statement #{statement.number} drafted: a correction of statement "
            f"#{corrected.number}. What was wrong: {statement.correction_note}",
            now=now,
            after=statement.as_dict(),
            kind=EntryKind.CORRECTION,
        )
        uow.commit()
    return statement


def _change(
    ctx: Context,
    actor: Actor,
    key: str,
    number: int,
    *,
    action: str,
    change: Callable[[StatementUnitOfWork, Incident, Statement, datetime], Statement],
    describe: Callable[[Statement], str],
    detail: Callable[[Statement], str | None] = lambda s: None,
) -> Statement:
    now = ctx.clock.now()
    with ctx.uow(write=True) as base:
        uow = with_statements(base)
        incident = load(uow, actor, key)
        require_write(actor, incident)
        before = uow.statements.get(incident.id, number)
        if before is None:
            raise NotFound(f"{incident.key} has no statement #{number}")
        changed = change(uow, incident, before, now)
        after = uow.statements.save(changed)
        extra: dict[str, Any] = {"state": after.state.value, "round": after.round}
        if after.state is State.PUBLISHED:
            extra |= {"hash": after.content_hash, "published_at": after.published_at}
        _record(
            uow,
            incident,
            actor,
            action=action,
            statement=after,
            body=describe(after),
            now=now,
            before=before,
            after={k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in extra.items()},
            detail=detail(after),
            kind=EntryKind.CORRECTION
            if after.kind is Kind.CORRECTION and after.state is State.PUBLISHED
            else EntryKind.COMMUNICATION,
        )
        if after.state is State.PUBLISHED:
            for hook in STATEMENT_PUBLISHED:
                hook(ctx, uow, incident, after, now)
        uow.commit()
    return after


def edit(
    ctx: Context,
    actor: Actor,
    key: str,
    number: int,
    *,
    title: str | None = None,
    body: str | None = None,
    channels: object | None = None,
    elements: Mapping[str, Mapping[str, Any]] | None = None,
    version: int | None = None,
) -> Statement:
    """Change a draft. ``version`` is the row version the editor started from: saving over a
    newer one is a conflict, never a silent overwrite."""

    def change(
        uow: StatementUnitOfWork, incident: Incident, before: Statement, now: datetime
    ) -> Statement:
        if before.author != actor.username and not model.may_publish(
            incident, actor.username, uow.statements.delegates(incident.id)
        ):
            raise PermissionDenied(
                f"only its author ({before.author}) or the communications lead edits "
                f"statement #{before.number}"
            )
        start = before if version is None else replace(before, version=version)
        return model.edit(
            start, incident, title=title, body=body, channels=channels, elements=elements, now=now
        )

    return _change(
        ctx,
        actor,
        key,
        number,
        action="edit",
        change=change,
        describe=lambda s: f"Statement #{s.number} edited: {s.title}",
    )


def submit(ctx: Context, actor: Actor, key: str, number: int) -> Statement:
    def change(
        uow: StatementUnitOfWork, incident: Incident, before: Statement, now: datetime
    ) -> Statement:
        return model.submit(before, by=actor.username, now=now)

    return _change(
        ctx,
        actor,
        key,
        number,
        action="submit",
        change=change,
        describe=lambda s: (
            f"Statement #{s.number} submitted for review "
            f"({' then '.join(r.replace('_', ' ') for r in s.review_chain)})."
        ),
    )


def approve(ctx: Context, actor: Actor, key: str, number: int, *, comment: str = "") -> Statement:
    step: list[str] = []

    def change(
        uow: StatementUnitOfWork, incident: Incident, before: Statement, now: datetime
    ) -> Statement:
        step.append(before.next_step or "")
        return model.approve(before, incident, by=actor.username, comment=comment, now=now)

    def describe(s: Statement) -> str:
        text = f"Statement #{s.number} approved by the {step[0].replace('_', ' ')}"
        text += "; ready to publish." if s.state is State.APPROVED else "."
        return text + (f" {comment.strip()}" if comment.strip() else "")

    return _change(
        ctx,
        actor,
        key,
        number,
        action="approve",
        change=change,
        describe=describe,
        detail=lambda s: comment.strip() or None,
    )


def request_changes(
    ctx: Context, actor: Actor, key: str, number: int, *, comment: str
) -> Statement:
    def change(
        uow: StatementUnitOfWork, incident: Incident, before: Statement, now: datetime
    ) -> Statement:
        return model.request_changes(before, incident, by=actor.username, comment=comment, now=now)

    return _change(
        ctx,
        actor,
        key,
        number,
        action="request_changes",
        change=change,
        describe=lambda s: f"Changes requested on statement #{s.number}: {comment.strip()}",
        detail=lambda s: comment.strip(),
    )


def withdraw(ctx: Context, actor: Actor, key: str, number: int, *, reason: str) -> Statement:
    def change(
        uow: StatementUnitOfWork, incident: Incident, before: Statement, now: datetime
    ) -> Statement:
        return model.withdraw(before, reason=reason, now=now)

    return _change(
        ctx,
        actor,
        key,
        number,
        action="withdraw",
        change=change,
        describe=lambda s: f"Statement #{s.number} withdrawn: {s.withdrawn_reason}",
        detail=lambda s: s.withdrawn_reason,
    )


def publish(ctx: Context, actor: Actor, key: str, number: int) -> Statement:
    """Publish an approved statement now (the server clock; no caller chooses the time)."""

    def change(
        uow: StatementUnitOfWork, incident: Incident, before: Statement, now: datetime
    ) -> Statement:
        return model.publish(
            before,
            incident,
            by=actor.username,
            delegates=uow.statements.delegates(incident.id),
            now=now,
        )

    def describe(s: Statement) -> str:
        what = f"a correction of statement #{s.corrects}" if s.kind is Kind.CORRECTION else s.title
        return (
            f"Statement #{s.number} published to {_audience(s)} "
            f"({', '.join(c.value for c in s.channels)}): {what}. SHA-256 {s.content_hash}"
        )

    return _change(ctx, actor, key, number, action="publish", change=change, describe=describe)


def set_delegate(ctx: Context, actor: Actor, key: str, username: str, *, on: bool = True) -> None:
    """The communications lead names (or removes) someone who may publish for them."""
    now = ctx.clock.now()
    name = username.strip()
    with ctx.uow(write=True) as base:
        uow = with_statements(base)
        incident = load(uow, actor, key)
        require_write(actor, incident)
        if incident.roles.get(Role.COMMS_LEAD) != actor.username:
            raise PermissionDenied(
                f"only the communications lead of {incident.key} names publishing delegates"
            )
        if on and uow.users.get(name) is None:
            raise InvalidInput(Problem(f"no user {name!r}", field="username"))
        uow.statements.set_delegate(incident.id, name, named_by=actor.username, now=now, on=on)
        text = (
            f"{name} may publish statements for the communications lead."
            if on
            else f"{name} no longer publishes statements."
        )
        uow.timeline.append(
            incident.id,
            timeline.draft(
                kind=EntryKind.ROLE_CHANGE, author=actor.username, occurred_at=now, body=text
            ),
            recorded_at=now,
        )
        uow.audit.append(
            AuditDraft(
                at=now,
                actor=actor.username,
                action="statement.delegate" if on else "statement.undelegate",
                target_type="incident",
                target_id=str(incident.id),
                incident_key=incident.key,
                after={"username": name, "on": on},
            )
        )
        uow.commit()


# -- templates ---------------------------------------------------------------------------------


def _unknowns(version: ImpactVersion | None) -> list[str]:
    """What the impact statement says we do not know yet."""
    if version is None:
        return ["what happened, who is affected and which data are involved"]
    out = []
    for section in Section:
        if section is Section.OPEN_QUESTIONS:
            continue
        text = version.section(section)
        if text.confidence is Confidence.UNKNOWN or not text.text:
            out.append(SECTION_TITLES[section].lower())
    questions = version.section(Section.OPEN_QUESTIONS).text
    out.extend(line.strip(" -*\t") for line in questions.splitlines() if line.strip(" -*\t"))
    return out


def template_data(
    ctx: Context, incident: Incident, impact_version: ImpactVersion | None
) -> dict[str, Any]:
    sections = {s.value: {"text": "", "confidence": "unknown"} for s in Section}
    if impact_version is not None:
        for section in Section:
            text = impact_version.section(section)
            sections[section.value] = {"text": text.text, "confidence": text.confidence.value}
    return {
        "organization": ctx.organization,
        "incident": {"title": incident.title, "declared_at": incident.declared_at.isoformat()},
        "impact": sections,
        "impact_version": impact_version.number if impact_version else None,
        "affected": (
            {
                "customers": impact_version.affected.customers,
                "people": impact_version.affected.people,
            }
            if impact_version
            else {"customers": None, "people": None}
        ),
        "unknowns": _unknowns(impact_version),
    }


def credential_rows(ctx: Context, credentials: Sequence[Any]) -> list[dict[str, Any]]:
    """A customer's exposed credentials (``{"type": secret type id, "masked": …}``) with the
    rotation steps from the secrets catalogue."""
    comms = _comms(ctx)
    problems = []
    rows = []
    for index, item in enumerate(credentials):
        if not isinstance(item, Mapping):
            problems.append(Problem("expected {type, masked}", field=f"credentials[{index}]"))
            continue
        kind = str(item.get("type", "")).strip()
        masked = str(item.get("masked", "")).strip()
        if not masked:
            problems.append(
                Problem("give the masked credential", field=f"credentials[{index}].masked")
            )
        if kind not in comms.secret_rotation:
            problems.append(
                Problem(
                    f"unknown secret type {kind!r} (the types are in the secrets catalogue, "
                    "`candor secrets types`)",
                    field=f"credentials[{index}].type",
                )
            )
            continue
        rows.append(
            {
                "type": kind,
                "name": comms.secret_names.get(kind, kind),
                "masked": masked,
                "rotate": list(comms.secret_rotation[kind]),
            }
        )
    if problems:
        raise InvalidInput(problems)
    if not rows:
        raise InvalidInput(Problem("list at least one exposed credential", field="credentials"))
    return rows


def draft_from_template(
    ctx: Context,
    actor: Actor,
    key: str,
    *,
    template: str,
    audience: str,
    channels: object,
    audience_ref: str = "",
    credentials: Sequence[Mapping[str, Any]] = (),
) -> Statement:
    """Write a draft from a template and the incident's current impact statement."""
    comms = _comms(ctx)
    if comms.templates is None:
        raise InvalidInput(Problem("no statement templates are configured", field="template"))
    if template not in TEMPLATES:
        raise InvalidInput(
            Problem(
                f"unknown template {template!r}; templates: {', '.join(TEMPLATES)}",
                field="template",
            )
        )
    with ctx.uow() as base:
        incident = load(base, actor, key)
        current = with_impact(base).impact.latest(incident.id)
        obligation = None
        if template == "regulator_notice":
            if audience != Audience.REGULATOR.value:
                raise InvalidInput(
                    Problem("a regulator notice goes to audience regulator", field="audience")
                )
            obligation = tracking.find(
                tracked(base).obligations.of_incident(incident.id), audience_ref or ""
            )
            if obligation is None:
                raise InvalidInput(
                    Problem(
                        f"{incident.key} has no obligation {audience_ref!r} "
                        "(its number, like #3, or its rule id)",
                        field="audience_ref",
                    )
                )
    data = template_data(ctx, incident, current)
    elements: tuple[Element, ...] = ()
    phasing = False
    if obligation is not None:
        detail = obligation.computed.detail
        content = [str(c) for c in detail.get("content_required") or []]
        phasing = any("phase" in str(e).lower() for e in detail.get("other_exceptions") or [])
        elements = tuple(Element(name) for name in content)
        data["obligation"] = {
            "number": obligation.seq,
            "rule": obligation.computed.rule_id,
            "recipient": obligation.computed.recipient,
            "law": obligation.computed.law,
            "citation": obligation.computed.citation,
            "jurisdiction": obligation.computed.jurisdiction,
            "content_required": content,
            "phasing_allowed": phasing,
        }
        audience_ref = f"#{obligation.seq} {obligation.computed.rule_id}"
    if template == "credential_rotation":
        if audience != Audience.CUSTOMER.value:
            raise InvalidInput(
                Problem("a credential-rotation notice goes to one customer", field="audience")
            )
        data["customer"] = audience_ref
        data["credentials"] = credential_rows(ctx, credentials)
    if template == "customer_notice" and audience not in model.CUSTOMER_AUDIENCES:
        raise InvalidInput(Problem("a customer notice goes to customers", field="audience"))
    rendered = comms.templates.render(template, data)
    return draft(
        ctx,
        actor,
        key,
        kind=TEMPLATES[template].value,
        audience=audience,
        audience_ref=audience_ref,
        channels=channels,
        title=rendered.title,
        body=rendered.body,
        elements=elements,
        phasing_allowed=phasing,
        template=template,
    )


# -- the public status site ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PublicEntry:
    statement: Statement
    corrections: tuple[Statement, ...]  # published corrections of it, oldest first


@dataclass(frozen=True, slots=True)
class PublicIncident:
    """What the status site shows of an incident: its public statements, nothing else."""

    slug: str  # a stable public id that reveals nothing (not the incident key)
    title: str  # the first public statement's title
    entries: tuple[PublicEntry, ...]  # oldest first
    first_published: datetime
    last_published: datetime
    resolved: bool  # a public resolution has been published

    @property
    def statements(self) -> list[Statement]:
        out = []
        for entry in self.entries:
            out.append(entry.statement)
            out.extend(entry.corrections)
        return sorted(out, key=lambda s: (s.published_at or s.created_at, s.number))


def public_slug(incident_id: uuid.UUID) -> str:
    return hashlib.sha256(b"candor-status:" + incident_id.bytes).hexdigest()[:12]


def public_incidents(ctx: Context) -> list[PublicIncident]:
    """Every incident with a published public statement, outside exercises; newest first."""
    with ctx.uow() as base:
        rows = with_statements(base).statements.public()
    by_incident: dict[uuid.UUID, list[Statement]] = {}
    for incident_id, exercise, statement in rows:
        if exercise:  # never: publishing refuses it; and never shown even if stored
            continue
        by_incident.setdefault(incident_id, []).append(statement)
    out = []
    for incident_id, items in by_incident.items():
        corrections: dict[int, list[Statement]] = {}
        for s in items:
            if s.corrects is not None:
                corrections.setdefault(s.corrects, []).append(s)
        entries = tuple(
            PublicEntry(s, tuple(corrections.get(s.number, ())))
            for s in items
            if s.corrects is None
        )
        times = [s.published_at for s in items if s.published_at is not None]
        out.append(
            PublicIncident(
                slug=public_slug(incident_id),
                title=entries[0].statement.title if entries else items[0].title,
                entries=entries,
                first_published=min(times),
                last_published=max(times),
                resolved=any(s.kind is Kind.RESOLUTION for s in items),
            )
        )
    return sorted(out, key=lambda p: p.last_published, reverse=True)


def public_fingerprint(ctx: Context) -> tuple[int, datetime | None]:
    """Changes whenever a public statement is published (for caches)."""
    with ctx.uow() as base:
        return with_statements(base).statements.public_fingerprint()


def _personal(base: UnitOfWork, incident: Incident, marker: str) -> list[Statement]:
    if getattr(base, "statements", None) is None:  # a unit of work without the statement tables
        return []
    found = with_statements(base).statements.of_incident(incident.id)
    return [s for s in found if model.personal(s, marker)]


def _scrub(base: UnitOfWork, incident: Incident, marker: str) -> dict[str, int]:
    """Retention: see ``domain.statements.scrubbed`` for what goes and what stays."""
    found = _personal(base, incident, marker)
    for statement in found:
        with_statements(base).statements.rewrite(model.scrubbed(statement, marker))
    return {"statements": len(found)} if found else {}


def _count(base: UnitOfWork, incident: Incident) -> dict[str, int]:
    return {"statements": len(_personal(base, incident, REDACTED_BODY))}


retention.RETENTION_SCRUBBERS.append(_scrub)
retention.RETENTION_COUNTERS.append(_count)
