"""The word-level diff: insertions, deletions, moved sentences, and exact round trips."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from candor.domain.textdiff import Change, Op, diff, sentences

BEFORE = (
    "An attacker used a stolen key. We rotated all keys. Customers were not affected. "
    "We do not know how the key was taken."
)


def test_identical_texts_have_no_changes() -> None:
    result = diff(BEFORE, BEFORE)
    assert not result.changed
    assert [c.op for c in result.changes] == [Op.EQUAL]
    assert diff("", "").changes == ()


def test_inserted_words_are_marked() -> None:
    result = diff("We rotated all keys.", "We rotated all AWS keys on Saturday.")
    assert result.render() == "We rotated all {+AWS+} keys {+on Saturday+}."
    assert result.counts() == {"inserted": 3, "deleted": 0, "moved": 0}


def test_deleted_words_are_marked() -> None:
    result = diff("Customers were probably not affected.", "Customers were not affected.")
    assert result.render() == "Customers were [-probably-] not affected."
    assert result.counts()["deleted"] == 1


def test_replaced_phrases_read_as_one_change() -> None:
    result = diff("We do not know how.", "We are still investigating how.")
    assert result.render() == "We [-do not know-]{+are still investigating+} how."


def test_a_moved_sentence_is_a_move_not_a_delete_and_insert() -> None:
    after = (
        "We rotated all keys. Customers were not affected. An attacker used a stolen key. "
        "We do not know how the key was taken."
    )
    result = diff(BEFORE, after)
    ops = [c.op for c in result.changes]
    assert Op.DELETE not in ops
    assert Op.INSERT not in ops
    moved_from = [c for c in result.changes if c.op is Op.MOVED_FROM]
    moved_to = [c for c in result.changes if c.op is Op.MOVED_TO]
    assert len(moved_from) == len(moved_to) == 1
    assert moved_from[0].move == moved_to[0].move == 1
    assert moved_from[0].old.strip() == moved_to[0].new.strip() == "An attacker used a stolen key."
    assert result.render() == (
        "[>1 An attacker used a stolen key.<] We rotated all keys. Customers were not affected. "
        "{>1 An attacker used a stolen key.<} We do not know how the key was taken."
    )
    assert result.counts() == {"inserted": 0, "deleted": 0, "moved": 1}


def test_moves_and_edits_together() -> None:
    after = (
        "We rotated all keys. An attacker used a stolen key. Customers were not affected. "
        "We are still investigating how the key was taken."
    )
    result = diff(BEFORE, after)
    rendered = result.render()
    # two neighbours swapped: either may be the one that moved, but only one moves
    (moved,) = [c.new.strip() for c in result.changes if c.op is Op.MOVED_TO]
    assert moved in ("An attacker used a stolen key.", "We rotated all keys.")
    assert f"[>1 {moved}<]" in rendered
    assert f"{{>1 {moved}<}}" in rendered
    assert "[-do not know-]{+are still investigating+}" in rendered


def test_a_moved_paragraph_line_keeps_its_line_break() -> None:
    before = "First line.\nSecond line.\nThird line.\n"
    after = "Second line.\nThird line.\nFirst line.\n"
    result = diff(before, after)
    assert result.new_text() == after
    assert [c.op for c in result.changes] == [Op.MOVED_FROM, Op.EQUAL, Op.MOVED_TO]


def test_spacing_changes_alone_are_not_shown_as_edits() -> None:
    result = diff("One.  Two.", "One. Two.")
    assert result.render() == "One. Two."
    assert result.old_text() == "One.  Two."


def test_sentences_join_back_exactly() -> None:
    text = 'He said "stop." Then left!  Really? Yes\nnew line. End'
    assert "".join(sentences(text)) == text
    assert sentences(text)[0] == 'He said "stop." '


def test_structured_output_for_renderers() -> None:
    data = diff("a b", "a c").as_list()
    assert data == [
        {"op": "equal", "old": "a ", "new": "a ", "move": None},
        {"op": "delete", "old": "b", "new": "", "move": None},
        {"op": "insert", "old": "", "new": "c", "move": None},
    ]
    assert Change(Op.EQUAL, "x", "x") == Change(Op.EQUAL, "x", "x")


WORDS = st.sampled_from(
    ["key", "attacker", "customers", "rotated", "we", "data", "not", "AWS", "July", "the", "1,200"]
)
SENTENCE = st.lists(WORDS, min_size=1, max_size=6).map(lambda ws: " ".join(ws) + ".")
TEXT = st.lists(SENTENCE, max_size=8).map(" ".join) | st.text(max_size=80)


@given(TEXT, TEXT)
def test_the_diff_reconstructs_both_texts(old: str, new: str) -> None:
    result = diff(old, new)
    assert result.old_text() == old
    assert result.new_text() == new


@given(TEXT)
def test_the_diff_of_identical_texts_is_empty(text: str) -> None:
    assert not diff(text, text).changed


@given(st.lists(SENTENCE, min_size=2, max_size=6, unique=True), st.data())
def test_reordering_sentences_is_only_moves(items: list[str], data: st.DataObject) -> None:
    order = data.draw(st.permutations(items))
    old, new = " ".join(items), " ".join(order)
    result = diff(old, new)
    assert {c.op for c in result.changes} <= {
        Op.EQUAL,
        Op.MOVED_FROM,
        Op.MOVED_TO,
        Op.INSERT,
        Op.DELETE,
    }
    # words are never reported as inserted or deleted when only the order changed
    assert all(not c.new.strip() for c in result.changes if c.op is Op.INSERT)
    assert all(not c.old.strip() for c in result.changes if c.op is Op.DELETE)
    assert result.new_text() == new
