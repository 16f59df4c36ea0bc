"""What must survive a round trip, per format: ids, affected ranges, scores, references.

Two views: ``document_*`` read a document of the format (used on the real samples, before and
after import → export), ``record_*`` read an advisory record as far as the format carries it
(used by the Hypothesis round trips record → document → record). Texts are compared without
surrounding white space, which the record trims on purpose; lists without order, which none of
the formats gives a meaning.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from candor.adapters.export.common import intervals, osv_range_type, scheme_for_osv
from candor.adapters.export.csaf_vers import SCHEMES_BY_VERS, vers_scheme
from candor.domain.advisories import Advisory, Status


def _c(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _strip(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, list):
        return [_strip(v) for v in value]
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items()}
    return value


def _bag(items: Iterable[Any]) -> list[str]:
    return sorted(_c(_strip(x)) for x in items)


# --- documents ---------------------------------------------------------------------------


def document_cve(doc: dict[str, Any]) -> dict[str, Any]:
    cna = doc["containers"]["cna"]
    return {
        "id": doc["cveMetadata"]["cveId"],
        "affected": _bag(
            {
                "vendor": a.get("vendor"),
                "product": a.get("product"),
                "packageName": a.get("packageName"),
                "defaultStatus": a.get("defaultStatus"),
                "versions": _bag(a.get("versions", [])),
            }
            for a in cna["affected"]
        ),
        "scores": _bag(
            (key, m[key]["vectorString"], float(m[key]["baseScore"]))
            for m in cna.get("metrics", [])
            for key in ("cvssV2_0", "cvssV3_0", "cvssV3_1", "cvssV4_0")
            if key in m
        ),
        "references": _bag(r["url"] for r in cna["references"]),
    }


def document_osv(doc: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": doc["id"],
        "aliases": _bag(doc.get("aliases") or []),
        "affected": _bag(
            {
                "package": a.get("package"),
                "ranges": _bag(
                    {"type": r["type"], "repo": r.get("repo"), "events": r["events"]}
                    for r in a.get("ranges", [])
                ),
                "versions": _bag(a.get("versions", [])),
            }
            for a in doc.get("affected") or []
        ),
        "scores": _bag((s["type"], s["score"]) for s in doc.get("severity") or []),
        "references": _bag((r["type"], r["url"]) for r in doc.get("references") or []),
    }


def _csaf_products(doc: dict[str, Any]) -> dict[str, Any]:
    """Every product id with its name and the branch it hangs from (or its relationship)."""
    out: dict[str, Any] = {}
    tree = doc.get("product_tree") or {}

    def walk(branches: Any, path: tuple[Any, ...]) -> None:
        for b in branches or []:
            here = (*path, (b["category"], b["name"]))
            if "product" in b:
                out[b["product"]["product_id"]] = {"name": b["product"]["name"], "path": here}
            walk(b.get("branches"), here)

    walk(tree.get("branches"), ())
    for p in tree.get("full_product_names") or []:
        out[p["product_id"]] = {"name": p["name"]}
    for r in tree.get("relationships") or []:
        p = r["full_product_name"]
        out[p["product_id"]] = {
            "name": p["name"],
            "relates": [r["product_reference"], r["relates_to_product_reference"]],
        }
    return out


def document_csaf(doc: dict[str, Any]) -> dict[str, Any]:
    products = _csaf_products(doc)
    vulns = []
    for v in doc.get("vulnerabilities") or []:
        status = v.get("product_status") or {}
        vulns.append(
            {
                "cve": v.get("cve"),
                "ids": _bag(i["text"] for i in v.get("ids") or []),
                "status": {
                    k: _bag({"id": p, **products.get(p, {})} for p in ids)
                    for k, ids in status.items()
                },
                "scores": _bag(
                    (
                        sorted(s["products"]),
                        s[k]["version"],
                        s[k]["vectorString"],
                        float(s[k]["baseScore"]),
                    )
                    for s in v.get("scores") or []
                    for k in ("cvss_v2", "cvss_v3")
                    if k in s
                ),
                "references": _bag(r["url"] for r in v.get("references") or []),
            }
        )
    return {
        "id": doc["document"]["tracking"]["id"],
        "references": _bag(r["url"] for r in doc["document"].get("references") or []),
        "vulnerabilities": vulns,
    }


def document_csaf_model(doc: dict[str, Any]) -> dict[str, Any]:
    """The CSAF essentials as the record models them, without the imported product ids and
    tree shapes that only extras keep: each status names the product by its leaf."""
    products = _csaf_products(doc)

    def leaf(pid: str) -> Any:
        p = products.get(pid, {})
        if "path" in p:
            category, name = p["path"][-1]
            if name == "vers:all/*" and len(p["path"]) > 1:
                return [p["path"][-2][1]]  # every version: the product itself
            return ["range", name] if category == "product_version_range" else [name]
        return [p.get("name", pid)]

    vulns = []
    for v in doc.get("vulnerabilities") or []:
        status = v.get("product_status") or {}
        vulns.append(
            {
                "cve": v.get("cve"),
                "ids": _bag(i["text"] for i in v.get("ids") or []),
                "status": {k: _bag(leaf(p) for p in ids) for k, ids in status.items()},
                "scores": _bag(
                    (s[k]["version"], s[k]["vectorString"], float(s[k]["baseScore"]))
                    for s in v.get("scores") or []
                    for k in ("cvss_v2", "cvss_v3")
                    if k in s
                ),
                "references": _bag(r["url"] for r in v.get("references") or []),
            }
        )
    return {
        "id": doc["document"]["tracking"]["id"],
        "references": _bag(
            r["url"]
            for r in doc["document"].get("references") or []
            if r.get("category", "external") == "external"
        ),
        "vulnerabilities": vulns,
    }


DOCUMENT = {"cve": document_cve, "osv": document_osv, "csaf": document_csaf}


# --- records ------------------------------------------------------------------------------


def _status(status: Status, fmt: str) -> str:
    if fmt == "cve" and status is Status.FIXED:
        return "unaffected"
    return status.value


def _scheme(scheme: str, fmt: str, ecosystem: str | None) -> str:
    if fmt == "osv":
        return scheme_for_osv(osv_range_type(scheme), ecosystem)
    if fmt == "csaf":
        return SCHEMES_BY_VERS[vers_scheme(scheme)]
    return scheme


def record(advisory: Advisory, fmt: str) -> dict[str, Any]:
    """The advisory as far as ``fmt`` carries it."""
    vulns = []
    for v in advisory.vulnerabilities:
        affected = []
        for a in v.affected:
            runs = []
            for r in a.ranges:
                if fmt == "osv" and r.status is not Status.AFFECTED:
                    continue
                for run in intervals(r, status=_status(r.status, fmt)):
                    runs.append(
                        (
                            _scheme(run.scheme, fmt, a.ecosystem),
                            run.status,
                            run.start,
                            run.end_kind,
                            run.end,
                        )
                    )
            versions = [
                (e.version, _status(e.status, fmt))
                for e in a.versions
                if fmt != "osv" or e.status is Status.AFFECTED
            ]
            name = a.package if fmt == "osv" else (a.product or a.package)
            entry: dict[str, Any] = {"name": name, "runs": _bag(runs), "versions": _bag(versions)}
            # CVE keeps the status of versions not listed; CSAF only that of a whole product
            # (vers:all/*); OSV lists what is affected and has no such status
            whole = fmt == "cve" or (fmt == "csaf" and not runs and not versions)
            if whole and a.default_status is not None:
                entry["default"] = _status(a.default_status, fmt)
            affected.append(entry)
        refs = [r.url for r in (*v.references, *advisory.references)]
        vulns.append(
            {
                "cve": v.cve,
                "aliases": _bag(v.aliases) if fmt != "cve" else [],
                "affected": _bag(affected),
                "scores": _bag((s.version.value, s.vector, s.base_score) for s in v.scores),
                "references": sorted(set(refs)),
            }
        )
    return {"vulnerabilities": vulns}
