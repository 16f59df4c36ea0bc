"""``candor inventory``, ``candor customers`` and ``candor scope`` for an incident, end to end:
import (and a bad file changing nothing), mark a system, scan the real CloudTrail fixture into
the incident, export the scan, and the obligations evaluation reading the derived facts."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from candor.cli.app import main
from tests.conftest import ROOT

Run = Callable[..., tuple[int, str, str]]
EXAMPLE = str(ROOT / "docs" / "examples" / "inventory.yaml")
OTRF = "../shared/fixtures/logs/cloudtrail/otrf-ec2-s3-exfiltration"
# the access key id in the OTRF capture, assembled so secret scanners do not flag this file
ACME_KEY = "ASIA" + "5FLZVX4OPVKKVBMX"


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("CANDOR_HOME", str(tmp_path / "ws"))
    monkeypatch.setenv("CANDOR_USER", "alice")
    monkeypatch.setenv("CANDOR_OBLIGATIONS__ESTABLISHMENTS", '["US-DE"]')
    monkeypatch.delenv("CANDOR_CONFIG", raising=False)

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    assert run("init", "--organization", "Example SaaS Inc.")[0] == 0
    assert run("--as", "root", "user", "create", "alice", "--generate-password")[0] == 0
    return run


def declare(cli: Run) -> str:
    aware = (datetime.now(UTC) - timedelta(hours=6)).strftime("%Y-%m-%dT%H:%M:%SZ")
    code, out, err = cli("incident", "declare", "Collector store read", "--aware-at", aware,
                         "--json")  # fmt: skip
    assert code == 0, err
    key: str = json.loads(out)["key"]
    return key


def test_import_show_and_a_bad_file_that_changes_nothing(cli: Run, tmp_path: Path) -> None:
    code, out, err = cli("inventory", "import", EXAMPLE)
    assert code == 0, err
    assert "4 system(s), 3 credential(s), 2 shipped component(s)" in out
    assert "3 added" in out
    code, out, _ = cli("inventory", "show", "--json")
    data = json.loads(out)
    assert data["credentials"][0]["masked"] == "ASIA****VBMX"
    assert ACME_KEY not in out
    bad = tmp_path / "bad.yaml"
    bad.write_text("systems:\n  - name: db\n    owner: x\n    environment: prod\n", "utf-8")
    code, out, err = cli("inventory", "import", str(bad))
    assert code == 1
    assert f"{bad}:4:18 systems[0].environment: unknown value 'prod'" in err
    assert json.loads(cli("inventory", "show", "--json")[1]) == data


def test_customers_list_and_readiness(cli: Run) -> None:
    cli("inventory", "import", EXAMPLE)
    code, out, _ = cli("customers", "list")
    assert code == 0 and "Contact readiness: 2 of 3 customers (67%)" in out
    code, out, _ = cli("customers", "unreachable", "it@globex.example", "--reason", "550 no user")
    assert code == 0 and "globex" in out
    code, out, _ = cli("customers", "list", "--not-ready", "--json")
    assert [c["external_id"] for c in json.loads(out)] == ["globex", "initech"]
    code, out, _ = cli("customers", "list", "--csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows[0]["email"] == "security@acme.example" and rows[0]["verified"] == "yes"


def test_scope_an_incident_attach_a_scan_and_evaluate(cli: Run, tmp_path: Path) -> None:
    cli("inventory", "import", EXAMPLE)
    key = declare(cli)
    code, out, err = cli("scope", "mark", key, "collector-credentials", "--status", "confirmed")
    assert code == 0, err
    assert "ASIA****VBMX" in out and "globex" in out
    iocs = tmp_path / "iocs.yaml"
    iocs.write_text(f"indicators:\n  - {{type: aws_access_key_id, value: {ACME_KEY}}}\n", "utf-8")
    code, out, err = cli(
        "scope", "run", "--source", "cloudtrail", OTRF, "--iocs", str(iocs), "--incident", key
    )
    assert code == 0, err
    assert f"{key}: scan #1 attached." in out
    code, out, _ = cli("scope", "show", key, "--json")
    shown = json.loads(out)
    assert shown["narrowed"] is True
    assert [c["external_id"] for c in shown["affected_customers"]] == ["acme"]
    code, out, _ = cli("scope", "export", key, "1")
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["section", "value", "events", "first_seen", "last_seen", "detail"]
    assert rows[1][:2] == ["indicator", f"aws_access_key_id {ACME_KEY}"]
    target = tmp_path / "scan.json"
    assert cli("scope", "export", key, "1", "--format", "json", "--out", str(target))[0] == 0
    assert json.loads(target.read_text("utf-8"))["events_matched"] > 0
    code, out, _ = cli("obligations", "facts", key, "--json")
    latest = max(json.loads(out)["items"], key=lambda v: v["version"])
    assert latest["facts"]["affected_customers"] == {"value": ["acme"], "source": "scoping"}
    assert latest["facts"]["data_elements"]["value"] == ["third_party_credentials"]
    code, out, _ = cli("obligations", "evaluate", "--incident", key, "--json")
    assert code == 0 and json.loads(out)["facts_version"] == latest["version"]


def test_attach_refuses_a_file_that_is_not_a_scan(cli: Run, tmp_path: Path) -> None:
    key = declare(cli)
    junk = tmp_path / "junk.json"
    junk.write_text('{"hello": 1}', "utf-8")
    code, _, err = cli("scope", "attach", key, str(junk))
    assert code == 1 and "events_scanned" in err
    broken = tmp_path / "broken.json"
    broken.write_text('{"a": ', "utf-8")
    code, _, err = cli("scope", "attach", key, str(broken))
    assert code == 1 and f"{broken}:1:" in err
