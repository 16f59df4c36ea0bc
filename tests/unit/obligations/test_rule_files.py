"""The built-in rule files: every one loads, every reference row is transcribed, the core facts
agree with the reference table, and a broken file reports all its problems with file:line."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml

from candor.adapters import rules as rule_files
from candor.domain.errors import RuleFileError
from candor.domain.obligations.vocabulary import RuleKind, Unit
from tests.conftest import SHARED
from tests.unit.obligations.support import builtin

HERE = Path(__file__).parent
REFERENCE_IDS = HERE.joinpath("reference_ids.txt").read_text().split()
REFERENCE = SHARED / "reference" / "notification-obligations.yaml"
FILES = rule_files.rule_files(rule_files.builtin_dir())
# Rules split from a reference row for a recipient the row's deadline is not about.
OWN_PERIOD = {
    "uk-pecr-5a-subscribers": "the row's 72 hours are the ICO's; subscribers: without undue delay",
    "us-fcc-cpni-customers": "the row's 7 business days are the agencies'; customers follow them",
    "us-ftc-hbnr-ftc-annual": "the annual log for fewer than 500 (timing UNVERIFIED in the row)",
}


def test_the_reference_list_has_its_237_ids() -> None:
    assert len(REFERENCE_IDS) == 237
    assert len(set(REFERENCE_IDS)) == 237


def test_every_reference_row_is_transcribed_and_nothing_else_claims_to_be() -> None:
    transcribed = {rule.reference for rule in builtin().all()}
    assert sorted(set(REFERENCE_IDS) - transcribed) == []
    assert sorted(transcribed - set(REFERENCE_IDS)) == []


def test_one_file_per_regime_and_the_54_us_state_level_jurisdictions() -> None:
    regimes = Counter(rule.regime for rule in builtin().all())
    assert len({rule.file for rule in builtin().all()}) == len(FILES) == len(regimes)
    states = [name for name in regimes if name.startswith("us-state-")]
    assert len(states) == 54


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_each_file_loads_on_its_own_terms(path: Path) -> None:
    """Each file parses, its regime is its file name, and its rules are reviewed and cited."""
    rules = [rule for rule in builtin().all() if rule.file.endswith(path.name)]
    assert rules, f"{path.name} has no rules"
    for rule in rules:
        assert rule.regime == path.stem
        assert rule.citation
        assert rule.sources, f"{rule.id} cites no source"
        assert rule.last_reviewed.isoformat() == "2026-11-22"


@pytest.mark.skipif(not REFERENCE.exists(), reason=f"reference table not found at {REFERENCE}")
def test_core_facts_agree_with_the_reference_table() -> None:
    """Deadline amount and unit, the verified flag and the citation are transcribed exactly.
    Where a row's law changed, the current version must agree; earlier versions and the rows
    split into several recipients are listed in the rule file."""
    reference = {row["id"]: row for row in yaml.safe_load(REFERENCE.read_text())["obligations"]}
    checked = 0
    for rule_id, versions in builtin().versions.items():
        current = versions[-1]
        row = reference[current.reference]
        assert current.verified is bool(row["verified"]), rule_id
        if current.kind is RuleKind.DELAY_RULE:
            continue  # its period is applied through the rules it delays (see its notes)
        if current.reference_id is None:
            assert current.citation == str(row["citation"]), rule_id
        period = current.deadline.period
        unit = period.unit if period else Unit.NONE
        amount = period.amount if period else None
        if rule_id in OWN_PERIOD:
            continue
        assert (amount, unit.value) == (row["deadline"]["amount"], row["deadline"]["unit"]), rule_id
        checked += 1
    assert checked >= 240


@pytest.mark.skipif(not REFERENCE.exists(), reason=f"reference table not found at {REFERENCE}")
def test_unverified_rows_stay_unverified() -> None:
    rows = yaml.safe_load(REFERENCE.read_text())["obligations"]
    unverified = {row["id"] for row in rows if not row["verified"]}
    assert len(unverified) == 21
    for rule in builtin().all():
        if rule.reference in unverified:
            assert rule.verified is False, rule.id


@pytest.mark.skipif(not REFERENCE.exists(), reason=f"reference table not found at {REFERENCE}")
def test_details_the_reference_marks_unverified_are_marked_in_the_rule() -> None:
    rows = {row["id"]: row for row in yaml.safe_load(REFERENCE.read_text())["obligations"]}
    for rule in builtin().all():
        row = rows[rule.reference]
        if rule.reference_id is not None:
            continue
        for field, name in (("content_required", "content_required"), ("standard", "standard")):
            if "UNVERIFIED" in str(row[field]) and rule.effective_until is None:
                assert name in rule.unverified, (rule.id, name)


def test_a_broken_rule_file_reports_every_problem_with_file_and_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "regime: broken\n"
        "jurisdiction: US-ZZ\n"
        "last_reviewed: 2026-11-22\n"
        "rules:\n"
        "  - id: us-ca-individuals\n"  # already defined in us-state-ca.yaml
        "    law: L\n"
        "    citation: C\n"
        "    recipient_category: authority\n"
        "    recipient: R\n"
        "    verified: true\n"
        "    conditions:\n"
        "      - {type: obligation, rule: no-such-rule}\n"
        "    deadline: {amount: 2, unit: fortnights, trigger: aware_at}\n"
        "  - id: broken-two\n"
        "    law: L\n"
        "    citation: C\n"
        "    recipient: R\n"
        "    verified: yes please\n"
        "    deadline: {unit: none, trigger: aware_at}\n"
    )
    with pytest.raises(RuleFileError) as caught:
        rule_files.load([*FILES, broken])
    problems = caught.value.problems
    assert len(problems) >= 5
    for problem in problems:
        assert problem.file is not None, str(problem)
        assert problem.file.endswith("broken.yaml"), str(problem)
        assert problem.line is not None, str(problem)
    text = "\n".join(str(p) for p in problems)
    assert "unknown subdivision 'US-ZZ'" in text
    assert "'fortnights'" in text
    assert "'recipient_category' is required" in text
    assert "true or false" in text
    assert "needs its 'standard'" in text


def test_yaml_syntax_errors_are_located(tmp_path: Path) -> None:
    broken = tmp_path / "syntax.yaml"
    broken.write_text("regime: x\nrules:\n  - id: [unclosed\n")
    with pytest.raises(RuleFileError) as caught:
        rule_files.load([broken])
    [problem] = caught.value.problems
    assert problem.file is not None
    assert problem.file.endswith("syntax.yaml")
    assert problem.line == 4
