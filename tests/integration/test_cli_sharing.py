"""``candor stix`` and ``candor veris`` on files: messages, JSON and exit codes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from candor.adapters.export import stix
from candor.cli.app import main
from candor.domain.indicators import indicator
from tests.conftest import FIXTURES

VCDB = FIXTURES / "samples" / "veris" / "vcdb-records"
INVALID = FIXTURES / "samples" / "veris" / "invalid-by-design"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_stix_validate_a_bundle_we_made(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    now = datetime(2026, 3, 4, tzinfo=UTC)
    items = [indicator(type="ipv4", value="203.0.113.7", tlp="amber")]
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(stix.build_bundle(items, organisation="X", now=now)))
    code, out, _ = run(capsys, "stix", "validate", str(path))
    assert code == 0
    assert "valid STIX 2.1 bundle" in out
    assert "TLP:AMBER" in out
    code, out, _ = run(capsys, "stix", "validate", str(path), "--json")
    assert code == 0
    assert json.loads(out)["tlp"] == ["TLP:AMBER"]


def test_stix_validate_names_problems_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    now = datetime(2026, 3, 4, tzinfo=UTC)
    bundle = stix.build_bundle(
        [indicator(type="domain", value="x.example", tlp="green")], organisation="X", now=now
    )
    bundle["objects"][2]["pattern"] = "[domain-name:value = "
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle))
    code, _, err = run(capsys, "stix", "validate", str(path))
    assert code == 1
    assert "objects[2]" in err
    assert ".pattern" in err
    broken = tmp_path / "broken.json"
    broken.write_text('{"type": "bundle",\n  oops}')
    code, _, err = run(capsys, "stix", "validate", str(broken))
    assert code == 1
    assert "broken.json:2:3: not valid JSON" in err


def test_veris_import_a_real_vcdb_record(capsys: pytest.CaptureFixture[str]) -> None:
    path = VCDB / "02743f06-fcbe-4982-b7d5-e8ec17e3df30.JSON"
    code, out, _ = run(capsys, "veris", "import", str(path), "--json")
    assert code == 0
    view = json.loads(out)
    original = json.loads(path.read_text(encoding="utf-8"))
    assert view["incident_id"] == original["incident_id"]
    assert view["kind"] == "personal_data_breach"
    assert view["record"]["summary"] == original["summary"]


def test_veris_import_refuses_naming_the_field(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "veris", "import", str(INVALID / "victim.industry_alpha.json"))
    assert code == 1
    # the test file wraps the record; import reads records, so the wrapper's keys are named too
    assert "message: is not a VERIS 1.4 field" in err


def test_veris_validate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case = json.loads((INVALID / "victim.industry_alpha.json").read_text(encoding="utf-8"))
    path = tmp_path / "record.json"
    path.write_text(json.dumps(case["incident"]))
    code, out, _ = run(capsys, "veris", "validate", str(path), "--json")
    assert code == 1
    assert "victim.industry" in {p["field"] for p in json.loads(out)["problems"]}
    good = VCDB / "0001AA7F-C601-424A-B2B8-BE6C9F5164E7.json"
    code, out, _ = run(capsys, "veris", "validate", str(good))
    assert code == 0
    assert "valid VERIS 1.4 record" in out


def test_stix_bundle_from_an_ioc_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    iocs = tmp_path / "iocs.yaml"
    iocs.write_text(
        "tlp: green\nindicators:\n"
        "  - {type: ipv4, value: 203.0.113.7, description: C2}\n"
        "  - {type: aws_access_key_id, value: AKIAIOSFODNN7EXAMPLE, tlp: amber}\n",
        encoding="utf-8",
    )
    out = tmp_path / "bundle.json"
    code, printed, _ = run(
        capsys, "stix", "bundle", str(iocs), "--org", "Example", "--out", str(out)
    )
    assert code == 0
    assert "2 indicators" in printed
    bundle = json.loads(out.read_text(encoding="utf-8"))
    assert stix.validate_bundle(bundle) == []
    assert sum(o["type"] == "indicator" for o in bundle["objects"]) == 2


def test_stix_bundle_names_bad_rows_by_line_and_refuses_red(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    iocs = tmp_path / "iocs.yaml"
    iocs.write_text(
        "tlp: green\nindicators:\n"
        "  - {type: ipv4, value: 300.1.1.1}\n"
        "  - {type: sha256, value: abc}\n",
        encoding="utf-8",
    )
    code, _, err = run(capsys, "stix", "bundle", str(iocs), "--org", "Example")
    assert code == 1
    assert "iocs.yaml:3:" in err
    assert "iocs.yaml:4:" in err
    iocs.write_text("- {type: domain, value: secret.example, tlp: red}\n", encoding="utf-8")
    code, out, err = run(capsys, "stix", "bundle", str(iocs), "--org", "Example")
    assert code == 1
    assert out == ""
    assert "domain secret.example is TLP:RED" in err
