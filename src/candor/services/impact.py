"""Use cases for the living impact statement and findings (status reports: ``status_reports``)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from candor.domain import findings as fmodel
from candor.domain import impact as model
from candor.domain import timeline
from candor.domain.access import Actor, require_see, require_write
from candor.domain.audit import AuditDraft, AuditFilter
from candor.domain.cadence import check_interval
from candor.domain.errors import Conflict, IntegrityFailure, InvalidInput, NotFound, Problem
from candor.domain.exercises import Observation
from candor.domain.findings import Finding, ReviewStatus
from candor.domain.impact import ImpactVersion, VersionDiff
from candor.domain.incidents import Incident
from candor.domain.timeline import EntryKind
from candor.services import export, retention
from candor.services.context import Context
from candor.services.incidents import load
from candor.services.ports import UnitOfWork
from candor.services.ports_impact import ImpactUnitOfWork, NumberedFinding, with_impact


@dataclass(frozen=True, slots=True)
class Statement:
    incident: Incident
    versions: list[ImpactVersion]

    @property
    def current(self) -> ImpactVersion | None:
        return self.versions[-1] if self.versions else None


def statement(ctx: Context, actor: Actor, key: str) -> Statement:
    with ctx.uow() as base:
        uow = with_impact(base)
        incident = load(uow, actor, key)
        return Statement(incident, uow.impact.versions(incident.id))


def save_version(
    ctx: Context,
    actor: Actor,
    key: str,
    *,
    sections: Mapping[str, Any],
    affected: Mapping[str, Any] | None = None,
    reason: str,
    based_on: int | None,
    findings: Sequence[int] = (),
) -> ImpactVersion:
    """Save a new version. ``based_on`` is the version the editor started from (None for the
    first): saving over a newer version is a conflict, never a silent overwrite. ``findings``
    (their numbers) are integrated into the new version."""
    now = ctx.clock.now()
    with ctx.uow(write=True) as base:
        uow = with_impact(base)
        incident = load(uow, actor, key)
        require_write(actor, incident)
        latest = uow.impact.latest(incident.id)
        if (latest.number if latest else None) != based_on:
            current = latest.number if latest else "none"
            raise Conflict(
                f"the impact statement of {incident.key} changed while you edited it "
                f"(now at version {current}, you started from version "
                f"{based_on or 'none'}). Compare, then save again."
            )
        base_sections = latest.sections if latest else None
        new_sections = model.parse_sections(sections, base=base_sections)
        new_affected = model.parse_affected(
            affected or {}, base=latest.affected if latest else None
        )
        picked = _findings(uow, incident, findings)
        ids = tuple(str(f.id) for _, _, f in picked)
        if latest is None:
            version = model.first_version(
                sections=new_sections,
                affected=new_affected,
                author=actor.username,
                now=now,
                reason=reason,
                findings=ids,
            )
        else:
            version = model.revise(
                latest,
                sections=new_sections,
                affected=new_affected,
                author=actor.username,
                now=now,
                reason=reason,
                findings=ids,
            )
        digest = uow.impact.add_version(incident.id, version)
        for _, row_version, finding in picked:
            integrated = fmodel.integrate(finding, version, by=actor.username, now=now)
            uow.findings.save(integrated, expected_version=row_version)
        changed = ", ".join(
            model.SECTION_TITLES[s].lower() for s in model.Section if s in version.changed
        )
        numbers = ", ".join(f"#{n}" for n, _, _ in picked)
        body = f"Impact statement version {version.number}: {version.reason}. Changed: {changed}."
        if numbers:
            body += f" Integrates findings {numbers}."
        uow.timeline.append(
            incident.id,
            timeline.draft(
                kind=EntryKind.IMPACT,
                author=actor.username,
                occurred_at=now,
                body=body,
                data={
                    "version": version.number,
                    "changed": sorted(s.value for s in version.changed),
                    "hash": digest,
                },
            ),
            recorded_at=now,
        )
        uow.audit.append(
            AuditDraft(
                at=now,
                actor=actor.username,
                action="impact.version",
                target_type="impact_version",
                target_id=f"{incident.key}/v{version.number}",
                incident_key=incident.key,
                after={
                    "number": version.number,
                    "hash": digest,
                    "changed": sorted(s.value for s in version.changed),
                    "findings": list(ids),
                },
                detail=version.reason,
            )
        )
        uow.commit()
    return version


def _findings(uow: Any, incident: Incident, numbers: Sequence[int]) -> list[NumberedFinding]:
    picked = []
    for number in dict.fromkeys(numbers):
        found = uow.findings.get(incident.id, number)
        if found is None:
            raise NotFound(f"{incident.key} has no finding #{number}")
        picked.append(found)
    return picked


def diff(ctx: Context, actor: Actor, key: str, before: int, after: int) -> VersionDiff:
    found = statement(ctx, actor, key)
    by_number = {v.number: v for v in found.versions}
    missing = [n for n in (before, after) if n not in by_number]
    if missing:
        raise NotFound(
            f"{found.incident.key} has no impact statement version {', '.join(map(str, missing))}"
        )
    return model.diff_versions(by_number[before], by_number[after])


def markdown(ctx: Context, actor: Actor, key: str, number: int | None = None) -> str:
    found = statement(ctx, actor, key)
    if not found.versions:
        raise NotFound(f"{found.incident.key} has no impact statement yet")
    version = (
        found.current
        if number is None
        else next((v for v in found.versions if v.number == number), None)
    )
    if version is None:
        raise NotFound(f"{found.incident.key} has no impact statement version {number}")
    return model.to_markdown(version, incident_key=found.incident.key, title=found.incident.title)


def verify_versions(ctx: Context, actor: Actor, key: str) -> list[str]:
    """Problems with stored versions: each must match the hash its audit record carries.

    Versions are never edited by Candor; an edit made directly in the database changes the
    content's hash, and the audit record (itself protected by the audit chain) still holds the
    original one.
    """
    with ctx.uow() as base:
        uow = with_impact(base)
        incident = load(uow, actor, key)
        stored = uow.impact.stored_hashes(incident.id)
        # after a retention purge the versions' text and their audit records were redacted
        # together; each version must still match the hash stored beside it
        purged = uow.redactions.tombstone(incident.id) is not None
        audited = {
            int(str(r.target_id).rsplit("/v", 1)[1]): r.after_json or ""
            for r in uow.audit.list(
                AuditFilter(incident_key=incident.key, action_prefix="impact.version", limit=10_000)
            )
        }
    problems = []
    for number, (recomputed, recorded) in sorted(stored.items()):
        if recomputed != recorded or (not purged and recorded not in audited.get(number, "")):
            problems.append(
                f"version {number} was altered after it was saved "
                "(its content no longer matches its audit record)"
            )
    for number in sorted(set(audited) - set(stored)) if not purged else ():
        problems.append(f"version {number} was removed")
    return problems


def require_intact(ctx: Context, actor: Actor, key: str) -> None:
    problems = verify_versions(ctx, actor, key)
    if problems:
        raise IntegrityFailure("; ".join(problems))


# -- findings --------------------------------------------------------------------------------


def add_finding(
    ctx: Context, actor: Actor, key: str, *, summary: str, source: str, evidence_ref: str = ""
) -> tuple[int, Finding]:
    now = ctx.clock.now()
    with ctx.uow(write=True) as base:
        uow = with_impact(base)
        incident = load(uow, actor, key)
        require_write(actor, incident)
        made = add_finding_in(
            uow,
            actor,
            incident,
            id=ctx.new_id(),
            summary=summary,
            source=source,
            now=now,
            evidence_ref=evidence_ref,
        )
        uow.commit()
    return made


def add_finding_in(
    uow: ImpactUnitOfWork,
    actor: Actor,
    incident: Incident,
    *,
    id: uuid.UUID,
    summary: str,
    source: str,
    now: datetime,
    evidence_ref: str = "",
) -> tuple[int, Finding]:
    """Add a finding inside the caller's transaction (a scan attached to an incident adds its
    key facts this way): stored, on the timeline and in the audit log."""
    finding = fmodel.new_finding(
        id=id,
        incident_id=incident.id,
        summary=summary,
        source=source,
        author=actor.username,
        now=now,
        evidence_ref=evidence_ref,
    )
    number = uow.findings.add(finding)
    uow.timeline.append(
        incident.id,
        timeline.draft(
            kind=EntryKind.FINDING,
            author=actor.username,
            occurred_at=now,
            body=f"Finding #{number} (from {finding.source}): {finding.summary}",
            data={"finding": number},
        ),
        recorded_at=now,
    )
    uow.audit.append(
        AuditDraft(
            at=now,
            actor=actor.username,
            action="finding.add",
            target_type="finding",
            target_id=str(finding.id),
            incident_key=incident.key,
            after=finding.as_dict(),
        )
    )
    return number, finding


def _change_finding(
    ctx: Context,
    actor: Actor,
    key: str,
    number: int,
    action: str,
    change: Callable[[Any, Incident, Finding, datetime], Finding],
    describe: Callable[[int, Finding], str],
) -> Finding:
    now = ctx.clock.now()
    with ctx.uow(write=True) as base:
        uow = with_impact(base)
        incident = load(uow, actor, key)
        require_write(actor, incident)
        found = uow.findings.get(incident.id, number)
        if found is None:
            raise NotFound(f"{incident.key} has no finding #{number}")
        _, row_version, before = found
        after = change(uow, incident, before, now)
        uow.findings.save(after, expected_version=row_version)
        uow.timeline.append(
            incident.id,
            timeline.draft(
                kind=EntryKind.FINDING,
                author=actor.username,
                occurred_at=now,
                body=describe(number, after),
                data={"finding": number, "state": after.state.value},
            ),
            recorded_at=now,
        )
        uow.audit.append(
            AuditDraft(
                at=now,
                actor=actor.username,
                action=f"finding.{action}",
                target_type="finding",
                target_id=str(after.id),
                incident_key=incident.key,
                before=before.as_dict(),
                after=after.as_dict(),
            )
        )
        uow.commit()
    return after


def review_finding(
    ctx: Context,
    actor: Actor,
    key: str,
    number: int,
    *,
    changes_customer_impact: str,
    new_access_path: str,
    new_data: str,
    note: str = "",
) -> Finding:
    def change(uow: Any, incident: Incident, before: Finding, now: datetime) -> Finding:
        return fmodel.review(
            before,
            changes_customer_impact=changes_customer_impact,
            new_access_path=new_access_path,
            new_data=new_data,
            by=actor.username,
            now=now,
            note=note,
        )

    def describe(n: int, f: Finding) -> str:
        assert f.review is not None
        return (
            f"Finding #{n} reviewed: customer impact {f.review.changes_customer_impact}, "
            f"new access path {f.review.new_access_path}, new data {f.review.new_data} "
            f"({f.relevance.value.replace('_', ' ')})."
        )

    return _change_finding(ctx, actor, key, number, "review", change, describe)


def integrate_finding(
    ctx: Context, actor: Actor, key: str, number: int, *, version: int
) -> Finding:
    """Record that an existing, named version took the finding in."""

    def change(uow: Any, incident: Incident, before: Finding, now: datetime) -> Finding:
        named = next((v for v in uow.impact.versions(incident.id) if v.number == version), None)
        if named is None:
            raise NotFound(f"{incident.key} has no impact statement version {version}")
        return fmodel.integrate(before, named, by=actor.username, now=now)

    return _change_finding(
        ctx,
        actor,
        key,
        number,
        "integrate",
        change,
        lambda n, f: f"Finding #{n} integrated into impact statement version {version}.",
    )


def dismiss_finding(ctx: Context, actor: Actor, key: str, number: int, *, reason: str) -> Finding:
    def change(uow: Any, incident: Incident, before: Finding, now: datetime) -> Finding:
        return fmodel.dismiss(before, reason=reason, by=actor.username, now=now)

    return _change_finding(
        ctx,
        actor,
        key,
        number,
        "dismiss",
        change,
        lambda n, f: f"Finding #{n} dismissed: {reason.strip()}",
    )


@dataclass(frozen=True, slots=True)
class FindingsView:
    incident: Incident
    findings: list[NumberedFinding]
    status: ReviewStatus
    cadence_override: timedelta | None


def findings(ctx: Context, actor: Actor, key: str) -> FindingsView:
    now = ctx.clock.now()
    with ctx.uow() as base:
        uow = with_impact(base)
        incident = load(uow, actor, key)
        items = uow.findings.list(incident.id)
        override = uow.impact.cadence(incident.id)
    status = fmodel.review_status(
        [f for _, _, f in items], severity=incident.severity, now=now, override=override
    )
    return FindingsView(incident, items, status, override)


def set_review_cadence(ctx: Context, actor: Actor, key: str, minutes: int | None) -> None:
    now = ctx.clock.now()
    every = check_interval(timedelta(minutes=minutes), field="cadence") if minutes else None
    with ctx.uow(write=True) as base:
        uow = with_impact(base)
        incident = load(uow, actor, key)
        require_write(actor, incident)
        before = uow.impact.cadence(incident.id)
        uow.impact.set_cadence(incident.id, every)
        text = (
            f"Findings review cadence: every {minutes} minutes."
            if every
            else "Findings review cadence: back to the default for the severity."
        )
        uow.timeline.append(
            incident.id,
            timeline.draft(
                kind=EntryKind.DECISION, author=actor.username, occurred_at=now, body=text
            ),
            recorded_at=now,
        )
        uow.audit.append(
            AuditDraft(
                at=now,
                actor=actor.username,
                action="finding.cadence",
                target_type="incident",
                target_id=str(incident.id),
                incident_key=incident.key,
                before={"minutes": int(before.total_seconds() // 60) if before else None},
                after={"minutes": minutes},
            )
        )
        uow.commit()


@dataclass(frozen=True, slots=True)
class Overdue:
    incident: Incident
    status: ReviewStatus


def overdue_everywhere(ctx: Context, actor: Actor) -> list[Overdue]:
    """Open incidents the actor may see that have findings waiting past their cadence."""
    now = ctx.clock.now()
    out = []
    with ctx.uow() as base:
        uow = with_impact(base)
        pending = uow.findings.open_by_incident()
        for incident_id, items in pending.items():
            incident = uow.incidents.get_by_id(incident_id)
            if incident is None or not incident.is_open:
                continue
            try:
                require_see(actor, incident)
            except NotFound:
                continue
            status = fmodel.review_status(
                [f for _, _, f in items],
                severity=incident.severity,
                now=now,
                override=uow.impact.cadence(incident.id),
            )
            if status.overdue:
                out.append(Overdue(incident, status))
    return sorted(out, key=lambda o: o.status.overdue[0].due_at)


class ImpactRecords:
    """What exercises read about impact statements (``ports_prepare.ImpactStatementRecords``)."""

    def first_version_at(self, uow: UnitOfWork, incident: Incident) -> Observation:
        versions = with_impact(uow).impact.versions(incident.id)
        if not versions:
            return Observation(True, None, "no impact statement yet")
        return Observation(True, versions[0].created_at, f"version 1 saved by {versions[0].author}")


def parse_number(value: str, *, field: str) -> int:
    if not value.strip().isdigit():
        raise InvalidInput(Problem("must be a number", field=field))
    return int(value)


def _scrub(base: UnitOfWork, incident: Incident, marker: str) -> dict[str, int]:
    """Retention: the statement's text and the findings' text go; numbers, times, states stay."""
    if getattr(base, "impact", None) is None:  # a unit of work without this feature's tables
        return {}
    uow = with_impact(base)
    versions = uow.impact.versions(incident.id)
    for version in versions:
        uow.impact.rewrite_version(incident.id, model.scrubbed(version, marker))
    numbered = uow.findings.list(incident.id)
    for _seq, version_no, finding in numbered:
        uow.findings.save(fmodel.scrubbed(finding, marker), expected_version=version_no)
    return {"impact_versions": len(versions), "findings": len(numbered)}


def _export_versions(r: export.Request) -> Any:
    """Every version in full, with the content hash stored beside it (the one its audit record
    carries), so counsel can see the statement as it stood at any time."""
    if getattr(r.uow, "impact", None) is None:
        return []
    uow = with_impact(r.uow)
    hashes = uow.impact.stored_hashes(r.incident.id)
    return [
        {**v.as_dict(), "content_hash": hashes.get(v.number, ("", ""))[1]}
        for v in uow.impact.versions(r.incident.id)
    ]


def _export_findings(r: export.Request) -> Any:
    if getattr(r.uow, "findings", None) is None:
        return []
    return [
        {"number": n, **f.as_dict()} for n, _v, f in with_impact(r.uow).findings.list(r.incident.id)
    ]


retention.RETENTION_SCRUBBERS.append(_scrub)
export.register_exporter("impact_versions", _export_versions)
export.register_exporter("findings", _export_findings)
