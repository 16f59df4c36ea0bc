"""Small readers for plain data (YAML files, forms, JSON) that collect problems with their path.

Every reader appends to a ``ProblemCollector`` and returns a usable fallback instead of raising, so
a whole file is checked in one pass; the file loader turns each ``path`` into file:line:column.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any, TypeVar

from candor.domain.errors import ProblemCollector

E = TypeVar("E", bound=StrEnum)
PathKey = tuple[str | int, ...]

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
DURATION = re.compile(r"^\s*(\d+)\s*(m|min|minutes?|h|hours?|d|days?)\s*$", re.IGNORECASE)
URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)


def unknown_keys(
    data: Mapping[str, Any], allowed: tuple[str, ...], path: PathKey, problems: ProblemCollector
) -> None:
    for key in data:
        if key not in allowed:
            problems.add(
                f"unknown key {key!r}; allowed: {', '.join(allowed)}", path=(*path, str(key))
            )


def mapping(
    value: Any, path: PathKey, problems: ProblemCollector, *, what: str
) -> Mapping[str, Any]:
    if isinstance(value, Mapping):
        return value
    problems.add(f"must be a mapping ({what})", path=path)
    return {}


def items(value: Any, path: PathKey, problems: ProblemCollector, *, required: bool) -> list[Any]:
    if value is None:
        if required:
            problems.add("is required (a list)", path=path)
        return []
    if not isinstance(value, list):
        problems.add("must be a list", path=path)
        return []
    if required and not value:
        problems.add("must not be empty", path=path)
    return value


def text(
    data: Mapping[str, Any],
    key: str,
    path: PathKey,
    problems: ProblemCollector,
    *,
    required: bool = False,
    maximum: int = 2_000,
) -> str:
    value = data.get(key)
    where = (*path, key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            problems.add("is required", path=where)
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        problems.add("must be text", path=where)
        return ""
    out = " ".join(str(value).split()) if maximum <= 300 else str(value).strip()
    if len(out) > maximum:
        problems.add(f"is {len(out)} characters long; at most {maximum} allowed", path=where)
    if "\x00" in out:
        problems.add("contains a NUL character", path=where)
    return out


def texts(
    data: Mapping[str, Any], key: str, path: PathKey, problems: ProblemCollector
) -> tuple[str, ...]:
    out = []
    for index, raw in enumerate(items(data.get(key), (*path, key), problems, required=False)):
        if isinstance(raw, bool) or not isinstance(raw, str | int | float) or not str(raw).strip():
            problems.add("must be non-empty text", path=(*path, key, index))
            continue
        out.append(str(raw).strip())
    return tuple(out)


def enum(enum_type: type[E], value: Any, path: PathKey, problems: ProblemCollector) -> E | None:
    if value is None:
        problems.add("is required", path=path)
        return None
    word = str(value).strip()
    for candidate in (word, word.lower(), word.upper()):
        try:
            return enum_type(candidate)
        except ValueError:
            continue
    allowed = ", ".join(member.value for member in enum_type)
    problems.add(f"unknown value {value!r}; allowed: {allowed}", path=path)
    return None


def whole(
    data: Mapping[str, Any],
    key: str,
    path: PathKey,
    problems: ProblemCollector,
    *,
    minimum: int = 0,
    maximum: int = 1_000_000,
) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        problems.add("must be a whole number", path=(*path, key))
        return None
    if not minimum <= value <= maximum:
        problems.add(f"must be between {minimum} and {maximum}", path=(*path, key))
        return None
    return value


def flag(data: Mapping[str, Any], key: str, path: PathKey, problems: ProblemCollector) -> bool:
    value = data.get(key, False)
    if not isinstance(value, bool):
        problems.add("must be true or false", path=(*path, key))
        return False
    return value


def day(
    data: Mapping[str, Any], key: str, path: PathKey, problems: ProblemCollector
) -> date | None:
    value = data.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        problems.add("must be a calendar date, not a time", path=(*path, key), hint="2027-06-30")
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        problems.add(f"not a date: {value!r}", path=(*path, key), hint="e.g. 2027-06-30")
        return None


def duration(value: Any, path: PathKey, problems: ProblemCollector) -> timedelta | None:
    """``30m``, ``4h``, ``2d``: how long after a moment something is due."""
    if value is None:
        return None
    match = DURATION.match(str(value)) if not isinstance(value, bool) else None
    if match is None:
        problems.add(f"not a duration: {value!r}", path=path, hint="e.g. 30m, 4h or 2d")
        return None
    amount, unit = int(match[1]), match[2][0].lower()
    return {"m": timedelta(minutes=amount), "h": timedelta(hours=amount)}.get(
        unit, timedelta(days=amount)
    )


def format_duration(value: timedelta) -> str:
    minutes = int(value.total_seconds() // 60)
    if minutes % (24 * 60) == 0:
        return f"{minutes // (24 * 60)}d"
    if minutes % 60 == 0:
        return f"{minutes // 60}h"
    return f"{minutes}m"


def slug(value: Any, path: PathKey, problems: ProblemCollector) -> str:
    word = str(value).strip().lower() if isinstance(value, str | int) else ""
    if not SLUG.match(word):
        problems.add(
            f"not a valid name: {value!r}",
            path=path,
            hint="lower-case letters, digits and hyphens, e.g. leaked-secret",
        )
    return word
