"""Five-whys chains and the blameless-language checks that keep a retro honest and useful.

A chain starts from a problem ("a token was pushed to a public repository") and asks why, then why
again of each answer. The first answer is rarely the one worth fixing: the talk's example goes
token → no review caught it → no tool checks for it → nobody was trained → tokens were the wrong
mechanism. So Candor *nudges* (never blocks) when a chain stops at the first level, or ends at a
cause that names a failing person ("human error", "forgot", "careless") instead of the system that
let the error through. The words are data (``rules/retros/blameless.yaml``) so a team can tune them;
``policy_from_dict`` checks that file and reports every problem with its path.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from candor.domain.errors import Problem

WHY_MAX = 2_000
CHAIN_STEPS_MAX = 12  # five is a habit, not a law; past a dozen the chain is a different document


@dataclass(frozen=True, slots=True)
class Why:
    """One level: the question asked and the answer found."""

    why: str
    because: str


@dataclass(frozen=True, slots=True)
class WhyChain:
    problem: str
    steps: tuple[Why, ...]

    @property
    def depth(self) -> int:
        return len(self.steps)

    @property
    def root_cause(self) -> str | None:
        """The last answer: where the team stopped asking."""
        return self.steps[-1].because if self.steps else None


@dataclass(frozen=True, slots=True)
class ShallowCause:
    """A cause that stops at a person; ``pattern`` is matched as whole words, case-insensitive."""

    phrase: str
    pattern: re.Pattern[str]


@dataclass(frozen=True, slots=True)
class BlamingPhrase:
    phrase: str
    pattern: re.Pattern[str]
    suggestion: str


@dataclass(frozen=True, slots=True)
class BlamelessPolicy:
    min_depth: int
    shallow_causes: tuple[ShallowCause, ...]
    blaming_phrases: tuple[BlamingPhrase, ...]


@dataclass(frozen=True, slots=True)
class Nudge:
    """A suggestion to dig deeper in one chain; ``chain`` is its index in the retro."""

    code: str
    chain: int
    message: str


@dataclass(frozen=True, slots=True)
class Hint:
    """Blameless-language hint: ``field`` says where (``chains[0].steps[2].because``)."""

    code: str
    field: str
    text: str
    message: str


def phrase_pattern(phrase: str) -> re.Pattern[str]:
    """Whole-word, case-insensitive, any run of spaces between words; ``*`` ends a word stem."""
    words = phrase.strip().split()
    parts = []
    for word in words:
        if word.endswith("*"):
            parts.append(re.escape(word[:-1]) + r"\w*")
        else:
            parts.append(re.escape(word))
    return re.compile(r"(?<!\w)" + r"\s+".join(parts) + r"(?!\w)", re.IGNORECASE)


def _text_list(
    data: Mapping[str, Any], key: str, problems: list[Problem]
) -> list[tuple[int, Mapping[str, Any]]]:
    raw = data.get(key, [])
    if not isinstance(raw, list):
        problems.append(Problem("must be a list", path=(key,)))
        return []
    out = []
    for i, item in enumerate(raw):
        if not isinstance(item, Mapping):
            problems.append(Problem("must be a mapping with 'phrase'", path=(key, i)))
            continue
        phrase = item.get("phrase")
        if not isinstance(phrase, str) or not phrase.strip():
            problems.append(Problem("must be a non-empty text", path=(key, i, "phrase")))
            continue
        out.append((i, item))
    return out


def policy_from_dict(data: Any) -> tuple[BlamelessPolicy | None, list[Problem]]:
    """Build the policy from the rules file's data; every problem is returned with its path."""
    problems: list[Problem] = []
    if not isinstance(data, Mapping):
        return None, [Problem("must be a mapping with min_depth, shallow_causes, blaming_phrases")]
    for key in data:
        if key not in ("min_depth", "shallow_causes", "blaming_phrases"):
            problems.append(
                Problem(
                    f"unknown key {key!r}",
                    path=(str(key),),
                    hint="allowed: min_depth, shallow_causes, blaming_phrases",
                )
            )
    min_depth = data.get("min_depth", 2)
    if not isinstance(min_depth, int) or isinstance(min_depth, bool) or not 1 <= min_depth <= 10:
        problems.append(Problem("must be a whole number from 1 to 10", path=("min_depth",)))
        min_depth = 2
    shallow = []
    for i, item in _text_list(data, "shallow_causes", problems):
        phrase = str(item["phrase"])
        for extra in item:
            if extra != "phrase":
                problems.append(
                    Problem(f"unknown key {extra!r}", path=("shallow_causes", i, extra))
                )
        shallow.append(ShallowCause(phrase, phrase_pattern(phrase)))
    blaming = []
    for i, item in _text_list(data, "blaming_phrases", problems):
        phrase = str(item["phrase"])
        suggestion = item.get("suggestion")
        if not isinstance(suggestion, str) or not suggestion.strip():
            problems.append(
                Problem(
                    "must say what to write instead",
                    path=("blaming_phrases", i, "suggestion"),
                )
            )
            continue
        blaming.append(BlamingPhrase(phrase, phrase_pattern(phrase), suggestion.strip()))
    if problems:
        return None, problems
    return BlamelessPolicy(min_depth, tuple(shallow), tuple(blaming)), []


def check_chain(chain: WhyChain, *, index: int) -> list[Problem]:
    """Structural problems in one chain (empty texts, too long), each with its field path."""
    problems: list[Problem] = []
    base = f"chains[{index}]"
    if not chain.problem.strip():
        problems.append(
            Problem(
                "must say what went wrong",
                field=f"{base}.problem",
                hint="e.g. 'An API token was pushed to a public repository'",
            )
        )
    elif len(chain.problem) > WHY_MAX:
        problems.append(Problem(f"is longer than {WHY_MAX} characters", field=f"{base}.problem"))
    elif "\x00" in chain.problem:
        problems.append(Problem("contains a NUL character", field=f"{base}.problem"))
    if not chain.steps:
        problems.append(
            Problem("needs at least one why → because", field=f"{base}.steps"),
        )
    if len(chain.steps) > CHAIN_STEPS_MAX:
        problems.append(
            Problem(
                f"has {len(chain.steps)} steps; at most {CHAIN_STEPS_MAX}",
                field=f"{base}.steps",
                hint="split it into two chains from the branching cause",
            )
        )
    for i, step in enumerate(chain.steps):
        for name in ("why", "because"):
            text: str = getattr(step, name)
            where = f"{base}.steps[{i}].{name}"
            if not text.strip():
                problems.append(Problem("must not be empty", field=where))
            elif len(text) > WHY_MAX:
                problems.append(Problem(f"is longer than {WHY_MAX} characters", field=where))
            elif "\x00" in text:
                problems.append(Problem("contains a NUL character", field=where))
    return problems


def nudges(chains: Sequence[WhyChain], policy: BlamelessPolicy) -> list[Nudge]:
    out: list[Nudge] = []
    for index, chain in enumerate(chains):
        if not chain.steps:
            continue
        if chain.depth < policy.min_depth:
            out.append(
                Nudge(
                    "stops-early",
                    index,
                    f"This chain stops after {chain.depth} "
                    f"{'level' if chain.depth == 1 else 'levels'}. The first answer is rarely the "
                    "root cause: ask why again (why was it possible? why did nothing catch it?).",
                )
            )
        root = chain.root_cause or ""
        for cause in policy.shallow_causes:
            if cause.pattern.search(root):
                out.append(
                    Nudge(
                        "ends-at-person",
                        index,
                        f"This chain ends at “{cause.phrase}”. People make mistakes; ask why the "
                        "system let this one through (what review, tool, training or design "
                        "would have caught or prevented it?).",
                    )
                )
                break
    return out


def person_patterns(people: Iterable[str]) -> list[tuple[str, re.Pattern[str]]]:
    """Ways a person's name may appear in prose: ``alice.smith`` as written, as ``alice smith``
    and as ``alice``; a display name as written. Parts shorter than three letters are skipped:
    they match too many ordinary words to be useful."""
    seen: set[str] = set()
    out: list[tuple[str, re.Pattern[str]]] = []
    for person in people:
        name = person.strip()
        if not name:
            continue
        local = name.split("@", 1)[0]
        parts = [p for p in re.split(r"[._+\-\s]+", local) if p]
        forms = {name, local, " ".join(parts)}
        if parts:
            forms.add(parts[0])
        for form in sorted(forms, key=len, reverse=True):
            key = form.lower()
            if len(key) < 3 or key in seen:
                continue
            seen.add(key)
            pattern = re.compile(
                r"(?<![\w.@])"
                + r"[\s._-]+".join(re.escape(w) for w in form.split())
                + r"(?![\w@])",
                re.IGNORECASE,
            )
            out.append((name, pattern))
    # Longest first, so "bob jones" is replaced whole before "bob" alone could split it.
    return sorted(out, key=lambda item: len(item[1].pattern), reverse=True)


def blameless_hints(
    texts: Iterable[tuple[str, str]], policy: BlamelessPolicy, *, people: Iterable[str]
) -> list[Hint]:
    """Hints for causes written about people. ``texts`` are ``(field, text)`` pairs: the causes of
    a retro (answers in chains, contributing factors, what went poorly)."""
    names = person_patterns(people)
    out: list[Hint] = []
    for where, text in texts:
        flagged: set[str] = set()
        for name, pattern in names:
            match = pattern.search(text)
            if match and name not in flagged:
                flagged.add(name)
                out.append(
                    Hint(
                        "names-person",
                        where,
                        match.group(0),
                        f"“{match.group(0)}” names a person. Describe the role and the "
                        "situation (what they knew, what the system showed them) instead: the "
                        "retro is about the system, and people speak freely only when it is "
                        "blameless.",
                    )
                )
        for phrase in policy.blaming_phrases:
            match = phrase.pattern.search(text)
            if match:
                out.append(
                    Hint(
                        "blaming-phrase",
                        where,
                        match.group(0),
                        f"“{match.group(0)}” assigns blame. {phrase.suggestion}",
                    )
                )
    return out
