"""The advisory record: read from plain data with every problem at once, written back the same,
revisions that follow CSAF's rules, and ids."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from candor.adapters.export import cvss, formats
from candor.domain.advisories import (
    AdvisoryStatus,
    EventKind,
    Status,
    candor_advisory_id,
    next_candor_advisory_id,
)
from candor.domain.advisory_dump import dump_advisory
from candor.domain.advisory_parse import parse_advisory
from candor.domain.advisory_revisions import publish
from candor.domain.errors import InvalidInput, RuleFileError

T0 = dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC)


def minimal(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": "ACME-SA-2026-001",
        "title": "Token in log",
        "description": "The agent logs the token.",
        "publisher": {"name": "ACME", "namespace": "https://acme.example"},
        "vulnerabilities": [
            {
                "cvss": ["CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"],
                "affected": [
                    {
                        "vendor": "ACME",
                        "product": "agent",
                        "ranges": [{"scheme": "semver", "introduced": "1.0.0", "fixed": "1.4.2"}],
                    }
                ],
            }
        ],
    }
    data.update(overrides)
    return data


def parse(data: Any) -> Any:
    return parse_advisory(data, scorer=cvss.score)


def problems(data: Any) -> list[str]:
    with pytest.raises(InvalidInput) as caught:
        parse(data)
    return [str(p) for p in caught.value.problems]


def test_a_minimal_advisory_reads_with_computed_scores() -> None:
    a = parse(minimal())
    assert a.status is AdvisoryStatus.DRAFT
    (v,) = a.vulnerabilities
    (score,) = v.scores
    assert (score.version.value, score.base_score, score.severity.value) == ("3.1", 9.8, "CRITICAL")
    (r,) = v.affected[0].ranges
    assert [(e.kind, e.version) for e in r.events] == [
        (EventKind.INTRODUCED, "1.0.0"),
        (EventKind.FIXED, "1.4.2"),
    ]
    assert v.affected[0].fixed_versions() == ("1.4.2",)


def test_every_problem_is_reported_at_once_with_its_path() -> None:
    data = minimal(tlp="purple", incidents=["nope"], status="published")
    v = data["vulnerabilities"][0]
    v["cve"] = "CVE-26-1"
    v["cvss"] = [
        "CVSS:3.1/AV:N",
        {"vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "score": 7.0},
    ]
    v["affected"][0]["ranges"][0]["fixed"] = 1.1
    found = problems(data)
    assert any(p.startswith("tlp: unknown value 'PURPLE'") for p in found)
    assert any(p.startswith("incidents[0]: not an incident key") for p in found)
    assert any(p.startswith("vulnerabilities[0].cve: not a CVE id") for p in found)
    assert any(p.startswith("vulnerabilities[0].cvss[0]: invalid CVSS 3.1 vector") for p in found)
    assert any("score 7.0 does not match the vector, which scores 9.8" in p for p in found)
    assert any("ranges[0].fixed: write versions in quotes" in p for p in found)
    assert any(
        p.startswith("revisions: a published advisory needs at least one revision") for p in found
    )
    assert len(found) == 7


def test_unknown_keys_are_named_with_the_allowed_ones() -> None:
    (found,) = problems(minimal(summary="x"))
    assert found.startswith("summary: unknown key 'summary' (allowed: credits")


def test_the_same_cve_twice_is_refused() -> None:
    data = minimal()
    data["vulnerabilities"] = [{"cve": "CVE-2026-1234"}, {"cve": "CVE-2026-1234"}]
    assert problems(data) == [
        "vulnerabilities[1].cve: CVE-2026-1234 is already used by vulnerability 0"
    ]


def test_revision_rules_are_csafs() -> None:
    data = minimal(
        status="published",
        revisions=[
            {"number": "1", "date": "2026-11-20T10:00:00Z", "summary": "First."},
            {"number": "3", "date": "2026-11-21T10:00:00Z", "summary": "Third."},
        ],
    )
    assert problems(data) == ["revisions: revisions between 1 and 3 are missing (CSAF 6.1.21)"]


def test_publishing_adds_a_revision_and_keeps_the_earlier_ones() -> None:
    draft = parse(minimal())
    first = publish(draft, summary="Initial publication.", now=T0)
    second = publish(first, summary="Added the fixed version for 1.x.", now=T0 + dt.timedelta(1))
    assert [r.number for r in second.revisions] == ["1", "2"]
    assert second.revisions[0] == first.revisions[0]
    assert (second.status, second.initial_release, second.current_release) == (
        AdvisoryStatus.PUBLISHED,
        T0,
        T0 + dt.timedelta(1),
    )
    assert second.version == "2"
    with pytest.raises(InvalidInput):
        publish(second, summary="Back in time.", now=T0)
    with pytest.raises(InvalidInput):
        publish(second, summary="  ", now=T0 + dt.timedelta(2))


def test_dump_then_parse_gives_the_same_advisory() -> None:
    for path in sorted((Path(__file__).parents[1] / "golden" / "advisories").glob("*.yaml")):
        advisory = formats.load_record(path)
        assert parse(dump_advisory(advisory)) == advisory


def test_ids() -> None:
    assert candor_advisory_id("acme", 2026, 7) == "ACME-SA-2026-007"
    assert (
        next_candor_advisory_id(
            "ACME", 2026, ["ACME-SA-2026-009", "ACME-SA-2025-041", "OTHER-SA-2026-100"]
        )
        == "ACME-SA-2026-010"
    )
    assert next_candor_advisory_id("ACME", 2027, []) == "ACME-SA-2027-001"
    with pytest.raises(ValueError, match="organisation"):
        candor_advisory_id("a b", 2026, 1)


def test_yaml_problems_carry_file_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "adv.yaml"
    path.write_text(
        "id: ACME-SA-2026-001\n"
        "vulnerabilities:\n"
        "  - cve: CVE-2026-12345\n"
        "    affected:\n"
        "      - vendor: ACME\n"
        "        product: agent\n"
        "        default_status: broken\n",
        encoding="utf-8",
    )
    with pytest.raises(RuleFileError) as caught:
        formats.load_record(path)
    (problem,) = caught.value.problems
    assert (problem.file, problem.line, problem.column) == (str(path), 7, 25)
    assert "unknown value 'broken'" in problem.message


def test_statuses_of_versions() -> None:
    data = minimal()
    data["vulnerabilities"][0]["affected"][0]["versions"] = [
        "1.3.9",
        {"version": "1.4.2", "status": "fixed"},
        {"version": "0.9", "status": "unaffected"},
    ]
    a = parse(data).vulnerabilities[0].affected[0]
    assert [(v.version, v.status) for v in a.versions] == [
        ("1.3.9", Status.AFFECTED),
        ("1.4.2", Status.FIXED),
        ("0.9", Status.UNAFFECTED),
    ]
