"""The commands that need no database: triage, secrets, securitytxt."""

from __future__ import annotations

import io
import json
import random
import string
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from candor.cli.app import main


@pytest.fixture(autouse=True)
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("CANDOR_HOME", str(home))
    monkeypatch.delenv("CANDOR_CONFIG", raising=False)
    return home


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_triage_evaluate_prints_kind_severity_and_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = tmp_path / "answers.yaml"
    answers.write_text("customer_secrets: [cloud_keys]\naccess: confirmed\n")
    code, out, _ = run(capsys, "triage", "evaluate", str(answers))
    assert code == 0
    assert out.startswith("Kind:     supply_chain_breach")
    assert "Severity: SEV1" in out
    assert "  - access = confirmed" in out
    code, out, _ = run(capsys, "triage", "evaluate", str(answers), "--json")
    data = json.loads(out)
    assert (data["kind"], data["severity"]) == ("supply_chain_breach", "SEV1")
    assert data["answers"]["customer_secrets"] == ["cloud_keys"]


def test_triage_evaluate_reports_file_problems_with_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = tmp_path / "answers.yaml"
    answers.write_text("access: confirmed\nattacker_active: maybe\n")
    code, _, err = run(capsys, "triage", "evaluate", str(answers))
    assert code == 1
    assert f"{answers}:2:18 attacker_active: unknown answer 'maybe'" in err
    policy = tmp_path / "policy.yaml"
    policy.write_text("policy: x\nversion: 1\nrules: []\n")
    code, _, err = run(capsys, "triage", "evaluate", str(answers), "--policy", str(policy))
    assert code == 1
    assert f"{policy}:3:8 rules: must be a non-empty list of rules" in err


def test_triage_questions_lists_the_questionnaire(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "triage", "questions", "--json")
    assert code == 0
    assert [q["id"] for q in json.loads(out)][:3] == ["personal_data", "data_elements", "access"]


def _token() -> str:
    gen = random.Random(5)  # noqa: S311 - invented sample, not cryptography
    return "gh" + "p_" + "".join(gen.choice(string.ascii_letters) for _ in range(36))


def test_secrets_identify_from_stdin_masks_the_value(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    token = _token()
    monkeypatch.setattr("sys.stdin", io.StringIO(f"GITHUB_TOKEN={token}\n"))
    code, out, err = run(capsys, "secrets", "identify", "-")
    assert code == 0
    assert token not in out + err
    assert out.startswith(f"GitHub personal access token (classic) (GitHub): ghp_****{token[-4:]}")
    assert "Revoke now:" in out
    assert "Tip:" not in err


def test_secrets_identify_as_argument_warns_about_history(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "secrets", "identify", _token(), "--json")
    assert code == 0
    assert json.loads(out)[0]["type"] == "github_pat_classic"
    assert "shell history" in err
    code, out, _ = run(capsys, "secrets", "identify", "nothing secret here")
    assert code == 1
    assert "No known secret type recognised." in out


def test_secrets_types(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "secrets", "types")
    assert code == 0
    assert len(out.strip().splitlines()) >= 12


def _configure(home: Path, expires: datetime) -> None:
    (home / "candor.toml").write_text(
        '[web]\npublic_url = "https://status.example.com"\n\n'
        "[security_txt]\n"
        'contact = ["mailto:security@example.com"]\n'
        f"expires = {expires.strftime('%Y-%m-%dT%H:%M:%SZ')}\n"
        'encryption = ["https://example.com/pgp-key.txt"]\n'
        'preferred_languages = ["en"]\n'
    )


def test_securitytxt_generate_from_settings(
    workspace: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _configure(workspace, datetime.now(UTC) + timedelta(days=100))
    code, out, _ = run(capsys, "securitytxt", "generate")
    assert code == 0
    assert "Contact: mailto:security@example.com\n" in out
    assert "Canonical: https://status.example.com/.well-known/security.txt\n" in out
    target = tmp_path / "security.txt"
    code, _, _ = run(capsys, "securitytxt", "generate", "-o", str(target))
    assert code == 0
    code, out, _ = run(capsys, "securitytxt", "check", str(target))
    assert code == 0
    assert f"{target}: valid; expires" in out


def test_securitytxt_check_warns_when_near_and_fails_when_expired(
    workspace: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _configure(workspace, datetime.now(UTC) + timedelta(days=10, hours=1))
    code, out, _ = run(capsys, "securitytxt", "check")
    assert code == 0
    assert "(from settings):3: warning: expires in 10 days" in out
    path = tmp_path / "security.txt"
    path.write_text("Contact: https://example.com/r\nExpires: 2026-01-01T00:00:00Z\n")
    code, _, err = run(capsys, "securitytxt", "check", str(path), "--now", "2026-11-22T00:00:00Z")
    assert code == 1
    assert f"{path}:2: error: expired on 2026-01-01T00:00:00Z" in err
    code, out, _ = run(capsys, "securitytxt", "check", str(path), "--now", "2025-12-20T00:00:00Z")
    assert code == 0
    assert f"{path}:2: warning: expires in 12 days" in out


def test_securitytxt_check_invalid_file_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "security.txt"
    path.write_text("Contact: security@example.com\n")
    code, out, _ = run(capsys, "securitytxt", "check", str(path), "--json")
    assert code == 1
    data = json.loads(out)
    assert data["valid"] is False
    assert {e["message"] for e in data["errors"]} >= {"Expires is required"}


def test_securitytxt_generate_without_expires_explains(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "securitytxt", "generate")
    assert code == 1
    assert "security_txt.expires: is not set" in err
