"""Use cases for triage in an incident: assess, read the history, apply a result, confirm a
breach determination.

Assessing never changes the incident: it keeps the answers and the result as a new version and
writes what changed since the previous one to the timeline. A responder then applies the result
(kind and severity change through ``incidents.update``, with the rationale as the reason) and,
when the result is a breach, confirms the determination, which sets ``breach_determined_at``
through ``incidents.set_clock``. Two separate, deliberate steps: several US state deadlines run
from the determination, and it is a person's decision, not the policy's.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from candor.domain import retriage, timeline
from candor.domain.access import Actor, require_write
from candor.domain.assessments import StoredAssessment, apply_reason, check_note
from candor.domain.audit import AuditDraft
from candor.domain.errors import Conflict, InvalidInput, Problem
from candor.domain.incidents import Clock, Incident
from candor.domain.retriage import TriageChange
from candor.domain.timeline import EntryKind
from candor.domain.triage import Answers, parse_answers
from candor.domain.triage_policy import Policy
from candor.services import incidents
from candor.services.context import Context
from candor.services.ports_intake import intake


def assess(
    ctx: Context,
    actor: Actor,
    key: str,
    answers: Answers | Mapping[str, Any],
    *,
    policy: Policy,
    note: str = "",
) -> tuple[StoredAssessment, TriageChange]:
    parsed = answers if isinstance(answers, Answers) else parse_answers(answers)
    text = check_note(note)
    now = ctx.clock.now()
    with ctx.uow(write=True) as base:
        uow = intake(base)
        incident = incidents.load(uow, actor, key)
        require_write(actor, incident)
        previous = uow.assessments.latest(incident.id)
        made = retriage.assess(parsed, policy, by=actor.username, now=now, note=text)
        stored = StoredAssessment(
            id=ctx.new_id(),
            incident_id=incident.id,
            version=previous.version + 1 if previous else 1,
            assessment=made,
        )
        change = retriage.compare(previous.assessment if previous else None, made)
        uow.assessments.add(stored)
        body = f"Triage assessment {stored.version}: {change.summary()}"
        if text:
            body += f" Note: {text}"
        uow.timeline.append(
            incident.id,
            timeline.draft(
                kind=EntryKind.TRIAGE,
                author=actor.username,
                occurred_at=now,
                body=body,
                data={
                    "assessment": stored.version,
                    "policy": made.result.policy,
                    "policy_version": made.result.policy_version,
                    **change.as_data(),
                },
            ),
            recorded_at=now,
        )
        uow.audit.append(
            AuditDraft(
                at=now,
                actor=actor.username,
                action="triage.assess",
                target_type="triage_assessment",
                target_id=str(stored.id),
                incident_key=incident.key,
                after={
                    "version": stored.version,
                    "kind": made.result.kind.value,
                    "severity": made.result.severity.value,
                    "policy": made.result.policy,
                    "policy_version": made.result.policy_version,
                    "answers": made.answers.as_dict(),
                },
                detail=text,
            )
        )
        uow.commit()
    return stored, change


def history(ctx: Context, actor: Actor, key: str) -> list[StoredAssessment]:
    """Every assessment of the incident, oldest first."""
    with ctx.uow() as base:
        uow = intake(base)
        incident = incidents.load(uow, actor, key)
        return uow.assessments.list(incident.id)


def _current(ctx: Context, actor: Actor, key: str, version: int | None) -> StoredAssessment:
    """The latest assessment, which must be the one the responder looked at (``version``)."""
    with ctx.uow() as base:
        uow = intake(base)
        incident = incidents.load(uow, actor, key)
        latest = uow.assessments.latest(incident.id)
    if latest is None:
        raise InvalidInput(
            Problem(f"{incident.key} has not been triaged yet", hint="answer the questionnaire")
        )
    if version is not None and version != latest.version:
        raise Conflict(
            f"assessment {version} is no longer the latest of {incident.key} (assessment "
            f"{latest.version} is); review it and decide again"
        )
    return latest


def apply(
    ctx: Context,
    actor: Actor,
    key: str,
    *,
    version: int | None = None,
    expected_version: int | None = None,
) -> Incident:
    """Give the incident the kind and severity of its latest assessment, with the rationale as
    the reason. ``version``: the assessment the responder confirmed; ``expected_version``: the
    incident's version they saw."""
    stored = _current(ctx, actor, key, version)
    return incidents.update(
        ctx,
        actor,
        key,
        {"kind": stored.result.kind, "severity": stored.result.severity},
        reason=apply_reason(stored),
        expected_version=expected_version,
    )


def confirm_breach(
    ctx: Context,
    actor: Actor,
    key: str,
    *,
    version: int | None = None,
    at: datetime | None = None,
) -> Incident:
    """A responder confirms that a breach occurred, as the latest assessment says: records
    ``breach_determined_at`` (now, or ``at`` when the determination was made earlier)."""
    stored = _current(ctx, actor, key, version)
    if not stored.assessment.is_breach:
        raise InvalidInput(
            Problem(
                f"assessment {stored.version} classifies this as {stored.result.kind.value}, "
                "not as a breach",
                hint="re-triage when facts change; record the clock by hand if counsel decides",
            )
        )
    incident = incidents.get(ctx, actor, key)
    recorded = incident.clocks.get(Clock.BREACH_DETERMINED_AT)
    if recorded is not None:
        raise Conflict(
            f"{incident.key}'s breach determination is already recorded "
            f"({recorded.isoformat()}); correct it under Legal clocks if it is wrong"
        )
    return incidents.set_clock(
        ctx,
        actor,
        key,
        Clock.BREACH_DETERMINED_AT,
        at or ctx.clock.now(),
        reason=f"Breach determination confirmed by {actor.username} after triage assessment "
        f"{stored.version} ({stored.result.kind.value}, {stored.result.severity.value}).",
        expected_version=incident.version,
    )
