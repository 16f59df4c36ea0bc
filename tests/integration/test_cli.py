"""The CLI end to end, in process: exit codes, messages naming the field, stable JSON."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from candor.cli.app import main

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:
    monkeypatch.setenv("CANDOR_HOME", str(tmp_path / "ws"))
    monkeypatch.setenv("CANDOR_USER", "alice")
    monkeypatch.delenv("CANDOR_CONFIG", raising=False)

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    code, out, _ = run("init", "--organization", "Example SaaS Inc.")
    assert code == 0, out
    for name in ("alice", "carol", "dan"):
        assert run("--as", "root", "user", "create", name, "--generate-password")[0] == 0
    return run


def test_version(cli: Run) -> None:
    code, out, _ = cli("--version")
    assert code == 0
    assert out.startswith("candor 0.")


def test_declare_list_show_json_has_stable_fields(cli: Run) -> None:
    code, out, _ = cli(
        "incident",
        "declare",
        "Customer reports unusual AWS activity",
        "--severity",
        "SEV1",
        "--kind",
        "supply_chain_breach",
        "--json",
    )
    assert code == 0
    declared = json.loads(out)
    assert declared["key"] == f"INC-{declared['declared_at'][:4]}-1"
    assert {
        "key",
        "title",
        "kind",
        "severity",
        "phase",
        "roles",
        "clocks",
        "warnings",
        "version",
        "confidentiality",
        "exercise",
    } <= set(declared)
    code, out, _ = cli("incident", "list", "--json")
    assert [i["key"] for i in json.loads(out)] == [declared["key"]]
    code, out, _ = cli("incident", "show", declared["key"], "--json")
    assert json.loads(out)["declared_by"] == "alice"


def test_usage_errors_exit_2_and_name_the_option(cli: Run) -> None:
    code, _, err = cli("incident", "declare", "x", "--severity", "SEV9")
    assert code == 2
    assert "--severity" in err
    code, _, err = cli("incident", "declare")
    assert code == 2


def test_domain_errors_exit_1_and_name_the_field(cli: Run) -> None:
    cli("incident", "declare", "Scan from one IP", "--severity", "SEV4")
    code, _, err = cli("incident", "transition", key_of(cli), "closed")
    assert code == 1
    assert "cannot move to closed" in err
    code, _, err = cli("incident", "declare", "x", "--aware-at", "yesterday")
    assert code == 1
    assert "--aware-at" in err
    code, _, err = cli("incident", "show", "INC-1999-99")
    assert code == 1
    assert "no incident INC-1999-99" in err


def key_of(cli: Run) -> str:
    _, out, _ = cli("incident", "list", "--all", "--json")
    return str(json.loads(out)[0]["key"])


def test_the_whole_foundation_flow(cli: Run, tmp_path: Path) -> None:
    cli("incident", "declare", "Token committed to a public repository")
    key = key_of(cli)
    code, out, _ = cli("role", "assign", key, "incident_lead", "carol")
    assert code == 0
    code, out, _ = cli("role", "assign", key, "technical_lead", "carol")
    assert "both incident lead and technical lead" in out
    assert cli("task", "add", key, "Revoke the token", "--owner", "dan")[0] == 0
    code, out, _ = cli("task", "list", key, "--json")
    assert json.loads(out)[0]["title"] == "Revoke the token"
    assert cli("task", "done", key, "1")[0] == 0
    assert cli("timeline", "add", key, "Token seen in commit abc123", "--kind", "finding")[0] == 0
    assert cli("timeline", "add", key, "Commit was abc124", "--corrects", "6")[0] == 0
    code, out, _ = cli("timeline", "show", key)
    assert "(corrected below)" in out
    assert "[corrects #6]" in out
    for phase in ("mitigation", "post_incident"):
        assert cli("incident", "transition", key, phase)[0] == 0
    assert cli("incident", "close", key)[0] == 0
    code, out, _ = cli("timeline", "verify", key, "--json")
    assert code == 0
    assert json.loads(out)["ok"] is True
    assert cli("--as", "root", "audit", "verify")[0] == 0

    # tamper with one stored byte: verify fails and names the entry
    db = tmp_path / "ws" / "candor.db"
    with sqlite3.connect(db) as conn:
        conn.execute(
            "UPDATE timeline_entries SET body = 'Token seen in commit abc999' "
            "WHERE body = 'Token seen in commit abc123'"
        )
    code, out, err = cli("timeline", "verify", key)
    assert code == 1
    assert f"{key} #6" in err
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE audit_log SET detail = 'x' WHERE seq = 2")
    code, _, err = cli("--as", "root", "audit", "verify")
    assert code == 1
    assert "audit #2" in err


def test_conflict_via_expected_version(cli: Run) -> None:
    cli("incident", "declare", "Phishing")
    key = key_of(cli)
    assert cli("incident", "update", key, "--severity", "SEV2", "--expected-version", "1")[0] == 0
    code, _, err = cli(
        "incident", "update", key, "--title", "Phishing wave", "--expected-version", "1"
    )
    assert code == 1
    assert "changed by someone else" in err


def test_uninitialised_workspace_says_what_to_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CANDOR_HOME", str(tmp_path / "empty"))
    code = main(["incident", "list"])
    assert code == 1
    assert "candor init" in capsys.readouterr().err


def test_bad_configuration_names_the_file_and_field(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "bad"
    home.mkdir()
    (home / "candor.toml").write_text('[organization]\ntimezone = "Mars/Olympus"\n')
    monkeypatch.setenv("CANDOR_HOME", str(home))
    assert main(["incident", "list"]) == 1
    err = capsys.readouterr().err
    assert "candor.toml" in err
    assert "organization.timezone" in err
