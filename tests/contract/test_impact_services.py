"""The impact statement, findings and status reports on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text

from candor.domain.errors import Conflict, IllegalTransition, InvalidInput, NotFound
from candor.domain.findings import FindingState
from candor.domain.impact import Section
from candor.domain.timeline import EntryKind
from candor.services import impact, incidents, status_reports, timeline
from candor.services.context import Context
from tests.conftest import ALICE, BOB, VIEWER
from tests.fakes import FakeClock


def declare(ctx: Context, **kwargs: object) -> str:
    return incidents.declare(
        ctx,
        ALICE,
        title="Keys read from the integrations store",
        kind="supply_chain_breach",
        severity="SEV1",
        **kwargs,
    ).key  # type: ignore[arg-type]


def test_versions_are_kept_and_diffed(sql_ctx: Context, clock: FakeClock) -> None:
    key = declare(sql_ctx)
    first = impact.save_version(
        sql_ctx,
        ALICE,
        key,
        reason="first take",
        based_on=None,
        sections={
            "what_happened": "An attacker read customer keys.",
            "not_affected": {"text": "Passwords are not affected.", "confidence": "confirmed"},
        },
        affected={"customers": 40, "confidence": "suspected"},
    )
    assert first.number == 1
    clock.advance(hours=1)
    second = impact.save_version(
        sql_ctx,
        BOB,
        key,
        reason="scoping narrowed it",
        based_on=1,
        sections={"what_happened": "An attacker read the keys of 12 customers."},
        affected={"customers": 12, "confidence": "confirmed"},
    )
    assert second.changed == {Section.WHAT_HAPPENED, Section.WHO_IS_AFFECTED}
    statement = impact.statement(sql_ctx, ALICE, key)
    assert [v.number for v in statement.versions] == [1, 2]
    assert statement.versions[0].section("what_happened").text == (
        "An attacker read customer keys."
    )  # version 1 unchanged
    delta = impact.diff(sql_ctx, ALICE, key, 1, 2)
    assert delta.changed_sections == (Section.WHAT_HAPPENED, Section.WHO_IS_AFFECTED)
    rendered = delta.render()
    assert "{+the+}" in rendered or "{+" in rendered
    md = impact.markdown(sql_ctx, ALICE, key, 1)
    assert "## What is not affected (confirmed)" in md
    kinds = [e.kind for e in timeline.show(sql_ctx, ALICE, key)]
    assert kinds.count(EntryKind.IMPACT) == 2
    assert impact.verify_versions(sql_ctx, ALICE, key) == []


def test_saving_over_a_newer_version_is_a_conflict(sql_ctx: Context) -> None:
    key = declare(sql_ctx)
    impact.save_version(
        sql_ctx, ALICE, key, reason="a", based_on=None, sections={"what_happened": "one"}
    )
    impact.save_version(
        sql_ctx, BOB, key, reason="b", based_on=1, sections={"what_happened": "two"}
    )
    with pytest.raises(Conflict):
        impact.save_version(
            sql_ctx, ALICE, key, reason="c", based_on=1, sections={"what_happened": "three"}
        )
    with pytest.raises(InvalidInput):
        impact.save_version(
            sql_ctx, ALICE, key, reason="same", based_on=2, sections={"what_happened": "two"}
        )


def test_a_direct_database_edit_of_a_version_is_caught(sql_ctx: Context, engine: Engine) -> None:
    key = declare(sql_ctx)
    impact.save_version(
        sql_ctx,
        ALICE,
        key,
        reason="a",
        based_on=None,
        sections={"what_happened": "Passwords were not read."},
    )
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE impact_versions SET content_json = "
                "replace(content_json, 'were not', 'were')"
            )
        )
    problems = impact.verify_versions(sql_ctx, ALICE, key)
    assert problems == [
        "version 1 was altered after it was saved (its content no longer matches its audit record)"
    ]


def test_findings_review_integrate_dismiss_and_cadence(sql_ctx: Context, clock: FakeClock) -> None:
    key = declare(sql_ctx)
    n1, _ = impact.add_finding(
        sql_ctx, ALICE, key, summary="Attacker IP also hit the VPN", source="VPN logs"
    )
    n2, _ = impact.add_finding(
        sql_ctx, ALICE, key, summary="Old backup bucket was public", source="cloud inventory"
    )
    n3, _ = impact.add_finding(
        sql_ctx, BOB, key, summary="Customer saw a login from Ohio", source="customer e-mail"
    )
    with pytest.raises(IllegalTransition):  # review before integrating
        impact.save_version(
            sql_ctx,
            ALICE,
            key,
            reason="r",
            based_on=None,
            sections={"what_happened": "x"},
            findings=[n1],
        )
    impact.review_finding(
        sql_ctx, ALICE, key, n1, changes_customer_impact="yes", new_access_path="yes", new_data="no"
    )
    clock.advance(minutes=10)
    version = impact.save_version(
        sql_ctx,
        ALICE,
        key,
        reason="VPN access",
        based_on=None,
        sections={"what_happened": "The attacker used the VPN."},
        findings=[n1],
    )
    assert version.findings
    impact.review_finding(
        sql_ctx,
        BOB,
        key,
        n2,
        changes_customer_impact="no",
        new_access_path="no",
        new_data="no",
        note="unrelated bucket",
    )
    impact.dismiss_finding(sql_ctx, BOB, key, n2, reason="a different account")
    view = impact.findings(sql_ctx, ALICE, key)
    states = {n: f.state for n, _, f in view.findings}
    assert states == {n1: FindingState.INTEGRATED, n2: FindingState.DISMISSED, n3: FindingState.NEW}
    assert view.status.overdue == ()  # SEV1: due one hour after being added
    clock.advance(hours=1)
    overdue = impact.overdue_everywhere(sql_ctx, ALICE)
    assert [o.incident.key for o in overdue] == [key]
    assert len(overdue[0].status.overdue) == 1
    impact.set_review_cadence(sql_ctx, ALICE, key, 180)
    assert impact.findings(sql_ctx, ALICE, key).status.overdue == ()
    with pytest.raises(NotFound):
        impact.dismiss_finding(sql_ctx, ALICE, key, 99, reason="x")


def test_status_report_drafted_from_the_statement(sql_ctx: Context) -> None:
    key = declare(sql_ctx)
    report = status_reports.draft(sql_ctx, ALICE, key)
    assert "An impact statement: nobody has written one yet." in report.needs
    impact.save_version(
        sql_ctx,
        ALICE,
        key,
        reason="a",
        based_on=None,
        sections={
            "what_we_did": "Rotated every key. Stopped the workers.",
            "open_questions": "How did they get in?",
        },
    )
    posted = status_reports.post(sql_ctx, ALICE, key)
    assert posted.impact_version == 1
    assert "Answer: How did they get in?" in posted.needs
    last = timeline.show(sql_ctx, ALICE, key, newest_first=True, limit=1)[0]
    assert last.kind is EntryKind.STATUS_REPORT


def test_viewers_read_but_cannot_write(sql_ctx: Context) -> None:
    key = declare(sql_ctx)
    with pytest.raises(Exception, match="may read"):
        impact.add_finding(sql_ctx, VIEWER, key, summary="x", source="y")
    assert impact.statement(sql_ctx, VIEWER, key).current is None
