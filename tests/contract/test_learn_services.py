"""Retros, action items, metrics and sharing stored per incident, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from candor import config
from candor.adapters.export import learn as exports
from candor.adapters.export import stix, veris
from candor.adapters.export.document import to_markdown
from candor.adapters.obligations_setup import SettingsObligations
from candor.adapters.retro_rules import default_policy
from candor.domain.audit import AuditFilter
from candor.domain.errors import (
    Conflict,
    IllegalTransition,
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from candor.domain.metrics import Measure, ObligationState
from candor.domain.milestones import Milestone
from candor.domain.retros import RetroStatus
from candor.domain.timeline import EntryKind
from candor.services import (
    audit,
    impact,
    incidents,
    learn_metrics,
    obligation_tracking,
    obligations,
    retros,
    sharing,
)
from candor.services import timeline as timeline_service
from candor.services.context import Context
from tests.conftest import ADMIN, ALICE, BOB, FIXTURES, VIEWER
from tests.fakes import FakeClock

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
DETECTED = NOW - timedelta(hours=6)
TOKEN_CHAIN = {
    "problem": "An API token was pushed to a public repository",
    "steps": [
        {"why": "Why was it in the repository?", "because": "No review caught it"},
        {"why": "Why did no review catch it?", "because": "No tool checks commits for secrets"},
    ],
}


@pytest.fixture
def ctx(sql_ctx: Context, tmp_path: Path) -> Context:
    settings = config.Settings(
        home=tmp_path,
        organization={"name": "Example SaaS Inc.", "timezone": "America/New_York"},
        obligations={"establishments": ["US-DE"]},
    )
    clock = clock_of(sql_ctx)
    clock.current = NOW
    return replace(sql_ctx, obligations=SettingsObligations(settings))


def clock_of(ctx: Context) -> FakeClock:
    assert isinstance(ctx.clock, FakeClock)
    return ctx.clock


def declare(ctx: Context, **kwargs: object) -> str:
    return incidents.declare(
        ctx,
        ALICE,
        title="Token pushed to a public repository",
        summary="An API token leaked.",
        detected_at=DETECTED,
        **kwargs,  # type: ignore[arg-type]
    ).key


def actions(ctx: Context, prefix: str) -> list[str]:
    records = audit.list_records(ctx, ADMIN, AuditFilter(limit=1000, action_prefix=prefix))
    return [r.action for r in reversed(records)]


def test_a_retro_starts_from_the_final_impact_statement_and_the_milestones(ctx: Context) -> None:
    key = declare(ctx)
    impact.save_version(
        ctx, ALICE, key, reason="first", based_on=None, sections={"what_happened": "One key."}
    )
    clock_of(ctx).advance(hours=1)
    impact.save_version(
        ctx, ALICE, key, reason="final", based_on=1, sections={"what_happened": "Two keys read."}
    )
    made = retros.start(ctx, ALICE, key)
    assert made.status is RetroStatus.DRAFT
    assert "Two keys read." in made.impact and "One key." not in made.impact
    marked = {i.milestone for i in made.timeline}
    assert {Milestone.DETECTION, Milestone.DECLARATION} <= marked
    with pytest.raises(Conflict):
        retros.start(ctx, BOB, key)
    bodies = [e.body for e in timeline_service.show(ctx, ALICE, key)]
    assert "Retro started (draft)." in bodies
    assert actions(ctx, "retro") == ["retro.start"]


def test_edits_chains_status_and_action_items_are_recorded(ctx: Context) -> None:
    key = declare(ctx)
    retros.start(ctx, ALICE, key)
    view = retros.get(ctx, ALICE, key)
    retros.revise(
        ctx,
        ALICE,
        key,
        {"went_well": ["Paging worked"], "lucky": ["The key had narrow rights"]},
        timeline_entries=[1],
        expected_version=view.version,
    )
    retros.add_chain(ctx, ALICE, key, **TOKEN_CHAIN)  # type: ignore[arg-type]
    retros.add_chain(
        ctx,
        BOB,
        key,
        problem="Nobody noticed for eleven hours",
        steps=[{"why": "Why?", "because": "alice forgot to check the alerts, human error"}],
    )
    item = retros.add_action_item(
        ctx,
        ALICE,
        key,
        title="Secret scanning in CI",
        kind="detect",
        owner="bob",
        due_on="2026-12-01",
        tracker_url="https://tracker.example.com/SEC-1",
    )
    assert item.seq == 1 and item.owner == "bob" and item.due_on == date(2026, 12, 1)
    retros.set_action_status(ctx, BOB, key, 1, "in_progress")
    view = retros.get(ctx, ALICE, key, policy=default_policy())
    retro = retros.require(view)
    assert [c.depth for c in retro.chains] == [2, 1]
    assert retro.timeline[0].entry == 1 or any(i.entry == 1 for i in retro.timeline)
    assert retro.went_well == ("Paging worked",)
    assert view.review is not None
    codes = {n.code for n in view.review.nudges}
    assert codes == {"stops-early", "ends-at-person"}
    assert any(h.code == "names-person" and h.text.lower() == "alice" for h in view.review.hints)
    retros.set_status(ctx, ALICE, key, "in_review")
    retros.set_status(ctx, ALICE, key, "published")
    with pytest.raises(IllegalTransition):
        retros.revise(ctx, ALICE, key, {"summary": "rewritten"})
    # owners still update their items after publication
    retros.set_action_status(ctx, BOB, key, 1, "done")
    assert actions(ctx, "retro") == [
        "retro.start",
        "retro.revise",
        "retro.chain",
        "retro.chain",
        "retro.action_add",
        "retro.action_status",
        "retro.status",
        "retro.status",
        "retro.action_status",
    ]
    systems = [e for e in timeline_service.show(ctx, ALICE, key) if e.kind is EntryKind.SYSTEM]
    assert "Retro moved from in_review to published." in [e.body for e in systems]


def test_bad_input_names_every_field_and_changes_nothing(ctx: Context) -> None:
    key = declare(ctx)
    retros.start(ctx, ALICE, key)
    with pytest.raises(InvalidInput) as caught:
        retros.revise(
            ctx,
            ALICE,
            key,
            {
                "action_items": [{"title": "", "kind": "blame", "due_on": "next week"}],
                "went_well": "not a list",
            },
        )
    fields = {p.field for p in caught.value.problems}
    assert {"action_items[0].title", "action_items[0].kind", "action_items[0].due_on"} <= fields
    assert "went_well" in fields
    with pytest.raises(InvalidInput) as caught:
        retros.add_action_item(ctx, ALICE, key, title="x", kind="prevent", owner="nobody")
    assert caught.value.problems[0].field == "owner"
    with pytest.raises(InvalidInput) as caught:
        retros.revise(ctx, ALICE, key, {"summary": "x"}, timeline_entries=[99])
    assert caught.value.problems[0].field == "timeline"
    # a retro without chains cannot go to review
    with pytest.raises(InvalidInput) as caught:
        retros.set_status(ctx, ALICE, key, "in_review")
    assert caught.value.problems[0].field == "chains"
    assert retros.require(retros.get(ctx, ALICE, key)).action_items == ()
    assert actions(ctx, "retro") == ["retro.start"]


def test_readiness_counts_overdue_items_without_naming_restricted_ones(ctx: Context) -> None:
    open_key, secret = declare(ctx), declare(ctx, confidentiality="restricted")
    for key, title in ((open_key, "Rotate the CI token"), (secret, "Audit the HR exports")):
        retros.start(ctx, ALICE, key)
        retros.add_action_item(ctx, ALICE, key, title=title, kind="prevent", due_on="2026-11-01")
    with ctx.uow() as uow:
        items = retros.RetroActionItems().action_items(uow)
    titles = sorted(i.title for i in items)
    assert titles == ["Rotate the CI token", "an item of a restricted incident"]
    assert all(i.is_overdue(NOW) for i in items)


def test_a_stale_edit_is_a_conflict(ctx: Context) -> None:
    key = declare(ctx)
    retros.start(ctx, ALICE, key)
    seen = retros.get(ctx, ALICE, key).version
    retros.revise(ctx, BOB, key, {"summary": "bob's"}, expected_version=seen)
    with pytest.raises(Conflict):
        retros.revise(ctx, ALICE, key, {"summary": "alice's"}, expected_version=seen)


def test_need_to_know_hides_retros_and_action_items(ctx: Context) -> None:
    secret = declare(ctx, confidentiality="restricted")
    retros.start(ctx, ALICE, secret)
    retros.add_action_item(ctx, ALICE, secret, title="Hidden work", kind="prevent")
    with pytest.raises(NotFound):
        retros.get(ctx, BOB, secret)
    with pytest.raises(NotFound):
        retros.add_action_item(ctx, BOB, secret, title="x", kind="prevent")
    with pytest.raises(NotFound):
        sharing.add_indicator(ctx, BOB, secret, type="ipv4", value="203.0.113.7", tlp="amber")
    assert [r.item.title for r in retros.action_items(ctx, ALICE)] == ["Hidden work"]
    assert retros.action_items(ctx, BOB) == []
    assert [r.item.title for r in retros.action_items(ctx, ADMIN)] == ["Hidden work"]
    assert learn_metrics.overview(ctx, BOB).incidents == []


def test_action_items_across_incidents_overdue_first(ctx: Context) -> None:
    first, second = declare(ctx), declare(ctx)
    for key in (first, second):
        retros.start(ctx, ALICE, key)
    retros.add_action_item(ctx, ALICE, first, title="later", kind="process", due_on="2027-01-01")
    retros.add_action_item(
        ctx, ALICE, second, title="a bit late", kind="detect", due_on="2026-11-20"
    )
    retros.add_action_item(
        ctx, ALICE, first, title="very late", kind="prevent", due_on="2026-11-01"
    )
    retros.add_action_item(ctx, ALICE, second, title="undated", kind="mitigate")
    rows = retros.action_items(ctx, ALICE)
    assert [r.item.title for r in rows] == ["very late", "a bit late", "later", "undated"]
    assert [r.days_overdue for r in rows[:2]] == [21, 2]
    overview = learn_metrics.overview(ctx, ALICE)
    assert [o.item.title for o in overview.overdue] == ["very late", "a bit late"]


def test_metrics_show_times_and_obligation_margins(ctx: Context) -> None:
    incident = incidents.declare(
        ctx,
        ALICE,
        title="Customer records copied",
        detected_at=DETECTED,
        aware_at=NOW - timedelta(hours=2),
    )
    obligations.record_facts(
        ctx,
        ALICE,
        incident.key,
        {"data_elements": ["name", "ssn"], "risk_of_harm": "likely", "affected": {"US-TX": 1200}},
        reason="first count",
    )
    clock_of(ctx).advance(minutes=30)
    incidents.assign_role(ctx, ALICE, incident.key, "incident_lead", "bob")
    clock_of(ctx).advance(hours=1)
    due = [
        o
        for o in obligations.overview(ctx, ALICE, incident.key).obligations
        if o.computed.deadline is not None and not o.computed.retention
    ]
    assert due, "the Texas rules set fixed deadlines"
    obligation_tracking.file(ctx, BOB, incident.key, str(due[0].seq), reference="AG-1")
    facts = learn_metrics.incident_facts(ctx, ALICE, incident.key)
    measured = facts.metrics(now=ctx.clock.now())
    assert measured.duration(Measure.TIME_TO_DECLARE) == timedelta(hours=6)
    assert measured.duration(Measure.TIME_TO_ASSIGN_LEAD) == timedelta(minutes=30)
    filed = [o for o in measured.obligations if o.filed_at is not None]
    assert len(filed) == 1 and filed[0].state is ObligationState.MET
    assert filed[0].margin == filed[0].deadline - filed[0].filed_at  # type: ignore[operator]
    assert filed[0].margin > timedelta(0)  # type: ignore[operator]
    overview = learn_metrics.overview(ctx, ALICE)
    assert [m.key for m in overview.incidents] == [incident.key]
    assert {s.measure for s in overview.summaries} >= {Measure.TIME_TO_DECLARE}


def test_indicators_entered_imported_and_shared_without_red(ctx: Context, tmp_path: Path) -> None:
    key = declare(ctx)
    sharing.add_indicator(ctx, ALICE, key, type="ipv4", value="203.0.113.7", tlp="green")
    with pytest.raises(InvalidInput) as caught:
        sharing.add_indicator(ctx, ALICE, key, type="ipv4", value="203.0.113.7", tlp="amber")
    assert caught.value.problems[0].field == "value"
    with pytest.raises(InvalidInput) as caught:
        sharing.add_indicator(ctx, ALICE, key, type="ipv4", value="999.1.1.1", tlp="purple")
    assert {p.field for p in caught.value.problems} == {"value", "tlp"}
    result = {
        "by_indicator": [
            {
                "type": "aws_access_key_id",
                "value": "AKIAIOSFODNN7EXAMPLE",
                "label": "ci key",
                "match": "exact",
                "hits": 12,
                "first_seen": "2026-11-21T22:15:00Z",
                "last_seen": "2026-11-22T01:00:00Z",
            },
            {
                "type": "ip",
                "value": "198.51.100.9",
                "match": "exact",
                "hits": 0,
                "first_seen": None,
                "last_seen": None,
            },
        ],
        "source_ips": [
            {
                "ip": "203.0.113.7",
                "events": 12,
                "first_seen": "2026-11-21T22:15:00Z",
                "last_seen": "2026-11-22T01:00:00Z",
            },
            {
                "ip": "192.0.2.44",
                "events": 3,
                "first_seen": "2026-11-21T23:00:00Z",
                "last_seen": "2026-11-21T23:30:00Z",
            },
        ],
    }
    added = sharing.import_scoping(ctx, ALICE, key, result, tlp="amber", file="scan.json")
    assert len(added) == 2  # the key and 192.0.2.44; 203.0.113.7 is already there, .9 never seen
    facts = learn_metrics.incident_facts(ctx, ALICE, key)
    assert facts.first_activity_at == datetime(2026, 11, 21, 22, 15, tzinfo=UTC)
    bad = {"by_indicator": [{"type": "ip", "value": "not-an-ip", "hits": 1}], "source_ips": []}
    with pytest.raises(InvalidInput) as caught:
        sharing.import_scoping(ctx, ALICE, key, bad, tlp="amber", file="bad.json")
    assert caught.value.problems[0].file == "bad.json"
    assert caught.value.problems[0].field == "by_indicator.0.value"
    bundle = exports.stix_bundle(ctx, ALICE, key)
    assert stix.validate_bundle(bundle) == []
    assert sum(o["type"] == "indicator" for o in bundle["objects"]) == 3
    sharing.add_indicator(ctx, ALICE, key, type="domain", value="evil.example", tlp="red")
    with pytest.raises(InvalidInput) as caught:
        exports.stix_bundle(ctx, ALICE, key)
    assert "domain evil.example is TLP:RED" in caught.value.problems[0].message
    with pytest.raises(InvalidInput):
        exports.stix_bundle(ctx, ALICE, key, ceiling="green")
    assert actions(ctx, "stix") == ["stix.export"]
    assert json.dumps(bundle)  # plain JSON data


def test_veris_export_import_and_classification(ctx: Context) -> None:
    key = declare(ctx)
    record = exports.veris_record(ctx, ALICE, key)
    assert veris.validate(record) == []
    with pytest.raises(InvalidInput) as caught:
        exports.classify(ctx, ALICE, key, {"action": {"hacking": {"variety": ["test"]}}})
    assert any("action" in (p.field or "") for p in caught.value.problems)
    exports.classify(
        ctx,
        ALICE,
        key,
        {
            "action": {
                "hacking": {"variety": ["Use of stolen creds"], "vector": ["Web application"]}
            }
        },
    )
    again = exports.veris_record(ctx, ALICE, key)
    assert again["action"]["hacking"]["variety"] == ["Use of stolen creds"]
    sample = sorted((FIXTURES / "samples" / "veris" / "vcdb-records").glob("*.json"))[0]
    data = json.loads(sample.read_text("utf-8"))
    made = exports.veris_import(ctx, ALICE, data, file=sample.name)
    out = exports.veris_record(ctx, ALICE, made)
    assert out["action"] == data["action"]
    with pytest.raises(NotFound):
        exports.veris_record(ctx, ALICE, "INC-2026-999")
    with pytest.raises(PermissionDenied):
        exports.veris_record(ctx, VIEWER, key)


VCDB = FIXTURES / "samples" / "veris" / "vcdb-records"


def test_vcdb_records_import_as_incidents_and_export_again(ctx: Context) -> None:
    records = sorted(p for p in VCDB.iterdir() if p.suffix.lower() == ".json")
    assert len(records) == 4
    for path in records:
        data = json.loads(path.read_text("utf-8"))
        key = exports.veris_import(ctx, ALICE, data, file=path.name)
        out = exports.veris_record(ctx, ALICE, key)
        assert veris.validate(out) == []
        want = veris.essentials(veris.reexport(veris.import_record(data), now=NOW))
        got = veris.essentials(out)
        want.pop("incident_id"), got.pop("incident_id")  # a new record of our own incident
        assert got == want, path.name
    before = len(incidents.list_incidents(ctx, ALICE))
    invalid = sorted((FIXTURES / "samples" / "veris" / "invalid-by-design").glob("*.json"))
    cases = [json.loads(p.read_text("utf-8")) for p in invalid]
    refused = [(p, c["incident"]) for p, c in zip(invalid, cases, strict=True)]
    assert len(refused) == 222
    for path, record in refused:
        with pytest.raises(InvalidInput) as caught:
            exports.veris_import(ctx, ALICE, record, file=path.name)
        assert all(p.field and p.file == path.name for p in caught.value.problems), path.name
    assert len(incidents.list_incidents(ctx, ALICE)) == before  # nothing declared


def test_the_public_writeup_hides_names_and_configured_internal_hosts(ctx: Context) -> None:
    key = declare(ctx)
    retros.start(ctx, ALICE, key)
    retros.revise(
        ctx,
        ALICE,
        key,
        {
            "summary": "bob found the token on build.corp.example.com and told alice.",
            "contributing_factors": ["The CI runner at 10.0.4.7 kept tokens for a year"],
        },
    )
    doc, counts = exports.document(
        ctx, ALICE, key, "writeup", internal_domains=["corp.example.com"]
    )
    text = to_markdown(doc)
    for secret in ("bob", "alice", "build.corp.example.com", "10.0.4.7"):
        assert secret not in text, secret
    assert counts and counts["[internal host]"] == 1 and counts["[person]"] == 2
    plain, _ = exports.document(ctx, ALICE, key, "writeup")
    assert "build.corp.example.com" in to_markdown(plain)  # only the configured domains
