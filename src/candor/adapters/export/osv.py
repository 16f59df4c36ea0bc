"""OSV records (https://ossf.github.io/osv-schema/) from an advisory, and advisories from them.

One OSV record describes one vulnerability, so an advisory with several exports one record per
vulnerability. OSV ids start with a registered database prefix; an advisory whose id has none
(``ACME-SA-2026-001``) is exported as ``x_ACME-SA-2026-001``, the form OSV reserves for
databases it does not aggregate, and imported back without the ``x_``.

OSV lists what is affected, so ranges and versions with another status are not exported; a
range that mixes ``fixed`` and ``last_affected`` (possible in CVE records) keeps its ``fixed``
events, because OSV forbids the mix.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import cache
from typing import Any

from candor.adapters.export.common import (
    JSON,
    OSV_TYPE_TAGS,
    build,
    extras_of,
    first_per_version,
    leftover,
    osv_range_type,
    osv_reference_type,
    overlay,
    reuse,
    scheme_for_osv,
    scorable,
    split_reuse,
    text_time,
)
from candor.adapters.export.schemas import validator
from candor.domain.advisories import (
    Advisory,
    Affected,
    CvssVersion,
    EventKind,
    Status,
)
from candor.domain.errors import InvalidInput, Problem

SCHEMA_VERSION = "1.7.0"
SEVERITY_TYPES = {
    CvssVersion.V2_0: "CVSS_V2",
    CvssVersion.V3_0: "CVSS_V3",
    CvssVersion.V3_1: "CVSS_V3",
    CvssVersion.V4_0: "CVSS_V4",
}
TOP_KEYS = (
    "schema_version",
    "id",
    "modified",
    "published",
    "aliases",
    "summary",
    "details",
    "severity",
    "affected",
    "references",
    "credits",
)
AFFECTED_KEYS = ("package", "ranges", "versions")
CVE = re.compile(r"^CVE-\d{4}-\d{4,}$")


@cache
def _prefix() -> re.Pattern[str]:
    # the registered database prefixes, from the vendored schema itself
    schema = validator("osv").schema
    return re.compile(schema["$defs"]["prefix"]["pattern"])


def osv_id(advisory_id: str) -> str:
    return advisory_id if _prefix().match(advisory_id) else f"x_{advisory_id}"


def pick(advisory: Advisory, *, cve: str | None = None, index: int | None = None) -> int:
    """Which vulnerability to export: by CVE id, by position, or the only one."""
    if not advisory.vulnerabilities:
        raise InvalidInput(Problem("the advisory has no vulnerabilities", field="vulnerabilities"))
    if cve is not None:
        for i, v in enumerate(advisory.vulnerabilities):
            if v.cve == cve.upper():
                return i
        raise InvalidInput(Problem(f"no vulnerability has {cve}", field="--cve"))
    if index is not None:
        if not 0 <= index < len(advisory.vulnerabilities):
            raise InvalidInput(Problem(f"no vulnerability number {index}", field="--vulnerability"))
        return index
    if len(advisory.vulnerabilities) > 1:
        listed = ", ".join(v.cve or f"#{i}" for i, v in enumerate(advisory.vulnerabilities))
        raise InvalidInput(
            Problem(
                f"the advisory has {len(advisory.vulnerabilities)} vulnerabilities ({listed})",
                hint="choose one with --cve or --vulnerability",
            )
        )
    return 0


def to_osv(advisory: Advisory, *, index: int = 0, now: datetime) -> JSON:
    """The OSV record of one vulnerability of the advisory. ``now`` stands in for the
    modification time of an advisory never released."""
    v = advisory.vulnerabilities[index]
    extras = extras_of(v.extras, "osv")
    record_id = advisory.id if len(advisory.vulnerabilities) == 1 else f"{advisory.id}-{index + 1}"
    out: JSON = {"schema_version": extras.get("schema_version", SCHEMA_VERSION)}
    out["id"] = osv_id(record_id)
    out["modified"] = text_time(advisory.current_release or now)
    if advisory.initial_release:
        out["published"] = text_time(advisory.initial_release)
    aliases = list(dict.fromkeys([*([v.cve] if v.cve else []), *v.aliases]))
    if aliases:
        out["aliases"] = reuse(extras.get("aliases"), aliases, lambda x: x)
    summary = v.title or advisory.title
    if summary:
        out["summary"] = summary
    details = v.description or advisory.description
    if details:
        out["details"] = details
    severity = [{"type": SEVERITY_TYPES[s.version], "score": s.vector} for s in v.scores]
    # Ubuntu priorities and vectors that cannot be scored are not modelled: always kept
    severity = split_reuse(extras.get("severity"), severity, _modelled_severity)
    if severity:
        out["severity"] = severity
    affected = [_affected(a) for a in v.affected]
    if affected:
        out["affected"] = affected
    refs = [
        {"type": osv_reference_type(r.tags), "url": r.url}
        for r in (*v.references, *advisory.references)
    ]
    if refs:
        out["references"] = reuse(extras.get("references"), refs, lambda x: (x["type"], x["url"]))
    credits = [_credit(c.name, c.type, c.contact) for c in (*v.credits, *advisory.credits)]
    if credits:
        out["credits"] = credits
    return overlay(out, extras)


def _modelled_severity(item: Any) -> Any:
    cvss_type = isinstance(item, dict) and str(item.get("type", "")).startswith("CVSS")
    if cvss_type and scorable(item.get("score")):
        return (item["type"], item["score"])
    return None


def _credit(name: str, kind: str | None, contact: tuple[str, ...]) -> JSON:
    out: JSON = {"name": name}
    if contact:
        out["contact"] = list(contact)
    if kind:
        out["type"] = kind.upper().replace(" ", "_")
    return out


def _affected(a: Affected) -> JSON:
    extras = extras_of(a.extras, "osv")
    out: JSON = {}
    name = a.package or a.product
    if a.ecosystem and name:
        package: JSON = {"ecosystem": a.ecosystem, "name": name}
        if a.purl:
            package["purl"] = a.purl
        out["package"] = package
    ranges = []
    for r in a.ranges:
        if r.status is not Status.AFFECTED:
            continue
        kind = osv_range_type(r.scheme)
        events = list(r.events)
        if any(e.kind is EventKind.FIXED for e in events):
            events = [e for e in events if e.kind is not EventKind.LAST_AFFECTED]
        # "*" closes nothing: it is how CVE says "and every later version"
        rendered = [{e.kind.value: e.version} for e in events if e.version != "*"]
        entry: JSON = {"type": kind}
        repo = r.repo or a.repo
        if kind == "GIT":
            if not repo:
                continue  # a git range without its repository means nothing to a scanner
            entry["repo"] = repo
        entry["events"] = rendered
        ranges.append(overlay(entry, extras_of(r.extras, "osv")))
    if ranges:
        out["ranges"] = ranges
    versions = [e.version for e in a.versions if e.status is Status.AFFECTED]
    if versions:
        out["versions"] = versions
    return overlay(out, extras)


def from_osv(doc: JSON) -> Advisory:
    """An advisory from an OSV record; fields the record does not model stay in extras."""
    if not isinstance(doc, dict) or not isinstance(doc.get("id"), str):
        raise InvalidInput(Problem("an OSV record is a JSON object with an id"))
    record_id = doc["id"]
    if record_id.startswith("x_") and not _prefix().match(record_id[2:]):
        record_id = record_id[2:]
    aliases = [a for a in doc.get("aliases") or [] if isinstance(a, str)]
    cve = next((a for a in aliases if CVE.match(a)), None)
    if cve is None and CVE.match(record_id):
        cve = record_id
    vextras: JSON = leftover(doc, TOP_KEYS)
    if "schema_version" in doc:
        vextras["schema_version"] = doc["schema_version"]
    if aliases and aliases[0] != cve and cve is not None:
        vextras["aliases"] = aliases  # keep the order the record gave
    severity = doc.get("severity") or []
    scores = first_per_version(
        item.get("score")
        for item in severity
        if isinstance(item, dict) and str(item.get("type", "")).startswith("CVSS")
    )
    if len(scores) != len(severity):
        vextras["severity"] = severity
    refs = []
    for ref in doc.get("references") or []:
        tag = OSV_TYPE_TAGS.get(ref.get("type", ""))
        refs.append({"url": ref["url"], "tags": [tag] if tag else []})
    credits = []
    for c in doc.get("credits") or []:
        entry: JSON = {"name": c["name"]}
        if c.get("type"):
            entry["type"] = c["type"].lower().replace("_", " ")
        if c.get("contact"):
            entry["contact"] = c["contact"]
        credits.append(entry)
    vulnerability: JSON = {
        "cve": cve,
        "aliases": [a for a in aliases if a != cve],
        "cvss": scores,
        "affected": [_import_affected(a) for a in doc.get("affected") or []],
        "references": refs,
        "credits": credits,
        "extras": {"osv": vextras} if vextras else {},
    }
    modified, published = doc.get("modified"), doc.get("published")
    data: JSON = {
        "id": record_id,
        "title": doc.get("summary"),
        "description": doc.get("details"),
        "status": "published",
        "vulnerabilities": [{k: v for k, v in vulnerability.items() if v}],
        "initial_release": published,
        "current_release": modified,
        "revisions": [
            {
                "number": "1",
                "date": modified or published,
                "summary": f"Imported from the OSV record {doc['id']}",
            }
        ],
    }
    return build({k: v for k, v in data.items() if v is not None})


def _import_affected(item: Any) -> JSON:
    item = item if isinstance(item, dict) else {}
    package = item.get("package") or {}
    ecosystem = package.get("ecosystem")
    out: JSON = {
        "package": package.get("name"),
        "ecosystem": ecosystem,
        "purl": package.get("purl"),
    }
    extras = leftover(item, AFFECTED_KEYS)
    ranges = []
    for r in item.get("ranges") or []:
        entry: JSON = {
            "scheme": scheme_for_osv(r.get("type", ""), ecosystem),
            "events": r.get("events") or [],
        }
        if r.get("repo"):
            entry["repo"] = r["repo"]
        rest = leftover(r, ("type", "repo", "events"))
        if rest:
            entry["extras"] = {"osv": rest}
        ranges.append(entry)
    out["ranges"] = ranges
    out["versions"] = [str(v) for v in item.get("versions") or []]
    if extras:
        out["extras"] = {"osv": extras}
    if not out["package"]:
        # OSV allows an affected entry with git ranges only; the record still needs a name
        repo = next((r.get("repo") for r in item.get("ranges") or [] if r.get("repo")), None)
        out["product"] = repo or "unnamed"
        out.pop("package")
    return {k: v for k, v in out.items() if v}
