"""``candor scope run`` end to end on DuckDB: output shapes, exports, and bad input.

Runs from the project root so the fixtures are named as a responder would name them,
``../shared/fixtures/logs/…``; no workspace or database is created.
"""

from __future__ import annotations

import csv
import gzip
import json
import os
from pathlib import Path

import pytest

from candor.cli.app import main
from tests.conftest import ROOT

OTRF = "../shared/fixtures/logs/cloudtrail/otrf-ec2-s3-exfiltration"
WRAPPED = "../shared/fixtures/logs/cloudtrail/cloudtrail2sightings-stratus"
# the access key id in the OTRF capture, assembled so secret scanners do not flag this file
STOLEN_KEY = "ASIA" + "5FLZVX4OPVKKVBMX"


@pytest.fixture(autouse=True)
def at_root(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(ROOT)
    # prove no workspace is needed: point the workspace somewhere empty
    monkeypatch.setenv("CANDOR_HOME", str(tmp_path / "no-workspace"))


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def key_iocs(tmp_path: Path) -> Path:
    return write(
        tmp_path / "iocs.yaml",
        f"indicators:\n  - {{type: aws_access_key_id, value: {STOLEN_KEY}, label: stolen}}\n",
    )


def run(*args: str) -> int:
    return main(["scope", "run", *args])


def test_json_output_has_the_stable_field_names(
    key_iocs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("--source", "cloudtrail", OTRF, "--iocs", str(key_iocs), "--json") == 0
    data = json.loads(capsys.readouterr().out)
    for name in (
        "events_scanned",
        "events_matched",
        "bytes_scanned",
        "malformed_records",
        "by_indicator",
        "accounts",
        "source_ips",
        "principals",
        "histogram",
        "pivots",
    ):
        assert name in data
    assert data["events_matched"] == 11
    assert data["bytes_scanned"] == os.path.getsize(
        f"{OTRF}/ec2_proxy_s3_exfiltration_2020-09-14011940.json"
    )
    assert data["malformed_records"] == {"count": 0, "samples": []}
    assert data["by_indicator"][0]["label"] == "stolen"
    assert data["histogram"] == [
        {"hour": "2020-09-14T00:00:00Z", "events": 92, "matched": 0},
        {"hour": "2020-09-14T01:00:00Z", "events": 11, "matched": 11},
    ]


def test_exports_csv_json_and_next_indicators(
    key_iocs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_csv, out_json, out_iocs = tmp_path / "m.csv", tmp_path / "r.json", tmp_path / "next.yaml"
    code = run(
        "--source",
        "cloudtrail",
        OTRF,
        "--iocs",
        str(key_iocs),
        "--out-csv",
        str(out_csv),
        "--out-json",
        str(out_json),
        "--out-iocs",
        str(out_iocs),
    )
    assert code == 0
    shown = capsys.readouterr().out
    assert "11 matched" in shown
    assert '{"type": "ip", "value": "1.2.3.4"}' in shown
    rows = list(csv.DictReader(out_csv.open(encoding="utf-8")))
    assert len(rows) == 11
    assert [r["event_time"] for r in rows] == sorted(r["event_time"] for r in rows)
    reads = [r for r in rows if r["event_name"] == "GetObject"]
    assert len(reads) == 2
    assert all(
        "arn:aws:s3:::mordors3stack-s3bucket-llp2yingx64a/ring.txt" in r["resources"].split()
        for r in reads
    )
    assert {r["matched_by"] for r in rows} == {"aws_access_key_id"}
    assert json.loads(out_json.read_text())["events_matched"] == 11
    # the written indicators file is itself valid input, and the pivot matches more
    assert run("--source", "cloudtrail", OTRF, "--iocs", str(out_iocs), "--json") == 0
    again = json.loads(capsys.readouterr().out)
    # the anonymised set gives every caller 1.2.3.4: all but the 5 AssumeRole calls EC2 made
    assert again["events_matched"] == 98


def test_malformed_file_is_reported_then_strict_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    iocs = write(tmp_path / "i.yaml", "indicators: [{type: ip, value: 62.167.105.104}]\n")
    assert run("--source", "cloudtrail", WRAPPED, "--iocs", str(iocs), "--json") == 0
    data = json.loads(capsys.readouterr().out)
    assert data["malformed_records"]["count"] == 1
    assert data["malformed_records"]["samples"][0]["line"] == 112
    assert run("--source", "cloudtrail", WRAPPED, "--iocs", str(iocs), "--strict") == 1
    message = capsys.readouterr().err
    assert "aws.execution.ec2-user-data.json:112" in message
    assert "strict" in message


def test_missing_path_names_it(key_iocs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("--source", "cloudtrail", "nowhere/logs", "--iocs", str(key_iocs)) == 1
    assert "nowhere/logs: no such file or directory" in capsys.readouterr().err


def test_empty_directory_names_it(
    key_iocs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "AWSLogs"
    empty.mkdir()
    assert run("--source", "cloudtrail", str(empty), "--iocs", str(key_iocs)) == 1
    err = capsys.readouterr().err
    assert f"{empty}: the directory is empty" in err


def test_unreadable_and_truncated_gzip(
    key_iocs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    with Path(OTRF, "ec2_proxy_s3_exfiltration_2020-09-14011940.json").open() as handle:
        record = json.loads(handle.readline())
    good = json.dumps({"Records": [record] * 3}).encode()
    (logs / "a-good.json.gz").write_bytes(gzip.compress(good))
    (logs / "b-truncated.json.gz").write_bytes(gzip.compress(good)[:40])
    (logs / "c-not-gzip.json.gz").write_bytes(b"\x1f\x8bthis is not deflate data at all")
    assert run("--source", "cloudtrail", str(logs), "--iocs", str(key_iocs), "--json") == 0
    data = json.loads(capsys.readouterr().out)
    assert data["events_scanned"] == 3
    samples = {Path(s["file"]).name: s["error"] for s in data["malformed_records"]["samples"]}
    assert data["malformed_records"]["count"] == 2
    assert samples["b-truncated.json.gz"].startswith("truncated gzip")
    assert samples["c-not-gzip.json.gz"].startswith("unreadable gzip")
    assert run("--source", "cloudtrail", str(logs), "--iocs", str(key_iocs), "--strict") == 1
    err = capsys.readouterr().err
    # strict stops at the first bad file the engine meets; threads decide which that is
    assert "b-truncated.json.gz" in err or "c-not-gzip.json.gz" in err


def test_bad_indicators_file_names_file_and_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    iocs = write(
        tmp_path / "bad.yaml",
        "window: {start: 2026-03-03T00:00:00Z, end: 2026-03-01T00:00:00Z}\n"
        "indicators:\n"
        "  - {type: aws_access_key_id, value: AKIA-nope}\n"
        "  - {type: url, value: http://example.com}\n",
    )
    assert run("--source", "cloudtrail", OTRF, "--iocs", str(iocs)) == 1
    err = capsys.readouterr().err
    assert f"{iocs}:1:" in err  # the window
    assert f"{iocs}:3:" in err  # the key
    assert f"{iocs}:4:" in err  # the type
    assert "3 problems" in err


def test_generic_source_needs_a_mapping(key_iocs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("--source", "jsonl", OTRF, "--iocs", str(key_iocs)) == 1
    assert "jsonl logs need a field mapping" in capsys.readouterr().err


def test_unknown_engine_is_refused(key_iocs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("--source", "cloudtrail", OTRF, "--iocs", str(key_iocs), "--engine", "oracle") == 1
    assert "unknown engine 'oracle'" in capsys.readouterr().err


def test_a_scan_starts_without_loading_the_workspace(tmp_path: Path, key_iocs: Path) -> None:
    """``candor scope …`` loads the log engine only (the scope benchmark counts start-up); the
    rest of the command tree, the database layer and the web application stay unloaded."""
    import subprocess
    import sys

    probe = (
        "import sys\n"
        "from candor.cli.app import main\n"
        "code = main(['scope', 'run', '--source', 'cloudtrail', '--iocs', "
        f"{str(key_iocs)!r}, {OTRF!r}, '--json'])\n"
        "loaded = [m for m in ('candor.bootstrap', 'candor.web.app', 'sqlalchemy', 'fastapi')\n"
        "          if m in sys.modules]\n"
        "print('EXIT', code, 'LOADED', loaded, file=sys.stderr)\n"
    )
    env = {**os.environ, "CANDOR_HOME": str(tmp_path / "no-workspace")}
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert "EXIT 0 LOADED []" in done.stderr, done.stderr[-2000:]
    assert json.loads(done.stdout)["events_matched"] > 0


def test_every_scope_command_is_there_when_the_cli_starts_for_scope() -> None:
    """The short start-up path for ``candor scope`` still offers every ``scope`` command (some
    are defined by the inventory module), in a fresh process as a responder runs it."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "candor.cli.app", "scope", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    listed = {line.split()[0] for line in done.stdout.split("Commands:")[1].splitlines() if line}
    assert {"run", "mark", "refresh", "show", "attach", "scans", "export"} <= listed
