"""Retros, action items, metrics, reports and sharing through the CLI, in process."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from candor.cli.app import main
from tests.conftest import FIXTURES, ROOT

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
    assert run("--as", "root", "user", "create", "bob", "--generate-password")[0] == 0
    return run


def test_retro_actions_metrics_and_reports(cli: Run, tmp_path: Path) -> None:
    code, out, _ = cli("incident", "declare", "Token leaked", "--json")
    assert code == 0, out
    key = json.loads(out)["key"]
    assert cli("retro", "start", key)[0] == 0
    code, _, err = cli(
        "retro", "chain", key, "--problem", "A token leaked", "--step", "Why? :: No scanning"
    )
    assert code == 0, err
    code, _, err = cli("retro", "chain", key, "--problem", "x", "--step", "no separator")
    assert code == 1 and "--step[0]" in err
    edit = tmp_path / "retro.yaml"
    edit.write_text("summary: A token leaked.\nwent_well:\n  - Paging worked\n")
    assert cli("retro", "edit", key, str(edit))[0] == 0
    broken = tmp_path / "broken.yaml"
    broken.write_text("summary: ok\naction_items:\n  - title: Scan\n    kind: blame\n")
    code, _, err = cli("retro", "edit", key, str(broken))
    assert code == 1 and "broken.yaml:4" in err and "kind" in err
    code, out, err = cli(
        "retro",
        "action",
        "add",
        key,
        "--title",
        "Secret scanning",
        "--kind",
        "detect",
        "--owner",
        "bob",
        "--due",
        "2020-01-01",
        "--json",
    )
    assert code == 0, err
    assert json.loads(out)["seq"] == 1
    code, out, _ = cli("actions", "--json")
    rows = json.loads(out)
    assert rows[0]["incident"] == key and rows[0]["overdue"] is True
    code, out, _ = cli("retro", "show", key, "--json")
    shown = json.loads(out)
    assert shown["retro"]["went_well"] == ["Paging worked"]
    assert shown["review"]["nudges"][0]["code"] == "stops-early"
    assert cli("retro", "status", key, "in_review")[0] == 0
    code, out, _ = cli("metrics", "--json")
    assert json.loads(out)["overdue_action_items"][0]["title"] == "Secret scanning"
    assert cli("metrics", "--incident", key)[0] == 0
    target = tmp_path / "retro.docx"
    code, out, err = cli(
        "export-report",
        key,
        "--kind",
        "retro",
        "--format",
        "docx",
        "--privileged",
        "--out",
        str(target),
    )
    assert code == 0, err
    assert target.read_bytes()[:2] == b"PK"
    code, _, err = cli("export-report", key, "--format", "rtf", "--out", str(tmp_path / "x"))
    assert code == 1 and "format" in err


def test_indicators_stix_and_veris(cli: Run, tmp_path: Path) -> None:
    key = json.loads(cli("incident", "declare", "Shared", "--json")[1])["key"]
    assert (
        cli("indicator", "add", key, "--type", "ipv4", "--value", "203.0.113.7", "--tlp", "green")[
            0
        ]
        == 0
    )
    scan = tmp_path / "scan.json"
    scan.write_text(
        json.dumps(
            {
                "by_indicator": [],
                "source_ips": [
                    {
                        "ip": "192.0.2.4",
                        "events": 2,
                        "first_seen": "2026-03-01T22:15:00Z",
                        "last_seen": "2026-03-01T23:00:00Z",
                    }
                ],
            }
        )
    )
    assert cli("indicator", "import", key, str(scan))[0] == 0
    code, out, _ = cli("indicator", "list", key, "--json")
    assert [i["value"] for i in json.loads(out)] == ["203.0.113.7", "192.0.2.4"]
    bundle = tmp_path / "bundle.json"
    assert cli("stix", "export", key, "--out", str(bundle))[0] == 0
    assert cli("stix", "validate", str(bundle))[0] == 0
    assert (
        cli("indicator", "add", key, "--type", "domain", "--value", "c2.example", "--tlp", "red")[0]
        == 0
    )
    code, _, err = cli("stix", "export", key)
    assert code == 1 and "TLP:RED" in err
    code, out, _ = cli("veris", "export", key)
    assert code == 0 and json.loads(out)["schema_version"] == "1.4.0"
    sample = sorted((FIXTURES / "samples" / "veris" / "vcdb-records").glob("*.json"))[2]
    code, out, err = cli("veris", "declare", str(sample))
    assert code == 0, err
    assert "Declared INC-" in out


def test_a_real_scoping_run_feeds_indicators_and_first_activity(
    cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    iocs = tmp_path / "iocs.yaml"
    stolen = "ASIA" + "5FLZVX4OPVKKVBMX"  # the OTRF role key, assembled: no key-shaped text here
    iocs.write_text(f"indicators:\n  - {{type: aws_access_key_id, value: {stolen}}}\n")
    scan = tmp_path / "scan.json"
    code, _, err = cli(
        "scope",
        "run",
        "--source",
        "cloudtrail",
        "../shared/fixtures/logs/cloudtrail/otrf-ec2-s3-exfiltration",
        "--iocs",
        str(iocs),
        "--out-json",
        str(scan),
    )
    assert code == 0, err
    key = json.loads(
        cli("incident", "declare", "Stolen key", "--detected-at", "2020-09-14T03:00:00Z", "--json")[
            1
        ]
    )["key"]
    code, out, err = cli("indicator", "import", key, str(scan), "--tlp", "amber")
    assert code == 0, err
    listed = json.loads(cli("indicator", "list", key, "--json")[1])
    key_row = next(i for i in listed if i["type"] == "aws_access_key_id")
    assert key_row["sightings"] == 11 and key_row["source"] == "scoping"
    assert key_row["first_seen"].startswith("2020-09-14T01:")
    measured = json.loads(cli("metrics", "--incident", key, "--json")[1])
    assert measured["times"]["time_to_detect"]["from"] == key_row["first_seen"]
    code, out, err = cli("stix", "export", key)
    assert code == 0, err
    assert any(o["type"] == "sighting" for o in json.loads(out)["objects"])
