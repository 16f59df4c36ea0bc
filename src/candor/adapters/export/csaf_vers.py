"""Version ranges as CSAF writes them: ``vers:`` specifiers (purl-spec ``VERSION-RANGE-SPEC``).

CSAF 2.0 recommends ``vers`` for ``product_version_range`` branches. A record range becomes one
specifier whose constraints list the runs in order (``vers:semver/>=1.0.0|<1.4.2|>=2.0.0|<2.0.3``)
and reads back as the same runs. ``vers`` has no scheme for git commits or vendor-specific
numbering, which become ``generic``; the scheme a ``generic`` range reads back as is ``custom``.
"""

from __future__ import annotations

from candor.adapters.export.common import intervals
from candor.domain.advisories import Event, EventKind, Status, VersionRange

# record scheme (CVE versionType) → vers scheme
VERS_SCHEMES = {
    "semver": "semver",
    "python": "pypi",
    "npm": "npm",
    "maven": "maven",
    "gem": "gem",
    "nuget": "nuget",
    "composer": "composer",
    "cargo": "cargo",
    "deb": "deb",
    "rpm": "rpm",
    "apk": "alpine",
    "golang": "golang",
}
SCHEMES_BY_VERS = {vers: scheme for scheme, vers in VERS_SCHEMES.items()} | {"generic": "custom"}


def vers_scheme(scheme: str) -> str:
    return VERS_SCHEMES.get(scheme.lower(), "generic")


def to_vers(r: VersionRange) -> str:
    parts: list[str] = []
    for run in intervals(r):
        if run.start != "0":
            parts.append(f">={run.start}")
        if run.end is None or run.end == "*":
            if run.start == "0":
                parts.append("*")
        elif run.end_kind == EventKind.LAST_AFFECTED.value:
            parts.append(f"<={run.end}")
        else:
            parts.append(f"<{run.end}")
    return f"vers:{vers_scheme(r.scheme)}/" + "|".join(parts or ["*"])


def from_vers(text: str, status: Status) -> VersionRange | None:
    """The range a ``vers`` specifier states, or None when it is not one this reads (a free
    text range, or comparators such as ``!=`` that runs of versions cannot say)."""
    if not text.startswith("vers:") or "/" not in text:
        return None
    head, _, body = text[5:].partition("/")
    scheme = SCHEMES_BY_VERS.get(head.lower())
    if scheme is None or not body:
        return None
    events: list[Event] = []
    open_run = False
    for raw in body.split("|"):
        item = raw.strip()
        if item == "*":
            events.append(Event(EventKind.INTRODUCED, "0"))
            open_run = True
            continue
        for op in (">=", "<=", "<", ">", "!=", "="):
            if item.startswith(op):
                version = item[len(op) :].strip()
                break
        else:
            return None
        if not version:
            return None
        if op == ">=":
            events.append(Event(EventKind.INTRODUCED, version))
            open_run = True
        elif op in ("<", "<="):
            if not open_run:
                events.append(Event(EventKind.INTRODUCED, "0"))
            kind = EventKind.FIXED if op == "<" else EventKind.LAST_AFFECTED
            events.append(Event(kind, version))
            open_run = False
        else:
            return None  # ">", "=" and "!=" do not bound a run of versions the same way
    return VersionRange(scheme, tuple(events), status)
