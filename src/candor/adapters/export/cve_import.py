"""Advisories from published CVE records (export: ``cve``).

What the record models is mapped; the rest stays in extras on the object it came from, the ADP
containers among them. Lists the record models in part (descriptions in other languages,
metrics with scenarios, problem types written as text) are kept as imported and dropped again
by ``_tidy`` when the record alone reproduces them, so the YAML stays short.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from candor.adapters.export.common import ECOSYSTEM_BY_URL, JSON, build, first_per_version, leftover
from candor.adapters.export.cve import (
    AFFECTED_KEYS,
    CNA_KEYS,
    METRIC_KEYS,
    PARTLY_MODELLED,
    affected_entry,
    first_value,
    to_cve,
)
from candor.domain.advisories import Advisory
from candor.domain.errors import InvalidInput, Problem


def _import_range(entry: JSON) -> JSON:
    events: list[JSON] = [{"introduced": entry["version"]}]
    for change in entry.get("changes") or []:
        kind = {"affected": "introduced", "unaffected": "fixed"}.get(change.get("status"))
        if kind is None:
            raise ValueError("a change to status unknown has no event")
        events.append({kind: change["at"]})
    if "lessThan" in entry:
        events.append({"fixed": entry["lessThan"]})
    elif entry.get("lessThanOrEqual") != "*":
        events.append({"last_affected": entry["lessThanOrEqual"]})
    out: JSON = {"scheme": entry["versionType"], "status": entry["status"], "events": events}
    rest = leftover(
        entry, ("version", "status", "versionType", "lessThan", "lessThanOrEqual", "changes")
    )
    if rest:
        out["extras"] = {"cve": rest}
    return out


def _import_affected(item: JSON) -> JSON:
    out: JSON = {
        "vendor": item.get("vendor"),
        "product": item.get("product"),
        "package": item.get("packageName"),
        "repo": item.get("repo"),
        "cpes": item.get("cpes"),
        "default_status": item.get("defaultStatus"),
    }
    extras = leftover(item, AFFECTED_KEYS)
    url = item.get("collectionURL")
    if url:
        if url in ECOSYSTEM_BY_URL:
            out["ecosystem"] = ECOSYSTEM_BY_URL[url]
        else:
            extras["collectionURL"] = url
    ranges, versions = [], []
    for entry in item.get("versions") or []:
        if "lessThan" in entry or "lessThanOrEqual" in entry:
            try:
                ranges.append(_import_range(entry))
            except ValueError:
                extras.setdefault("unmodelled_versions", []).append(entry)
        else:
            version: JSON = {"version": entry["version"], "status": entry["status"]}
            if "versionType" in entry:
                version["scheme"] = entry["versionType"]
            versions.append(version)
    out["ranges"], out["versions"] = ranges, versions
    if item.get("versions"):
        extras["versions"] = item["versions"]  # dropped again by _tidy when reproduced
    if extras:
        out["extras"] = {"cve": extras}
    return {k: v for k, v in out.items() if v}


def _time(value: Any) -> str | None:
    """CVE times may leave out the zone, which then means UTC (the schema says so)."""
    if not isinstance(value, str):
        return None
    tail = value[10:]
    return value if ("Z" in tail or "+" in tail or "-" in tail) else value + "Z"


def from_cve(doc: JSON) -> Advisory:
    """An advisory from a published CVE record; fields the record does not model stay in
    extras (the ADP containers among them)."""
    if not isinstance(doc, dict) or doc.get("cveMetadata", {}).get("state") != "PUBLISHED":
        raise InvalidInput(Problem("only published CVE records can be imported"))
    meta = doc["cveMetadata"]
    cna = doc["containers"]["cna"]
    descriptions = cna.get("descriptions") or []
    english = next(
        (d for d in descriptions if str(d.get("lang", "")).lower().startswith("en")),
        descriptions[0] if descriptions else None,
    )
    lang = english.get("lang", "en") if english else "en"
    provider = cna.get("providerMetadata") or {}
    publisher = {
        "name": provider.get("shortName") or meta.get("assignerShortName") or meta["assignerOrgId"],
        "category": "other",
        "cna_org_id": provider.get("orgId") or meta["assignerOrgId"],
        "cna_short_name": provider.get("shortName") or meta.get("assignerShortName"),
    }
    cwes: list[JSON] = []
    for pt in cna.get("problemTypes") or []:
        for d in pt.get("descriptions", []):
            cwe = str(d.get("cweId", "")).upper()
            if cwe.startswith("CWE-") and cwe not in [c["id"] for c in cwes]:
                name = d.get("description")
                cwes.append({"id": cwe, "name": name} if name and name != cwe else {"id": cwe})
    vectors = []
    for m in cna.get("metrics") or []:
        for key in METRIC_KEYS.values():
            vector = (m.get(key) or {}).get("vectorString")
            vectors.append(vector)
    refs = []
    for r in cna.get("references") or []:
        ref: JSON = {"url": r["url"]}
        if r.get("name"):
            ref["name"] = r["name"]
        if r.get("tags"):
            ref["tags"] = r["tags"]
        refs.append(ref)
    credits = []
    for c in cna.get("credits") or []:
        credit: JSON = {"name": c["value"]}
        if c.get("type"):
            credit["type"] = c["type"]
        rest = leftover(c, ("lang", "value", "type"))
        if rest:
            credit["extras"] = {"cve": rest}
        credits.append(credit)
    cna_extras = leftover(cna, CNA_KEYS)
    if "datePublic" in cna:
        cna_extras["datePublic"] = cna["datePublic"]
    for key in PARTLY_MODELLED:
        if cna.get(key):
            cna_extras[key] = cna[key]
    if leftover(provider, ("orgId", "shortName")):
        cna_extras["providerMetadata"] = leftover(provider, ("orgId", "shortName"))
    extras: JSON = {"cna": cna_extras}
    # the times are modelled, but their spelling is kept for an exact re-export
    meta_rest = leftover(meta, ("cveId", "assignerOrgId", "assignerShortName", "state"))
    if meta_rest:
        extras["cveMetadata"] = meta_rest
    containers = leftover(doc["containers"], ("cna",))
    if containers:
        extras["containers"] = containers
    extras.update(leftover(doc, ("dataType", "cveMetadata", "containers")))
    when = _time(meta.get("dateUpdated") or meta.get("datePublished"))
    vulnerability: JSON = {
        "cve": meta["cveId"],
        "published": _time(cna.get("datePublic")),
        "cwe": cwes,
        "cvss": first_per_version(vectors),
        "impacts": [first_value(i) for i in cna.get("impacts") or []],
        "workarounds": [w["value"] for w in cna.get("workarounds") or []],
        "remediations": [
            {"category": "vendor_fix", "details": s["value"]} for s in cna.get("solutions") or []
        ],
        "affected": [_import_affected(a) for a in cna.get("affected") or []],
        "references": refs,
        "credits": credits,
        "extras": {"cve": extras},
    }
    data: JSON = {
        "id": meta["cveId"],
        "title": cna.get("title"),
        "description": english.get("value") if english else None,
        "language": lang,
        "publisher": {k: v for k, v in publisher.items() if v},
        "status": "published" if when else "draft",
        "initial_release": _time(meta.get("datePublished")),
        "current_release": _time(meta.get("dateUpdated")),
        "vulnerabilities": [{k: v for k, v in vulnerability.items() if v}],
    }
    if when:
        data["revisions"] = [
            {
                "number": "1",
                "date": when,
                "summary": f"Imported from the CVE record {meta['cveId']}",
            }
        ]
    return _tidy(build({k: v for k, v in data.items() if v is not None}))


def _tidy(advisory: Advisory) -> Advisory:
    """Drop the imported lists that the record reproduces exactly, to keep the YAML short."""
    vulns = []
    for v in advisory.vulnerabilities:
        extras = dict(v.extras.get("cve", {}))
        cna = dict(extras.get("cna", {}))
        probe = replace(advisory, vulnerabilities=(replace(v, extras={}),))
        try:
            fresh = to_cve(probe, index=0)["containers"]["cna"]
        except InvalidInput:
            fresh = {}
        for key in PARTLY_MODELLED:
            if key in cna and fresh.get(key) == cna[key]:
                del cna[key]
        extras["cna"] = cna
        affected = []
        for a in v.affected:
            a_extras = dict(a.extras.get("cve", {}))
            fresh_versions = affected_entry(replace(a, extras={})).get("versions")
            if "versions" in a_extras and fresh_versions == a_extras["versions"]:
                del a_extras["versions"]
            affected.append(replace(a, extras={**a.extras, "cve": a_extras} if a_extras else {}))
        vulns.append(replace(v, extras={**v.extras, "cve": extras}, affected=tuple(affected)))
    return replace(advisory, vulnerabilities=tuple(vulns))
