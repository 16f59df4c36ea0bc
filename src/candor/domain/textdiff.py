"""A readable word-level diff that recognises moved sentences.

Counsel and customers are told things based on the impact statement, so every change between two
versions must be visible, and a sentence that only moved must not look like one deleted and a new
one written. The diff works in two passes over ``difflib`` (no home-made LCS):

1. sentences: ``SequenceMatcher`` over the two lists of sentences finds the unchanged ones; a
   sentence deleted in one place and inserted in another (same words, whitespace aside) is a
   *move*, shown once at each end with the same move number;
2. words: what is left between moves is compared word by word (words, punctuation and whitespace
   are separate tokens, so joining the tokens gives the text back exactly).

The result is a list of operations, each with the old and the new text it covers. Keeping the old
side of every operation gives the old text, keeping the new side gives the new text; Hypothesis
checks both. Renderers (terminal, HTML) only choose how to show each kind of operation.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from enum import StrEnum


class Op(StrEnum):
    EQUAL = "equal"
    INSERT = "insert"
    DELETE = "delete"
    MOVED_FROM = "moved_from"  # where a moved sentence was
    MOVED_TO = "moved_to"  # where it went


@dataclass(frozen=True, slots=True)
class Change:
    op: Op
    old: str  # text this operation covers in the old version ("" for insert / moved_to)
    new: str  # text this operation covers in the new version ("" for delete / moved_from)
    move: int | None = None  # pairs moved_from with moved_to


@dataclass(frozen=True, slots=True)
class TextDiff:
    changes: tuple[Change, ...]

    @property
    def changed(self) -> bool:
        return any(c.op is not Op.EQUAL for c in self.changes)

    def old_text(self) -> str:
        return "".join(c.old for c in self.changes)

    def new_text(self) -> str:
        return "".join(c.new for c in self.changes)

    def counts(self) -> dict[str, int]:
        """Words inserted and deleted, and sentences moved: a one-line summary for lists."""
        out = {"inserted": 0, "deleted": 0, "moved": 0}
        for c in self.changes:
            if c.op is Op.INSERT:
                out["inserted"] += len(_WORD.findall(c.new))
            elif c.op is Op.DELETE:
                out["deleted"] += len(_WORD.findall(c.old))
            elif c.op is Op.MOVED_TO:
                out["moved"] += 1
        return out

    def as_list(self) -> list[dict[str, object]]:
        return [
            {"op": c.op.value, "old": c.old, "new": c.new, "move": c.move} for c in self.changes
        ]

    def render(self) -> str:
        """Plain-text markup in the style of ``git diff --word-diff``: ``[-gone-]``,
        ``{+new+}``, and ``[>1 moved sentence<]`` / ``{>1 moved sentence<}`` for a move."""
        parts: list[str] = []
        for c in self.changes:
            if c.op is Op.EQUAL:
                parts.append(c.new)
            elif c.op is Op.DELETE:
                # a change of spacing alone is not worth a marker: show the new layout
                parts.append("" if c.old.isspace() else _wrap("[-", c.old, "-]"))
            elif c.op is Op.INSERT:
                parts.append(c.new if c.new.isspace() else _wrap("{+", c.new, "+}"))
            elif c.op is Op.MOVED_FROM:
                parts.append(_wrap(f"[>{c.move} ", c.old, "<]"))
            else:
                parts.append(_wrap(f"{{>{c.move} ", c.new, "<}"))
        return "".join(parts)


def _wrap(left: str, text: str, right: str) -> str:
    # keep surrounding whitespace outside the markers so the layout survives
    core = text.strip()
    lead = text[: len(text) - len(text.lstrip())]
    trail = text[len(lead) + len(core) :]
    return f"{lead}{left}{core}{right}{trail}"


_WORD = re.compile(r"\w+", re.UNICODE)
_TOKEN = re.compile(r"\s+|\w+|[^\w\s]", re.UNICODE)
# a sentence ends at . ! or ? (with closing quotes or brackets) followed by whitespace, or at a
# line break; the whitespace stays with the sentence before it, so sentences join back exactly
_SENTENCE_END = re.compile(r"[.!?]+[\"'”’)\]]*\s+|\n\s*")


def sentences(text: str) -> list[str]:
    out: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        out.append(text[start : match.end()])
        start = match.end()
    if start < len(text):
        out.append(text[start:])
    return out


def _key(sentence: str) -> str:
    return " ".join(sentence.split())


def diff(old: str, new: str) -> TextDiff:
    old_s, new_s = sentences(old), sentences(new)
    matcher = difflib.SequenceMatcher(
        None, [_key(x) for x in old_s], [_key(x) for x in new_s], autojunk=False
    )
    opcodes = matcher.get_opcodes()

    # sentences outside the unchanged blocks, by side; a move pairs one of each with equal words
    removed = [
        i for tag, i1, i2, _, _ in opcodes if tag in ("delete", "replace") for i in range(i1, i2)
    ]
    added = [
        j for tag, _, _, j1, j2 in opcodes if tag in ("insert", "replace") for j in range(j1, j2)
    ]
    moved_old: dict[int, int] = {}
    moved_new: dict[int, int] = {}
    waiting: dict[str, list[int]] = {}
    for j in added:
        key = _key(new_s[j])
        if _WORD.search(key):  # blank lines and lone punctuation are not worth calling a move
            waiting.setdefault(key, []).append(j)
    number = 0
    for i in removed:
        candidates = waiting.get(_key(old_s[i]))
        if candidates:
            number += 1
            moved_old[i] = number
            moved_new[candidates.pop(0)] = number

    changes: list[Change] = []
    for tag, i1, i2, j1, j2 in opcodes:
        if tag == "equal":
            left, right = "".join(old_s[i1:i2]), "".join(new_s[j1:j2])
            if left == right:
                _append(changes, Change(Op.EQUAL, left, right))
            else:  # same words, different spacing: show just that
                for change in _words(left, right):
                    _append(changes, change)
            continue
        i, j = i1, j1
        while i < i2 or j < j2:
            run_old: list[str] = []
            while i < i2 and i not in moved_old:
                run_old.append(old_s[i])
                i += 1
            run_new: list[str] = []
            while j < j2 and j not in moved_new:
                run_new.append(new_s[j])
                j += 1
            for change in _words("".join(run_old), "".join(run_new)):
                _append(changes, change)
            if i < i2:
                changes.append(Change(Op.MOVED_FROM, old_s[i], "", moved_old[i]))
                i += 1
            if j < j2:
                changes.append(Change(Op.MOVED_TO, "", new_s[j], moved_new[j]))
                j += 1
    return TextDiff(tuple(changes))


def _words(old: str, new: str) -> list[Change]:
    if not old and not new:
        return []
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    raw: list[Change] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        left, right = "".join(a[i1:i2]), "".join(b[j1:j2])
        if tag == "equal":
            raw.append(Change(Op.EQUAL, left, right))
        else:
            if left:
                raw.append(Change(Op.DELETE, left, ""))
            if right:
                raw.append(Change(Op.INSERT, "", right))
    return _phrases(raw)


def _phrases(raw: list[Change]) -> list[Change]:
    """Join changes separated only by spaces into one phrase: "[-do not know-]{+are still
    investigating+}" reads better than three one-word swaps."""
    out: list[Change] = []
    run: list[Change] = []

    def flush() -> None:
        trailing: list[Change] = []
        while run and run[-1].op is Op.EQUAL:  # spaces after the last change end the phrase
            trailing.insert(0, run.pop())
        old = "".join(c.old for c in run)
        new = "".join(c.new for c in run)
        if old.strip() and new.strip():
            out.extend((Change(Op.DELETE, old, ""), Change(Op.INSERT, "", new)))
        else:
            out.extend(run)  # insert-only or delete-only: keep the spaces as they were
        out.extend(trailing)
        run.clear()

    for change in raw:
        if change.op is Op.EQUAL and not (
            run and change.old.isspace() and change.old == change.new
        ):
            flush()
            out.append(change)
        else:
            run.append(change)
    flush()
    return out


def _append(changes: list[Change], change: Change) -> None:
    """Merge neighbours of the same kind so renderers see whole phrases, not single tokens."""
    if not change.old and not change.new:
        return
    if changes and change.move is None and changes[-1].op is change.op and changes[-1].move is None:
        last = changes[-1]
        changes[-1] = Change(last.op, last.old + change.old, last.new + change.new)
    else:
        changes.append(change)
