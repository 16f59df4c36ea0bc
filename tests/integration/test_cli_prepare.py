"""The prepare commands end to end, in process: playbooks, contacts, exercises, readiness."""

from __future__ import annotations

import json
from pathlib import Path

from tests.integration.test_cli import Run, cli  # noqa: F401 - the fixture


def test_declare_with_a_playbook_and_list_show_check(cli: Run) -> None:  # noqa: F811
    code, out, _ = cli("playbook", "list", "--json")
    assert code == 0 and len(json.loads(out)) == 9
    code, out, _ = cli(
        "incident", "declare", "Token leaked", "--playbook", "leaked-secret", "--json"
    )
    assert code == 0
    declared = json.loads(out)
    assert {t["source"] for t in declared["tasks"]} == {"playbook:leaked-secret"}
    code, out, _ = cli("task", "list", declared["key"], "--json")
    assert len(json.loads(out)) == len(declared["tasks"])
    code, _, err = cli("incident", "declare", "x", "--playbook", "nope")
    assert code == 1 and "no 'nope'" in err
    code, out, _ = cli("playbook", "check")
    assert code == 0 and "9 file(s): no problems" in out


def test_a_broken_playbook_file_fails_check_with_locations(cli: Run, tmp_path: Path) -> None:  # noqa: F811
    bad = tmp_path / "bad.yaml"
    bad.write_text("playbook: bad\ntitle: t\nversion: 1\nkinds: [nope]\nsummary: s\n")
    code, _, err = cli("playbook", "check", str(bad))
    assert code == 1
    assert f"{bad}:4:" in err and "roles: is required" in err


def test_contacts_import_verify_and_a_bad_file(cli: Run, tmp_path: Path) -> None:  # noqa: F811
    good = tmp_path / "contacts.yaml"
    good.write_text(
        "contacts:\n"
        "  - handle: acme-law\n"
        "    category: outside_counsel\n"
        "    organisation: Acme LLP\n"
        "    retainer: {in_place: true, hours: 40}\n"
        "  - handle: insurer\n"
        "    category: insurer\n"
        "    organisation: Ins Co\n"
        "    notice: {text: Notify within 48 hours, hours: 48}\n"
    )
    code, out, _ = cli("contact", "import", str(good))
    assert code == 0 and "2 added" in out
    code, out, _ = cli("contact", "list", "--stale", "--json")
    assert [c["handle"] for c in json.loads(out)] == ["insurer", "acme-law"]
    code, out, _ = cli("contact", "verify", "acme-law", "--note", "called")
    assert code == 0
    code, out, _ = cli("contact", "show", "acme-law", "--json")
    assert json.loads(out)["stale"] is False
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "contacts:\n"
        "  - handle: Bad Handle\n"
        "    category: wizard\n"
        "    organisation: X\n"
        "  - handle: ok\n"
        "    category: pr\n"
        "    organisation: Y\n"
        "    people: [{name: A, email: nope}]\n"
    )
    code, _, err = cli("contact", "import", str(bad))
    assert code == 1
    for line in (2, 3, 8):
        assert f"{bad}:{line}:" in err
    code, out, _ = cli("contact", "list", "--json")
    assert len(json.loads(out)) == 2  # nothing from the bad file was written


def test_an_exercise_through_the_cli_and_readiness(cli: Run) -> None:  # noqa: F811
    code, out, _ = cli("exercise", "list-scenarios", "--json")
    assert code == 0 and len(json.loads(out)) == 6
    code, out, _ = cli("exercise", "start", "cloud-credentials-breach", "--json")
    started = json.loads(out)
    key, incident = started["key"], started["incident"]
    assert started["exercise"] is True and started["injects_released"] == 1
    code, out, _ = cli("incident", "show", incident)
    assert "[EXERCISE]" in out
    for _ in range(5):
        code, out, _ = cli("exercise", "release", key)
        assert code == 0 and "EXERCISE" in out
    code, _, err = cli("exercise", "release", key)
    assert code == 1 and "all 6 injects" in err
    code, out, _ = cli("--as", "bob", "exercise", "decide", key, "Keep keys until notice",
                       "--meets", "keys-decision")  # fmt: skip
    assert code == 0
    code, out, _ = cli("exercise", "report", key, "--json")
    report = json.loads(out)
    assert report["is_exercise"] is True and report["score"] is not None
    assert {r["id"]: r["outcome"] for r in report["results"]}["keys-decision"] == "met"
    # impact statements are tracked, so the expectation is scored: none was written here
    outcomes = {r["id"]: r["outcome"] for r in report["results"]}
    assert "impact-statement-started" not in report["not_measured"]
    assert outcomes["impact-statement-started"] in ("missed", "pending")
    code, out, _ = cli("exercise", "end", key)
    assert code == 0
    code, out, _ = cli("readiness", "--json")
    result = json.loads(out)
    assert code == 0 and len(result["checks"]) == 10
    status = {c["id"]: c["status"] for c in result["checks"]}
    assert status["tabletop_recent"] == "pass"
    assert status["customer_contacts"] == "not_measured"
