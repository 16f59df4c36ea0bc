"""Answers and policy files: parsed all at once, each problem with file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from candor.adapters.rules_files import load_answers, load_triage_policy, packaged_path
from candor.domain.errors import InvalidInput, RuleFileError
from candor.domain.triage import Confirmation, Tri, parse_answers
from candor.domain.triage_policy import evaluate, questions_used
from candor.domain.triage_policy_parse import parse_policy
from candor.domain.vocabulary import Kind, Severity


def test_answers_accept_yaml_booleans_and_infer_personal_data_from_elements() -> None:
    answers = parse_answers(
        {"attacker_active": False, "data_elements": ["email_address"], "access": "Suspected"}
    )
    assert answers.attacker_active is Tri.NO
    assert answers.personal_data is Tri.YES
    assert answers.access is Confirmation.SUSPECTED
    assert "personal_data" not in answers.unanswered()


def test_answers_report_every_problem() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_answers(
            {
                "acess": "confirmed",
                "access": "maybe",
                "data_elements": ["ssn", "shoe_size"],
                "people_affected": "lots",
            }
        )
    paths = [p.path for p in caught.value.problems]
    assert paths == [("acess",), ("access",), ("data_elements", 1), ("people_affected",)]


def test_answers_refuse_contradictions() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_answers(
            {
                "personal_data": "no",
                "data_elements": ["name"],
                "access": "ruled_out",
                "exfiltration": "confirmed",
            }
        )
    assert {p.path for p in caught.value.problems} == {("data_elements",), ("exfiltration",)}


def test_counts_accept_separators_and_unknown() -> None:
    answers = parse_answers({"people_affected": "12,500", "customers_affected": "unknown"})
    assert answers.people_affected == 12_500
    assert answers.customers_affected is None


def test_answers_file_problems_have_lines(tmp_path: Path) -> None:
    path = tmp_path / "answers.yaml"
    path.write_text("access: confirmed\npersonal_data: perhaps\naccess: suspected\n")
    with pytest.raises(RuleFileError) as caught:
        load_answers(path)
    located = {(p.line, p.message.split(" ")[0]) for p in caught.value.problems}
    assert (3, "duplicate") in located
    assert (2, "unknown") in located


def test_the_packaged_policy_file_is_in_the_package() -> None:
    path = packaged_path("triage", "policy.yaml")
    assert path.is_file()
    assert "policy: candor-default" in path.read_text()


def test_an_organisation_policy_replaces_the_default(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(
        "policy: acme\nversion: '1'\ndefaults: {kind: event, severity: SEV3}\nrules:\n"
        "  - id: any-access\n    title: Any hint of access\n"
        "    when: {access: {at_least: unknown}}\n"
        "    then: {kind: security_incident, severity: SEV2}\n"
    )
    policy = load_triage_policy(path)
    assert policy.name == "acme"
    result = evaluate(policy, parse_answers({}))
    # this cautious organisation treats "we don't know" about access as an incident
    assert (result.kind, result.severity) == (Kind.SECURITY_INCIDENT, Severity.SEV2)
    assert questions_used(policy) == ["access"]


BAD_POLICY = """\
policy: broken
rules:
  - id: Bad Id
    title: ""
    when:
      not: {access: {at_least: confirmed}}
    then: {kind: breach}
  - id: ok-rule
    title: fine
    when:
      all:
        - shoe_size: {at_least: 3}
        - customer_secrets: {at_least: tokens}
        - people_affected: {at_least: -1}
    then: {severity: SEV9, raise_severity: 7}
  - id: ok-rule
    title: again
    when: {access: {at_least: confirmed}}
    then: {severity: SEV1}
kind_precedence: [event, event]
"""


def test_a_broken_policy_reports_all_problems_with_lines(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(BAD_POLICY)
    with pytest.raises(RuleFileError) as caught:
        load_triage_policy(path)
    problems = caught.value.problems
    by_line = {(p.line, p.message.split(";")[0]) for p in problems}
    assert all(p.file == str(path) for p in problems)
    expected = {
        (1, "is required"),  # version: reported at the document, which lacks the key
        (3, "needs an id of lower-case letters, digits, '-', '_' or '.'"),
        (4, "needs a title"),
        (6, "'not' is not allowed: a more worrying answer must never lower the result"),
        (7, "unknown value 'breach'"),
        (12, "unknown question 'shoe_size'"),
        (13, "test 'at_least' does not apply to customer_secrets"),
        (14, "must be a whole number ≥ 0"),
        (15, "unknown value 'SEV9'"),
        (15, "must be a whole number from 1 to 3"),
        (16, "duplicate rule id 'ok-rule'"),
        (20, "must name every kind exactly once, least serious first"),
    }
    missing = expected - by_line
    assert not missing, f"missing: {missing}\n got: {sorted(by_line, key=str)}"


def test_policy_must_be_a_mapping() -> None:
    with pytest.raises(InvalidInput):
        parse_policy(["not", "a", "mapping"])
