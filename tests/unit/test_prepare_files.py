"""Playbook and scenario files: every shipped file loads; broken ones report every problem with
its file and line; the organisation's folder overrides by name."""

from __future__ import annotations

from pathlib import Path

import pytest

from candor.adapters import prepare_files
from candor.domain.errors import RuleFileError
from candor.domain.lifecycle import ACTIVE_ORDER
from candor.domain.playbooks import parse_playbook
from candor.domain.scenarios import ExpectationType, parse_scenario

SHIPPED_PLAYBOOKS = {
    "leaked-secret",
    "customer-credentials-exposed",
    "account-takeover",
    "ransomware",
    "lost-device",
    "vulnerability-in-shipped-software",
    "certificate-or-key-compromise",
    "insider-data-theft",
    "vendor-breach",
}
SHIPPED_SCENARIOS = {
    "cloud-credentials-breach",
    "ca-compromise",
    "token-in-public-repo",
    "sdk-vulnerability",
    "ransomware-build-server",
    "insider-export",
}


def test_every_shipped_playbook_loads_and_covers_every_phase() -> None:
    library = prepare_files.load_playbooks().require()
    assert set(library.entries) == SHIPPED_PLAYBOOKS
    for name, entry in library.entries.items():
        assert entry.value.phases() == ACTIVE_ORDER, name
        assert entry.value.roles and entry.value.contacts, name
        assert entry.packaged and entry.file == f"candor/rules/playbooks/{name}.yaml"


def test_every_shipped_scenario_loads_is_an_hour_and_names_a_known_playbook() -> None:
    playbooks = prepare_files.load_playbooks().require()
    library = prepare_files.load_scenarios(playbooks=playbooks.entries).require()
    assert set(library.entries) == SHIPPED_SCENARIOS
    for name, entry in library.entries.items():
        s = entry.value
        assert s.duration == 60 and s.injects[0].at == 0, name
        assert len(s.injects) >= 5 and len(s.expectations) >= 6 and s.questions, name
        assert s.playbook in playbooks.entries, name
        # stored as run: the plain data parses back to the same scenario
        assert parse_scenario(entry.data) == s


def test_the_cloud_credentials_scenario_expects_what_the_issue_lists() -> None:
    s = prepare_files.load_scenarios().require().get("cloud-credentials-breach").value
    types = {e.type for e in s.expectations}
    assert {
        ExpectationType.ROLE_ASSIGNED,
        ExpectationType.IMPACT_STATEMENT_STARTED,
        ExpectationType.OBLIGATIONS_COMPUTED,
        ExpectationType.OBLIGATION_DEADLINES_MET,
        ExpectationType.CUSTOMER_NOTICE_APPROVED,
    } <= types
    # the hour stands for four days: the regulator's 72 hours fall inside it
    assert s.simulated_hours == 96
    revealed = {k for inject in s.injects for k in inject.answers}
    assert {"customer_secrets", "data_elements", "customers_affected"} <= revealed


BROKEN_PLAYBOOK = """\
playbook: Bad Name
title: Broken
version: "1"
kinds: [incident]
summary: x
roles:
  incident_lead: ""
contacts:
  lawyer: why
phases:
  triage:
    - task: Do a thing
      within: soon
  cleanup:
    - task: Another
"""


def test_a_broken_playbook_reports_every_problem_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(BROKEN_PLAYBOOK)
    problems = prepare_files.check_files([path], parse_playbook)
    assert all(p.file == str(path) for p in problems)
    found = [(p.line, p.message) for p in problems]
    expected = [
        (1, "not a valid name"),
        (4, "unknown value 'incident'"),
        (7, "must say why"),
        (9, "unknown value 'lawyer'"),
        (13, "not a duration: 'soon'"),
        (15, "unknown phase 'cleanup'"),
    ]
    assert len(found) == len(expected), found
    for (line, message), (want_line, words) in zip(found, expected, strict=True):
        assert line == want_line and words in message, (line, message)


BROKEN_SCENARIO = """\
scenario: broken
title: Broken
version: "1"
summary: x
duration_minutes: 60
start: {title: T, kind: security_incident, severity: SEV9}
injects:
  - at: 5
    title: First
    text: Something
    facts:
      answers: {data_elements: [ssn, shoe_size], customers_affected: many}
  - at: 2
    title: Second
    text: Earlier than the first
expectations:
  - {id: a, type: role_assigned, by: 10, why: w, lesson: l}
  - {id: a, type: telepathy, by: 90, why: w, lesson: l}
questions: []
"""


def test_a_broken_scenario_reports_every_problem_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN_SCENARIO)
    problems = prepare_files.check_files([path], parse_scenario)
    text = "\n".join(str(p) for p in problems)
    assert all(p.file == str(path) and p.line for p in problems), text
    expected = [
        ("SEV9", 6),
        ("first inject opens the exercise", 8),
        ("shoe_size", 12),
        ("whole number", 12),
        ("comes before the previous", 13),
        ("role", 17),  # role_assigned without its role
        ("duplicate expectation id", 18),
        ("telepathy", 18),
        ("between 1 and 60", 18),
        ("discussion question", 19),
    ]
    for words, line in expected:
        assert any(words in p.message and p.line == line for p in problems), (words, text)


def test_simulated_hours_are_checked_with_their_line(tmp_path: Path) -> None:
    text = Path(
        prepare_files.packaged_path("scenarios", "cloud-credentials-breach.yaml")
    ).read_text()
    lines = text.splitlines()
    line = next(n for n, x in enumerate(lines, 1) if x.startswith("simulated_hours:"))
    cases = [
        ("four days", "duration_minutes: 60", "must be a whole number"),
        ("0", "duration_minutes: 60", "must be between 1 and 2160"),
        ("1", "duration_minutes: 120", "1 h is less than the exercise's own 120 minutes"),
    ]
    for hours, duration, words in cases:
        changed = [
            f"simulated_hours: {hours}" if x.startswith("simulated_hours:") else x for x in lines
        ]
        path = tmp_path / "sim.yaml"
        path.write_text("\n".join(changed).replace("duration_minutes: 60", duration, 1))
        [problem] = prepare_files.check_files([path], parse_scenario)
        assert words in problem.message and problem.line == line, (hours, str(problem))


def test_yaml_syntax_errors_are_located(tmp_path: Path) -> None:
    path = tmp_path / "syntax.yaml"
    path.write_text("playbook: x\ntitle: [unclosed\n")
    [problem] = prepare_files.check_files([path], parse_playbook)
    assert problem.line is not None and "not valid YAML" in problem.message


def test_the_organisation_folder_overrides_by_name_and_adds(tmp_path: Path) -> None:
    packaged = prepare_files.load_playbooks().require().get("lost-device")
    text = Path(prepare_files.packaged_path("playbooks", "lost-device.yaml")).read_text()
    (tmp_path / "ours.yaml").write_text(text.replace('version: "2026-11"', 'version: "ours-1"'))
    (tmp_path / "new.yaml").write_text(
        text.replace("playbook: lost-device", "playbook: stolen-laptop-at-airport")
    )
    library = prepare_files.load_playbooks(tmp_path).require()
    assert library.get("lost-device").value.version == "ours-1"
    assert not library.get("lost-device").packaged
    assert packaged.value.version == "2026-11"
    assert "stolen-laptop-at-airport" in library.entries
    assert len(library.entries) == len(SHIPPED_PLAYBOOKS) + 1


def test_two_files_of_one_folder_may_not_claim_one_name(tmp_path: Path) -> None:
    text = Path(prepare_files.packaged_path("playbooks", "lost-device.yaml")).read_text()
    (tmp_path / "a.yaml").write_text(text)
    (tmp_path / "b.yaml").write_text(text)
    library = prepare_files.load_playbooks(tmp_path)
    [problem] = library.problems
    line = text.splitlines().index("playbook: lost-device") + 1
    assert problem.file == str(tmp_path / "b.yaml") and problem.line == line
    with pytest.raises(RuleFileError):
        library.require()


def test_a_scenario_naming_an_unknown_playbook_is_a_located_problem(tmp_path: Path) -> None:
    text = Path(prepare_files.packaged_path("scenarios", "insider-export.yaml")).read_text()
    (tmp_path / "x.yaml").write_text(
        text.replace("playbook: insider-data-theft", "playbook: no-such-playbook", 1)
    )
    playbooks = prepare_files.load_playbooks().require()
    library = prepare_files.load_scenarios(tmp_path, playbooks=playbooks.entries)
    [problem] = library.problems
    line = text.splitlines().index("playbook: insider-data-theft") + 1
    assert "no-such-playbook" in problem.message and problem.line == line


def test_the_server_cache_reads_a_changed_or_added_file_again(tmp_path: Path) -> None:
    libraries = prepare_files.Libraries(tmp_path, None)
    first = libraries.playbooks()
    assert libraries.playbooks() is first  # nothing changed: not read again
    text = Path(prepare_files.packaged_path("playbooks", "lost-device.yaml")).read_text()
    ours = tmp_path / "ours.yaml"
    ours.write_text(text.replace('version: "2026-11"', 'version: "ours-1"'))
    assert libraries.playbooks().get("lost-device").value.version == "ours-1"
    ours.write_text(text.replace('version: "2026-11"', 'version: "ours-22"'))
    assert libraries.playbooks().get("lost-device").value.version == "ours-22"
    ours.write_text("playbook: [")
    broken = libraries.playbooks()
    assert broken.problems and broken.problems[0].file == str(ours)
    assert broken.get("lost-device").packaged  # the packaged one is still there
    assert set(libraries.scenarios().entries) == SHIPPED_SCENARIOS
