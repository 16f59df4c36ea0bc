"""`candor impact …`, `candor findings …` and `candor status-report` end to end, in process, on a
workspace whose clock the test moves."""

from __future__ import annotations

import functools
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from candor import bootstrap
from tests.fakes import FakeClock
from tests.integration.test_cli import Run, cli

__all__ = ["cli"]


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """The CLI builds its application through ``bootstrap.build``; give it this clock."""
    fake = FakeClock(datetime.now(UTC).replace(microsecond=0))
    monkeypatch.setattr(bootstrap, "build", functools.partial(bootstrap.build, clock=fake))
    return fake


def declare(cli: Run, severity: str = "SEV1") -> str:
    code, out, err = cli("incident", "declare", "Keys read", "--severity", severity, "--json")
    assert code == 0, err
    key: str = json.loads(out)["key"]
    return key


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_save_show_versions_diff_and_export(clock: FakeClock, cli: Run, tmp_path: Path) -> None:
    key = declare(cli)
    first = write(
        tmp_path / "v1.yaml",
        "sections:\n"
        "  what_happened: {text: An attacker used a stolen key. We rotated all keys. We do not "
        "know how., "
        "confidence: suspected}\n"
        "  not_affected: {text: Passwords are not affected., confidence: confirmed}\n"
        "affected: {customers: 40, confidence: suspected}\n",
    )
    code, out, err = cli("impact", "save", key, str(first), "--reason", "first take")
    assert code == 0, err
    assert f"{key}: impact statement version 1 saved." in out
    second = write(
        tmp_path / "v2.yaml",
        "sections:\n"
        "  what_happened: We rotated all keys. An attacker used a stolen key. We are still "
        "investigating how.\n",
    )
    code, _, err = cli("impact", "save", key, str(second), "--reason", "more")
    assert code == 1 and "changed while you edited it" in err  # --based-on is required
    code, _, err = cli("impact", "save", key, str(second), "--reason", "more", "--based-on", "1")
    assert code == 0, err
    code, out, _ = cli("impact", "show", key)
    assert "## What is not affected (confirmed)" in out and "still investigating" in out
    code, out, _ = cli("impact", "show", key, "--version", "1", "--json")
    assert json.loads(out)["affected"]["customers"] == 40
    code, out, _ = cli("impact", "versions", key, "--json")
    assert [(v["number"], v["reason"]) for v in json.loads(out)] == [(1, "first take"), (2, "more")]
    code, out, _ = cli("impact", "versions", key)
    assert code == 0 and "first take" in out
    code, out, _ = cli("impact", "diff", key, "1", "2")
    assert code == 0
    assert "{+We are still investigating how.+}" in out and "[-We do not know how.-]" in out
    # a sentence moved: shown where it went and where it left, with the same number
    assert "{>1 We rotated all keys.<}" in out and "[>1 We rotated all keys.<]" in out
    code, out, _ = cli("impact", "diff", key, "1", "2", "--json")
    assert json.loads(out)["changed_sections"] == ["what_happened"]
    code, _, err = cli("impact", "diff", key, "1", "5")
    assert code == 1 and "no impact statement version 5" in err
    exported = tmp_path / "out.md"
    code, out, _ = cli("impact", "export", key, "--version", "1", "--out", str(exported))
    assert code == 0 and "Passwords are not affected." in exported.read_text(encoding="utf-8")
    code, out, _ = cli("impact", "export", key)
    assert out.startswith("#") and "still investigating" in out
    bad = write(tmp_path / "bad.yaml", "- just a list\n")
    code, _, err = cli("impact", "save", key, str(bad), "--reason", "x", "--based-on", "2")
    assert code == 1 and "expected a mapping" in err


def test_findings_add_review_dismiss_integrate_list_and_due(clock: FakeClock, cli: Run) -> None:
    key = declare(cli)  # SEV1: findings reviewed every hour
    for summary in ("Attacker IP hit the VPN", "Old bucket was public", "Login from Ohio"):
        code, out, err = cli("findings", "add", key, summary, "--source", "logs")
        assert code == 0, err
    assert f"{key}: finding #3 added." in out
    code, out, _ = cli(
        "findings", "review", key, "1", "--customer-impact", "yes", "--access-path", "yes"
    )
    assert code == 0 and "Finding #1: relevant." in out
    code, _, err = cli("findings", "dismiss", key, "2", "--reason", "noise")
    assert code == 1 and "review the finding first" in err
    no = ("--customer-impact", "no", "--access-path", "no", "--new-data", "no")
    assert cli("findings", "review", key, "2", *no)[1] == "Finding #2: not relevant.\n"
    code, out, _ = cli("findings", "dismiss", key, "2", "--reason", "another account")
    assert code == 0 and "Finding #2 dismissed." in out
    code, _, err = cli("findings", "integrate", key, "1", "--version", "1")
    assert code == 1 and "no impact statement version 1" in err
    code, out, _ = cli("findings", "due")
    assert out == "No findings are overdue.\n"
    clock.advance(hours=1, minutes=1)
    code, out, _ = cli("findings", "list", key, "--json")
    listed = json.loads(out)
    assert [(f["number"], f["state"], f["overdue"]) for f in listed] == [
        (1, "reviewed", True),
        (2, "dismissed", False),
        (3, "new", True),
    ]
    code, out, _ = cli("findings", "list", key)
    assert "(overdue)" in out and "Login from Ohio" in out
    code, out, _ = cli("findings", "due", "--json")
    assert [(d["incident"], d["overdue"]) for d in json.loads(out)] == [(key, 2)]
    code, out, _ = cli("findings", "due")
    assert out.startswith(f"{key}: 2 overdue")
    code, out, _ = cli("findings", "review", key, "3", "--new-data", "maybe")
    assert code == 1


def test_status_report_shows_when_due_and_posts_an_edited_report(
    clock: FakeClock, cli: Run, tmp_path: Path
) -> None:
    key = declare(cli, "SEV2")  # a status report every 4 hours
    code, out, err = cli("status-report", key)
    assert code == 0, err
    assert "Needs:\n- An impact statement: nobody has written one yet." in out
    assert "Next status report due" in out and "left)." in out
    clock.advance(hours=5)
    code, out, _ = cli("status-report", key, "--json")
    drafted = json.loads(out)
    assert drafted["schedule"]["overdue"] is True and drafted["impact_version"] is None
    assert "1 h 0 min overdue" in cli("status-report", key)[1]
    # edit the --json output and post it
    edited = {**drafted, "actions": ["Rotated every key.", "Told the board."]}
    report = write(tmp_path / "report.json", json.dumps(edited))
    code, _, err = cli("status-report", key, "--from", str(report))
    assert code == 1 and "--post" in err
    code, out, err = cli("status-report", key, "--post", "--from", str(report), "--json")
    assert code == 0, err
    posted = json.loads(out)
    assert posted["actions"] == ["Rotated every key.", "Told the board."]
    assert posted["schedule"]["overdue"] is False
    assert posted["schedule"]["last_report_at"] == clock.now().isoformat()
    code, out, _ = cli("timeline", "show", key)
    assert "Told the board." in out
    wrong = write(
        tmp_path / "wrong.yaml", "conditions: just one line\nextra: 1\nimpact_version: x\n"
    )
    code, _, err = cli("status-report", key, "--post", "--from", str(wrong))
    assert code == 1
    assert "wrong.yaml:1" in err and "must be a list of text items" in err
    assert "wrong.yaml:2" in err and "is not part of a status report" in err
    assert "must be a version number" in err
    other = write(tmp_path / "other.yaml", "incident: INC-1999-1\nconditions: [x]\n")
    code, _, err = cli("status-report", key, "--post", "--from", str(other))
    assert code == 1 and "another incident's report" in err
    code, out, _ = cli("status-report", key, "--post")
    assert code == 0 and "Status report" in out
