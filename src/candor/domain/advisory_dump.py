"""Write an advisory as plain data in the record format that ``parse_advisory`` reads.

``parse_advisory(dump_advisory(a)) == a`` for every valid advisory (a Hypothesis test says so),
which is what lets ``candor advisory import`` write a YAML file a person can then edit. Empty
fields are left out and the short forms are used where they say the same thing, so the file
reads like one written by hand.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from candor.domain.advisories import (
    Advisory,
    Affected,
    Credit,
    CvssScore,
    EventKind,
    Extras,
    Publisher,
    Reference,
    Remediation,
    Status,
    VersionEntry,
    VersionRange,
    Vulnerability,
)


def instant(value: datetime) -> str:
    """UTC, to the second when there are no fractions, with a ``Z``: how all three formats
    write times."""
    text = value.astimezone(UTC).isoformat()
    return text.replace("+00:00", "Z")


def _put(out: dict[str, Any], key: str, value: object) -> None:
    if value is None or value == () or value == [] or value == {}:
        return
    out[key] = value


def _extras(out: dict[str, Any], extras: Extras) -> None:
    _put(out, "extras", {k: dict(v) for k, v in extras.items() if v})


def dump_advisory(advisory: Advisory) -> dict[str, Any]:
    out: dict[str, Any] = {"id": advisory.id}
    _put(out, "title", advisory.title)
    out["status"] = advisory.status.value
    out["tlp"] = advisory.tlp.value
    out["language"] = advisory.language
    _put(out, "publisher", advisory.publisher and _publisher(advisory.publisher))
    _put(out, "description", advisory.description)
    _put(out, "initial_release", advisory.initial_release and instant(advisory.initial_release))
    _put(out, "current_release", advisory.current_release and instant(advisory.current_release))
    _put(out, "incidents", list(advisory.incidents))
    _put(out, "vulnerabilities", [_vulnerability(v) for v in advisory.vulnerabilities])
    _put(out, "references", [_reference(r) for r in advisory.references])
    _put(out, "credits", [_credit(c) for c in advisory.credits])
    revisions = []
    for rev in advisory.revisions:
        entry: dict[str, Any] = {
            "number": rev.number,
            "date": instant(rev.date),
            "summary": rev.summary,
        }
        _extras(entry, rev.extras)
        revisions.append(entry)
    _put(out, "revisions", revisions)
    _extras(out, advisory.extras)
    return out


def _publisher(p: Publisher) -> dict[str, Any]:
    out: dict[str, Any] = {"name": p.name}
    _put(out, "namespace", p.namespace)
    if p.category != "vendor":
        out["category"] = p.category
    _put(out, "contact", p.contact)
    _put(out, "cna_org_id", p.cna_org_id)
    _put(out, "cna_short_name", p.cna_short_name)
    return out


def _vulnerability(v: Vulnerability) -> dict[str, Any]:
    out: dict[str, Any] = {}
    _put(out, "cve", v.cve)
    _put(out, "aliases", list(v.aliases))
    _put(out, "title", v.title)
    _put(out, "description", v.description)
    _put(out, "published", v.published and instant(v.published))
    _put(out, "cwe", [c.id if c.name is None else {"id": c.id, "name": c.name} for c in v.cwes])
    _put(out, "cvss", [_score(s) for s in v.scores])
    _put(out, "impacts", list(v.impacts))
    _put(out, "workarounds", list(v.workarounds))
    _put(out, "affected", [_affected(a) for a in v.affected])
    _put(out, "remediations", [_remediation(r) for r in v.remediations])
    _put(out, "references", [_reference(r) for r in v.references])
    _put(out, "credits", [_credit(c) for c in v.credits])
    _extras(out, v.extras)
    return out


def _score(s: CvssScore) -> dict[str, Any]:
    out: dict[str, Any] = {"vector": s.vector, "score": s.base_score, "severity": s.severity.value}
    _extras(out, s.extras)
    return out


def _affected(a: Affected) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in ("vendor", "product", "package", "ecosystem", "purl", "repo"):
        _put(out, key, getattr(a, key))
    _put(out, "cpes", list(a.cpes))
    _put(out, "default_status", a.default_status and a.default_status.value)
    _put(out, "ranges", [_range(r) for r in a.ranges])
    _put(out, "versions", [_version(v) for v in a.versions])
    _extras(out, a.extras)
    return out


def _range(r: VersionRange) -> dict[str, Any]:
    out: dict[str, Any] = {"scheme": r.scheme}
    if r.status is not Status.AFFECTED:
        out["status"] = r.status.value
    _put(out, "repo", r.repo)
    events = r.events
    # one interval reads better as introduced/fixed keys than as a list of events
    short = (
        len(events) in (1, 2)
        and events[0].kind is EventKind.INTRODUCED
        and (len(events) == 1 or events[1].kind is not EventKind.INTRODUCED)
    )
    if short:
        out["introduced"] = events[0].version
        if len(events) == 2:
            out[events[1].kind.value] = events[1].version
    else:
        out["events"] = [{e.kind.value: e.version} for e in events]
    _extras(out, r.extras)
    return out


def _version(v: VersionEntry) -> str | dict[str, Any]:
    if v.status is Status.AFFECTED and v.scheme is None and not v.extras:
        return v.version
    out: dict[str, Any] = {"version": v.version, "status": v.status.value}
    _put(out, "scheme", v.scheme)
    _extras(out, v.extras)
    return out


def _remediation(r: Remediation) -> dict[str, Any]:
    out: dict[str, Any] = {"category": r.category.value, "details": r.details}
    _put(out, "url", r.url)
    _put(out, "products", list(r.products))
    _extras(out, r.extras)
    return out


def _reference(r: Reference) -> str | dict[str, Any]:
    if r.name is None and not r.tags and not r.extras:
        return r.url
    out: dict[str, Any] = {"url": r.url}
    _put(out, "name", r.name)
    _put(out, "tags", list(r.tags))
    _extras(out, r.extras)
    return out


def _credit(c: Credit) -> str | dict[str, Any]:
    if c.type is None and not c.contact and not c.extras:
        return c.name
    out: dict[str, Any] = {"name": c.name}
    _put(out, "type", c.type)
    _put(out, "contact", list(c.contact))
    _extras(out, c.extras)
    return out
