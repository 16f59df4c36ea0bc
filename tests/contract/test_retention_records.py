"""Retention reaches the records features keep beside the incident, on SQLite and PostgreSQL:
a customer notice's delivered e-mails, an attached log scan and the shared indicators."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from candor.domain import statements as statement_model
from candor.domain.audit import AuditFilter
from candor.domain.errors import IllegalTransition
from candor.domain.indicators import FILE_HASHES
from candor.domain.retention import REDACTED_BODY, Policy
from candor.services import audit, incidents, outbox, retention, scope, sharing, statements
from candor.services.context import Context
from candor.services.ports_statements import with_statements
from tests.conftest import ADMIN, ALICE
from tests.contract.test_inventory_services import ACME_KEY, import_file, scan_result, wired
from tests.contract.test_retention import COUNSEL
from tests.contract.test_statement_delivery import SETUP, _run_worker, compromise, declare, publish
from tests.contract.test_statement_services import ERIN
from tests.delivery.sink import Sink
from tests.fakes import FakeClock

AGENT = "Boto3/1.26.0 Python/3.10 jdoe-laptop"
MALWARE = "ab" * 32
ADDRESSES = ("security@acme.example",)  # the scan narrowed the notice to Acme


@pytest.fixture
def ctx(sql_ctx: Context, tmp_path: Path) -> Context:
    made = replace(wired(sql_ctx, tmp_path), delivery=SETUP, organization="Example SaaS Inc.")
    import_file(made)
    return made


def deliver(ctx: Context) -> str:
    """Run the real worker job against an SMTP server on loopback; returns its summary."""
    sink = Sink()
    sink.start()
    try:
        return _run_worker(ctx, sink)
    finally:
        sink.stop()


def notified_incident(ctx: Context) -> str:
    """A customer notice delivered by the worker, a scan of the real CloudTrail capture and the
    indicators it saw shared, then the incident closed."""
    key = declare(ctx)
    compromise(ctx, key)
    scope.mark_system(ctx, ALICE, key, "customer-db", "suspected", note="Dana Reyes saw it")
    scope.attach_scan(ctx, ALICE, key, scan_result(), file="otrf.json", label="Acme's keys")
    sharing.import_scoping(ctx, ALICE, key, scan_result(), tlp="amber")
    sharing.add_indicator(ctx, ALICE, key, type="user_agent", value=AGENT, tlp="amber")
    sharing.add_indicator(ctx, ALICE, key, type="sha256", value=MALWARE, tlp="clear")
    number = publish(ctx, key, audience="affected_customers")
    draft = statements.draft(
        ctx, ALICE, key, kind="customer_notice", audience="customer", audience_ref="acme",
        channels="email", title="To Dana Reyes", body="Dana Reyes, your key was used.",
    )  # fmt: skip
    statements.submit(ctx, ALICE, key, draft.number)
    statements.request_changes(ctx, ERIN, key, number=draft.number, comment="Ask Dana Reyes")
    statements.withdraw(ctx, ALICE, key, draft.number, reason="Dana Reyes called us")
    assert number == 1
    assert deliver(ctx).startswith("1 sent")
    incidents.transition(ctx, ALICE, key, "post_incident")
    incidents.transition(ctx, ALICE, key, "closed", reason="customers notified")
    return key


def rows(engine: Engine, sql: str, **params: Any) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(text(sql), params)]


def incident_id(ctx: Context, key: str) -> str:
    return str(incidents.get(ctx, ADMIN, key).id)


def personal_text(engine: Engine) -> str:
    """Everything stored about the incident in the outbox, scans and shared indicators."""
    found = rows(engine, "SELECT * FROM outbox_messages")
    found += rows(engine, "SELECT * FROM incident_scans")
    found += rows(engine, "SELECT * FROM shared_indicators")
    found += rows(engine, "SELECT * FROM statements")
    found += rows(engine, "SELECT * FROM incident_scope_marks")
    return json.dumps(found, default=str)


def test_retention_removes_recipients_bodies_addresses_and_principals(
    ctx: Context, clock: FakeClock, engine: Engine
) -> None:
    key = notified_incident(ctx)
    held = notified_incident(ctx)
    retention.place_hold(ctx, COUNSEL, held, reason="Acme v. Example")
    summary = scope.scan(ctx, ALICE, key, 1).summary
    ips = [str(i["ip"]) for i in summary["source_ips"]]
    arns = [str(p["principal_arn"]) for p in summary["principals"]]
    shared = [i.indicator for i in sharing.get(ctx, ALICE, key).indicators]
    agents = [i.value for i in shared if i.type == "user_agent"]
    personal = [i for i in shared if i.type not in FILE_HASHES]
    before = personal_text(engine)
    for value in (*ADDRESSES, "Dana Reyes", "ASIA****VBMX", ACME_KEY, *ips, *arns, *agents):
        assert value in before, value  # the story holds what retention must remove
    assert ips and arns and agents

    clock.advance(days=365 * 8)
    plan = retention.run(ctx, ADMIN, Policy(7), dry_run=True)
    [due] = plan.due
    assert due.candidate.key == key and [p.candidate.key for p in plan.held] == [held]
    # email messages, the scan and the indicators that are not file hashes
    assert due.records == {
        "outbox_messages": 1, "scans": 1, "shared_indicators": len(personal), "statements": 1,
        "scope_notes": 1,
    }  # fmt: skip
    assert personal_text(engine) == before  # a dry run changes nothing

    report = retention.run(ctx, ADMIN, Policy(7))
    ours = incident_id(ctx, key).replace("-", "")
    mine = [
        r
        for r in rows(engine, "SELECT * FROM outbox_messages WHERE channel = 'email'")
        if str(r["incident_id"]).replace("-", "") == ours
    ]
    assert len(mine) == 1
    assert {r["state"] for r in mine} == {"sent"} and all(r["sent_at"] for r in mine)
    for r in mine:
        assert r["recipient"] == REDACTED_BODY and r["body"] == REDACTED_BODY
        assert r["headers_json"] == "{}" and "@" not in r["key"]
    after = json.dumps(
        mine
        + [r for r in rows(engine, "SELECT * FROM incident_scans")
           if str(r["incident_id"]).replace("-", "") == ours]
        + [r for r in rows(engine, "SELECT * FROM shared_indicators")
           if str(r["incident_id"]).replace("-", "") == ours]
        + [r for r in rows(engine, "SELECT * FROM statements")
           if str(r["incident_id"]).replace("-", "") == ours]
        + [r for r in rows(engine, "SELECT * FROM incident_scope_marks")
           if str(r["incident_id"]).replace("-", "") == ours],
        default=str,
    )  # fmt: skip
    for value in (*ADDRESSES, "Dana Reyes", "ASIA****VBMX", ACME_KEY, *ips, *arns, *agents):
        assert value not in after, value
    # the published notice is what the organisation said: it stays, and its hash still checks
    published = [
        r
        for r in rows(engine, "SELECT * FROM statements")
        if str(r["incident_id"]).replace("-", "") == ours and r["published_at"]
    ]
    assert [r["body"] for r in published] == ["Rotate the credentials listed below."]
    the_id = incidents.get(ctx, ADMIN, key).id
    with ctx.uow() as uow:
        stored = with_statements(uow).statements.of_incident(the_id)
    for s in stored:
        if s.published_at is not None:
            assert s.content_hash == statement_model.content_hash(s, incident_key=key)
    kept = [i.indicator for i in sharing.get(ctx, ADMIN, key).indicators]
    assert [(i.type, i.value) for i in kept] == [("sha256", MALWARE)]  # malware names no one
    [scan] = scope.scans(ctx, ADMIN, key)
    assert scan.summary["events_matched"] == summary["events_matched"]  # what is kept
    assert scan.summary["removed"]["source_ips"] == len(ips)
    assert scan.key_hashes == scope.scan(ctx, ALICE, held, 1).key_hashes  # who was affected
    # the tombstone says what went
    [purge] = [
        r
        for r in audit.list_records(ctx, ADMIN, AuditFilter(incident_key=key, limit=1000))
        if r.action == "retention.purge"
    ]
    assert purge.seq == report.purged[key]
    removed = json.loads(purge.after_json or "{}")["removed"]
    assert {k: removed[k] for k in due.records} == due.records
    # the incident on hold still holds it all
    held_text = personal_text(engine)
    for value in (*ADDRESSES, "Dear Dana Reyes", "ASIA****VBMX", *ips, *arns):
        assert value in held_text, value
    assert [s.label for s in scope.scans(ctx, ADMIN, held)] == ["Acme's keys"]


def test_a_message_still_queued_is_never_sent_after_retention(
    ctx: Context, clock: FakeClock, engine: Engine
) -> None:
    key = declare(ctx)
    compromise(ctx, key)
    publish(ctx, key, audience="affected_customers")  # the worker never ran
    incidents.transition(ctx, ALICE, key, "post_incident")
    incidents.transition(ctx, ALICE, key, "closed", reason="customers told by phone")
    clock.advance(days=365 * 8)
    retention.run(ctx, ADMIN, Policy(7))
    mail = rows(engine, "SELECT * FROM outbox_messages WHERE channel = 'email'")
    assert mail and {r["state"] for r in mail} == {"dead"}
    assert {r["recipient"] for r in mail} == {REDACTED_BODY}
    assert deliver(ctx).startswith("0 sent")
    # and no operator can put it back in the queue: it has no recipient left to send to
    with pytest.raises(IllegalTransition, match="retention policy"):
        outbox.retry(ctx, ADMIN, mail[0]["key"])
    states = rows(engine, "SELECT state FROM outbox_messages WHERE channel = 'email'")
    assert {r["state"] for r in states} == {"dead"}
