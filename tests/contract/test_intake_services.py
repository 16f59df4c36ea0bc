"""Intake and triage use cases on SQLite and PostgreSQL: receiving reports under the rate limit,
handling them, promotion in one transaction, decryption records, triage assessments over time,
applying a result and confirming a breach, and recording a masked secret."""

from __future__ import annotations

import random
import string
import threading
from datetime import timedelta
from pathlib import Path

import pysequoia
import pytest

from candor.adapters.pgp import OrganisationKey
from candor.adapters.rules_files import load_secret_catalogue, load_triage_policy
from candor.domain.audit import AuditFilter
from candor.domain.errors import (
    Conflict,
    IllegalTransition,
    InvalidInput,
    NotFound,
    PermissionDenied,
    RateLimited,
)
from candor.domain.incidents import Clock
from candor.domain.reports import Channel, RateLimit, ReportStatus
from candor.domain.timeline import EntryKind
from candor.domain.vocabulary import Kind, Severity
from candor.services import audit, incidents, reports, secret_findings, triage
from candor.services import timeline as timeline_service
from candor.services.context import Context
from candor.services.ports_intake import ReportFilter
from tests.conftest import ADMIN, ALICE, BOB, VIEWER
from tests.fakes import FakeClock

POLICY = load_triage_policy()
RATE = RateLimit(limit=5, window=timedelta(minutes=10))
TEST_KEY = Path(__file__).resolve().parents[1] / "data" / "pgp" / "TEST-ONLY-secret-key.pgp"
TEST_PASSPHRASE = "test-only-passphrase"  # see tests/data/pgp/README.md


def clock_of(ctx: Context) -> FakeClock:
    assert isinstance(ctx.clock, FakeClock)
    return ctx.clock


def actions(ctx: Context) -> list[str]:
    return [r.action for r in reversed(audit.list_records(ctx, ADMIN, AuditFilter(limit=1000)))]


def stored(ctx: Context) -> int:
    return reports.page(ctx, ALICE, ReportFilter()).total


def public(ctx: Context, data: dict[str, object], *, client: str = "203.0.113.7", **kw: object):  # type: ignore[no-untyped-def]
    return reports.receive(
        ctx,
        data,
        channel=Channel.WEB,
        client_address=client,
        client_id="digest-of-" + client,
        rate=RATE,
        **kw,  # type: ignore[arg-type]
    )


def test_a_public_report_is_stored_with_its_network_and_audited(sql_ctx: Context) -> None:
    made = public(sql_ctx, {"what_happened": "AWS calls with the key we gave you"})
    assert made.key == "REP-2026-1" and made.status is ReportStatus.RECEIVED
    view = reports.get(sql_ctx, ALICE, made.key)
    assert view.report.client_network == "203.0.113.0/24"
    assert view.report.received_at == clock_of(sql_ctx).now()
    assert view.report.submitted_by is None
    record = audit.list_records(sql_ctx, ADMIN, AuditFilter(limit=1))[0]
    assert (record.action, record.actor, record.target_id) == ("report.receive", "public", made.key)
    assert "AWS calls" not in (record.after_json or "")
    assert public(sql_ctx, {"what_happened": "second"}).key == "REP-2026-2"


def test_the_limit_applies_per_client_and_lets_nothing_more_in(sql_ctx: Context) -> None:
    for n in range(5):
        public(sql_ctx, {"what_happened": f"report {n}"})
        clock_of(sql_ctx).advance(seconds=10)
    with pytest.raises(RateLimited) as caught:
        public(sql_ctx, {"what_happened": "one too many"})
    assert caught.value.retry_after == 10 * 60 - 50 + 1
    assert stored(sql_ctx) == 5
    public(sql_ctx, {"what_happened": "another client"}, client="198.51.100.1")
    clock_of(sql_ctx).advance(seconds=caught.value.retry_after)
    public(sql_ctx, {"what_happened": "after the wait"})
    assert stored(sql_ctx) == 7


def test_simultaneous_submissions_from_one_client_never_pass_the_limit(sql_ctx: Context) -> None:
    # as from several worker processes at once: only the database can keep the count
    start = threading.Barrier(12)
    accepted: list[str] = []
    limited: list[int] = []

    def send(n: int) -> None:
        start.wait()
        for _attempt in range(50):
            try:
                accepted.append(public(sql_ctx, {"what_happened": f"burst {n}"}).key)
                return
            except RateLimited as exc:
                limited.append(exc.retry_after)
                return
            except Conflict:  # the database was busy: try again, as a client would
                continue

    threads = [threading.Thread(target=send, args=(n,)) for n in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert (len(accepted), len(limited)) == (5, 7)
    assert stored(sql_ctx) == 5
    assert audit.verify(sql_ctx, ADMIN).ok


def test_the_trap_refuses_quietly_counts_and_stores_nothing(sql_ctx: Context) -> None:
    for _ in range(5):
        with pytest.raises(PermissionDenied, match="could not be accepted"):
            public(sql_ctx, {"what_happened": "buy pills"}, trapped=True)
    assert stored(sql_ctx) == 0
    assert "report.receive" not in actions(sql_ctx)
    with pytest.raises(RateLimited):  # the bot's attempts counted
        public(sql_ctx, {"what_happened": "real now?"})


def test_an_invalid_report_stores_nothing_and_does_not_count(sql_ctx: Context) -> None:
    for _ in range(6):
        with pytest.raises(InvalidInput):
            public(sql_ctx, {"what_happened": "x" * 20_001, "reporter_email": "nope"})
    assert stored(sql_ctx) == 0
    public(sql_ctx, {"what_happened": "fixed it"})
    assert stored(sql_ctx) == 1


def test_the_cli_is_not_limited_and_names_who_entered_it(sql_ctx: Context) -> None:
    for n in range(7):
        made = reports.receive(
            sql_ctx, {"what_happened": f"phoned in {n}"}, channel=Channel.CLI, actor=ALICE
        )
    assert made.submitted_by == "alice" and made.client_network == ""
    assert audit.list_records(sql_ctx, ADMIN, AuditFilter(limit=1))[0].actor == "alice"


def test_viewers_do_not_read_reports(sql_ctx: Context) -> None:
    made = public(sql_ctx, {"what_happened": "x"})
    with pytest.raises(PermissionDenied):
        reports.page(sql_ctx, VIEWER, ReportFilter())
    with pytest.raises(PermissionDenied):
        reports.get(sql_ctx, VIEWER, made.key)
    with pytest.raises(PermissionDenied):
        reports.acknowledge(sql_ctx, VIEWER, made.key)


def test_acknowledge_and_decline_with_version_checks(sql_ctx: Context) -> None:
    made = public(sql_ctx, {"what_happened": "spam spam"})
    acked = reports.acknowledge(sql_ctx, ALICE, made.key, expected_version=1)
    assert acked.version == 2 and acked.acknowledged_by == "alice"
    with pytest.raises(Conflict, match="handled by someone else"):
        reports.decline(sql_ctx, BOB, made.key, reason="spam", expected_version=1)
    done = reports.decline(sql_ctx, BOB, made.key, reason="spam", expected_version=2)
    assert (done.status, done.handled_by, done.decline_reason) == (
        ReportStatus.DECLINED,
        "bob",
        "spam",
    )
    assert reports.page(sql_ctx, ALICE, ReportFilter(status=reports.OPEN)).total == 0
    assert actions(sql_ctx)[-2:] == ["report.acknowledge", "report.decline"]
    with pytest.raises(NotFound):
        reports.get(sql_ctx, ALICE, "REP-2026-99")


def test_promotion_declares_links_and_writes_the_finding_in_one_go(sql_ctx: Context) -> None:
    received = clock_of(sql_ctx).now()
    made = public(
        sql_ctx,
        {
            "what_happened": "Your S3 bucket acme-logs is public",
            "reporter_email": "ana@example.com",
        },
    )
    clock_of(sql_ctx).advance(hours=3)
    report, incident = reports.promote(
        sql_ctx, ALICE, made.key, severity=Severity.SEV2, restricted=True
    )
    assert report.status is ReportStatus.PROMOTED and report.incident_key == incident.key
    assert incident.title == f"Report {made.key}: Your S3 bucket acme-logs is public"
    assert incident.clocks[Clock.DETECTED_AT] == received
    assert incident.severity is Severity.SEV2 and incident.declared_by == "alice"
    entries = timeline_service.show(sql_ctx, ALICE, incident.key)
    finding = entries[1]
    assert finding.kind is EntryKind.FINDING and finding.occurred_at == received
    assert "Your S3 bucket acme-logs is public" in finding.body
    assert "ana@example.com" not in finding.body
    assert finding.data == {"report": made.key, "encrypted": False}
    assert actions(sql_ctx)[-2:] == ["incident.declare", "report.promote"]
    with pytest.raises(IllegalTransition, match="already promoted"):
        reports.promote(sql_ctx, BOB, made.key)
    assert len(incidents.list_incidents(sql_ctx, ADMIN)) == 1


def test_a_failed_promotion_leaves_no_incident(sql_ctx: Context) -> None:
    made = public(sql_ctx, {"what_happened": "x"})
    with pytest.raises(InvalidInput):
        reports.promote(sql_ctx, ALICE, made.key, title="t" * 300)
    assert incidents.list_incidents(sql_ctx, ADMIN) == []
    assert reports.get(sql_ctx, ALICE, made.key).report.status is ReportStatus.RECEIVED


@pytest.fixture(scope="module")
def org_key() -> OrganisationKey:
    return OrganisationKey.from_file(TEST_KEY, passphrase=TEST_PASSPHRASE)


def encrypted_for(key: OrganisationKey, text: str) -> str:
    cert = pysequoia.Cert.from_bytes(key.public_key.encode())
    return pysequoia.encrypt(text.encode(), recipients=[cert]).decode()


def test_decrypting_shows_the_plaintext_keeps_it_only_on_request_and_audits(
    sql_ctx: Context, org_key: OrganisationKey
) -> None:
    armour = encrypted_for(org_key, "We saw ListBuckets with key AKIA… from 198.51.100.7")
    made = public(sql_ctx, {"pgp_message": armour})
    assert made.submission.pgp_message == armour
    shown = reports.decrypt(sql_ctx, ALICE, made.key, organisation_key=org_key)
    assert shown.plaintext.startswith("We saw ListBuckets") and not shown.binary
    assert reports.get(sql_ctx, ALICE, made.key).decryptions == []
    kept = reports.decrypt(sql_ctx, BOB, made.key, organisation_key=org_key, keep=True)
    view = reports.get(sql_ctx, ALICE, made.key)
    assert [d.id for d in view.decryptions] == [kept.id]
    assert view.decryptions[0].decrypted_by == "bob"
    assert view.decryptions[0].key_fingerprint == org_key.fingerprint
    assert view.report.submission.pgp_message == armour  # the armour is untouched
    assert actions(sql_ctx)[-2:] == ["report.decrypt", "report.decrypt"]
    with pytest.raises(InvalidInput, match="no private key is configured"):
        reports.decrypt(sql_ctx, ALICE, made.key, organisation_key=None)
    plain = public(sql_ctx, {"what_happened": "not encrypted"})
    with pytest.raises(InvalidInput, match="holds no encrypted message"):
        reports.decrypt(sql_ctx, ALICE, plain.key, organisation_key=org_key)


def test_triage_assessments_keep_history_and_write_what_changed(sql_ctx: Context) -> None:
    made = incidents.declare(sql_ctx, ALICE, title="Customer sees odd AWS calls")
    first, change = triage.assess(
        sql_ctx, ALICE, made.key, {"customer_secrets": ["cloud_keys"]}, policy=POLICY
    )
    assert first.version == 1 and change.kind_before is None
    assert first.result.kind is Kind.EVENT  # access not known yet
    clock_of(sql_ctx).advance(hours=2)
    second, change = triage.assess(
        sql_ctx,
        BOB,
        made.key,
        {"customer_secrets": ["cloud_keys"], "access": "confirmed"},
        policy=POLICY,
        note="CloudTrail shows the key used",
    )
    assert second.version == 2
    assert (second.result.kind, second.result.severity) == (Kind.SUPPLY_CHAIN_BREACH, Severity.SEV1)
    assert change.breach_escalation and change.escalating_answers == ("access",)
    history = triage.history(sql_ctx, ALICE, made.key)
    assert [a.version for a in history] == [1, 2]
    assert history[1].assessment.note == "CloudTrail shows the key used"
    assert history[1].result == second.result  # stored as evaluated
    entries = [
        e for e in timeline_service.show(sql_ctx, ALICE, made.key) if e.kind is EntryKind.TRIAGE
    ]
    assert len(entries) == 2
    assert entries[1].body.startswith("Triage assessment 2: Re-triaged: event, SEV4 → ")
    assert "Escalation from routine to breach" in entries[1].body
    assert entries[1].data["breach_escalation"] is True
    assert actions(sql_ctx).count("triage.assess") == 2
    # assessing never changes the incident itself
    assert incidents.get(sql_ctx, ALICE, made.key).version == made.version
    with pytest.raises(InvalidInput) as caught:
        triage.assess(sql_ctx, ALICE, made.key, {"access": "maybe"}, policy=POLICY)
    assert caught.value.problems[0].path == ("access",)
    assert len(triage.history(sql_ctx, ALICE, made.key)) == 2


def test_applying_and_confirming_are_separate_deliberate_steps(sql_ctx: Context) -> None:
    made = incidents.declare(sql_ctx, ALICE, title="Keys in a public repository")
    with pytest.raises(InvalidInput, match="not been triaged"):
        triage.apply(sql_ctx, ALICE, made.key)
    triage.assess(sql_ctx, ALICE, made.key, {"access": "suspected"}, policy=POLICY)
    with pytest.raises(InvalidInput, match="not as a breach"):
        triage.confirm_breach(sql_ctx, ALICE, made.key)
    triage.assess(
        sql_ctx,
        ALICE,
        made.key,
        {"access": "confirmed", "customer_secrets": ["tokens"]},
        policy=POLICY,
    )
    with pytest.raises(Conflict, match="no longer the latest"):
        triage.apply(sql_ctx, BOB, made.key, version=1)
    applied = triage.apply(sql_ctx, BOB, made.key, version=2, expected_version=made.version)
    assert (applied.kind, applied.severity) == (Kind.SUPPLY_CHAIN_BREACH, Severity.SEV1)
    assert Clock.BREACH_DETERMINED_AT not in applied.clocks  # never automatic
    update = timeline_service.show(sql_ctx, ALICE, made.key)[-1]
    assert "Reason: Triage assessment 2 (candor-default" in update.body
    assert "customer-secrets-confirmed" in update.body
    clock_of(sql_ctx).advance(minutes=5)
    confirmed = triage.confirm_breach(sql_ctx, ALICE, made.key, version=2)
    assert confirmed.clocks[Clock.BREACH_DETERMINED_AT] == clock_of(sql_ctx).now()
    last = timeline_service.show(sql_ctx, ALICE, made.key)[-1]
    assert last.kind is EntryKind.DECISION and "confirmed by alice" in last.body
    with pytest.raises(Conflict, match="already recorded"):
        triage.confirm_breach(sql_ctx, BOB, made.key)
    assert actions(sql_ctx)[-2:] == ["incident.update", "incident.set_clock"]
    with pytest.raises(PermissionDenied):
        triage.assess(sql_ctx, VIEWER, made.key, {}, policy=POLICY)


def _token() -> str:
    gen = random.Random(11)  # noqa: S311 - an invented sample, not cryptography
    return "gh" + "p_" + "".join(gen.choice(string.ascii_letters) for _ in range(36))


def test_a_secret_is_recorded_masked_and_never_whole(sql_ctx: Context) -> None:
    token = _token()
    made = incidents.declare(sql_ctx, ALICE, title="Token committed to a public repository")
    catalogue = load_secret_catalogue()
    found = secret_findings.record(
        sql_ctx, ALICE, made.key, f"GITHUB_TOKEN={token}\n", catalogue=catalogue
    )
    assert [m.type.id for m in found] == ["github_pat_classic"]
    entry = timeline_service.show(sql_ctx, ALICE, made.key)[-1]
    assert entry.kind is EntryKind.FINDING and found[0].masked in entry.body
    records = audit.list_records(sql_ctx, ADMIN, AuditFilter(limit=5))
    for text in (entry.body, entry.data_json, *(r.after_json or "" for r in records)):
        assert token not in text and token[4:] not in text
    assert records[0].action == "secret.record"
    with pytest.raises(InvalidInput, match="nothing was recorded"):
        secret_findings.record(sql_ctx, ALICE, made.key, "hello", catalogue=catalogue)
