"""Read untyped data (parsed YAML) into typed values, collecting every problem with its path.

Rule files and facts files are written by people; a typo must be reported together with all the
others, at the key where it happened, with the allowed words. Each reader works on one mapping:
it remembers which keys were read so ``finish`` can name the keys nobody asked for.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from enum import StrEnum
from typing import TypeVar

from candor.domain.errors import Problem

E = TypeVar("E", bound=StrEnum)
Path = tuple[str | int, ...]


def suggest(word: str, allowed: Iterable[str]) -> str | None:
    """A "did you mean" hint, or None when nothing is close."""
    close = difflib.get_close_matches(word, list(allowed), n=1, cutoff=0.75)
    return f"did you mean {close[0]!r}?" if close else None


def allowed_text(allowed: Iterable[str], *, limit: int = 40) -> str:
    words = sorted(allowed)
    if len(words) > limit:
        return ", ".join(words[:limit]) + f", … ({len(words)} in all)"
    return ", ".join(words)


class Problems:
    """The problems found so far; shared by the readers of one document."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, message: str, path: Path, *, hint: str | None = None) -> None:
        self.items.append(Problem(message, path=path, hint=hint))

    def __bool__(self) -> bool:
        return bool(self.items)

    def __len__(self) -> int:
        return len(self.items)


class MapReader:
    """Typed access to one mapping of a document."""

    def __init__(self, data: object, path: Path, problems: Problems, *, what: str) -> None:
        self.path = path
        self.problems = problems
        self.seen: set[str] = set()
        self.ok = isinstance(data, Mapping)
        if not self.ok:
            problems.add(f"{what} must be a mapping of keys to values", path)
            self.data: Mapping[object, object] = {}
        else:
            assert isinstance(data, Mapping)
            self.data = data

    def at(self, key: str) -> Path:
        return (*self.path, key)

    def has(self, key: str) -> bool:
        return key in self.data and self.data[key] is not None

    def raw(self, key: str) -> object:
        self.seen.add(key)
        return self.data.get(key)

    def _missing(self, key: str) -> None:
        self.problems.add(f"{key!r} is required", self.path)

    def text(self, key: str, *, required: bool = False, default: str | None = None) -> str | None:
        value = self.raw(key)
        if value is None:
            if required:
                self._missing(key)
            return default
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.problems.add("must be text", self.at(key))
            return default
        text = str(value).strip()
        if required and not text:
            self.problems.add("must not be empty", self.at(key))
        return text

    def integer(
        self, key: str, *, required: bool = False, minimum: int | None = None
    ) -> int | None:
        value = self.raw(key)
        if value is None:
            if required:
                self._missing(key)
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.problems.add(f"must be a whole number, not {value!r}", self.at(key))
            return None
        if minimum is not None and value < minimum:
            self.problems.add(f"must be at least {minimum}, not {value}", self.at(key))
            return None
        return value

    def number(self, key: str) -> float | None:
        value = self.raw(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            self.problems.add(f"must be a number of at least 0, not {value!r}", self.at(key))
            return None
        return float(value)

    def flag(self, key: str, *, default: bool | None = None) -> bool | None:
        value = self.raw(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.problems.add(f"must be true or false, not {value!r}", self.at(key))
            return default
        return value

    def day(self, key: str) -> date | None:
        value = self.raw(key)
        if value is None:
            return None
        if isinstance(value, datetime):
            self.problems.add("must be a date (YYYY-MM-DD), not a time", self.at(key))
            return None
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value).strip())
        except ValueError:
            self.problems.add(f"not a date: {value!r}", self.at(key), hint="write it as YYYY-MM-DD")
            return None

    def enum(self, key: str, enum: type[E], *, required: bool = False) -> E | None:
        value = self.raw(key)
        if value is None:
            if required:
                self._missing(key)
            return None
        return word(enum, value, self.at(key), self.problems)

    def enum_list(self, key: str, enum: type[E], *, required: bool = False) -> tuple[E, ...]:
        items = self.sequence(key, required=required)
        out: list[E] = []
        for index, item in enumerate(items):
            parsed = word(enum, item, (*self.at(key), index), self.problems)
            if parsed is not None and parsed not in out:
                out.append(parsed)
        return tuple(out)

    def text_list(self, key: str, *, required: bool = False) -> tuple[str, ...]:
        out: list[str] = []
        for index, item in enumerate(self.sequence(key, required=required)):
            if isinstance(item, bool) or not isinstance(item, str | int | float):
                self.problems.add("must be text", (*self.at(key), index))
                continue
            text = str(item).strip()
            if text:
                out.append(text)
        return tuple(out)

    def sequence(self, key: str, *, required: bool = False) -> list[object]:
        value = self.raw(key)
        if value is None:
            if required:
                self._missing(key)
            return []
        if not isinstance(value, list):
            self.problems.add("must be a list", self.at(key))
            return []
        return value

    def mapping(self, key: str, *, required: bool = False) -> Mapping[object, object]:
        value = self.raw(key)
        if value is None:
            if required:
                self._missing(key)
            return {}
        if not isinstance(value, Mapping):
            self.problems.add("must be a mapping of keys to values", self.at(key))
            return {}
        return value

    def finish(self, allowed: Iterable[str] | None = None) -> None:
        """Report keys that were never read: they are typos or unsupported."""
        known = set(allowed) if allowed is not None else self.seen
        for key in self.data:
            if str(key) not in known:
                self.problems.add(
                    f"unknown key {key!r}; allowed: {allowed_text(known)}",
                    self.at(str(key)),
                    hint=suggest(str(key), known),
                )


def word(enum: type[E], value: object, path: Path, problems: Problems) -> E | None:
    """Parse one vocabulary word, naming the allowed words when it is unknown."""
    if isinstance(value, enum):
        return value
    text = str(value).strip()
    try:
        return enum(text)
    except ValueError:
        allowed = [member.value for member in enum]
        problems.add(
            f"unknown word {text!r}; allowed: {allowed_text(allowed)}",
            path,
            hint=suggest(text, allowed),
        )
        return None
