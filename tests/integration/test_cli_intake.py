"""Intake and triage through the CLI, in process: reports entered and handled, triage of an
incident over time, and security.txt the same from the CLI and the web server."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from candor import bootstrap, config
from candor.cli.app import main
from candor.web.app import create_app

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:
    monkeypatch.setenv("CANDOR_HOME", str(tmp_path / "ws"))
    monkeypatch.setenv("CANDOR_USER", "alice")
    monkeypatch.delenv("CANDOR_CONFIG", raising=False)

    def run(*args: str, stdin: bytes | None = None) -> tuple[int, str, str]:
        capsys.readouterr()
        if stdin is not None:
            monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(stdin)))
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    assert run("init", "--organization", "Example SaaS Inc.")[0] == 0
    assert run("--as", "root", "user", "create", "alice", "--generate-password")[0] == 0
    return run


def test_reports_are_entered_listed_and_handled(cli: Run, tmp_path: Path) -> None:
    code, out, _ = cli(
        "report",
        "add",
        "--email",
        "ana@example.com",
        "--affected",
        "https://app.example.com",
        stdin=b"Keys we gave you were used from 198.51.100.7\n",
    )
    assert (code, out.strip()) == (0, "Received REP-2026-1.")
    mail = tmp_path / "mail.txt"
    mail.write_text("Your status page leaks internal host names")
    assert cli("report", "add", str(mail))[1].strip() == "Received REP-2026-2."
    code, out, _ = cli("report", "list", "--json")
    listed = json.loads(out)
    assert [r["key"] for r in listed] == ["REP-2026-2", "REP-2026-1"]
    assert listed[1]["channel"] == "cli"
    code, out, _ = cli("report", "show", "REP-2026-1", "--json")
    shown = json.loads(out)
    assert shown["reporter_email"] == "ana@example.com" and shown["submitted_by"] == "alice"
    assert cli("report", "ack", "REP-2026-2")[0] == 0
    assert cli("report", "decline", "REP-2026-2", "--reason", "known, on the roadmap")[0] == 0
    code, out, _ = cli("report", "promote", "REP-2026-1", "--severity", "SEV2", "--json")
    assert json.loads(out)["incident_key"] == "INC-2026-1"
    code, _, err = cli("report", "promote", "REP-2026-1")
    assert code == 1 and "already promoted" in err
    code, out, _ = cli("report", "list", "--all", "--json")
    assert [(r["status"], r["incident_key"]) for r in json.loads(out)] == [
        ("declined", None),
        ("promoted", "INC-2026-1"),
    ]
    code, out, _ = cli("report", "list")
    assert out.strip() == "No reports."
    code, _, err = cli("report", "decrypt", "REP-2026-1")
    assert code == 1 and "holds no encrypted message" in err


def test_a_report_that_is_not_utf8_or_not_armour_is_refused(cli: Run, tmp_path: Path) -> None:
    latin = tmp_path / "latin1.txt"
    latin.write_bytes("Schlüssel gefunden".encode("latin-1"))
    code, _, err = cli("report", "add", str(latin))
    assert code == 1 and "is not UTF-8 text (byte 4)" in err and "iconv" in err
    code, _, err = cli("report", "add", "--encrypted", stdin=b"plain words\n")
    assert code == 1 and "holds no ASCII-armoured PGP message" in err
    code, out, _ = cli("report", "list", "--all")
    assert out.strip() == "No reports."


def test_triage_of_an_incident_over_time(cli: Run, tmp_path: Path) -> None:
    cli("incident", "declare", "Customer sees odd AWS calls")
    early = tmp_path / "early.yaml"
    early.write_text("customer_secrets: [cloud_keys]\naccess: unknown\n")
    code, out, _ = cli("triage", "assess", "INC-2026-1", str(early))
    assert code == 0 and out.startswith("Assessment 1: Triaged as event, SEV4.")
    later = tmp_path / "later.yaml"
    later.write_text("customer_secrets: [cloud_keys]\naccess: confirmed\n")
    code, out, _ = cli("triage", "assess", "INC-2026-1", str(later), "--note", "CloudTrail")
    assert "Re-triaged: event, SEV4 → supply_chain_breach, SEV1." in out
    assert "access: unknown → confirmed" in out
    assert "candor triage confirm-breach INC-2026-1" in out
    code, out, _ = cli("triage", "history", "INC-2026-1", "--json")
    items = json.loads(out)
    assert [(a["version"], a["kind"]) for a in items] == [
        (1, "event"),
        (2, "supply_chain_breach"),
    ]
    assert items[1]["note"] == "CloudTrail" and items[1]["deciding_answers"]["access"] == (
        "confirmed"
    )
    code, _, err = cli("triage", "apply", "INC-2026-1", "--assessment", "1")
    assert code == 1 and "no longer the latest" in err
    code, out, _ = cli("triage", "apply", "INC-2026-1", "--json")
    assert json.loads(out)["severity"] == "SEV1"
    code, out, _ = cli("triage", "confirm-breach", "INC-2026-1", "--at", "2026-01-05T10:00Z")
    assert code == 0, out
    code, out, _ = cli("incident", "show", "INC-2026-1", "--json")
    assert json.loads(out)["clocks"]["breach_determined_at"] == "2026-01-05T10:00:00Z"
    bad = tmp_path / "bad.yaml"
    bad.write_text("access: maybe\n")
    code, _, err = cli("triage", "assess", "INC-2026-1", str(bad))
    assert code == 1 and f"{bad}:1:9 access: unknown answer 'maybe'" in err


def test_security_txt_is_the_same_from_the_cli_and_the_web(cli: Run) -> None:
    expires = (datetime.now(UTC) + timedelta(days=20)).strftime("%Y-%m-%dT%H:%M:%SZ")
    path = config.default_home() / config.CONFIG_NAME
    path.write_text(
        path.read_text()
        + "\n[security_txt]\n"
        + 'contact = ["mailto:security@example.com"]\n'
        + f"expires = {expires}\n"
        + 'encryption = ["https://example.com/pgp-key.txt"]\n'
    )
    code, generated, _ = cli("securitytxt", "generate")
    assert code == 0
    application = bootstrap.build(config.load())
    try:
        with TestClient(create_app(application)) as client:
            served = client.get("/.well-known/security.txt").text
    finally:
        application.close()
    assert served == generated
    code, out, _ = cli("securitytxt", "check")
    assert code == 0
    assert "(from settings):3: warning: expires in 19 days" in out
