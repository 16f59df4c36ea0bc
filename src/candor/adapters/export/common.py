"""What the three formats share: the vocabularies that map between them, and how extras work.

How imported documents survive a round trip: an importer maps what the record models and keeps
the rest in ``extras`` on the object it came from. For a list the record models only in part
(CVE metrics that also carry scenarios, CSAF notes of many categories …) the importer keeps the
original list; the exporter re-emits it only while it still says what the record says
(``reuse``), so an edited advisory is never exported with stale imported data.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from candor.adapters.export import cvss
from candor.domain.advisories import Advisory, Event, EventKind, Extras, Status, VersionRange
from candor.domain.advisory_dump import instant
from candor.domain.advisory_parse import parse_advisory
from candor.domain.errors import InvalidInput

JSON = dict[str, Any]

# OSV ecosystem ↔ CVE collectionURL, for the package registries both name.
COLLECTION_URLS = {
    "PyPI": "https://pypi.org",
    "npm": "https://www.npmjs.com",
    "Maven": "https://repo.maven.apache.org/maven2",
    "Go": "https://pkg.go.dev",
    "crates.io": "https://crates.io",
    "RubyGems": "https://rubygems.org",
    "NuGet": "https://www.nuget.org",
    "Packagist": "https://packagist.org",
    "Hex": "https://hex.pm",
    "Pub": "https://pub.dev",
}
ECOSYSTEM_BY_URL = {url: eco for eco, url in COLLECTION_URLS.items()}

# purl types of the same registries, for package URLs built from an ecosystem.
PURL_TYPES = {
    "PyPI": "pypi",
    "npm": "npm",
    "Maven": "maven",
    "Go": "golang",
    "crates.io": "cargo",
    "RubyGems": "gem",
    "NuGet": "nuget",
    "Packagist": "composer",
    "Hex": "hex",
    "Pub": "pub",
}

# The version scheme (CVE versionType) an OSV ECOSYSTEM range means, per ecosystem. The record
# keeps the CVE spelling because CVE records are the richest source; OSV's SEMVER and GIT are
# "semver" and "git", and every other scheme is an ECOSYSTEM range.
ECOSYSTEM_SCHEMES = {
    "PyPI": "python",
    "Maven": "maven",
    "RubyGems": "gem",
    "NuGet": "nuget",
    "npm": "npm",
    "Packagist": "composer",
    "crates.io": "cargo",
    "Debian": "deb",
    "Ubuntu": "deb",
    "Alpine": "apk",
    "Red Hat": "rpm",
    "AlmaLinux": "rpm",
    "Rocky Linux": "rpm",
    "SUSE": "rpm",
    "openSUSE": "rpm",
}

# OSV reference types ↔ CVE reference tags. The record keeps CVE tags (the larger vocabulary);
# an OSV type with no CVE tag is kept as an x_ extension tag, which CVE allows.
OSV_TYPE_TAGS = {
    "ADVISORY": "vendor-advisory",
    "ARTICLE": "technical-description",
    "DETECTION": "x_osv-detection",
    "DISCUSSION": "mailing-list",
    "REPORT": "issue-tracking",
    "FIX": "patch",
    "INTRODUCED": "x_osv-introduced",
    "GIT": "x_osv-git",
    "PACKAGE": "product",
    "EVIDENCE": "exploit",
}
# further CVE tags that say the same as an OSV type
_MORE_TAGS = {
    "third-party-advisory": "ADVISORY",
    "vdb-entry": "ADVISORY",
    "x_refsource_CONFIRM": "ADVISORY",
}
TAG_OSV_TYPES = {tag: osv for osv, tag in OSV_TYPE_TAGS.items()} | _MORE_TAGS


def osv_reference_type(tags: Iterable[str]) -> str:
    for tag in tags:
        if tag in TAG_OSV_TYPES:
            return TAG_OSV_TYPES[tag]
    return "WEB"


def scheme_for_osv(range_type: str, ecosystem: str | None) -> str:
    if range_type == "SEMVER":
        return "semver"
    if range_type == "GIT":
        return "git"
    return ECOSYSTEM_SCHEMES.get(ecosystem or "", "ecosystem")


def osv_range_type(scheme: str) -> str:
    return {"semver": "SEMVER", "git": "GIT"}.get(scheme.lower(), "ECOSYSTEM")


def cve_status(status: Status) -> str:
    """CVE has no ``fixed``: a fixed version is an unaffected one."""
    return "unaffected" if status is Status.FIXED else status.value


@dataclass(frozen=True, slots=True)
class Interval:
    """One run of versions, the unit the essentials compare ranges by: formats split and join
    event lists differently, but the runs of versions they describe are the same."""

    scheme: str
    status: str
    start: str
    end_kind: str | None
    end: str | None


def intervals(r: VersionRange, *, status: str | None = None) -> list[Interval]:
    """Flatten a range's events into runs. A closing event closes the run of the last
    ``introduced``, which stays open for further closings: OSV writes one introduction fixed on
    two git branches as ``introduced, fixed, fixed``."""
    out: list[Interval] = []
    start: str | None = None
    closed = True
    st = status or r.status.value
    for e in r.events:
        if e.kind is EventKind.INTRODUCED:
            if start is not None and not closed:
                out.append(Interval(r.scheme, st, start, None, None))
            start, closed = e.version, False
        elif start is not None:
            out.append(Interval(r.scheme, st, start, e.kind.value, e.version))
            closed = True
    if start is not None and not closed:
        out.append(Interval(r.scheme, st, start, None, None))
    return out


def events_from(pairs: Iterable[tuple[str, str]]) -> tuple[Event, ...]:
    return tuple(Event(EventKind(kind), version) for kind, version in pairs)


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def reuse(
    original: Any, produced: list[Any], project: Callable[[Any], Any], *, ordered: bool = False
) -> list[Any]:
    """The imported list when it says what the record says (by ``project``), else the list
    made from the record. Unordered by default: formats do not give list order a meaning."""
    if not isinstance(original, list):
        return produced
    try:
        a = [canonical(project(x)) for x in original]
        b = [canonical(project(x)) for x in produced]
    except (KeyError, TypeError, AttributeError, IndexError):
        return produced
    same = a == b if ordered else sorted(a) == sorted(b)
    return original if same else produced


def extras_of(obj_extras: Extras, fmt: str) -> JSON:
    return dict(obj_extras.get(fmt, {}))


def overlay(produced: JSON, extras: Mapping[str, Any], *, skip: Iterable[str] = ()) -> JSON:
    """``produced`` plus the extras the record did not model; modelled keys always win."""
    out = dict(produced)
    for key, value in extras.items():
        if key not in out and key not in skip:
            out[key] = value
    return out


def leftover(data: Mapping[str, Any], known: Iterable[str]) -> JSON:
    known = set(known)
    return {k: v for k, v in data.items() if k not in known}


def scorable(vector: Any) -> bool:
    """Whether an imported vector can be scored. One that cannot is not modelled; the imported
    list it sits in (kept in extras) still carries it to a re-export."""
    if not isinstance(vector, str):
        return False
    try:
        cvss.compute(vector)
    except InvalidInput:
        return False
    return True


def first_per_version(vectors: Iterable[Any]) -> list[str]:
    """The scorable vectors, the first of each CVSS version: the record holds one per version
    (CSAF 6.1.7); the others stay in the imported list kept in extras."""
    out: dict[str, str] = {}
    for vector in vectors:
        if scorable(vector):
            out.setdefault(cvss.version_of(vector).value, vector)
    return list(out.values())


def build(data: JSON) -> Advisory:
    """Every import ends here: the same parser and checks as a hand-written advisory."""
    return parse_advisory(data, scorer=cvss.score)


def same_time(original: Any, value: datetime | None) -> str | None:
    """The imported spelling of a time (``.000Z``, ``+00:00``, a zone left out) while it still
    names the same instant, else Candor's own."""
    if value is None:
        return None
    if isinstance(original, str):
        text = (
            original
            if original[10:].count("Z") or "+" in original[10:] or "-" in original[10:]
            else original + "Z"
        )
        try:
            if datetime.fromisoformat(text) == value:
                return original
        except ValueError:
            return instant(value)  # not a time at all: Candor's spelling replaces it
    return instant(value)


def split_reuse(original: Any, produced: list[Any], project: Callable[[Any], Any]) -> list[Any]:
    """Like ``reuse`` for lists where only some items are modelled (those ``project`` maps to
    something): the others are always kept, after the modelled ones."""
    if not isinstance(original, list):
        return produced
    modelled = [x for x in original if project(x)]
    rest = [x for x in original if not project(x)]
    if reuse(modelled, produced, project) is modelled:
        return original
    return [*produced, *rest]


def replace_first(
    original: Any,
    match: Callable[[Any], bool],
    produced: Any | None,
    same: Callable[[Any], bool],
) -> list[Any]:
    """For a list of which the record models one item (the first that ``match``es: a CVE
    description in English, a CSAF summary note): the imported list with that item kept while
    ``same`` says it still agrees with the record, replaced when not, dropped when the record
    has none, and ``produced`` alone when nothing was imported."""
    if not isinstance(original, list):
        return [produced] if produced is not None else []
    for i, item in enumerate(original):
        if match(item):
            if produced is not None and same(item):
                return original
            middle = [produced] if produced is not None else []
            return [*original[:i], *middle, *original[i + 1 :]]
    return [produced, *original] if produced is not None else original


def text_time(value: datetime | None) -> str | None:
    return instant(value) if value is not None else None
