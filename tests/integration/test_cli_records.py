"""``candor attach``, ``hold``, ``export``, ``backup``, ``restore`` and ``retention`` end to end:
exit codes, messages naming the file, nothing stored half-way."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from candor import bootstrap
from candor.cli.app import main

Run = Callable[..., tuple[int, str, str]]
NOW = [datetime(2026, 3, 2, 9, 0, tzinfo=UTC)]


class MovableClock:
    def now(self) -> datetime:
        return NOW[0]


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:
    monkeypatch.setenv("CANDOR_HOME", str(tmp_path / "ws"))
    monkeypatch.setenv("CANDOR_USER", "alice")
    monkeypatch.delenv("CANDOR_CONFIG", raising=False)
    monkeypatch.setattr(bootstrap, "SystemClock", MovableClock)
    NOW[0] = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    assert run("init")[0] == 0
    assert run("incident", "declare", "Stolen laptop of J. Roe")[0] == 0
    return run


def test_attach_add_list_get(cli: Run, tmp_path: Path) -> None:
    evidence = tmp_path / "receipt.pdf"
    evidence.write_bytes(b"%PDF-1.4\nreceipt\n")
    code, _, err = cli("attach", "add", "INC-2026-1", str(tmp_path / "nope.pdf"))
    assert code == 1
    assert f"{tmp_path / 'nope.pdf'}: does not exist" in err
    code, out, _ = cli("attach", "add", "INC-2026-1", str(evidence), "--note", "ICO receipt")
    assert code == 0 and "INC-2026-1/1 (application/pdf" in out
    code, out, _ = cli("attach", "list", "INC-2026-1", "--json")
    [listed] = json.loads(out)
    assert listed["note"] == "ICO receipt" and listed["attachment"] == "INC-2026-1/1"
    target = tmp_path / "copy.pdf"
    assert cli("attach", "get", "INC-2026-1/1", str(target))[0] == 0
    assert target.read_bytes() == evidence.read_bytes()
    code, _, err = cli("attach", "get", listed["id"], str(target))
    assert code == 1 and "already exists" in err
    code, _, err = cli("attach", "get", "INC-2026-1/7", str(tmp_path / "x"))
    assert code == 1 and "no attachment INC-2026-1/7" in err


def test_oversized_attachment_is_refused_naming_the_file(
    cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CANDOR_ATTACHMENTS__MAX_SIZE_MB", "1")
    big = tmp_path / "memory.dmp"
    big.write_bytes(b"\0" * (1024 * 1024 + 1))
    code, _, err = cli("attach", "add", "INC-2026-1", str(big))
    assert code == 1
    assert f"{big}: is larger than the attachment limit of 1.0 MiB" in err
    assert not list((tmp_path / "ws" / "attachments" / "sha256").rglob("*.*"))
    assert json.loads(cli("attach", "list", "INC-2026-1", "--json")[1]) == []


def test_export_backup_restore(cli: Run, tmp_path: Path) -> None:
    (tmp_path / "log.txt").write_text("GET /export 200\n")
    cli("attach", "add", "INC-2026-1", str(tmp_path / "log.txt"))
    archive = tmp_path / "inc.zip"
    code, out, _ = cli("export", "incident", "INC-2026-1", str(archive))
    assert code == 0 and "SHA-256" in out
    with zipfile.ZipFile(archive) as zf:
        assert "attachments/1-log.txt" in zf.namelist()
    assert cli("export", "incident", "INC-2026-1", str(archive))[0] == 1  # never overwrites
    code, out, _ = cli("backup", str(tmp_path / "bk"))
    assert code == 0 and "1 incidents" in out
    code, _, err = cli("restore", str(tmp_path / "bk"))
    assert code == 1 and "not empty" in err
    new = f"sqlite:///{tmp_path / 'new.db'}"
    code, out, _ = cli("restore", str(tmp_path / "bk"), "--database-url", new)
    assert code == 0 and "heads match the backup" in out
    (tmp_path / "bk" / "manifest.json").unlink()
    code, _, err = cli("restore", str(tmp_path / "bk"), "--database-url", new, "--force")
    assert code == 1 and f"{tmp_path / 'bk' / 'manifest.json'}: is missing" in err


def test_hold_and_retention_with_redactions_reported_by_verify(cli: Run) -> None:
    cli("timeline", "add", "INC-2026-1", "Called J. Roe at home", "--kind", "note")
    cli("incident", "declare", "Lost phone")
    for key in ("INC-2026-1", "INC-2026-2"):
        cli("incident", "transition", key, "post_incident")
        assert cli("incident", "close", key)[0] == 0
    assert cli("hold", "place", "INC-2026-2", "--reason", "Roe v. Example")[0] == 0
    code, out, _ = cli("retention", "run", "--dry-run")
    assert code == 0 and "No incident is past its retention period (7 years)" in out
    NOW[0] += timedelta(days=365 * 7 + 2)
    code, out, _ = cli("retention", "run", "--dry-run")
    assert "Would remove personal data of INC-2026-1" in out
    assert "Kept INC-2026-2" in out and "Roe v. Example" in out
    code, out, _ = cli("retention", "run")
    assert code == 0 and "Removed personal data of INC-2026-1" in out
    code, out, _ = cli("timeline", "verify", "INC-2026-1")
    assert code == 0
    assert "entries redacted under retention policy (audit #" in out
    code, out, _ = cli("audit", "verify")
    assert code == 0 and "redacted under retention policy" in out
    code, out, _ = cli("incident", "show", "INC-2026-1", "--json")
    assert "Roe" not in out
