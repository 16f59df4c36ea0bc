"""``candor obligations`` in an incident, end to end through the CLI: facts, evaluate --incident,
file with the chained deadline, not-required and counsel's approval, due, remind, the packet."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from docx import Document as Docx
from pypdf import PdfReader

from candor.cli.app import main

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:
    monkeypatch.setenv("CANDOR_HOME", str(tmp_path / "ws"))
    monkeypatch.setenv("CANDOR_USER", "alice")
    monkeypatch.setenv("CANDOR_ORGANIZATION__TIMEZONE", "America/New_York")
    monkeypatch.setenv("CANDOR_OBLIGATIONS__ESTABLISHMENTS", '["US-DE", "IE"]')
    monkeypatch.delenv("CANDOR_CONFIG", raising=False)

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    assert run("init", "--organization", "Example SaaS Inc.")[0] == 0
    assert run("--as", "root", "user", "create", "alice", "--generate-password")[0] == 0
    assert (
        run("--as", "root", "user", "create", "erin", "--role", "counsel", "--generate-password")[0]
        == 0
    )
    return run


def declare(cli: Run) -> str:
    aware = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    code, out, err = cli(
        "incident", "declare", "Support export copied", "--aware-at", aware, "--json"
    )
    assert code == 0, err
    key: str = json.loads(out)["key"]
    return key


def test_facts_evaluate_file_and_the_chained_deadline(cli: Run) -> None:
    key = declare(cli)
    code, out, err = cli(
        "obligations", "facts", key,
        "--data-elements", "name,ssn",
        "--affected", "US-CA=600", "--affected", "US-TX=1200",
        "--risk", "likely",
        "--reason", "first count",
    )  # fmt: skip
    assert code == 0, err
    assert "facts version 1" in out and "affected: not recorded → US-CA 600, US-TX 1200" in out
    assert "obligation #" in out and "us-ca-individuals" in out
    # one more state is merged in; the others stay
    code, out, _ = cli("obligations", "facts", key, "--affected", "US-NY=300")
    assert code == 0 and "US-CA 600, US-NY 300, US-TX 1200" in out
    code, out, _ = cli("obligations", "facts", key, "--json")
    assert json.loads(out)["items"][0]["facts"]["affected"]["source"] == "manual"
    code, out, _ = cli("obligations", "evaluate", "--incident", key, "--json")
    assert code == 0
    result = json.loads(out)
    assert result["incident"] == key and result["facts_version"] == 2
    regulator = next(o for o in result["obligations"] if o["rule_id"] == "us-ca-regulator")
    assert regulator["status"] == "pending_trigger" and regulator["tracking"] == "pending"
    assert result["disclaimer"].startswith("This prepares counsel's decision")
    code, out, _ = cli("obligations", "evaluate", "--incident", key)
    assert "America/New_York" in out and "tracking: pending" in out
    assert "Determinations needed:" in out and "US-CA/individuals" in out
    code, out, err = cli(
        "obligations", "file", key, "us-ca-individuals", "--reference", "Letters, batch 7"
    )
    assert code == 0, err
    code, out, _ = cli("obligations", "evaluate", "--incident", key, "--json")
    regulator = next(o for o in json.loads(out)["obligations"] if o["rule_id"] == "us-ca-regulator")
    assert regulator["status"] == "required" and regulator["deadline"]
    code, out, _ = cli("obligations", "due", "--json")
    assert {i["rule_id"] for i in json.loads(out)["items"]} >= {"us-ca-regulator"}
    assert "us-ca-individuals" not in {i["rule_id"] for i in json.loads(out)["items"]}


def test_not_required_needs_counsel(cli: Run) -> None:
    key = declare(cli)
    cli("obligations", "facts", key, "--data-elements", "name,ssn", "--affected", "US-TX=1200")
    code, _, _ = cli(
        "obligations", "not-required", key, "us-tx-regulator", "--text", "Under the threshold."
    )
    assert code == 0
    code, _, err = cli("obligations", "approve", key, "us-tx-regulator")
    assert code == 1 and "counsel role" in err
    code, out, err = cli("--as", "erin", "obligations", "approve", key, "us-tx-regulator")
    assert code == 0, err
    assert "approved by erin" in out
    code, out, _ = cli("obligations", "evaluate", "--incident", key)
    assert "not required (approved by counsel)" in out


def test_usage_mistakes_are_named(cli: Run) -> None:
    key = declare(cli)
    code, _, err = cli("obligations", "evaluate")
    assert code == 1 and "--incident" in err
    code, _, err = cli("obligations", "evaluate", "--incident", key)
    assert code == 1 and "No facts recorded yet" in err
    code, _, err = cli("obligations", "facts", key, "--affected", "Texas")
    assert code == 1 and "NAME=VALUE" in err
    code, _, err = cli("obligations", "facts", key, "--risk", "maybe")
    assert code == 1 and "risk_of_harm" in err and "unlikely" in err
    code, _, err = cli("obligations", "file", key, "7", "--reference", "x")
    assert code == 1 and "no obligation '7'" in err


def test_remind_and_the_packet(cli: Run, tmp_path: Path) -> None:
    key = declare(cli)
    cli("obligations", "facts", key, "--data-elements", "name,ssn", "--affected", "DE=3000")
    code, out, _ = cli("obligations", "remind")
    assert code == 0 and "deadline reminder" in out  # GDPR: 72 hours from awareness a day ago
    assert f"{key} #" in out and "72h" in out
    code, out, _ = cli("obligations", "remind")
    assert out.startswith("0 deadline reminders")
    md, docx, pdf = tmp_path / "p.md", tmp_path / "p.docx", tmp_path / "p.pdf"
    assert cli("obligations", "packet", key, str(md))[0] == 0
    text = md.read_text()
    assert "not legal advice" in text and "Art. 33" in text and "Determinations needed" in text
    assert cli("obligations", "packet", key, str(docx), "--format", "docx")[0] == 0
    paragraphs = "\n".join(p.text for p in Docx(io.BytesIO(docx.read_bytes())).paragraphs)
    assert "The rules' review dates" in paragraphs
    assert cli("obligations", "packet", key, str(pdf), "--format", "pdf", "--privileged")[0] == 0
    pages = "\n".join(p.extract_text() for p in PdfReader(pdf).pages)
    assert "PRIVILEGED & CONFIDENTIAL" in pages and "2026-11-22" in pages
    code, _, err = cli("obligations", "packet", key, str(md), "--format", "rtf")
    assert code == 1 and "--format" in err
