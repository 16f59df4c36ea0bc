"""Revision history rules, shared by the advisory record and the CSAF checks.

CSAF 2.0 (section 6.1.14 to 6.1.22 and 6.1.30) states what a sound revision history is; the
record follows the same rules so that every advisory Candor publishes passes them, and the CSAF
validator runs the same code over documents from elsewhere. A version is either an integer
(``1``, ``2``) or semantic (``1.0.0``, ``1.1.0-rc.1+build``), never both in one history.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, replace
from datetime import datetime

from candor.domain.advisories import Advisory, AdvisoryStatus, Revision
from candor.domain.errors import InvalidInput, Problem
from candor.domain.vocabulary import require_aware

INTEGER = re.compile(r"^(0|[1-9][0-9]*)$")
SEMVER = re.compile(
    r"^(?P<major>0|[1-9]\d*)\.(?P<minor>0|[1-9]\d*)\.(?P<patch>0|[1-9]\d*)"
    r"(?:-(?P<pre>[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+(?P<build>[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$"
)


@dataclass(frozen=True, slots=True)
class Finding:
    """One broken rule: the CSAF test it comes from, where (a path) and what."""

    test: str
    message: str
    path: tuple[str | int, ...] = ()


def version_kind(number: str) -> str | None:
    if INTEGER.match(number):
        return "integer"
    if SEMVER.match(number):
        return "semver"
    return None


def major(number: str) -> int | None:
    if INTEGER.match(number):
        return int(number)
    m = SEMVER.match(number)
    return int(m.group("major")) if m else None


def is_prerelease(number: str) -> bool:
    m = SEMVER.match(number)
    return bool(m and m.group("pre"))


def is_zero(number: str) -> bool:
    """``0`` or ``0.y.z``: a version before the first release."""
    return major(number) == 0


def strip_build(number: str) -> str:
    return number.split("+", 1)[0]


def strip_prerelease(number: str) -> str:
    return strip_build(number).split("-", 1)[0] if SEMVER.match(number) else number


def _sort_key(number: str) -> tuple[int, ...]:
    if INTEGER.match(number):
        return (int(number),)
    m = SEMVER.match(number)
    if not m:
        return ()
    # a pre-release sorts before its release (semver rule 11), enough for ordering checks
    return (int(m["major"]), int(m["minor"]), int(m["patch"]), 0 if m["pre"] else 1)


def check_history(
    entries: list[tuple[str, datetime]],
    *,
    version: str,
    status: str,
    path: tuple[str | int, ...] = ("revision_history",),
    version_path: tuple[str | int, ...] = ("version",),
) -> list[Finding]:
    """Check a revision history given as (number, date) pairs in document order.

    ``status`` is CSAF's tracking status: ``draft``, ``interim`` or ``final``.
    """
    out: list[Finding] = []
    released = status in ("final", "interim")
    kinds = {version_kind(n) for n, _ in entries} | {version_kind(version)}
    if None in kinds:
        for i, (number, _) in enumerate(entries):
            if version_kind(number) is None:
                out.append(
                    Finding(
                        "6.1.30",
                        f"{number!r} is neither an integer nor semver",
                        (*path, i, "number"),
                    )
                )
        kinds.discard(None)
    if len(kinds) > 1:
        out.append(Finding("6.1.30", "integer and semantic versioning are mixed", path))
    by_date = sorted(range(len(entries)), key=lambda i: entries[i][1])
    numbers_by_date = [entries[i][0] for i in by_date]
    if len(kinds) == 1:
        keys = [_sort_key(strip_build(n)) for n in numbers_by_date]
        if keys != sorted(keys):
            out.append(Finding("6.1.14", "version numbers do not ascend with the dates", path))
    if numbers_by_date:
        last = numbers_by_date[-1]
        want, have = strip_build(last), strip_build(version)
        if status == "draft":
            want, have = strip_prerelease(want), strip_prerelease(have)
        if want != have:
            out.append(
                Finding(
                    "6.1.16",
                    f"the document version is {version} but the latest revision is {last}",
                    version_path,
                )
            )
    if (is_zero(version) or is_prerelease(version)) and status != "draft":
        out.append(
            Finding(
                "6.1.17",
                f"version {version} is a pre-release, so the status must be draft",
                version_path,
            )
        )
    for i, (number, _) in enumerate(entries):
        if released and is_zero(number):
            out.append(
                Finding(
                    "6.1.18",
                    f"revision {number} is a draft number in a released document",
                    (*path, i, "number"),
                )
            )
        if is_prerelease(number):
            out.append(
                Finding("6.1.19", f"revision {number} is a pre-release", (*path, i, "number"))
            )
    if released and is_prerelease(version):
        out.append(
            Finding(
                "6.1.20",
                f"a {status} document cannot have the pre-release version {version}",
                version_path,
            )
        )
    majors = [major(n) for n in numbers_by_date]
    if majors and all(m is not None for m in majors):
        known = [m for m in majors if m is not None]
        if known[0] not in (0, 1):
            out.append(
                Finding("6.1.21", f"the first revision is {numbers_by_date[0]}, not 0 or 1", path)
            )
        for previous, current in itertools.pairwise(known):
            if current > previous + 1:
                out.append(
                    Finding(
                        "6.1.21", f"revisions between {previous} and {current} are missing", path
                    )
                )
    seen: set[str] = set()
    for i, (number, _) in enumerate(entries):
        if number in seen:
            out.append(
                Finding("6.1.22", f"revision {number} appears more than once", (*path, i, "number"))
            )
        seen.add(number)
    return out


def tracking_status(status: AdvisoryStatus) -> str:
    return "final" if status is AdvisoryStatus.PUBLISHED else "draft"


def history_findings(advisory: Advisory) -> list[Finding]:
    return check_history(
        [(r.number, r.date) for r in advisory.revisions],
        version=advisory.version,
        status=tracking_status(advisory.status),
        path=("revisions",),
        version_path=("revisions",),
    )


def next_number(revisions: tuple[Revision, ...]) -> str:
    """The number after the latest: integer versioning bumps by one, semver bumps the major."""
    if not revisions:
        return "1"
    last = max(revisions, key=lambda r: r.date).number
    if INTEGER.match(last):
        return str(max(int(last), 0) + 1)
    m = SEMVER.match(last)
    if m:
        return f"{int(m['major']) + 1}.0.0"
    raise InvalidInput(Problem(f"cannot count on from revision {last!r}", field="revisions"))


def publish(advisory: Advisory, *, summary: str, now: datetime) -> Advisory:
    """A new published revision; earlier ones stay as they were (never edited)."""
    text = summary.strip()
    if not text:
        raise InvalidInput(Problem("say what changed in this revision", field="summary"))
    now = require_aware(now, field="now")
    if advisory.revisions and now <= max(r.date for r in advisory.revisions):
        raise InvalidInput(Problem("a new revision must be later than the last one", field="now"))
    revisions = (*advisory.revisions, Revision(next_number(advisory.revisions), now, text))
    return replace(
        advisory,
        status=AdvisoryStatus.PUBLISHED,
        revisions=revisions,
        initial_release=advisory.initial_release or now,
        current_release=now,
    )
