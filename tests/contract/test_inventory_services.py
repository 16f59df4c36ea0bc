"""The inventory, customers and incident scope on SQLite and PostgreSQL: import all or nothing,
marks with their timeline, audit and obligations facts, scans from the real CloudTrail fixture
narrowing the affected customers, bounces, and need-to-know."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from candor import config
from candor.adapters import inventory_file
from candor.adapters.logs import files, make_engine
from candor.adapters.obligations_setup import SettingsObligations
from candor.adapters.rules_files import load_secret_catalogue
from candor.domain.audit import AuditFilter
from candor.domain.errors import InvalidInput, NotFound, PermissionDenied, RuleFileError
from candor.domain.incidents import Confidentiality
from candor.domain.scoping.indicators import parse_indicators_file
from candor.domain.scoping.plan import SourceKind
from candor.domain.timeline import EntryKind
from candor.services import audit, impact, incidents, inventory, obligations, scope, scoping
from candor.services import timeline as timeline_service
from candor.services.context import Context
from tests.conftest import ADMIN, ALICE, BOB, ROOT, VIEWER
from tests.fakes import FakeClock

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
EXAMPLE = ROOT / "docs" / "examples" / "inventory.yaml"
OTRF = ROOT / "../shared/fixtures/logs/cloudtrail/otrf-ec2-s3-exfiltration"
# the access key id in the OTRF capture, assembled so secret scanners do not flag this file
ACME_KEY = "ASIA" + "5FLZVX4OPVKKVBMX"


@pytest.fixture
def ctx(sql_ctx: Context, tmp_path: Path) -> Context:
    return wired(sql_ctx, tmp_path)


def wired(sql_ctx: Context, tmp_path: Path) -> Context:
    """The context with obligations and the secret catalogue, the clock at ``NOW``."""
    settings = config.Settings(
        home=tmp_path,
        organization={"name": "Example SaaS Inc.", "timezone": "America/New_York"},
        obligations={"establishments": ["US-DE"]},
    )
    clock = sql_ctx.clock
    assert isinstance(clock, FakeClock)
    clock.current = NOW
    catalogue = load_secret_catalogue()
    return replace(sql_ctx, obligations=SettingsObligations(settings), secrets=lambda: catalogue)


def import_file(ctx: Context, path: Path = EXAMPLE, actor: Any = ALICE) -> inventory.Imported:
    doc = inventory_file.load(path, kind="inventory")
    return inventory.import_inventory(ctx, actor, doc.data, file=doc.file, locate=doc.locate)


def declare(ctx: Context, **kwargs: Any) -> str:
    return incidents.declare(
        ctx,
        ALICE,
        title="Collector credentials store accessed",
        detected_at=NOW - timedelta(hours=3),
        aware_at=NOW - timedelta(hours=2),
        **kwargs,
    ).key


def scan_result(key_id: str = ACME_KEY) -> dict[str, Any]:
    """``candor scope run --json`` on the real OTRF CloudTrail capture."""
    indicators = parse_indicators_file(
        {"indicators": [{"type": "aws_access_key_id", "value": key_id, "label": "stolen"}]}
    )
    found, skipped = files.discover(SourceKind.CLOUDTRAIL, [str(OTRF)])
    plan = scoping.plan(
        source=SourceKind.CLOUDTRAIL, files=found, indicators=indicators, skipped=skipped
    )
    engine = make_engine("duckdb")
    try:
        return scoping.run(engine, plan).as_dict()
    finally:
        engine.close()


def test_import_stores_everything_and_a_bad_file_changes_nothing(
    ctx: Context, tmp_path: Path
) -> None:
    done = import_file(ctx)
    assert (done.systems, done.credentials, done.code) == (4, 3, 2)
    assert done.customers_added == ("acme", "globex", "initech")
    stored = inventory.show(ctx, ALICE)
    assert stored.credentials[0].masked == "ASIA****VBMX"
    bad = tmp_path / "bad.yaml"
    text = EXAMPLE.read_text("utf-8").replace("kind: sdk", "kind: firmware")
    bad.write_text(text.replace("name: kms-prod", "name: KMS prod!"), "utf-8")
    with pytest.raises(RuleFileError) as caught:
        import_file(ctx, bad)
    located = [(p.file, p.line, p.as_dict()["field"]) for p in caught.value.problems_list()]
    lines = text.splitlines()
    kind_line = next(i for i, line in enumerate(lines, 1) if "kind: firmware" in line)
    assert (str(bad), kind_line, "code[1].kind") in located
    assert any(f == "systems[2].name" for _, _, f in located)
    assert inventory.show(ctx, ALICE) == stored  # nothing changed


def test_customers_import_from_csv_with_errors_naming_line_and_column(
    ctx: Context, tmp_path: Path
) -> None:
    good = tmp_path / "customers.csv"
    good.write_text(
        "external_id,name,tier,jurisdictions,email,contact_name,role,verified,verified_at,unreachable\n"
        "acme,Acme Corp,enterprise,US-CA;DE,sec@acme.example,Dana,CISO,yes,2026-10-01T09:00:00Z,\n"
        "acme,Acme Corp,enterprise,US-CA;DE,ops@acme.example,,Ops,no,,\n"
        "globex,Globex,business,GB,it@globex.example,,IT,no,,\n",
        "utf-8",
    )
    doc = inventory_file.load(good, kind="customers")
    done = inventory.import_customers(ctx, ALICE, doc.data, file=doc.file, locate=doc.locate)
    assert done.customers_added == ("acme", "globex")
    listed = inventory.customers(ctx, ALICE)
    assert [len(c.contacts) for c in listed] == [2, 1]
    assert inventory.readiness(ctx, ALICE).ready == 1
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "external_id,name,tier,jurisdictions,email,contact_name,role,verified,verified_at,unreachable\n"
        "initech,Initech,,US-TX,bill@initech.example,,,maybe,,\n"
        "hooli,Hooli,,XX,gavin@hooli.example,,,no,,\n",
        "utf-8",
    )
    doc = inventory_file.load(bad, kind="customers")
    with pytest.raises(RuleFileError) as caught:
        inventory.import_customers(ctx, ALICE, doc.data, file=doc.file, locate=doc.locate)
    shown = [str(p) for p in caught.value.problems_list()]
    assert any(s.startswith(f"{bad}:2:8 customers[0].contacts[0].verified") for s in shown)
    assert any(s.startswith(f"{bad}:3:4 customers[1].jurisdictions[0]") for s in shown)
    assert len(inventory.customers(ctx, ALICE)) == 2  # nothing stored


def test_reimporting_the_same_customers_changes_nothing(ctx: Context, tmp_path: Path) -> None:
    """A contact marked verified with no date is dated at its first import; importing the same
    file again keeps that date and reports no customer as updated."""
    same = tmp_path / "customers.csv"
    same.write_text(
        "external_id,name,tier,jurisdictions,email,contact_name,role,verified,verified_at,unreachable\n"
        "acme,Acme Corp,enterprise,US-CA,sec@acme.example,Dana,CISO,yes,,\n",
        "utf-8",
    )
    doc = inventory_file.load(same, kind="customers")
    first_at = ctx.clock.now()
    inventory.import_customers(ctx, ALICE, doc.data, file=doc.file, locate=doc.locate)
    ctx.clock.advance(days=3)  # type: ignore[attr-defined]
    again = inventory.import_customers(ctx, ALICE, doc.data, file=doc.file, locate=doc.locate)
    assert (again.customers_added, again.customers_updated) == ((), ())
    contact = inventory.customers(ctx, ALICE)[0].contacts[0]
    assert contact.verified_at == first_at


def test_viewers_may_not_import(ctx: Context) -> None:
    with pytest.raises(PermissionDenied):
        import_file(ctx, actor=VIEWER)


def test_marking_a_system_records_timeline_audit_and_obligations_facts(ctx: Context) -> None:
    import_file(ctx)
    key = declare(ctx)
    exposure = scope.mark_system(ctx, ALICE, key, "customer-db", "confirmed", note="SQLi")
    assert exposure.people["US-CA"] == 1200
    facts = obligations.facts_history(ctx, ALICE, key)[-1]
    assert facts.facts["affected"].value == {
        "DE": 300, "GB": 450, "US-CA": 1200, "US-NY": 25, "US-TX": 80
    }  # fmt: skip
    assert facts.facts["affected"].source.value == "inventory"
    assert facts.facts["affected_customers"].value == ["acme", "globex", "initech"]
    assert "email_address" in facts.facts["data_elements"].value
    bodies = [e.body for e in timeline_service.show(ctx, ALICE, key) if e.kind is EntryKind.SCOPE]
    assert bodies[0].startswith("System customer-db marked confirmed.")
    records = audit.list_records(ctx, ADMIN, AuditFilter(action_prefix="scope.mark"))
    assert [r.target_id for r in records] == ["customer-db"]
    overview = obligations.overview(ctx, ALICE, key)
    assert any(o.computed.jurisdiction == "US-CA" for o in overview.obligations)


def test_clearing_the_last_system_removes_only_what_scope_recorded(ctx: Context) -> None:
    import_file(ctx)
    key = declare(ctx)
    obligations.record_facts(ctx, ALICE, key, {"risk_of_harm": "likely"})
    scope.mark_system(ctx, ALICE, key, "support-desk", "suspected")
    scope.mark_system(ctx, ALICE, key, "support-desk", "cleared")
    facts = obligations.facts_history(ctx, ALICE, key)[-1].facts
    assert "affected" not in facts and "affected_customers" not in facts
    assert facts["risk_of_harm"].value == "likely"


def test_bad_marks_name_the_field(ctx: Context) -> None:
    import_file(ctx)
    key = declare(ctx)
    with pytest.raises(InvalidInput) as caught:
        scope.mark_system(ctx, ALICE, key, "mainframe", "confirmed")
    assert caught.value.problems_list()[0].field == "system"
    assert "known: collector-credentials" in (caught.value.problems_list()[0].hint or "")
    with pytest.raises(InvalidInput) as caught:
        scope.mark_system(ctx, ALICE, key, "customer-db", "pwned")
    assert caught.value.problems_list()[0].field == "status"


def test_restricted_incidents_are_invisible_to_non_members(ctx: Context) -> None:
    import_file(ctx)
    key = declare(ctx, confidentiality=Confidentiality.RESTRICTED)
    with pytest.raises(NotFound):
        scope.mark_system(ctx, BOB, key, "customer-db", "confirmed")
    with pytest.raises(NotFound):
        scope.view(ctx, BOB, key)
    with pytest.raises(NotFound):
        scope.attach_scan(ctx, BOB, key, scan_result(), file="scan.json")


def test_a_scan_of_the_real_cloudtrail_narrows_to_the_customer_whose_key_was_used(
    ctx: Context,
) -> None:
    import_file(ctx)
    key = declare(ctx)
    scope.mark_system(ctx, ALICE, key, "collector-credentials", "confirmed")
    scope.mark_system(ctx, ALICE, key, "customer-db", "suspected")
    before = scope.view(ctx, ALICE, key).exposure
    assert {c.customer.external_id for c in before.customers} == {"acme", "globex", "initech"}

    attached = scope.attach_scan(ctx, ALICE, key, scan_result(), file="otrf.json")
    assert attached.number == 1 and attached.summary["events_matched"] > 0
    view = scope.view(ctx, ALICE, key)
    assert view.exposure.narrowed
    assert [c.customer.external_id for c in view.exposure.customers] == ["acme"]
    assert view.exposure.people == {"DE": 300, "US-CA": 1200, "US-NY": 25}
    facts = obligations.facts_history(ctx, ALICE, key)[-1]
    assert facts.facts["affected_customers"].value == ["acme"]
    assert facts.facts["affected_customers"].source.value == "scoping"
    # the key facts wait as findings for review
    found = impact.findings(ctx, ALICE, key)
    summaries = [f.summary for _, _, f in found.findings]
    assert any(s.startswith("First matched activity at 2020-09-14") for s in summaries)
    assert any(s.startswith("Accounts touched: ") for s in summaries)
    # … and, like any finding, each is in the audit log
    added = audit.list_records(ctx, ADMIN, AuditFilter(action_prefix="finding.add"))
    assert sorted(json.loads(r.after_json or "{}")["summary"] for r in added) == sorted(summaries)
    rows = scope.scan_rows(scope.scan(ctx, ALICE, key, 1))
    assert ("indicator", f"aws_access_key_id {ACME_KEY}") == rows[0][:2]
    # who must rotate: every exposed key, used or not, is still listed
    exposed = {c.customer.external_id: c for c in view.exposure.exposed_customers}
    assert exposed["globex"].credentials[0].used is False
    assert exposed["acme"].credentials[0].used is True


def test_a_scan_that_is_not_a_scan_result_is_refused(ctx: Context) -> None:
    key = declare(ctx)
    with pytest.raises(InvalidInput) as caught:
        scope.attach_scan(ctx, ALICE, key, {"hello": 1}, file="x.json")
    assert {p.field for p in caught.value.problems_list()} >= {"events_scanned", "accounts"}
    assert scope.scans(ctx, ALICE, key) == []


def test_affected_customers_gives_reachable_contacts_and_credentials(ctx: Context) -> None:
    import_file(ctx)
    key = declare(ctx)
    scope.mark_system(ctx, ALICE, key, "collector-credentials", "confirmed")
    incident = incidents.get(ctx, ALICE, key)
    found = {c.customer.external_id: c for c in scope.affected_customers(ctx, incident)}
    assert [c.email for c in found["acme"].reachable_contacts] == ["security@acme.example"]
    assert found["initech"].reachable_contacts == ()
    assert found["acme"].credentials[0].credential.masked == "ASIA****VBMX"
    with ctx.uow() as uow:
        again = scope.affected_customers(uow, incident, catalogue=load_secret_catalogue())
    assert [c.customer.external_id for c in again] == sorted(found)


def test_a_bounce_makes_an_address_unreachable_and_survives_a_reimport(ctx: Context) -> None:
    import_file(ctx)
    with ctx.uow(write=True) as uow:
        hit = inventory.mark_address_unreachable(
            uow, "Security@Acme.example", "550 5.1.1 user unknown", NOW
        )
        uow.commit()
    assert hit == ["acme"]
    acme = inventory.customer(ctx, ALICE, "acme")
    assert not acme.ready and acme.contacts[0].unreachable_reason == "550 5.1.1 user unknown"
    import_file(ctx)
    assert inventory.customer(ctx, ALICE, "acme").contacts[0].unreachable
    records = audit.list_records(ctx, ADMIN, AuditFilter(action_prefix="customer.contact"))
    assert records[0].target_id == "security@acme.example"
    with pytest.raises(NotFound):
        inventory.mark_unreachable(ctx, ALICE, "nobody@nowhere.example", "bounced")


def test_readiness_reads_customer_contacts_and_inventory_coverage(ctx: Context) -> None:
    with ctx.uow() as uow:
        assert inventory.CustomerContactRecords().verified(uow) is None  # not measured yet
        assert inventory.InventoryRecords().described(uow) is None
    import_file(ctx)
    with ctx.uow() as uow:
        contacts = inventory.CustomerContactRecords().verified(uow)
        systems = inventory.InventoryRecords().described(uow)
    assert contacts is not None and (contacts.covered, contacts.total) == (2, 3)
    assert systems is not None and (systems.covered, systems.total) == (3, 4)  # kms-prod: no data


def test_a_systems_csv_is_read_and_its_problems_name_line_and_column(
    ctx: Context, tmp_path: Path
) -> None:
    header = ",".join(inventory_file.SYSTEM_COLUMNS)
    good = tmp_path / "systems.csv"
    good.write_text(
        f"{header}\n"
        "crm,sales-ops,production,Hosted CRM,name;email_address,US-CA=10;DE=5,yes,vendor managed,\n"
        "wiki,it,corporate,,,,no,,\n",
        "utf-8",
    )
    assert import_file(ctx, good).systems == 2
    crm = inventory.show(ctx, ALICE).systems[0]
    assert [(r.jurisdiction, r.count) for r in crm.records] == [("US-CA", 10), ("DE", 5)]
    assert crm.encrypted_at_rest and crm.key_location == "vendor managed"
    bad = tmp_path / "bad.csv"
    bad.write_text(
        f"{header}\ncrm,sales-ops,production,,name;shoe_size,US-CA=ten;DE=²,maybe,,\n",
        "utf-8",
    )
    with pytest.raises(RuleFileError) as caught:
        import_file(ctx, bad)
    shown = [str(p) for p in caught.value.problems_list()]
    assert any(s.startswith(f"{bad}:2:5 systems[0].data_elements[1]: unknown data") for s in shown)
    assert any(s.startswith(f"{bad}:2:6 systems[0].records[0].count") for s in shown)
    # a superscript two looks like a digit to str.isdigit() but int() refuses it: named too
    assert any(s.startswith(f"{bad}:2:6 systems[0].records[1].count") for s in shown)
    assert any(s.startswith(f"{bad}:2:7 systems[0].encryption.at_rest") for s in shown)
    assert [s.name for s in inventory.show(ctx, ALICE).systems] == ["crm", "wiki"]
    unknown = tmp_path / "cols.csv"
    unknown.write_text("name,owner,colour\nx,y,z\n", "utf-8")
    with pytest.raises(RuleFileError) as caught:
        import_file(ctx, unknown)
    assert str(caught.value.problems_list()[0]).startswith(
        f"{unknown}:1:3: unknown column 'colour'"
    )


def test_refresh_follows_an_inventory_change(ctx: Context, tmp_path: Path) -> None:
    import_file(ctx)
    key = declare(ctx)
    with pytest.raises(InvalidInput):
        scope.refresh(ctx, ALICE, key)
    scope.mark_system(ctx, ALICE, key, "support-desk", "confirmed")
    changed = tmp_path / "changed.yaml"
    changed.write_text(
        EXAMPLE.read_text("utf-8").replace("{jurisdiction: US-CA, count: 40, customer: acme}",
                                           "{jurisdiction: US-CA, count: 400, customer: acme}"),
        "utf-8",
    )  # fmt: skip
    import_file(ctx, changed)
    assert obligations.facts_history(ctx, ALICE, key)[-1].facts["affected"].value["US-CA"] == 40
    exposure = scope.refresh(ctx, ALICE, key)
    assert exposure.people["US-CA"] == 400
    assert obligations.facts_history(ctx, ALICE, key)[-1].facts["affected"].value["US-CA"] == 400
