"""Advisories from CSAF 2.0 documents (any profile), keeping what the record does not model.

Each product a vulnerability's product status names becomes an affected product of that
vulnerability: the leaves under one branch become the versions (``product_version``) and ranges
(``product_version_range`` in ``vers``) of one affected product, with the branch path, product
id and full name kept so the re-exported tree is the same. Products defined in relationships or
as full product names stand alone. Products no vulnerability names (an informational
advisory's whole tree) are kept in the advisory's extras and written back unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from candor.adapters.export.common import JSON, build, first_per_version, leftover
from candor.adapters.export.csaf_tree import (
    ALL_VERSIONS,
    CATEGORY_STATUS,
    CVSS4_NOTE,
    STATUS_CATEGORY,
    TLP_URL,
    full_name,
)
from candor.adapters.export.csaf_vers import from_vers
from candor.domain.advisories import Advisory, Status
from candor.domain.errors import InvalidInput, Problem

# lists of a vulnerability the record models in part: kept as imported, re-emitted while the
# record still says the same (see common.reuse)
KEPT_VULN_KEYS = (
    "ids",
    "notes",
    "scores",
    "remediations",
    "threats",
    "references",
    "acknowledgments",
    "release_date",
    "product_status",
)
TLP_RECORD = {"WHITE": "CLEAR", "GREEN": "GREEN", "AMBER": "AMBER", "RED": "RED"}


class _Product:
    def __init__(
        self,
        product: Mapping[str, Any],
        path: tuple[tuple[str, str], ...],
        relationship: JSON | None = None,
        full: bool = False,
    ) -> None:
        self.product = product
        self.path = path  # includes the leaf branch itself
        self.relationship = relationship
        self.full = full

    @property
    def pid(self) -> str:
        return str(self.product.get("product_id"))


def _products(doc: Mapping[str, Any]) -> dict[str, _Product]:
    tree = doc.get("product_tree") or {}
    out: dict[str, _Product] = {}

    def walk(branches: Any, path: tuple[tuple[str, str], ...]) -> None:
        for b in branches or []:
            here = (*path, (str(b.get("category")), str(b.get("name"))))
            if isinstance(b.get("product"), Mapping):
                p = _Product(b["product"], here)
                out.setdefault(p.pid, p)
            walk(b.get("branches"), here)

    walk(tree.get("branches"), ())
    for fpn in tree.get("full_product_names") or []:
        p = _Product(fpn, (), full=True)
        out.setdefault(p.pid, p)
    for rel in tree.get("relationships") or []:
        fpn = rel.get("full_product_name") or {}
        p = _Product(fpn, (), relationship=leftover(rel, ("full_product_name",)))
        out.setdefault(p.pid, p)
    return out


def _vendor_product(path: tuple[tuple[str, str], ...]) -> tuple[str | None, str | None]:
    vendor = next((n for c, n in path if c == "vendor"), None)
    product = next((n for c, n in reversed(path) if c in ("product_name", "product_family")), None)
    return vendor, product


def _status(categories: list[str]) -> Status:
    said = [CATEGORY_STATUS[c] for c in categories if c in CATEGORY_STATUS]
    # a product only "recommended" is one the vendor says to use: a fixed version
    return said[0] if said else Status.FIXED


def _entry_extras(p: _Product, categories: list[str], generated_name: str) -> JSON:
    ex: JSON = {"product_id": p.pid}
    if p.product.get("name") != generated_name:
        ex["name"] = p.product.get("name")
    if categories != [STATUS_CATEGORY[_status(categories)]]:
        ex["statuses"] = categories
    helper = p.product.get("product_identification_helper")
    if helper:
        ex["product_identification_helper"] = helper
    return ex


def _affected(products: dict[str, _Product], status_of: dict[str, list[str]]) -> list[JSON]:
    groups: dict[Any, JSON] = {}
    for pid, categories in status_of.items():
        p = products.get(pid)
        if p is None:
            continue  # an undefined product id (CSAF 6.1.1); nothing to attach it to
        status = _status(categories)
        leaf_category = p.path[-1][0] if p.path else None
        if not p.path or leaf_category in ("product_name", "product_family", "vendor"):
            vendor, product = _vendor_product(p.path)
            entry: JSON = {
                "product": product or p.product.get("name"),
                "default_status": status.value,
            }
            if vendor:
                entry["vendor"] = vendor
            name = full_name(vendor, product or p.product.get("name"), None)
            ex = _entry_extras(p, categories, name)
            default = [("vendor", vendor)] if vendor else []
            default.append(("product_name", entry["product"]))
            if p.path and list(p.path) != default:
                ex["branches"] = [list(x) for x in p.path]
            if p.relationship is not None:
                ex["relationship"] = p.relationship
            if p.full:
                ex["full_product_name"] = True
            entry["extras"] = {"csaf": ex}
            groups[("single", pid)] = entry
            continue
        parent = p.path[:-1]
        vendor, product = _vendor_product(parent)
        key = ("group", parent)
        group = groups.get(key)
        if group is None:
            group = {
                "vendor": vendor,
                "product": product or (parent[-1][1] if parent else None),
                "ranges": [],
                "versions": [],
            }
            if group["product"] is None:
                group["product"] = p.product.get("name")
            default = [("vendor", vendor)] if vendor else []
            default.append(("product_name", group["product"]))
            if list(parent) != default:
                group["extras"] = {"csaf": {"branches": [list(x) for x in parent]}}
            groups[key] = group
        leaf_name = p.path[-1][1]
        label = full_name(vendor, group["product"], leaf_name)
        ex = _entry_extras(p, categories, label)
        if leaf_category == "product_version_range" and leaf_name == ALL_VERSIONS:
            # every version of the product: the record's default status
            group["default_status"] = status.value
            ex = _entry_extras(p, categories, full_name(vendor, group["product"], None))
            group.setdefault("extras", {}).setdefault("csaf", {})["all"] = ex
            continue
        if leaf_category == "product_version_range":
            r = from_vers(leaf_name, status)
            if r is not None:
                group["ranges"].append(
                    {
                        "scheme": r.scheme,
                        "status": status.value,
                        "events": [{e.kind.value: e.version} for e in r.events],
                        "extras": {"csaf": ex},
                    }
                )
                continue
        if leaf_category != "product_version":
            ex["category"] = leaf_category
        group["versions"].append(
            {"version": leaf_name, "status": status.value, "extras": {"csaf": ex}}
        )
    for group in groups.values():
        _lift_purl(group)
    return [{k: v for k, v in g.items() if v} for g in groups.values()]


def _lift_purl(group: JSON) -> None:
    """When every leaf's purl is one package URL (with the leaf's version, or bare for a
    range), say it once on the product instead of on every leaf."""
    entries = [*group.get("versions", []), *group.get("ranges", [])]
    helpers = [e["extras"]["csaf"].get("product_identification_helper") for e in entries]
    if not entries or any(h is None or set(h) != {"purl"} for h in helpers):
        return
    bases = set()
    for entry, helper in zip(entries, helpers, strict=True):
        purl = str(helper["purl"])
        version = entry.get("version") if "events" not in entry else None
        suffix = f"@{version}" if version else ""
        if version and not purl.endswith(suffix):
            return
        bases.add(purl.removesuffix(suffix) if suffix else purl)
    if len(bases) != 1 or "@" in next(iter(bases)):
        return
    group["purl"] = bases.pop()
    for entry in entries:
        del entry["extras"]["csaf"]["product_identification_helper"]


def from_csaf(doc: JSON) -> Advisory:
    """An advisory from a CSAF 2.0 document."""
    if not isinstance(doc, dict) or not isinstance(doc.get("document"), dict):
        raise InvalidInput(Problem("a CSAF document is a JSON object with a document"))
    document = doc["document"]
    tracking = document.get("tracking") or {}
    products = _products(doc)
    summary_text = next(
        (
            n.get("text")
            for n in document.get("notes") or []
            if n.get("category") in ("summary", "description", "general", "details")
        ),
        None,
    )
    referenced: set[str] = set()
    vulns = []
    for v in doc.get("vulnerabilities") or []:
        vulns.append(_vulnerability(v, products, summary_text))
        for ids in (v.get("product_status") or {}).values():
            referenced.update(ids)
    doc_extras = leftover(
        document,
        (
            "category",
            "csaf_version",
            "title",
            "publisher",
            "lang",
            "distribution",
            "tracking",
            "notes",
            "references",
            "acknowledgments",
        ),
    )
    if document.get("category") != "csaf_security_advisory":
        doc_extras["category"] = document.get("category")
    publisher = document.get("publisher") or {}
    if leftover(publisher, ("category", "name", "namespace", "contact_details")):
        doc_extras["publisher"] = leftover(
            publisher, ("category", "name", "namespace", "contact_details")
        )
    # lang and distribution are optional in CSAF; remember they were absent so that an
    # unchanged advisory is written back without them
    omitted = [key for key in ("lang", "distribution") if key not in document]
    if omitted:
        doc_extras["omitted"] = omitted
    distribution = document.get("distribution") or {}
    tlp = distribution.get("tlp") or {}
    if leftover(distribution, ("tlp",)):
        doc_extras["distribution"] = leftover(distribution, ("tlp",))
    if tlp.get("url") != TLP_URL:
        doc_extras["tlp"] = leftover(tlp, ("label",)) or {"url": None}
    notes = document.get("notes") or []
    summary = next(
        (n for n in notes if n.get("category") in ("summary", "description", "general", "details")),
        None,
    )
    if notes:
        doc_extras["notes"] = notes
    refs, doc_refs = [], document.get("references") or []
    for r in doc_refs:
        if r.get("category", "external") == "external":
            refs.append(
                {
                    "url": r["url"],
                    **(
                        {"name": r["summary"]}
                        if r.get("summary") and r["summary"] != r["url"]
                        else {}
                    ),
                }
            )
    if doc_refs:
        doc_extras["references"] = doc_refs
    credits = [
        name for ack in document.get("acknowledgments") or [] for name in ack.get("names") or []
    ]
    if document.get("acknowledgments"):
        doc_extras["acknowledgments"] = document["acknowledgments"]
    track_extras = leftover(
        tracking,
        (
            "id",
            "status",
            "revision_history",
            "initial_release_date",
            "current_release_date",
            "generator",
        ),
    )
    for key in ("status", "initial_release_date", "current_release_date"):
        if key in tracking:
            track_extras[key] = tracking[key]
    revisions = []
    for rev in tracking.get("revision_history") or []:
        entry: JSON = {"number": rev["number"], "date": rev["date"], "summary": rev["summary"]}
        rest = leftover(rev, ("number", "date", "summary"))
        rest["date"] = rev["date"]
        entry["extras"] = {"csaf": rest}
        revisions.append(entry)
    if tracking.get("version") and tracking.get("version") != _latest(revisions):
        track_extras["version"] = tracking["version"]
    if track_extras:
        doc_extras["tracking"] = track_extras
    status = "draft" if tracking.get("status") == "draft" else "published"
    extras: JSON = {}
    if doc_extras:
        extras["document"] = doc_extras
    others = []
    for pid, p in products.items():
        if pid not in referenced and p.path:
            others.append({"path": [list(x) for x in p.path], "product": dict(p.product)})
    if others:
        extras["other_products"] = others
    extras["order"] = list(products)
    tree_rest = leftover(
        doc.get("product_tree") or {}, ("branches", "full_product_names", "relationships")
    )
    if tree_rest:
        extras["product_tree"] = tree_rest
    extras.update(leftover(doc, ("document", "product_tree", "vulnerabilities")))
    data: JSON = {
        "id": tracking.get("id"),
        "title": document.get("title"),
        "description": summary.get("text") if summary else None,
        "language": document.get("lang") or "en",
        "status": status,
        "tlp": TLP_RECORD.get(tlp.get("label", "WHITE"), "CLEAR"),
        "publisher": {
            k: v
            for k, v in {
                "name": publisher.get("name"),
                "namespace": publisher.get("namespace"),
                "category": publisher.get("category"),
                "contact": publisher.get("contact_details"),
            }.items()
            if v
        },
        "initial_release": tracking.get("initial_release_date"),
        "current_release": tracking.get("current_release_date"),
        "revisions": revisions if status == "published" or revisions else None,
        "vulnerabilities": vulns,
        "references": refs,
        "credits": credits,
        "extras": {"csaf": extras} if extras else None,
    }
    return build({k: v for k, v in data.items() if v})


def _latest(revisions: list[JSON]) -> str | None:
    if not revisions:
        return None
    return str(max(revisions, key=lambda r: datetime.fromisoformat(r["date"]))["number"])


def _vulnerability(
    v: Mapping[str, Any], products: dict[str, _Product], summary: str | None
) -> JSON:
    status_of: dict[str, list[str]] = {}
    for category, ids in (v.get("product_status") or {}).items():
        for pid in ids:
            status_of.setdefault(pid, []).append(category)
    affected = _affected(products, status_of)
    notes = v.get("notes") or []
    description = next((n.get("text") for n in notes if n.get("category") == "description"), None)
    if description is not None and summary is not None and description.strip() == summary.strip():
        description = None  # Candor writes the advisory's description there when it has no other
    vectors = [
        (score.get(key) or {}).get("vectorString")
        for score in v.get("scores") or []
        for key in ("cvss_v3", "cvss_v2")
    ]
    vectors += [
        note.get("text")
        for note in notes
        if note.get("category") == "other" and note.get("title") == CVSS4_NOTE
    ]
    extras = leftover(
        v,
        (
            "cve",
            "ids",
            "title",
            "cwe",
            "notes",
            "product_status",
            "scores",
            "remediations",
            "threats",
            "references",
            "acknowledgments",
            "release_date",
        ),
    )
    for key in KEPT_VULN_KEYS:
        if key in v:
            extras[key] = v[key]
    cwe = v.get("cwe")
    remediations = []
    pid_to_affected: dict[str, int] = {}
    for i, a in enumerate(affected):
        for item in [a, *a.get("versions", []), *a.get("ranges", [])]:
            pid = (item.get("extras") or {}).get("csaf", {}).get("product_id")
            if pid:
                pid_to_affected[pid] = i
    for r in v.get("remediations") or []:
        rem: JSON = {"category": r["category"], "details": r["details"]}
        if r.get("url"):
            rem["url"] = r["url"]
        idx = sorted(
            {pid_to_affected[p] for p in r.get("product_ids") or [] if p in pid_to_affected}
        )
        if idx and len(idx) < len(affected):
            rem["products"] = idx
        rest = leftover(r, ("category", "details", "url"))
        if rest:
            rem["extras"] = {"csaf": rest}
        remediations.append(rem)
    out: JSON = {
        "cve": v.get("cve"),
        "aliases": [i["text"] for i in v.get("ids") or []],
        "title": v.get("title"),
        "description": description,
        "published": v.get("release_date"),
        "cwe": [{"id": cwe["id"], "name": cwe.get("name")}] if cwe else [],
        "cvss": first_per_version(vectors),
        "impacts": [t["details"] for t in v.get("threats") or [] if t.get("category") == "impact"],
        "remediations": remediations,
        "affected": affected,
        "references": [
            {
                "url": r["url"],
                **({"name": r["summary"]} if r.get("summary") and r["summary"] != r["url"] else {}),
            }
            for r in v.get("references") or []
        ],
        "credits": [n for ack in v.get("acknowledgments") or [] for n in ack.get("names") or []],
        "extras": {"csaf": extras} if extras else None,
    }
    return {k: val for k, val in out.items() if val}
