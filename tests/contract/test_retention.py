"""Legal hold and retention on SQLite and PostgreSQL; verification stays meaningful."""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from candor.adapters.records.blobs import LocalBlobStore
from candor.domain.access import Actor, OrgRole
from candor.domain.audit import AuditFilter
from candor.domain.errors import Conflict, NotFound, PermissionDenied
from candor.domain.retention import REDACTED_BODY, Policy
from candor.services import attachments, audit, incidents, retention, tasks, timeline
from candor.services.context import Context
from tests.conftest import ADMIN, ALICE
from tests.fakes import FakeClock

COUNSEL = Actor("cora", OrgRole.COUNSEL)


@pytest.fixture
def ctx(any_ctx: Context, tmp_path: Path) -> Context:
    """The fake unit of work and both databases: one conformance suite."""
    return replace(any_ctx, blobs=LocalBlobStore(tmp_path / "blobs"))


@pytest.fixture
def sql_records_ctx(sql_ctx: Context, tmp_path: Path) -> Context:
    return replace(sql_ctx, blobs=LocalBlobStore(tmp_path / "blobs"))


def closed_incident(ctx: Context, title: str) -> str:
    made = incidents.declare(ctx, ALICE, title=title, summary="Customer Jane Roe, +1 555 0100")
    timeline.add(ctx, ALICE, made.key, kind="note", body="Called Jane Roe at home")
    tasks.add(ctx, ALICE, made.key, title="Write to Jane Roe", notes="her address: 1 Elm St")
    attachments.add_attachment(ctx, ALICE, made.key, "roe.txt", io.BytesIO(b"Jane Roe\n"))
    incidents.transition(ctx, ALICE, made.key, "post_incident")
    incidents.transition(ctx, ALICE, made.key, "closed", reason="Jane Roe informed")
    return made.key


def test_only_counsel_or_admins_place_holds_and_a_reason_is_required(ctx: Context) -> None:
    key = incidents.declare(ctx, ALICE, title="Hold me").key
    with pytest.raises(PermissionDenied):
        retention.place_hold(ctx, ALICE, key, reason="because")
    with pytest.raises(Exception, match="needs a reason"):
        retention.place_hold(ctx, COUNSEL, key, reason="  ")
    retention.place_hold(ctx, COUNSEL, key, reason="Doe v. Example")
    with pytest.raises(Conflict, match="already under legal hold"):
        retention.place_hold(ctx, ADMIN, key, reason="again")
    retention.release_hold(ctx, COUNSEL, key, reason="matter closed")
    assert [h.active for h in retention.holds(ctx, ADMIN, key)] == [False]


def test_dry_run_lists_and_changes_nothing_and_holds_win(ctx: Context, clock: FakeClock) -> None:
    due = closed_incident(ctx, "Old phishing")
    held = closed_incident(ctx, "Old lawsuit")
    young = incidents.declare(ctx, ALICE, title="Still open").key
    retention.place_hold(ctx, COUNSEL, held, reason="Roe v. Example")
    assert retention.plan(ctx, ADMIN, Policy(7)).due == []  # not seven years yet
    clock.advance(days=365 * 7 + 2)
    report = retention.run(ctx, ADMIN, Policy(7), dry_run=True)
    assert [p.candidate.key for p in report.due] == [due]
    assert [p.candidate.key for p in report.held] == [held]
    planned = report.due[0]
    assert (planned.attachments, planned.attachment_bytes) == (1, 9)
    assert planned.timeline_entries == 6
    assert incidents.get(ctx, ADMIN, due).summary.startswith("Customer Jane Roe")
    assert young not in [p.candidate.key for p in report.due + report.held]
    with pytest.raises(Conflict, match="legal hold"):
        retention.purge_incident(ctx, ADMIN, held, Policy(7))


def test_retention_removes_personal_data_leaves_a_tombstone_and_chains_verify(
    ctx: Context, clock: FakeClock, tmp_path: Path
) -> None:
    key = closed_incident(ctx, "Jane Roe's laptop")
    before = timeline.verify(ctx, ADMIN, key)
    clock.advance(days=365 * 8)
    report = retention.run(ctx, ADMIN, Policy(7))
    audit_seq = report.purged[key]
    incident = incidents.get(ctx, ADMIN, key)
    assert "Jane" not in incident.title and incident.summary == ""
    assert all(not p.reason for p in incident.phase_history)
    assert [t.title for t in tasks.list_tasks(ctx, ADMIN, key)] == ["Task 1"]
    entries = timeline.show(ctx, ADMIN, key)
    assert all(e.body == REDACTED_BODY for e in entries[:-1])
    assert f"audit #{audit_seq}" in entries[-1].body  # the tombstone entry
    # the content is gone, the record of it stays
    [kept] = attachments.list_attachments(ctx, ADMIN, key)
    assert kept.purged and kept.filename == "attachment-1"
    assert not [p for p in (tmp_path / "blobs" / "sha256").rglob("*") if p.is_file()]
    with pytest.raises(NotFound, match=f"retention policy \\(audit #{audit_seq}\\)"):
        attachments.open_attachment(ctx, ADMIN, f"{key}/1")
    # verification: still ok, and says what was redacted and by which audit record
    result = timeline.verify(ctx, ADMIN, key)
    assert result.ok
    assert [r.seq for r in result.redacted] == list(range(1, before.checked + 1))
    assert {r.audit_seq for r in result.redacted} == {audit_seq}
    log = audit.verify(ctx, ADMIN)
    assert log.ok and log.redacted and {r.audit_seq for r in log.redacted} == {audit_seq}
    with pytest.raises(Conflict, match="retention policy"):
        attachments.add_attachment(ctx, ADMIN, key, "late.txt", io.BytesIO(b"x"))
    assert retention.run(ctx, ADMIN, Policy(7)).due == []  # once only


def test_editing_a_redacted_entry_is_still_tampering(
    sql_records_ctx: Context, clock: FakeClock, engine: Engine
) -> None:
    ctx = sql_records_ctx
    key = closed_incident(ctx, "Redacted then edited")
    clock.advance(days=365 * 8)
    retention.run(ctx, ADMIN, Policy(7))
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE timeline_entries SET body = 'Jane Roe was here' WHERE seq = 2 AND "
                "incident_id = (SELECT id FROM incidents WHERE key = :k)"
            ),
            {"k": key},
        )
    result = timeline.verify(ctx, ADMIN, key)
    assert result.first_bad is not None and result.first_bad.seq == 2
    assert "after it was redacted" in result.first_bad.reason


def test_a_forged_redaction_without_its_audit_record_does_not_hide_an_edit(
    sql_records_ctx: Context, clock: FakeClock, engine: Engine
) -> None:
    ctx = sql_records_ctx
    key = closed_incident(ctx, "Forgery")
    clock.advance(days=365 * 8)
    seq = retention.run(ctx, ADMIN, Policy(7)).purged[key]
    other = incidents.declare(ctx, ALICE, title="Victim").key
    timeline.add(ctx, ALICE, other, kind="note", body="true statement")
    entry = timeline.show(ctx, ALICE, other)[1]
    from candor.domain import chain
    from candor.domain.timeline import hashed_fields

    forged_body = "false statement"
    forged = chain.content_hash(
        hashed_fields(
            id=entry.id,
            incident_id=entry.incident_id,
            seq=entry.seq,
            kind=entry.kind.value,
            author=entry.author,
            occurred_at=entry.occurred_at,
            recorded_at=entry.recorded_at,
            body=forged_body,
            data_json=entry.data_json,
            corrects=entry.corrects,
        )
    )
    ident = entry.incident_id.hex if engine.dialect.name == "sqlite" else str(entry.incident_id)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE timeline_entries SET body = :b WHERE seq = 2 AND incident_id = :i"),
            {"b": forged_body, "i": ident},
        )
        # a redaction row that claims the existing purge vouches for the edit
        conn.execute(
            text(
                "INSERT INTO redactions (chain, seq, original_hash, redacted_hash, audit_seq) "
                "VALUES (:c, 2, :o, :r, :a)"
            ),
            {
                "c": f"timeline:{entry.incident_id.hex}",
                "o": entry.content_hash,
                "r": forged,
                "a": seq,
            },
        )
    result = timeline.verify(ctx, ALICE, other)
    assert result.first_bad is not None and result.first_bad.seq == 2
    # and the purge's own redactions no longer match its digest either
    assert not timeline.verify(ctx, ADMIN, key).ok


def test_retention_also_removes_the_impact_statement_and_findings_text(
    sql_records_ctx: Context, clock: FakeClock
) -> None:
    from candor.services import impact

    ctx = sql_records_ctx
    made = incidents.declare(ctx, ALICE, title="Roe's account")
    impact.save_version(
        ctx,
        ALICE,
        made.key,
        reason="Jane Roe called",
        based_on=None,
        sections={"what_happened": "Jane Roe's mailbox was read."},
        affected={"customers": 1, "confidence": "confirmed"},
    )
    impact.add_finding(
        ctx, ALICE, made.key, summary="Jane Roe logged in from Lisbon", source="Roe's mail"
    )
    second, _ = impact.add_finding(ctx, ALICE, made.key, summary="Roe, J. too", source="crm")
    impact.review_finding(
        ctx,
        ALICE,
        made.key,
        second,
        changes_customer_impact="no",
        new_access_path="no",
        new_data="no",
        note="Roe, J. is a namesake",
    )
    impact.dismiss_finding(ctx, ALICE, made.key, second, reason="Roe is someone else")
    assert impact.verify_versions(ctx, ADMIN, made.key) == []
    incidents.transition(ctx, ALICE, made.key, "post_incident")
    incidents.transition(ctx, ALICE, made.key, "closed")
    clock.advance(days=365 * 8)
    seq = retention.purge_incident(ctx, ADMIN, made.key, Policy(7))

    [version] = impact.statement(ctx, ADMIN, made.key).versions
    texts = [s.text for s in version.sections] + [version.reason]
    assert "Roe" not in " ".join(texts) and REDACTED_BODY in texts
    assert version.affected.customers == 1  # counts are not personal data
    found = impact.findings(ctx, ADMIN, made.key).findings
    assert [f.summary for _, _, f in found] == [REDACTED_BODY, REDACTED_BODY]
    for _, _, f in found:
        kept = (
            f.source + (f.outcome.reason if f.outcome else "") + (f.review.note if f.review else "")
        )
        assert "Roe" not in kept
    assert [f.state.value for _, _, f in found] == ["new", "dismissed"]
    # the scrubbed versions still verify, and the tombstone counts them
    assert impact.verify_versions(ctx, ADMIN, made.key) == []
    [record] = [r for r in audit.list_records(ctx, ADMIN, AuditFilter(limit=1000)) if r.seq == seq]
    assert '"impact_versions":1' in (record.after_json or "").replace(" ", "")
    assert '"findings":2' in (record.after_json or "").replace(" ", "")


def test_retention_removes_what_the_reporter_sent_and_who_sent_it(
    sql_records_ctx: Context, clock: FakeClock
) -> None:
    from candor.domain.reports import Channel
    from candor.services import reports

    ctx = sql_records_ctx
    made = reports.receive(
        ctx,
        {
            "what_happened": "Jane Roe's invoices went to someone else",
            "reporter_name": "Jane Roe",
            "reporter_email": "jane.roe@example.com",
        },
        channel=Channel.CLI,
        actor=ALICE,
    )
    _, incident = reports.promote(ctx, ALICE, made.key)
    incidents.transition(ctx, ALICE, incident.key, "post_incident")
    incidents.transition(ctx, ALICE, incident.key, "closed")
    clock.advance(days=365 * 8)
    retention.purge_incident(ctx, ADMIN, incident.key, Policy(7))
    after = reports.get(ctx, ADMIN, made.key).report
    assert after.submission.what_happened == REDACTED_BODY
    assert (after.submission.reporter_name, after.submission.reporter_email) == ("", "")
    assert after.incident_key == incident.key  # where it went is kept


def test_retention_removes_the_retros_account_of_the_people_and_keeps_its_lessons(
    sql_records_ctx: Context, clock: FakeClock
) -> None:
    from candor.services import retros

    ctx = sql_records_ctx
    made = incidents.declare(ctx, ALICE, title="Roe's account", summary="Jane Roe's mail read")
    retros.start(ctx, ALICE, made.key)
    retros.revise(ctx, ALICE, made.key, {"went_poorly": ["Alerts went to an unread queue"]})
    incidents.transition(ctx, ALICE, made.key, "post_incident")
    incidents.transition(ctx, ALICE, made.key, "closed")
    clock.advance(days=365 * 8)
    retention.purge_incident(ctx, ADMIN, made.key, Policy(7))
    kept = retros.get(ctx, ADMIN, made.key).retro
    assert kept is not None and kept.summary == REDACTED_BODY
    assert all(item.text == REDACTED_BODY for item in kept.timeline)
    assert kept.went_poorly == ("Alerts went to an unread queue",)
