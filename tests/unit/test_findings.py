"""Findings: review against three questions, integrate or dismiss, and the review cadence."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from candor.domain.cadence import REVIEW_CADENCE, STATUS_REPORT_CADENCE, Cadence
from candor.domain.errors import IllegalTransition, InvalidInput
from candor.domain.findings import (
    Finding,
    FindingState,
    Relevance,
    dismiss,
    integrate,
    new_finding,
    review,
    review_status,
)
from candor.domain.impact import Affected, Section, SectionText, first_version
from candor.domain.vocabulary import Severity

INCIDENT = uuid.UUID(int=7)
T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def finding(minutes: int, n: int = 1, summary: str = "Odd API calls from 203.0.113.9") -> Finding:
    return new_finding(
        id=uuid.UUID(int=n),
        incident_id=INCIDENT,
        summary=summary,
        source="CloudTrail query",
        author="sre-bob",
        now=T0 + timedelta(minutes=minutes),
        evidence_ref="query:ct-42",
    )


def test_a_new_finding_has_unknown_relevance() -> None:
    f = finding(0)
    assert f.state is FindingState.NEW
    assert f.relevance is Relevance.UNKNOWN
    assert f.as_dict()["relevance"] == "unknown"


def test_new_findings_need_a_summary_and_a_source() -> None:
    with pytest.raises(InvalidInput) as caught:
        new_finding(
            id=uuid.uuid4(), incident_id=INCIDENT, summary=" ", source="", author="a", now=T0
        )
    assert {p.field for p in caught.value.problems} == {"summary", "source"}


@pytest.mark.parametrize(
    ("answers", "relevance"),
    [
        (("yes", "no", "no"), Relevance.RELEVANT),
        (("no", "no", "yes"), Relevance.RELEVANT),
        (("no", "no", "no"), Relevance.NOT_RELEVANT),
        (("no", "unknown", "no"), Relevance.UNKNOWN),
    ],
)
def test_the_three_questions_decide_relevance(
    answers: tuple[str, str, str], relevance: Relevance
) -> None:
    impact, access, data = answers
    reviewed = review(
        finding(0),
        changes_customer_impact=impact,
        new_access_path=access,
        new_data=data,
        by="alice",
        now=T0 + timedelta(hours=1),
    )
    assert reviewed.relevance is relevance
    assert reviewed.state is FindingState.REVIEWED


def test_integrate_into_a_named_version_after_review() -> None:
    version = first_version(
        sections=[SectionText("New access path via the monitoring agent.")]
        + [SectionText() for _ in list(Section)[1:]],
        affected=Affected(),
        author="alice",
        now=T0 + timedelta(hours=2),
    )
    with pytest.raises(IllegalTransition, match="review the finding first"):
        integrate(finding(0), version, by="alice", now=T0 + timedelta(hours=2))
    reviewed = review(
        finding(0),
        changes_customer_impact="yes",
        new_access_path="yes",
        new_data="no",
        by="alice",
        now=T0 + timedelta(hours=1),
    )
    done = integrate(reviewed, version, by="alice", now=T0 + timedelta(hours=2))
    assert done.state is FindingState.INTEGRATED
    assert done.outcome is not None
    assert done.outcome.version == 1
    with pytest.raises(IllegalTransition, match="already integrated"):
        dismiss(done, reason="dup", by="alice", now=T0 + timedelta(hours=3))
    late = finding(180, n=2)
    with pytest.raises(InvalidInput, match="saved before this finding"):
        integrate(
            review(
                late,
                changes_customer_impact="no",
                new_access_path="no",
                new_data="no",
                by="alice",
                now=T0 + timedelta(hours=4),
            ),
            version,
            by="alice",
            now=T0 + timedelta(hours=4),
        )


def test_dismiss_needs_a_reason() -> None:
    reviewed = review(
        finding(0),
        changes_customer_impact="no",
        new_access_path="no",
        new_data="no",
        by="alice",
        now=T0,
    )
    with pytest.raises(InvalidInput, match="say why"):
        dismiss(reviewed, reason="", by="alice", now=T0)
    done = dismiss(reviewed, reason="Our own scanner", by="alice", now=T0 + timedelta(minutes=5))
    assert done.state is FindingState.DISMISSED
    assert done.as_dict()["outcome"]["reason"] == "Our own scanner"


def test_default_cadence_by_severity() -> None:
    assert REVIEW_CADENCE.every(Severity.SEV1) == timedelta(hours=1)
    assert REVIEW_CADENCE.every(Severity.SEV2) == timedelta(hours=2)
    assert REVIEW_CADENCE.every(Severity.SEV3) == timedelta(hours=4)
    assert REVIEW_CADENCE.every(Severity.SEV4) == timedelta(hours=4)
    assert REVIEW_CADENCE.every(Severity.SEV3, override=timedelta(minutes=30)) == timedelta(
        minutes=30
    )
    with pytest.raises(InvalidInput):
        REVIEW_CADENCE.every(Severity.SEV3, override=timedelta(seconds=10))
    assert STATUS_REPORT_CADENCE.every(Severity.SEV4) is None


def test_overdue_findings_with_explicit_times() -> None:
    findings = [
        finding(0, 1),  # 08:00
        finding(90, 2),  # 09:30
        finding(239, 3),  # 11:59, just before the 12:00 review
    ]
    at_noon = review_status(findings, severity=Severity.SEV3, now=T0 + timedelta(hours=4))
    assert at_noon.every == timedelta(hours=4)
    assert [d.finding.id.int for d in at_noon.overdue] == [1]
    assert at_noon.overdue[0].overdue_by == timedelta(0)
    # the finding added a minute before the review is not due at that review, but 4 hours later
    assert [d.finding.id.int for d in at_noon.waiting] == [2, 3]
    assert at_noon.next_due_at == T0 + timedelta(hours=4)  # the overdue one, due at noon
    just_before = review_status(
        findings, severity=Severity.SEV3, now=T0 + timedelta(hours=7, minutes=58)
    )
    assert [d.finding.id.int for d in just_before.overdue] == [1, 2]
    assert just_before.next_due_at == T0 + timedelta(hours=4)
    assert just_before.waiting[0].due_at == T0 + timedelta(hours=7, minutes=59)
    one_minute_later = review_status(
        findings, severity=Severity.SEV3, now=T0 + timedelta(hours=7, minutes=59)
    )
    assert [d.finding.id.int for d in one_minute_later.overdue] == [1, 2, 3]


def test_resolved_findings_are_not_due_and_sev1_is_hourly() -> None:
    reviewed = review(
        finding(0, 1),
        changes_customer_impact="no",
        new_access_path="no",
        new_data="no",
        by="alice",
        now=T0,
    )
    dismissed = dismiss(reviewed, reason="noise", by="alice", now=T0)
    pending = finding(10, 2)
    status = review_status(
        [dismissed, pending], severity=Severity.SEV1, now=T0 + timedelta(minutes=30)
    )
    assert status.overdue == ()
    assert status.next_due_at == T0 + timedelta(minutes=70)
    later = review_status([dismissed, pending], severity=Severity.SEV1, now=T0 + timedelta(hours=2))
    assert [d.finding.id.int for d in later.overdue] == [2]
    assert later.overdue[0].overdue_by == timedelta(minutes=50)


def test_reminder_keys_are_stable_and_change_with_the_due_time() -> None:
    f = finding(0)
    a = review_status([f], severity=Severity.SEV3, now=T0 + timedelta(hours=5)).overdue[0]
    b = review_status([f], severity=Severity.SEV3, now=T0 + timedelta(hours=6)).overdue[0]
    c = review_status([f], severity=Severity.SEV1, now=T0 + timedelta(hours=6)).overdue[0]
    assert a.reminder_key == b.reminder_key
    assert a.reminder_key != c.reminder_key


def test_no_findings_means_nothing_due() -> None:
    status = review_status([], severity=Severity.SEV2, now=T0)
    assert (status.overdue, status.waiting, status.next_due_at) == ((), (), None)


def test_a_cadence_without_an_interval_is_refused() -> None:
    with pytest.raises(InvalidInput):
        review_status([finding(0)], severity=Severity.SEV4, now=T0, cadence=Cadence(None))
