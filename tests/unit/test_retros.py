"""Retros: five-whys chains, nudges, blameless hints, action items and the review workflow."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from candor.adapters.retro_rules import default_policy, load_policy
from candor.domain import fivewhys, retros
from candor.domain.errors import IllegalTransition, InvalidInput, RuleFileError
from candor.domain.fivewhys import Why, WhyChain
from candor.domain.milestones import Milestone, moments
from candor.domain.retros import RetroStatus
from tests.learn_story import story, t, written_retro

PEOPLE = ["alice", "bob.jones", "carol", "dave"]


def chain(*becauses: str, problem: str = "Something broke") -> WhyChain:
    return WhyChain(problem, tuple(Why(f"Why {i}?", b) for i, b in enumerate(becauses)))


def test_the_talks_token_chain_gets_no_nudge() -> None:
    parsed = written_retro(story()).chains[0]
    assert parsed.depth == 4
    assert parsed.root_cause is not None
    assert parsed.root_cause.startswith("Tokens were the wrong mechanism")
    assert fivewhys.nudges([parsed], default_policy()) == []


def test_a_chain_that_stops_at_the_first_level_is_nudged() -> None:
    found = fivewhys.nudges([chain("No review caught it")], default_policy())
    assert [(n.code, n.chain) for n in found] == [("stops-early", 0)]
    assert "ask why again" in found[0].message


@pytest.mark.parametrize(
    "cause",
    [
        "Human error",
        "The engineer forgot to remove it",
        "a careless mistake during the release",
        "Simple carelessness",
        "operator error at 3am",
    ],
)
def test_a_chain_ending_at_a_person_is_nudged(cause: str) -> None:
    found = fivewhys.nudges([chain("No review caught it", cause)], default_policy())
    assert [n.code for n in found] == ["ends-at-person"]


def test_a_person_cause_in_the_middle_of_a_chain_is_not_a_stop() -> None:
    # Only the last answer is where the team stopped; an early "mistake" that was dug into is fine
    deep = chain("A mistake in the config", "No check validates configs", "Nobody owns the tool")
    assert fivewhys.nudges([deep], default_policy()) == []


def test_words_match_whole_words_only() -> None:
    # "unforgotten" and "mistakenly-free" are not the listed words; "forgotten" alone is
    assert fivewhys.nudges([chain("x", "The unforgotten lesson")], default_policy()) == []
    assert fivewhys.nudges([chain("x", "It was forgotten")], default_policy())


def test_names_of_people_in_causes_are_flagged_with_the_field() -> None:
    retro = written_retro(story())
    retro = retros.revise(
        retro,
        {
            "contributing_factors": ["Bob Jones pushed without review", "The token had no expiry"],
            "went_poorly": ["Carol's pager was silent"],
        },
        now=t(6, 10),
    )
    review = retros.review(retro, default_policy(), people=PEOPLE)
    named = [(h.field, h.text) for h in review.hints if h.code == "names-person"]
    assert ("contributing_factors[0]", "Bob Jones") in named
    assert ("went_poorly[0]", "Carol") in named
    assert not any(f == "contributing_factors[1]" for f, _ in named)


def test_blaming_phrases_are_flagged_with_a_suggestion() -> None:
    retro = written_retro(story())
    retro = retros.revise(
        retro, {"contributing_factors": ["The on-call engineer should have known"]}, now=t(6, 10)
    )
    hints = retros.review(retro, default_policy(), people=PEOPLE).hints
    blaming = [h for h in hints if h.code == "blaming-phrase"]
    assert blaming
    assert blaming[0].field == "contributing_factors[0]"
    assert "information was missing" in blaming[0].message


def test_short_name_parts_do_not_flag_ordinary_words() -> None:
    # a user "al.x" must not flag "all" or "also"; the full handle still counts
    patterns = fivewhys.person_patterns(["al.x"])
    texts = [("f", "All alerts also fired"), ("g", "al.x restarted it")]
    hints = fivewhys.blameless_hints(texts, default_policy(), people=["al.x"])
    assert patterns
    assert [h.field for h in hints] == ["g"]


def test_every_problem_in_a_retro_is_reported_at_once() -> None:
    retro = written_retro(story())
    with pytest.raises(InvalidInput) as caught:
        retros.revise(
            retro,
            {
                "chains": [{"problem": "", "steps": [{"why": "Why?", "because": ""}]}],
                "action_items": [
                    {"title": "", "kind": "fix", "owner": "Bob Smith", "due_on": "next week"},
                    {"title": "Ok", "kind": "detect", "tracker_url": "ftp://x"},
                ],
                "owner": "x",
            },
            now=t(6, 10),
        )
    fields = {p.field for p in caught.value.problems}
    assert fields >= {
        "chains[0].problem",
        "chains[0].steps[0].because",
        "action_items[0].title",
        "action_items[0].kind",
        "action_items[0].owner",
        "action_items[0].due_on",
        "action_items[1].tracker_url",
        "owner",
    }


def test_review_needs_owners_and_due_dates() -> None:
    s = story()
    retro = written_retro(s)
    retro = retros.add_action_item(retro, title="Write the runbook", kind="process", now=t(6, 10))
    with pytest.raises(InvalidInput) as caught:
        retros.set_status(retro, "in_review", by="carol", now=t(6, 11))
    assert {p.field for p in caught.value.problems} == {
        "action_items[3].owner",
        "action_items[3].due_on",
    }


def test_status_moves_draft_review_published_and_then_is_the_record() -> None:
    retro = written_retro(story())
    reviewed = retros.set_status(retro, "in_review", by="carol", now=t(6, 11))
    back = retros.set_status(reviewed, "draft", by="alice", now=t(6, 12))
    assert back.status is RetroStatus.DRAFT
    published = retros.set_status(reviewed, "published", by="alice", now=t(7, 9))
    assert published.status is RetroStatus.PUBLISHED
    assert published.published_at == t(7, 9)
    assert [s for s, _, _ in published.status_history] == list(RetroStatus)
    with pytest.raises(IllegalTransition):
        retros.revise(published, {"summary": "rewritten"}, now=t(8, 9))
    with pytest.raises(IllegalTransition):
        retros.set_status(retro, "published", by="alice", now=t(6, 11))
    # owners still close their items after publication
    done = retros.set_action_status(published, 1, "done", now=t(9, 9))
    assert done.action_items[0].status.value == "done"
    assert retro.status is RetroStatus.DRAFT  # nothing was changed in place


def test_action_items_are_numbered_and_overdue_by_utc_day() -> None:
    retro = written_retro(story())
    retro = retros.add_action_item(
        retro, title="Runbook", kind="process", owner="alice", due_on=date(2026, 3, 20), now=t(6, 9)
    )
    assert [a.seq for a in retro.action_items] == [1, 2, 3, 4]
    item = retro.action_items[0]
    assert item.due_on == date(2026, 3, 20)
    assert not item.is_overdue(t(20, 23, 59))
    assert item.is_overdue(t(21, 0, 0))
    assert not replace(item, status=retros.ActionStatus.DONE).is_overdue(t(30, 0))


def test_the_retro_timeline_marks_milestones_in_utc_order() -> None:
    s = story()
    found = moments(
        s.incident,
        s.entries,
        communications=s.communications,
        obligations=s.obligations,
        first_activity_at=t(1, 22, 15),
    )
    items = retros.timeline_from(s.entries, [2, 4], found)
    marks = [i.milestone for i in items if i.milestone]
    assert marks == [
        Milestone.FIRST_ACTIVITY,
        Milestone.DETECTION,
        Milestone.DECLARATION,
        Milestone.LEAD_ASSIGNED,
        Milestone.CONTAINMENT,
        Milestone.FIRST_CUSTOMER_COMMUNICATION,
        Milestone.FILING,
        Milestone.FILING,
    ]
    assert [i.entry for i in items if i.entry] == [2, 4]
    assert [i.at for i in items] == sorted(i.at for i in items)
    with pytest.raises(InvalidInput, match="#99"):
        retros.timeline_from(s.entries, [99])


def test_the_shipped_policy_file_loads_and_a_broken_one_names_lines(tmp_path: Path) -> None:
    assert default_policy().min_depth == 2
    bad = tmp_path / "blameless.yaml"
    bad.write_text(
        "min_depth: 0\nshallow_causes:\n  - phrase: ''\nblaming_phrases:\n"
        "  - phrase: lazy\nextra: 1\n",
        encoding="utf-8",
    )
    with pytest.raises(RuleFileError) as caught:
        load_policy(bad)
    where = {(p.line, p.location().split(" ")[-1]) for p in caught.value.problems}
    assert (1, "min_depth") in where
    assert (3, "shallow_causes[0].phrase") in where
    assert (5, "blaming_phrases[0].suggestion") in where
    assert (6, "extra") in where


why_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)


@settings(max_examples=60, deadline=None)
@given(
    problem=why_text,
    steps=st.lists(st.tuples(why_text, why_text), max_size=14),
)
def test_chain_validation_names_exactly_the_bad_fields(
    problem: str, steps: list[tuple[str, str]]
) -> None:
    data = {"problem": problem, "steps": [{"why": w, "because": b} for w, b in steps]}
    expected = set()
    if not problem.strip() or "\x00" in problem:
        expected.add("chains[0].problem")
    if not steps or len(steps) > fivewhys.CHAIN_STEPS_MAX:
        expected.add("chains[0].steps")
    for i, (w, b) in enumerate(steps):
        if not w.strip() or "\x00" in w:
            expected.add(f"chains[0].steps[{i}].why")
        if not b.strip() or "\x00" in b:
            expected.add(f"chains[0].steps[{i}].because")
    retro = retros.new_retro(id=uuid.uuid4(), incident=story().incident, by="carol", now=t(6, 9))
    if expected:
        with pytest.raises(InvalidInput) as caught:
            retros.revise(retro, {"chains": [data]}, now=t(6, 9))
        assert {p.field for p in caught.value.problems} == expected
    else:
        result = retros.revise(retro, {"chains": [data]}, now=t(6, 9))
        parsed = result.chains[0]
        assert parsed.depth == len(steps)
        nudged = {n.code for n in fivewhys.nudges(result.chains, default_policy())}
        assert ("stops-early" in nudged) == (len(steps) < 2)
