"""``candor obligations …`` end to end: files in, the printed and JSON results out, exit codes.
No database is involved."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from candor.cli.app import main
from tests.conftest import ROOT

EXAMPLES = ROOT / "docs" / "examples"
FACTS = EXAMPLES / "facts.yaml"
ORG_RULES = EXAMPLES / "org-obligations.yaml"


@pytest.fixture(autouse=True)
def _workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CANDOR_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("CANDOR_ORG_OBLIGATIONS", raising=False)


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def evaluate_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    code, out, err = cli(capsys, "obligations", "evaluate", *args, "--json")
    assert code == 0, err
    result: dict[str, Any] = json.loads(out)
    return result


def test_evaluate_json_has_the_documented_fields(capsys: pytest.CaptureFixture[str]) -> None:
    result = evaluate_json(capsys, str(FACTS))
    ids = {o["rule_id"] for o in result["obligations"]}
    assert {
        "eu-gdpr-33-1",
        "eu-gdpr-34",
        "us-ca-individuals",
        "us-ca-regulator",
        "us-tx-individuals",
        "us-tx-regulator",
    } <= ids
    required = {
        "rule_id",
        "jurisdiction",
        "regime",
        "recipient_category",
        "recipient",
        "status",
        "deadline",
        "deadline_rule",
        "standard",
        "citation",
        "verified",
        "content_required",
        "rationale",
    }
    for obligation in result["obligations"]:
        assert required <= set(obligation)
        assert obligation["status"] in {"required", "required_unless_exception", "pending_trigger"}
    gdpr = next(o for o in result["obligations"] if o["rule_id"] == "eu-gdpr-33-1")
    assert gdpr["deadline"] == "2026-03-05T14:00:00Z"
    assert gdpr["deadline_local"]["organization"] == {
        "zone": "America/New_York",
        "time": "2026-03-05T09:00-05:00",
    }
    assert gdpr["deadline_local"]["jurisdiction"]["zone"] == "Europe/Dublin"
    assert result["not_triggered"]
    assert all(item["reason"] for item in result["not_triggered"])
    assert "not legal advice" in result["disclaimer"]
    # the whole rule set is considered: each rule is either owed or explained
    considered = {o["rule_id"] for o in result["obligations"]} | {
        n["rule_id"] for n in result["not_triggered"]
    }
    assert len(considered) == 250


def test_evaluate_prints_the_disclaimer_review_dates_and_marks_unverified_rules(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    facts = tmp_path / "arkansas.yaml"
    facts.write_text(
        "organization: {name: Acme, roles: [controller], establishments: [US-AR]}\n"
        "incident:\n"
        "  discovered_at: 2026-03-02T14:00:00Z\n"
        "  data_elements: [name, ssn]\n"
        "  risk_of_harm: likely\n"
        "  affected: {US-AR: 1500}\n"
    )
    code, out, err = cli(capsys, "obligations", "evaluate", str(facts))
    assert code == 0, err
    assert "it is not legal advice" in out
    assert "last reviewed 2026-11-22" in out
    # the Arkansas AG row is unverified in the reference table; the residents' row is not
    blocks = {
        block.split("\n", 1)[0].split()[1]: block
        for block in out.split("\n\n")
        if block.lstrip()[:1].isdigit()
    }
    assert "UNVERIFIED: core facts not confirmed" in blocks["us-ar-regulator"]
    assert "UNVERIFIED: core facts" not in blocks["us-ar-individuals"]


def test_unknown_words_name_the_word_the_allowed_ones_and_the_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    facts = tmp_path / "bad.yaml"
    facts.write_text(
        "organization: {name: Acme, roles: [controler], sectors: [bank]}\n"
        "incident:\n"
        "  discovered_at: 2026-03-02T14:00:00Z\n"
        "  data_elements: [name, sin]\n"
        "  affected: {US-XX: 3}\n"
    )
    code, out, err = cli(capsys, "obligations", "evaluate", str(facts))
    assert code == 1
    assert out == ""
    for expected in (
        "'controler'",
        "did you mean 'controller'?",
        "'bank'",
        "us_bank",
        "'sin'",
        "ssn",
        "'US-XX'",
        "bad.yaml:1:",
        "bad.yaml:4:",
        "bad.yaml:5:",
    ):
        assert expected in err, expected


def test_rules_date_applies_the_law_of_another_day(capsys: pytest.CaptureFixture[str]) -> None:
    before = evaluate_json(capsys, str(FACTS))
    after = evaluate_json(capsys, str(FACTS), "--rules-date", "2025-06-01")

    def ca(result: dict[str, Any]) -> dict[str, Any]:
        return next(o for o in result["obligations"] if o["rule_id"] == "us-ca-individuals")

    assert ca(before)["deadline"] == "2026-04-02T06:59:00Z"
    assert ca(after)["deadline"] is None
    assert after["rules_date"] == "2025-06-01"
    code, _, err = cli(capsys, "obligations", "evaluate", str(FACTS), "--rules-date", "June")
    assert code == 1
    assert "YYYY-MM-DD" in err


def test_organisation_contracts_and_insurance_are_evaluated_like_the_law(
    capsys: pytest.CaptureFixture[str],
) -> None:
    result = evaluate_json(capsys, str(FACTS), "--org-rules", str(ORG_RULES))
    contract = {
        o["rule_id"]: o for o in result["obligations"] if o["recipient_category"] == "contractual"
    }
    assert set(contract) == {"org-contract-acme-msa", "org-insurance-cyber-policy"}
    assert contract["org-contract-acme-msa"]["deadline"] == "2026-03-04T14:00:00Z"
    assert contract["org-insurance-cyber-policy"]["deadline"] == "2026-03-05T14:00:00Z"
    globex = next(n for n in result["not_triggered"] if n["rule_id"] == "org-contract-globex-dpa")
    assert "globex is not among the affected customers" in globex["reason"]


def test_rules_lists_a_jurisdiction_with_review_dates(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "obligations", "rules", "--jurisdiction", "US-CA", "--json")
    assert code == 0, err
    rules = json.loads(out)["rules"]
    assert {r["rule_id"] for r in rules} == {
        "us-ca-individuals",
        "us-ca-regulator",
        "us-ca-vendor-to-owner",
        "us-ca-hsc-1280-15",
        "us-ca-hsc-1280-15-patients",
    }
    assert all(r["last_reviewed"] == "2026-11-22" for r in rules)
    code, out, _ = cli(capsys, "obligations", "rules", "--jurisdiction", "us-ca")
    assert code == 0
    assert "reviewed 2026-11-22" in out
    assert "not legal advice" in out
    code, _, err = cli(capsys, "obligations", "rules", "--jurisdiction", "XX")
    assert code == 1
    assert "no rules for 'XX'" in err


def test_check_rules_passes_on_the_built_in_rules(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "obligations", "check-rules")
    assert code == 0, err
    assert out.startswith("OK: 84 rule file(s), 259 rule versions")


def test_check_rules_reports_every_problem_of_a_broken_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    broken = tmp_path / "contracts.yaml"
    broken.write_text(
        "regime: contracts\n"
        "jurisdiction: ORG\n"
        "last_reviewed: 2026-13-01\n"
        "rules:\n"
        "  - id: org-acme\n"
        "    law: MSA\n"
        "    citation: 9.2\n"
        "    recipient_category: customer\n"
        "    recipient: Acme\n"
        "    verified: true\n"
        "    conditions: [{type: customer, customer: acme}]\n"
        "    deadline: {amount: 48, unit: hour, trigger: aware_at}\n"
    )
    code, out, err = cli(capsys, "obligations", "check-rules", str(broken))
    assert code == 1
    assert out == ""
    lines = [line for line in err.splitlines() if "contracts.yaml:" in line]
    assert len(lines) >= 4
    assert "'customer'" in err
    assert "'hour'" in err
    assert "not a date" in err
    code, out, _ = cli(capsys, "obligations", "check-rules", str(ORG_RULES))
    assert code == 0
    assert "OK: 1 rule file(s), 3 rule versions" in out
