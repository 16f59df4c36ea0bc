"""Reading plain data (YAML or JSON mappings) with every problem collected, not raised.

Each problem carries the ``path`` of the value it is about (keys and list indices), which the
YAML loader turns into file, line and column.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from candor.domain.advisories import FORMATS, CvssScore
from candor.domain.errors import InvalidInput, Problem, ProblemCollector
from candor.domain.vocabulary import parse_enum, parse_instant

Path = tuple[str | int, ...]
Scorer = Callable[[str], CvssScore]
"""Computes version, score and severity from a vector; raises ``InvalidInput`` when invalid."""

E = TypeVar("E")

URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://\S+$")
QUOTE_VERSION = "write versions in quotes: unquoted, YAML read this one as the number {}"
TEXT_MAX = 100_000


class Reader:
    """Walks the mapping, collecting problems with their paths instead of stopping."""

    def __init__(self, scorer: Scorer) -> None:
        self.problems = ProblemCollector()
        self.scorer = scorer

    def add(self, message: str, path: Path, hint: str | None = None) -> None:
        self.problems.problems.append(Problem(message, path=path, hint=hint))

    def mapping(self, value: object, path: Path, keys: set[str] | None = None) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            self.add("must be a mapping of keys to values", path)
            return {}
        if keys is not None:
            for key in value:
                if key not in keys:
                    self.add(
                        f"unknown key {key!r}",
                        (*path, str(key)),
                        hint="allowed: " + ", ".join(sorted(keys)),
                    )
        return value

    def items(self, value: object, path: Path) -> list[tuple[Path, Any]]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.add("must be a list", path)
            return []
        return [((*path, i), item) for i, item in enumerate(value)]

    def text(
        self,
        data: Mapping[str, Any],
        key: str,
        path: Path,
        *,
        required: bool = False,
        max_len: int = TEXT_MAX,
    ) -> str | None:
        value = data.get(key)
        if value is None:
            if required:
                self.add("is required", (*path, key))
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.add("must be text", (*path, key))
            return None
        text = str(value).strip()
        if not text:
            if required:
                self.add("must not be empty", (*path, key))
            return None
        if len(text) > max_len:
            self.add(f"is longer than {max_len} characters", (*path, key))
        return text

    def version(
        self, data: Mapping[str, Any], key: str, path: Path, *, required: bool = False
    ) -> str | None:
        """Versions are text: YAML reads an unquoted 1.10 as the number 1.1, so refuse numbers
        with a decimal point rather than guess."""
        value = data.get(key)
        if isinstance(value, float):
            self.add(QUOTE_VERSION.format(value), (*path, key))
            return str(value)
        return self.text(data, key, path, required=required)

    def texts(self, data: Mapping[str, Any], key: str, path: Path) -> tuple[str, ...]:
        out: list[str] = []
        for item_path, item in self.items(data.get(key), (*path, key)):
            if (
                isinstance(item, bool)
                or not isinstance(item, str | int | float)
                or not str(item).strip()
            ):
                self.add("must be non-empty text", item_path)
                continue
            out.append(str(item).strip())
        return tuple(out)

    def enum(self, enum: type[E], value: object, path: Path) -> E | None:
        try:
            return parse_enum(enum, value, field="")  # type: ignore[type-var]
        except InvalidInput as exc:
            self.add(exc.problems[0].message, path)
            return None

    def instant(self, data: Mapping[str, Any], key: str, path: Path) -> datetime | None:
        value = data.get(key)
        if value is None:
            return None
        try:
            return parse_instant(value, field="")
        except InvalidInput as exc:
            problem = exc.problems[0]
            self.add(problem.message, (*path, key), problem.hint)
            return None

    def url(self, value: str | None, path: Path) -> str | None:
        if value is not None and not URL.match(value):
            self.add(f"not a URL: {value!r}", path, hint="e.g. https://example.com/advisory")
        return value

    def extras(self, data: Mapping[str, Any], path: Path) -> dict[str, dict[str, Any]]:
        raw = data.get("extras")
        if raw is None:
            return {}
        found = self.mapping(raw, (*path, "extras"), set(FORMATS))
        out: dict[str, dict[str, Any]] = {}
        for name, value in found.items():
            if name in FORMATS:
                if isinstance(value, Mapping):
                    out[str(name)] = dict(value)
                else:
                    self.add("must be a mapping", (*path, "extras", str(name)))
        return out
