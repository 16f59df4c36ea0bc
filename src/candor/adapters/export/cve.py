"""CVE JSON 5.1 records (CNA container) from an advisory, and advisories from them.

A CVE record holds one vulnerability with its CVE id; the CNA container is what a CNA submits
through CVE Services. The record needs the CNA's organisation UUID (``publisher.cna_org_id``),
which the CVE Program gives each CNA. ADP containers (CISA's enrichment and the like) belong to
other organisations: an import keeps them for re-export but the record does not model them.

Version entries map to ranges of events: ``version`` is the introduction, ``lessThan`` a fix,
``lessThanOrEqual`` the last affected version (``*`` meaning "no end"), and ``changes`` the
events in between. A range whose runs are not "introduced then fixed" in turn is written as one
entry per run.
"""

from __future__ import annotations

from typing import Any

from candor.adapters.export.common import (
    COLLECTION_URLS,
    JSON,
    cve_status,
    extras_of,
    intervals,
    overlay,
    replace_first,
    reuse,
    same_time,
    scorable,
    split_reuse,
)
from candor.adapters.export.cvss import metric_json
from candor.domain.advisories import (
    Advisory,
    Affected,
    CvssVersion,
    EventKind,
    RemediationCategory,
    VersionRange,
)
from candor.domain.errors import InvalidInput, Problem

DATA_VERSION = "5.1"
METRIC_KEYS = {
    CvssVersion.V2_0: "cvssV2_0",
    CvssVersion.V3_0: "cvssV3_0",
    CvssVersion.V3_1: "cvssV3_1",
    CvssVersion.V4_0: "cvssV4_0",
}
CNA_KEYS = (
    "providerMetadata",
    "title",
    "descriptions",
    "affected",
    "problemTypes",
    "references",
    "impacts",
    "metrics",
    "workarounds",
    "solutions",
    "credits",
    "datePublic",
)
AFFECTED_KEYS = (
    "vendor",
    "product",
    "collectionURL",
    "packageName",
    "repo",
    "cpes",
    "defaultStatus",
    "versions",
)
# lists the record models in part: kept as imported, re-emitted while the record agrees
PARTLY_MODELLED = ("descriptions", "problemTypes", "impacts", "metrics", "workarounds", "solutions")
DESCRIPTION_MAX = 4096


def to_cve(advisory: Advisory, *, index: int = 0) -> JSON:
    """The CVE record of one vulnerability, or ``InvalidInput`` naming what the CVE Program
    requires and the advisory lacks."""
    v = advisory.vulnerabilities[index]
    problems: list[Problem] = []
    base = f"vulnerabilities[{index}]"
    if not v.cve:
        problems.append(
            Problem(
                "no CVE id yet",
                field=f"{base}.cve",
                hint="request one from your CNA (see docs/advisories.md), then add it",
            )
        )
    publisher = advisory.publisher
    if publisher is None or publisher.cna_org_id is None:
        problems.append(
            Problem(
                "the CNA's organisation UUID is missing",
                field="publisher.cna_org_id",
                hint="the CVE Program gives each CNA one; a vendor that is not a CNA sends "
                "this record's content to its CNA instead",
            )
        )
    description = v.description or advisory.description
    if not description:
        problems.append(Problem("a CVE record needs a description", field="description"))
    elif len(description) > DESCRIPTION_MAX:
        problems.append(
            Problem(
                f"CVE descriptions are at most {DESCRIPTION_MAX} characters", field="description"
            )
        )
    if not v.affected:
        problems.append(Problem("a CVE record needs an affected product", field=f"{base}.affected"))
    for i, a in enumerate(v.affected):
        if not a.ranges and not a.versions and a.default_status is None:
            problems.append(
                Problem("CVE needs versions or a default_status", field=f"{base}.affected[{i}]")
            )
        known_url = a.ecosystem in COLLECTION_URLS or a.extras.get("cve", {}).get("collectionURL")
        if not (a.vendor and a.product) and not (a.package and known_url):
            problems.append(
                Problem(
                    "CVE needs a vendor and a product, or a package in a known ecosystem",
                    field=f"{base}.affected[{i}]",
                )
            )
    if not (*v.references, *advisory.references):
        problems.append(Problem("a CVE record needs a reference", field="references"))
    if problems:
        raise InvalidInput(problems)
    assert v.cve is not None
    assert publisher is not None
    assert publisher.cna_org_id is not None
    assert description is not None
    extras = extras_of(v.extras, "cve")
    cna_extras: JSON = dict(extras.get("cna", {}))
    provider: JSON = {"orgId": publisher.cna_org_id}
    if publisher.cna_short_name:
        provider["shortName"] = publisher.cna_short_name
    lang = advisory.language
    cna: JSON = {"providerMetadata": overlay(provider, cna_extras.pop("providerMetadata", {}))}
    title = v.title or advisory.title
    if title:
        cna["title"] = title
    if v.published:
        cna["datePublic"] = same_time(cna_extras.pop("datePublic", None), v.published)
    cna["descriptions"] = _descriptions(cna_extras.pop("descriptions", None), lang, description)
    cna["affected"] = [affected_entry(a) for a in v.affected]
    problem_types = [
        {
            "descriptions": [
                {"lang": lang, "description": c.name or c.id, "cweId": c.id, "type": "CWE"}
            ]
        }
        for c in v.cwes
    ]
    original = cna_extras.pop("problemTypes", None)
    problem_types = split_reuse(original, problem_types, _cwe_ids)
    if problem_types:
        cna["problemTypes"] = problem_types
    refs = []
    for r in (*v.references, *advisory.references):
        ref: JSON = {"url": r.url}
        if r.name:
            ref["name"] = r.name
        if r.tags:
            ref["tags"] = list(r.tags)
        refs.append(overlay(ref, extras_of(r.extras, "cve")))
    cna["references"] = refs
    impacts = [{"descriptions": [{"lang": lang, "value": text}]} for text in v.impacts]
    impacts = reuse(cna_extras.pop("impacts", None), impacts, first_value)
    if impacts:
        cna["impacts"] = impacts
    metrics = _metrics(v.scores, cna_extras.pop("metrics", None))
    if metrics:
        cna["metrics"] = metrics
    workarounds = [*v.workarounds] + [
        r.details
        for r in v.remediations
        if r.category in (RemediationCategory.WORKAROUND, RemediationCategory.MITIGATION)
    ]
    solutions = [
        r.details
        for r in v.remediations
        if r.category not in (RemediationCategory.WORKAROUND, RemediationCategory.MITIGATION)
    ]
    for key, texts in (("workarounds", workarounds), ("solutions", solutions)):
        items = [{"lang": lang, "value": text} for text in texts]
        items = reuse(cna_extras.pop(key, None), items, lambda x: str(x["value"]).strip())
        if items:
            cna[key] = items
    credits = []
    for c in (*v.credits, *advisory.credits):
        credit: JSON = {"lang": lang, "value": c.name}
        if c.type:
            credit["type"] = c.type
        credits.append(overlay(credit, extras_of(c.extras, "cve")))
    if credits:
        cna["credits"] = credits
    cna = overlay(cna, cna_extras)
    meta: JSON = {
        "cveId": v.cve,
        "assignerOrgId": publisher.cna_org_id,
        "state": "PUBLISHED",
    }
    if publisher.cna_short_name:
        meta["assignerShortName"] = publisher.cna_short_name
    meta_extras = dict(extras.get("cveMetadata", {}))
    for key, value in (
        ("datePublished", advisory.initial_release),
        ("dateUpdated", advisory.current_release),
    ):
        if value:
            meta[key] = same_time(meta_extras.pop(key, None), value)
    record: JSON = {
        "dataType": "CVE_RECORD",
        "dataVersion": extras.get("dataVersion", DATA_VERSION),
        "cveMetadata": overlay(meta, meta_extras),
        "containers": overlay({"cna": cna}, extras.get("containers", {})),
    }
    return overlay(record, extras, skip=("cna", "cveMetadata", "containers", "dataVersion"))


def _descriptions(original: Any, lang: str, description: str) -> list[JSON]:
    # the record models the first English description; others (translations, media) stay
    return replace_first(
        original,
        lambda d: str(d.get("lang", "")).lower().startswith("en"),
        {"lang": lang, "value": description},
        lambda d: str(d.get("value", "")).strip() == description,
    )


def _cwe_ids(item: JSON) -> list[str]:
    return sorted(d["cweId"] for d in item.get("descriptions", []) if "cweId" in d)


def first_value(item: JSON) -> str:
    return str(item["descriptions"][0]["value"]).strip()


def _metrics(scores: Any, original: Any) -> list[JSON]:
    produced = [{METRIC_KEYS[s.version]: metric_json(s.vector)} for s in scores]

    def project(item: JSON) -> list[tuple[str, str, float]]:
        return sorted(
            (key, item[key]["vectorString"], float(item[key]["baseScore"]))
            for key in METRIC_KEYS.values()
            if key in item and scorable(item[key].get("vectorString"))
        )

    # items without a CVSS vector ("other", SSVC …) are not modelled: always kept
    return split_reuse(original, produced, project)


def affected_entry(a: Affected) -> JSON:
    extras = extras_of(a.extras, "cve")
    out: JSON = {}
    if a.vendor:
        out["vendor"] = a.vendor
    if a.product:
        out["product"] = a.product
    if a.package:
        url = extras.get("collectionURL") or COLLECTION_URLS.get(a.ecosystem or "")
        if url:
            out["collectionURL"] = url
        out["packageName"] = a.package
    if not a.product and "vendor" in out and "collectionURL" not in out:
        out["product"] = a.package
    if a.repo:
        out["repo"] = a.repo
    if a.cpes:
        out["cpes"] = list(a.cpes)
    if a.default_status:
        out["defaultStatus"] = cve_status(a.default_status)
    versions: list[JSON] = []
    for r in a.ranges:
        versions.extend(range_entries(r))
    for e in a.versions:
        entry: JSON = {"version": e.version, "status": cve_status(e.status)}
        if e.scheme:
            entry["versionType"] = e.scheme
        versions.append(overlay(entry, extras_of(e.extras, "cve")))
    versions = reuse(extras.get("versions"), versions, lambda x: x)
    if versions:
        out["versions"] = versions
    return overlay(out, extras, skip=("versions",))


def range_entries(r: VersionRange) -> list[JSON]:
    status = cve_status(r.status)
    events = list(r.events)
    kinds = [e.kind for e in events]
    alternating = (
        bool(events)
        and kinds[0] is EventKind.INTRODUCED
        and all(
            k is (EventKind.FIXED if i % 2 else EventKind.INTRODUCED)
            for i, k in enumerate(kinds[1:-1], start=1)
        )
    )
    if alternating:
        entry: JSON = {"version": events[0].version, "status": status, "versionType": r.scheme}
        changes = [
            {
                "at": e.version,
                "status": "affected" if e.kind is EventKind.INTRODUCED else "unaffected",
            }
            for e in events[1:-1]
        ]
        last = events[-1] if len(events) > 1 else None
        if last is None or last.kind is EventKind.INTRODUCED:
            if last is not None:
                changes.append({"at": last.version, "status": "affected"})
            entry["lessThanOrEqual"] = "*"
        elif last.kind is EventKind.LAST_AFFECTED:
            entry["lessThanOrEqual"] = last.version
        else:
            entry["lessThan"] = last.version
        if changes:
            entry["changes"] = changes
        return [overlay(entry, extras_of(r.extras, "cve"))]
    out = []
    for run in intervals(r):
        entry = {"version": run.start, "status": status, "versionType": r.scheme}
        if run.end is None:
            entry["lessThanOrEqual"] = "*"
        elif run.end_kind == EventKind.LAST_AFFECTED.value:
            entry["lessThanOrEqual"] = run.end
        else:
            entry["lessThan"] = run.end
        out.append(entry)
    return out
