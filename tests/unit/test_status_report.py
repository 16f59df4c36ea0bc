"""Internal status reports: drafted from the impact statement, due on a cadence by severity."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from candor.domain.errors import InvalidInput
from candor.domain.findings import new_finding, review_status
from candor.domain.impact import Affected, Confidence, first_version, parse_sections
from candor.domain.incidents import PhaseChange, declare
from candor.domain.lifecycle import Phase
from candor.domain.status_report import (
    draft_status_report,
    next_status_report_due,
    split_items,
    status_schedule,
)
from candor.domain.vocabulary import Severity

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def incident():  # type: ignore[no-untyped-def]
    return declare(
        id=uuid.UUID(int=1),
        key="INC-2026-7",
        title="Customer AWS keys used from unknown hosts",
        kind="supply_chain_breach",
        severity="SEV1",
        by="alice",
        now=T0,
    )


def test_status_reports_fall_due_by_severity() -> None:
    assert next_status_report_due(
        Severity.SEV1, declared_at=T0, last_report_at=None
    ) == T0 + timedelta(hours=1)
    last = T0 + timedelta(hours=5)
    assert next_status_report_due(
        Severity.SEV2, declared_at=T0, last_report_at=last
    ) == last + timedelta(hours=4)
    assert next_status_report_due(
        Severity.SEV3, declared_at=T0, last_report_at=None
    ) == T0 + timedelta(days=1)
    assert next_status_report_due(Severity.SEV4, declared_at=T0, last_report_at=None) is None


def test_draft_from_the_impact_statement_and_the_findings() -> None:
    impact = first_version(
        sections=parse_sections(
            {
                "what_happened": {
                    "text": "An attacker used customers' AWS keys stored with us.",
                    "confidence": "confirmed",
                },
                "what_data": {"text": "AWS access keys of customers.", "confidence": "suspected"},
                "not_affected": {
                    "text": "User passwords were not exposed.",
                    "confidence": "confirmed",
                },
                "what_we_did": {
                    "text": "We revoked the stolen session. We rotated our own keys.",
                    "confidence": "confirmed",
                },
                "what_customers_should_do": {
                    "text": "Rotate the AWS keys you gave us.",
                    "confidence": "confirmed",
                },
                "open_questions": "How the attacker got in? Is the foothold gone?",
            }
        ),
        affected=Affected(customers=350, people=None, confidence=Confidence.SUSPECTED),
        author="alice",
        now=T0 + timedelta(hours=2),
    )
    findings = [
        new_finding(
            id=uuid.UUID(int=9),
            incident_id=uuid.UUID(int=1),
            summary="Second IP in the logs",
            source="CloudTrail",
            author="bob",
            now=T0,
        )
    ]
    status = review_status(findings, severity=Severity.SEV1, now=T0 + timedelta(hours=3))
    report = draft_status_report(
        incident(), impact=impact, findings=status, now=T0 + timedelta(hours=3)
    )
    assert report.impact_version == 1
    assert report.conditions == (
        "SEV1 supply_chain_breach, phase triage.",
        "What happened (confirmed): An attacker used customers' AWS keys stored with us.",
        "Counts (suspected): customers 350, people not known yet.",
        "What data (suspected): AWS access keys of customers.",
        "What is not affected (confirmed): User passwords were not exposed.",
    )
    assert report.actions == (
        "We revoked the stolen session.",
        "We rotated our own keys.",
        "Advice to customers: Rotate the AWS keys you gave us.",
    )
    assert report.needs == (
        "Establish who is affected: still unknown.",
        "Answer: How the attacker got in?",
        "Answer: Is the foothold gone?",
        "Review 1 overdue finding (oldest added 08:00 UTC).",
    )
    body = report.body()
    assert body.startswith(
        "Status report INC-2026-7: Customer AWS keys used from unknown hosts — 2026-11-22 11:00 UTC"
        " (impact statement version 1)"
    )
    assert "\nNeeds:\n- Establish who is affected" in body
    assert report.as_dict()["needs"][-1].startswith("Review 1 overdue")


def test_draft_without_an_impact_statement_says_what_is_missing() -> None:
    report = draft_status_report(incident(), impact=None, findings=None, now=T0)
    assert report.needs == ("An impact statement: nobody has written one yet.",)
    assert "- None." in report.body()  # no actions yet


def test_schedule_is_overdue_from_the_due_time_and_each_due_time_is_one_reminder() -> None:
    sev1 = incident()
    waiting = status_schedule(sev1, last_report_at=None, now=T0 + timedelta(minutes=59))
    assert waiting.due_at == T0 + timedelta(hours=1) and not waiting.overdue
    due = status_schedule(sev1, last_report_at=None, now=T0 + timedelta(hours=1))
    assert due.overdue and due.reminder_key == waiting.reminder_key
    posted = T0 + timedelta(hours=1, minutes=5)
    later = status_schedule(sev1, last_report_at=posted, now=posted)
    assert later.due_at == posted + timedelta(hours=1) and not later.overdue
    assert later.reminder_key != due.reminder_key
    assert later.as_dict() == {
        "every_minutes": 60,
        "last_report_at": posted.isoformat(),
        "next_due_at": (posted + timedelta(hours=1)).isoformat(),
        "overdue": False,
    }


def test_a_closed_or_sev4_incident_schedules_no_report() -> None:
    declared = incident()
    closed = replace(
        declared,
        phase_history=(*declared.phase_history, PhaseChange(Phase.DECLINED, T0, "alice", "")),
    )
    assert not closed.is_open
    assert status_schedule(closed, last_report_at=None, now=T0 + timedelta(days=3)).due_at is None
    quiet = replace(incident(), severity=Severity.SEV4)
    gone = status_schedule(quiet, last_report_at=None, now=T0 + timedelta(days=3))
    assert gone.due_at is None and gone.reminder_key is None and not gone.overdue


def test_an_edited_report_keeps_its_provenance_and_reports_every_problem() -> None:
    report = draft_status_report(incident(), impact=None, findings=None, now=T0)
    edited = report.edited(
        conditions=["  SEV1,   contained. "], actions=["Rotated keys.", ""], needs=[]
    )
    assert edited.conditions == ("SEV1, contained.",)
    assert edited.actions == ("Rotated keys.",) and edited.needs == ()
    assert (edited.as_of, edited.impact_version, edited.title) == (
        report.as_of,
        report.impact_version,
        report.title,
    )
    with pytest.raises(InvalidInput) as wrong:
        report.edited(conditions=[""], actions=["x" * 2001], needs=["n"] * 101)
    assert sorted(p.field or "" for p in wrong.value.problems) == ["actions", "conditions", "needs"]


def test_form_items_are_one_a_line() -> None:
    assert split_items("- First.\n\n  Second  \n-  Third\n") == ["First.", "Second", "Third"]
