"""``candor advisory …`` on files: no workspace needed, exit codes 0/1/2, problems named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from candor.cli.app import main
from tests.golden.samples import csaf_files, cve_files, osv_files

ACME = Path(__file__).parents[1] / "golden" / "advisories" / "acme-sa-2026-001.yaml"


@pytest.fixture(autouse=True)
def _no_workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # these commands must not touch a workspace: point it somewhere that does not exist
    monkeypatch.setenv("CANDOR_HOME", str(tmp_path / "no-workspace-here"))


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("fmt", ["cve", "csaf", "osv"])
def test_export_writes_a_valid_document(
    fmt: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / f"acme.{fmt}.json"
    code, _, err = run(capsys, "advisory", "export", str(ACME), "--format", fmt, "--out", str(out))
    assert (code, err.strip()) == (0, f"Wrote {out}")
    code, stdout, _ = run(capsys, "advisory", "validate", str(out))
    assert (code, stdout.strip()) == (0, f"{out}: valid {fmt}")
    assert not (tmp_path / "no-workspace-here").exists()


def test_export_to_stdout_is_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, stdout, _ = run(capsys, "advisory", "export", str(ACME), "--format", "osv")
    assert code == 0
    assert json.loads(stdout)["id"] == "x_ACME-SA-2026-001"


def test_export_reports_yaml_problems_with_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(ACME.read_text().replace("tlp: CLEAR", "tlp: BLUE"), encoding="utf-8")
    code, _, err = run(capsys, "advisory", "export", str(bad), "--format", "csaf")
    assert code == 1
    assert f"{bad}:4:6 tlp: unknown value 'BLUE'" in err


def test_import_then_export_reproduces_a_cve_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = next(p for p in cve_files() if p.name == "CVE-2024-0901.json")
    yaml_file = tmp_path / "imported.yaml"
    code, _, _ = run(capsys, "advisory", "import", str(source), "--out", str(yaml_file))
    assert code == 0
    assert "extras:" in yaml_file.read_text()  # the ADP container and the rest are kept
    code, stdout, _ = run(capsys, "advisory", "export", str(yaml_file), "--format", "cve")
    assert code == 0
    assert json.loads(stdout) == json.loads(source.read_text())


@pytest.mark.parametrize("pick", ["csaf", "osv-yaml"])
def test_import_detects_the_format(
    pick: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = csaf_files()[0] if pick == "csaf" else osv_files()[-1]
    code, stdout, _ = run(capsys, "advisory", "import", str(source))
    assert code == 0
    assert stdout.startswith("id: ")


def test_validate_names_each_failure_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = json.loads(csaf_files()[0].read_text())
    doc["vulnerabilities"][0]["product_status"]["known_not_affected"] = list(
        doc["vulnerabilities"][0]["product_status"]["known_affected"][:1]
    )
    doc["document"]["tracking"]["version"] = "7"
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(doc))
    code, stdout, err = run(capsys, "advisory", "validate", str(broken))
    assert code == 1
    assert "[CSAF 6.1.6]" in stdout
    assert "/document/tracking/version: the document version is 7" in stdout
    assert "problem(s)" in err
    code, stdout, _ = run(capsys, "advisory", "validate", str(broken), "--json")
    report = json.loads(stdout)
    assert code == 1
    assert report["valid"] is False
    assert {f["check"] for f in report["failures"]} >= {"6.1.6", "6.1.16"}


def test_validate_reports_schema_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = json.loads(osv_files()[0].read_text())
    doc["affected"][0]["ranges"][0]["type"] = "RANGE"
    broken = tmp_path / "GO.json"
    broken.write_text(json.dumps(doc))
    code, stdout, _ = run(capsys, "advisory", "validate", str(broken), "--format", "osv")
    assert code == 1
    assert "/affected/0/ranges/0/type: 'RANGE' is not one of" in stdout


def test_cvss(capsys: pytest.CaptureFixture[str]) -> None:
    code, stdout, _ = run(
        capsys, "advisory", "cvss", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
    )
    assert (code, stdout.strip()) == (0, "9.8 CRITICAL (CVSS 3.1)")
    code, stdout, _ = run(
        capsys,
        "advisory",
        "cvss",
        "--json",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
    )
    assert json.loads(stdout) == {
        "version": "4.0",
        "vector": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
        "base_score": 9.3,
        "severity": "CRITICAL",
    }
    code, _, err = run(capsys, "advisory", "cvss", "CVSS:3.1/AV:X")
    assert code == 1
    assert "invalid CVSS 3.1 vector" in err


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, _ = run(capsys, "advisory", "export", str(ACME), "--format", "pdf")
    assert code == 2


def test_unknown_format_document(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    other = tmp_path / "x.json"
    other.write_text('{"hello": "world"}')
    code, _, err = run(capsys, "advisory", "validate", str(other))
    assert code == 1
    assert "cannot tell whether this is a CVE record" in err
