"""Use cases for reports: receive one (public form, API, CLI), read the queue, acknowledge,
promote to an incident, decline, decrypt.

A report is stored in one transaction with its audit record, or not at all. Public submissions
pass the rate limiter first, in the same transaction, so workers in other processes see every
attempt; what the reporter wrote never goes into the audit log (only its sizes).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from candor.domain import reports as model
from candor.domain import timeline
from candor.domain.access import Actor
from candor.domain.audit import AuditDraft
from candor.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Problem
from candor.domain.incidents import Incident
from candor.domain.reports import Channel, Decryption, RateLimit, Report
from candor.domain.timeline import EntryKind
from candor.domain.vocabulary import Confidentiality, Kind, Severity
from candor.services import incidents, retention
from candor.services.context import Context
from candor.services.ports import UnitOfWork
from candor.services.ports_intake import IntakeUnitOfWork, OrganisationKey, ReportFilter, intake

PUBLIC = "public"  # the audit's actor for anonymous submissions
OPEN = (model.ReportStatus.RECEIVED, model.ReportStatus.ACKNOWLEDGED)
REFUSED = (
    "the report could not be accepted; if you are a person, please reach the security team "
    "another way"
)


def receive(
    ctx: Context,
    data: Mapping[str, object],
    *,
    channel: Channel,
    actor: Actor | None = None,
    client_address: str = "",
    client_id: str = "",
    rate: RateLimit | None = None,
    trapped: bool = False,
    strict: bool = False,
) -> Report:
    """Store a report and return it with its reference.

    ``client_id`` is the keyed hash of the client's address the limiter counts (``rate``; None
    for the CLI, run by an operator). ``trapped``: a field hidden from people was filled in, so
    a program sent it; it is refused without saying why, and counted like any attempt.
    """
    now = ctx.clock.now()
    with ctx.uow(write=True) as base:
        uow = intake(base)
        if rate is not None:
            uow.report_attempts.lock()
            model.check_rate(
                uow.report_attempts.recent(client_id, since=now - rate.window), rule=rate, now=now
            )
        if trapped:
            _count(uow, client_id, rate, now)
            uow.commit()
            raise PermissionDenied(REFUSED)
        submission = model.parse_submission(data, strict=strict)
        _count(uow, client_id, rate, now)
        report = model.receive(
            submission,
            id=ctx.new_id(),
            key=model.format_key(now.year, uow.sequences.next(f"report-{now.year}")),
            channel=channel,
            now=now,
            client_network=model.client_network(client_address),
            submitted_by=actor.username if actor else None,
        )
        uow.reports.add(report)
        _audit(uow, actor, "report.receive", report, now=now, after=model.snapshot(report))
        uow.commit()
    return report


def _count(uow: IntakeUnitOfWork, client_id: str, rate: RateLimit | None, now: datetime) -> None:
    if rate is None:
        return
    uow.report_attempts.add(client_id, at=now)
    uow.report_attempts.purge(before=now - rate.window)


def _audit(
    uow: IntakeUnitOfWork,
    actor: Actor | None,
    action: str,
    report: Report,
    *,
    now: datetime,
    before: Report | None = None,
    after: Mapping[str, object] | None = None,
    incident_key: str | None = None,
    detail: str = "",
) -> None:
    uow.audit.append(
        AuditDraft(
            at=now,
            actor=actor.username if actor else PUBLIC,
            action=action,
            target_type="report",
            target_id=report.key,
            incident_key=incident_key,
            before=model.snapshot(before) if before else None,
            after=after,
            detail=detail,
        )
    )


def _load(uow: IntakeUnitOfWork, key: str) -> Report:
    found = uow.reports.get(model.parse_key(key))
    if found is None:
        raise NotFound(f"no report {key.strip().upper()}")
    return found


def _check_version(report: Report, expected: int | None) -> None:
    if expected is not None and expected != report.version:
        raise Conflict(
            f"{report.key} was handled by someone else meanwhile (it is at version "
            f"{report.version}; you saw version {expected}). Reload it."
        )


@dataclass(frozen=True, slots=True)
class ReportPage:
    items: list[Report]
    total: int


def page(ctx: Context, actor: Actor, where: ReportFilter) -> ReportPage:
    model.require_read(actor)
    with ctx.uow() as base:
        uow = intake(base)
        return ReportPage(uow.reports.list(where), uow.reports.count(where))


def count_open(ctx: Context, actor: Actor) -> int:
    return page(ctx, actor, ReportFilter(status=OPEN, limit=1)).total


@dataclass(frozen=True, slots=True)
class ReportView:
    report: Report
    decryptions: list[Decryption]


def get(ctx: Context, actor: Actor, key: str) -> ReportView:
    model.require_read(actor)
    with ctx.uow() as base:
        uow = intake(base)
        report = _load(uow, key)
        return ReportView(report, uow.reports.decryptions(report.id))


def _handle(
    ctx: Context,
    actor: Actor,
    key: str,
    change: Callable[[Report, datetime], Report],
    *,
    action: str,
    expected_version: int | None,
) -> Report:
    """Load a report, change its handling (a pure function), save it and audit the change."""
    model.require_handle(actor)
    now = ctx.clock.now()
    with ctx.uow(write=True) as base:
        uow = intake(base)
        before = _load(uow, key)
        _check_version(before, expected_version)
        after = uow.reports.save(change(before, now), expected_version=before.version)
        _audit(
            uow,
            actor,
            action,
            after,
            now=now,
            before=before,
            after=model.snapshot(after),
            detail=after.decline_reason,
        )
        uow.commit()
    return after


def acknowledge(
    ctx: Context, actor: Actor, key: str, *, expected_version: int | None = None
) -> Report:
    return _handle(
        ctx,
        actor,
        key,
        lambda report, now: model.acknowledge(report, by=actor.username, now=now),
        action="report.acknowledge",
        expected_version=expected_version,
    )


def decline(
    ctx: Context, actor: Actor, key: str, *, reason: str, expected_version: int | None = None
) -> Report:
    return _handle(
        ctx,
        actor,
        key,
        lambda report, now: model.decline(report, by=actor.username, now=now, reason=reason),
        action="report.decline",
        expected_version=expected_version,
    )


def promote(
    ctx: Context,
    actor: Actor,
    key: str,
    *,
    title: str = "",
    kind: Kind | str = Kind.SECURITY_INCIDENT,
    severity: Severity | str = Severity.SEV3,
    restricted: bool = False,
    expected_version: int | None = None,
) -> tuple[Report, Incident]:
    """Declare an incident from a report: detected when the report arrived, the report's words
    as its first finding, and the report linked to it — all or nothing."""
    model.require_handle(actor)
    now = ctx.clock.now()
    with ctx.uow(write=True) as base:
        uow = intake(base)
        before = _load(uow, key)
        _check_version(before, expected_version)
        model.require_open(before, "promoted")
        incident = incidents.declare_in(
            ctx,
            uow,
            actor,
            title=title.strip() or model.default_title(before),
            summary=f"Promoted from report [{before.key}](/reports/{before.key}); the report's "
            "text is the first finding on the timeline.",
            kind=kind,
            severity=severity,
            confidentiality=Confidentiality.RESTRICTED if restricted else Confidentiality.NORMAL,
            detected_at=before.received_at,
            now=now,
        )
        uow.timeline.append(
            incident.id,
            timeline.draft(
                kind=EntryKind.FINDING,
                author=actor.username,
                occurred_at=before.received_at,
                body=model.finding_body(before),
                data={"report": before.key, "encrypted": before.submission.encrypted},
            ),
            recorded_at=now,
        )
        after = uow.reports.save(
            model.promote(before, by=actor.username, now=now, incident_key=incident.key),
            expected_version=before.version,
        )
        _audit(
            uow,
            actor,
            "report.promote",
            after,
            now=now,
            before=before,
            after=model.snapshot(after),
            incident_key=incident.key,
        )
        uow.commit()
    return after, incident


def decrypt(
    ctx: Context,
    actor: Actor,
    key: str,
    *,
    organisation_key: OrganisationKey | None,
    keep: bool = False,
) -> Decryption:
    """Open a report's encrypted message with the organisation's key. The plaintext is returned
    to the responder; with ``keep`` it is also stored as a decryption record. Both are audited:
    reading an encrypted report is access to what the reporter meant only us to read."""
    model.require_handle(actor)
    now = ctx.clock.now()
    with ctx.uow() as base:
        report = _load(intake(base), key)
    if not report.submission.encrypted:
        raise InvalidInput(Problem(f"{report.key} holds no encrypted message", field="message"))
    if organisation_key is None:
        raise InvalidInput(
            Problem(
                "no private key is configured for decrypting reports",
                field="pgp.private_key",
                hint="set [pgp] private_key and the passphrase (docs/intake.md)",
            )
        )
    opened = organisation_key.decrypt(report.submission.pgp_message)
    decryption = Decryption.of(
        opened.plaintext,
        id=ctx.new_id(),
        report_id=report.id,
        by=actor.username,
        now=now,
        key_fingerprint=opened.key_fingerprint,
    )
    with ctx.uow(write=True) as base:
        uow = intake(base)
        if keep:
            uow.reports.add_decryption(decryption)
        _audit(
            uow,
            actor,
            "report.decrypt",
            report,
            now=now,
            after={
                "key_fingerprint": decryption.key_fingerprint,
                "kept": keep,
                "decryption_id": str(decryption.id) if keep else None,
                "bytes": len(opened.plaintext),
            },
        )
        uow.commit()
    return decryption


def _scrub(base: UnitOfWork, incident: Incident, marker: str) -> dict[str, int]:
    """Retention: the reports that became this incident lose their text and their sender."""
    if getattr(base, "reports", None) is None:  # a unit of work without the intake tables
        return {}
    return {"reports": intake(base).reports.scrub(incident.key, marker)}


retention.RETENTION_SCRUBBERS.append(_scrub)
