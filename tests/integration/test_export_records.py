"""The incident export carries every feature's records about the incident, on SQLite and
PostgreSQL: one incident built through the real use cases with each kind of record, exported,
and each section read back from the archive."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from candor import bootstrap
from candor.adapters.records.blobs import LocalBlobStore
from candor.adapters.records.export_zip import zip_writer
from candor.adapters.rules_files import load_triage_policy
from candor.domain.access import Actor, OrgRole
from candor.domain.errors import NotFound, PermissionDenied
from candor.services import (
    advisories,
    export,
    impact,
    incidents,
    obligation_tracking,
    obligations,
    retros,
    scope,
    sharing,
    statements,
    triage,
)
from candor.services.context import Context
from tests.conftest import ALICE, BOB, VIEWER
from tests.contract import test_inventory_services as inventory_story
from tests.contract.test_advisory_services import SETUP
from tests.contract.test_advisory_services import draft as advisory_draft
from tests.contract.test_obligation_services import AWARE, FACTS
from tests.contract.test_statement_services import CAROL, through_review

assert bootstrap.EXPORT_MODULES  # imported as the CLI and the web server do: every exporter

COUNSEL = Actor("erin", OrgRole.COUNSEL)
DAN = Actor("dan", OrgRole.RESPONDER)


@pytest.fixture
def ctx(sql_ctx: Context, tmp_path: Path) -> Context:
    return replace(
        inventory_story.wired(sql_ctx, tmp_path), blobs=LocalBlobStore(tmp_path / "blobs")
    )


def build(ctx: Context) -> str:
    """One breach with a record of every kind a feature keeps about an incident."""
    inventory_story.import_file(ctx)
    key = incidents.declare(
        ctx,
        ALICE,
        title="Collector credentials store accessed",
        kind="personal_data_breach",
        severity="SEV1",
        detected_at=AWARE,
        aware_at=AWARE,
    ).key
    incidents.assign_role(ctx, ALICE, key, "counsel", "erin")
    incidents.assign_role(ctx, ALICE, key, "incident_lead", "bob")
    incidents.assign_role(ctx, ALICE, key, "comms_lead", "carol")
    triage.assess(
        ctx,
        ALICE,
        key,
        {"customer_secrets": ["cloud_keys"]},
        policy=load_triage_policy(None),
        note="first",
    )
    impact.save_version(
        ctx, ALICE, key, reason="first take", based_on=None, sections={"what_happened": "One key."}
    )
    impact.add_finding(ctx, BOB, key, summary="A second key was read", source="CloudTrail")
    impact.save_version(
        ctx, BOB, key, reason="scoping", based_on=1, sections={"what_happened": "Two keys."}
    )
    statements.draft(
        ctx, ALICE, key, kind="update", audience="public", channels="status_site",
        title="We are investigating", body="Some keys were read.",
    )  # fmt: skip
    through_review(ctx, key, 1)
    statements.publish(ctx, CAROL, key, 1)
    statements.correct(
        ctx, ALICE, key, 1, title="Correction", body="Two keys were read.",
        what_was_wrong="The first update did not give the number.",
    )  # fmt: skip
    obligations.record_facts(ctx, ALICE, key, FACTS)
    handle = str(
        next(
            o.seq
            for o in obligations.overview(ctx, ALICE, key).obligations
            if o.computed.rule_id == "us-tx-regulator"
        )
    )
    obligation_tracking.propose_not_required(ctx, ALICE, key, handle, text="Business contacts.")
    obligation_tracking.approve_not_required(ctx, COUNSEL, key, handle)
    scope.mark_system(ctx, ALICE, key, "collector-credentials", "confirmed")
    scope.attach_scan(ctx, ALICE, key, inventory_story.scan_result(), file="otrf.json")
    retros.start(ctx, ALICE, key)
    retros.add_action_item(ctx, ALICE, key, title="Secret scanning in CI", kind="detect")
    sharing.add_indicator(ctx, ALICE, key, type="ipv4", value="203.0.113.7", tlp="green")
    hidden = incidents.declare(ctx, DAN, title="Insider case", confidentiality="restricted").key
    advisories.create(ctx, DAN, SETUP, advisory_draft(incidents=(key, hidden)))
    return key


def exported(ctx: Context, actor: Actor, key: str, tmp_path: Path) -> dict[str, Any]:
    archive = tmp_path / f"{key}-{actor.username}.zip"
    export.export_incident(ctx, actor, key, zip_writer(archive))
    with zipfile.ZipFile(archive) as zf:
        return {
            name.removeprefix("records/").removesuffix(".json"): json.loads(zf.read(name))
            for name in zf.namelist()
            if name.startswith("records/")
        }


def test_every_feature_s_records_are_in_the_export(ctx: Context, tmp_path: Path) -> None:
    key = build(ctx)
    records = exported(ctx, ALICE, key, tmp_path)

    assert [v["reason"] for v in records["impact_versions"]] == ["first take", "scoping"]
    assert records["impact_versions"][1]["sections"]["what_happened"]["text"] == "Two keys."
    assert all(len(v["content_hash"]) == 64 for v in records["impact_versions"])
    assert records["findings"][0]["summary"] == "A second key was read"
    assert len(records["findings"]) == 3  # and two from the scan's key facts

    published, correction = records["statements"]["statements"]
    assert (published["state"], published["corrected_by"]) == ("published", [2])
    assert published["delivery"] == {} and published["content_hash"]
    assert [r["by"] for r in published["reviews"]] == ["erin", "bob"]
    assert (correction["state"], correction["corrects"]) == ("draft", 1)
    assert correction["correction_note"] == "The first update did not give the number."

    obl = records["obligations"]
    assert obl["facts_versions"][0]["facts"]["risk_of_harm"]["value"] == "likely"
    [decided] = [o for o in obl["obligations"] if o["rule_id"] == "us-tx-regulator"]
    assert decided["tracking"] == "not_required"
    assert decided["determination"]["approved_by"] == "erin"
    assert decided["determination"]["text"] == "Business contacts."

    assert records["scope"]["marks"][0]["system"] == "collector-credentials"
    [scan] = records["scope"]["scans"]
    assert scan["label"] == "otrf.json" and scan["events_matched"] > 0 and scan["key_hashes"]

    assert records["retro"]["status"] == "draft"
    assert [a["title"] for a in records["retro"]["action_items"]] == ["Secret scanning in CI"]
    assert [i["value"] for i in records["sharing"]["indicators"]] == ["203.0.113.7"]
    assert [a["note"] for a in records["triage"]] == ["first"]
    assert records["reports"] == [] and records["exercise"] is None
    [advisory] = records["advisories"]
    assert advisory["status"] == "draft"


def test_the_export_names_no_incident_the_exporter_may_not_see(
    ctx: Context, tmp_path: Path
) -> None:
    key = build(ctx)
    [mine] = exported(ctx, ALICE, key, tmp_path)["advisories"]
    assert mine["incidents"] == [key]  # the restricted incident it also came out of is hidden
    [theirs] = exported(ctx, DAN, key, tmp_path)["advisories"]
    assert len(theirs["incidents"]) == 2


def test_need_to_know_applies_to_the_export(ctx: Context, tmp_path: Path) -> None:
    secret = incidents.declare(ctx, DAN, title="Insider case", confidentiality="restricted").key
    with pytest.raises(NotFound):
        exported(ctx, ALICE, secret, tmp_path)
    open_one = incidents.declare(ctx, ALICE, title="Phishing").key
    with pytest.raises(PermissionDenied):
        exported(ctx, VIEWER, open_one, tmp_path)


def test_a_fresh_process_registers_every_feature_s_exporter() -> None:
    """The CLI and the web server build their application with ``candor.bootstrap``: importing
    it alone must register every section, whatever else the process loaded."""
    code = (
        "import candor.bootstrap, json;"
        "from candor.services.export import EXPORTERS; print(json.dumps(sorted(EXPORTERS)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    assert set(json.loads(out)) >= {
        "incident", "tasks", "timeline", "audit", "attachments", "legal_holds", "retention",
        "impact_versions", "findings", "statements", "obligations", "scope", "retro",
        "sharing", "triage", "reports", "advisories", "exercise",
    }  # fmt: skip
