"""The impact statement: immutable versions, what changed, diffs and the Markdown export."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from candor.domain.errors import InvalidInput
from candor.domain.impact import (
    Affected,
    Confidence,
    ImpactVersion,
    Section,
    SectionText,
    diff_versions,
    first_version,
    parse_affected,
    parse_sections,
    revise,
    sections_changed_since,
    to_markdown,
)

T0 = datetime(2016, 7, 8, 9, 0, tzinfo=UTC)


def v1() -> ImpactVersion:
    sections = parse_sections(
        {
            "what_happened": {
                "text": "An attacker reached our central data store. We are investigating.",
                "confidence": "confirmed",
            },
            "what_data": {
                "text": "Customers' credentials for third-party services such as AWS.",
                "confidence": "suspected",
            },
            "not_affected": {
                "text": "User passwords are stored hashed and were not exposed.",
                "confidence": "confirmed",
            },
            "open_questions": "Whether the attacker still has a foothold. How they got in.",
        }
    )
    return first_version(
        sections=sections,
        affected=Affected(customers=None, people=None),
        author="andrew",
        now=T0,
    )


def test_a_version_cannot_be_edited_in_place() -> None:
    version = v1()
    with pytest.raises(dataclasses.FrozenInstanceError):
        version.reason = "edited"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        version.sections[0].text = "rewritten"  # type: ignore[misc]
    with pytest.raises(TypeError):
        version.sections[0] = SectionText("rewritten")  # type: ignore[index]


def test_the_first_version_marks_the_sections_it_wrote() -> None:
    version = v1()
    assert version.number == 1
    assert version.changed == {
        Section.WHAT_HAPPENED,
        Section.WHAT_DATA,
        Section.NOT_AFFECTED,
        Section.OPEN_QUESTIONS,
    }
    assert version.section("open_questions").confidence is Confidence.UNKNOWN


def test_revising_creates_the_next_version_and_names_what_changed() -> None:
    first = v1()
    sections = parse_sections(
        {"what_happened": {"confidence": "confirmed"}, "what_we_did": "Rotated our AWS keys."},
        base=first.sections,
    )
    second = revise(
        first,
        sections=sections,
        affected=Affected(customers=350, confidence=Confidence.SUSPECTED),
        author="alexis",
        now=T0 + timedelta(hours=3),
        reason="Containment done; first count of customers",
        findings=["f-1"],
    )
    assert second.number == 2
    assert second.changed == {Section.WHAT_WE_DID, Section.WHO_IS_AFFECTED}
    assert second.findings == ("f-1",)
    assert first.section("what_we_did").text == ""  # the old version is untouched
    assert sections_changed_since([first, second], 1) == second.changed
    assert sections_changed_since([first, second], 2) == frozenset()


def test_saving_without_a_change_or_a_reason_is_refused() -> None:
    first = v1()
    with pytest.raises(InvalidInput, match="nothing changed"):
        revise(first, author="alexis", now=T0 + timedelta(hours=1), reason="no-op")
    with pytest.raises(InvalidInput, match="say why"):
        revise(
            first,
            affected=Affected(people=3),
            author="alexis",
            now=T0 + timedelta(hours=1),
            reason=" ",
        )


def test_back_dated_versions_are_refused() -> None:
    with pytest.raises(InvalidInput, match="before the previous version"):
        revise(
            v1(),
            affected=Affected(people=3),
            author="alexis",
            now=T0 - timedelta(minutes=1),
            reason="back-dated",
        )


def test_section_input_problems_are_all_reported() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_sections(
            {
                "what_hapened": "typo",
                "what_data": {"text": "x", "confidence": "sure"},
                "not_affected": 42,
            }
        )
    assert [p.path for p in caught.value.problems] == [
        ("what_hapened",),
        ("what_data", "confidence"),
        ("not_affected",),
    ]
    with pytest.raises(InvalidInput):
        parse_affected({"customers": -1, "seats": 3})
    assert parse_affected({"people": 12}).people == 12


def test_diff_between_any_two_versions() -> None:
    first = v1()
    second = revise(
        first,
        sections=parse_sections(
            {
                "what_happened": (
                    "We are investigating. An attacker reached our central data store on 5 July."
                ),
                "not_affected": "User passwords are stored hashed and were not exposed.",
            },
            base=first.sections,
        ),
        affected=Affected(customers=350, confidence=Confidence.SUSPECTED),
        author="alexis",
        now=T0 + timedelta(hours=2),
        reason="Date of first access known",
    )
    result = diff_versions(first, second)
    assert result.changed_sections == (Section.WHAT_HAPPENED, Section.WHO_IS_AFFECTED)
    text = result.render()
    assert "Impact statement: version 1 → 2" in text
    assert "## What happened" in text
    # moved and edited at once: shown as deleted here and inserted there (moves are exact)
    assert (
        "[-An attacker reached our central data store.-] We are investigating. "
        "{+An attacker reached our central data store on 5 July.+}"
    ) in text
    assert "counts: customers not known yet, people not known yet (unknown) → " in text
    assert "## What is not affected" not in text
    # the other direction works too
    assert diff_versions(second, first).changed_sections == result.changed_sections
    data = result.as_dict()
    assert data["changed_sections"] == ["what_happened", "who_is_affected"]
    assert [c["op"] for c in data["sections"]["what_happened"]["changes"]] == [
        "delete",
        "equal",
        "insert",
    ]


def test_a_moved_sentence_between_versions_shows_as_a_move() -> None:
    first = v1()
    second = revise(
        first,
        sections=parse_sections(
            {"open_questions": "How they got in. Whether the attacker still has a foothold."},
            base=first.sections,
        ),
        author="andrew",
        now=T0 + timedelta(hours=1),
        reason="Reordered by priority",
    )
    rendered = diff_versions(first, second).render()
    assert "[>1 " in rendered
    assert "{>1 " in rendered
    assert "[-" not in rendered


def test_markdown_export() -> None:
    text = to_markdown(v1(), incident_key="INC-2016-1", title="Credentials store breach")
    assert text.startswith("# Impact statement — INC-2016-1: Credentials store breach\n")
    assert "Version 1, 2016-07-08 09:00 UTC, by andrew. Reason: First impact statement" in text
    assert "## What is not affected (confirmed)\n\nUser passwords are stored hashed" in text
    assert (
        "## Who is affected (unknown)\n\nCustomers: not known yet. People: not known yet." in text
    )
    assert "## What customers should do (unknown)\n\n_Not known yet._" in text
