"""CSAF 2.0 ``csaf_security_advisory`` documents from an advisory (import: ``csaf_import``).

The product tree is built from the affected products of every vulnerability: a branch per
vendor and product, and under it a ``product_version`` leaf per named version and a
``product_version_range`` leaf (a ``vers`` specifier) per range. Each leaf is a product with a
product id (``CSAFPID-0001`` …, or the id it had in an imported document) that the
vulnerabilities' product status, scores, remediations and threats refer to.

What CSAF 2.0 cannot say, and how it is handled:

- TLP 2.0 labels: CSAF 2.0 speaks TLP 1.0, so CLEAR is written WHITE and AMBER+STRICT is
  written AMBER (the stricter meaning is lost; the record keeps it).
- CVSS v4.0: CSAF 2.0 scores are v2 and v3 only. The v4.0 vector goes into a vulnerability note
  titled "CVSS v4.0", which the importer reads back.
- One CWE per vulnerability: CSAF 2.0's ``cwe`` is a single object, so the first CWE is written.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from candor import __version__
from candor.adapters.export.common import (
    JSON,
    extras_of,
    overlay,
    replace_first,
    reuse,
    same_time,
    scorable,
    split_reuse,
)
from candor.adapters.export.csaf_tree import (
    CSAF_TLP,
    CVSS4_NOTE,
    DESCRIPTION_NOTE,
    ID_SYSTEMS,
    SUMMARY_NOTE,
    TLP_URL,
    Leaf,
    Tree,
    categories_for,
    leaves_of,
    original_statuses,
    relationship_of,
)
from candor.adapters.export.cvss import metric_json
from candor.domain.advisories import (
    Advisory,
    AdvisoryStatus,
    CvssVersion,
    RemediationCategory,
    Status,
    Tlp,
    Vulnerability,
)
from candor.domain.advisory_dump import instant
from candor.domain.errors import InvalidInput, Problem


def check(advisory: Advisory) -> list[Problem]:
    problems: list[Problem] = []
    if not advisory.title:
        problems.append(Problem("CSAF needs a title", field="title"))
    p = advisory.publisher
    if p is None or not p.namespace:
        problems.append(
            Problem(
                "CSAF needs the publisher's name and namespace (its URL)",
                field="publisher",
                hint="publisher: {name: ACME Corp, namespace: https://acme.example}",
            )
        )
    category = extras_of(advisory.extras, "csaf").get("document", {}).get("category")
    if category in (None, "csaf_security_advisory", "csaf_vex") and not advisory.vulnerabilities:
        problems.append(
            Problem(
                "a CSAF security advisory needs at least one vulnerability", field="vulnerabilities"
            )
        )
    for i, v in enumerate(advisory.vulnerabilities):
        if v.cwes and not v.cwes[0].name:
            problems.append(
                Problem(
                    "CSAF needs the CWE's name as well as its id",
                    field=f"vulnerabilities[{i}].cwe[0]",
                    hint="e.g. {id: CWE-532, name: Insertion of Sensitive Information into "
                    "Log File}",
                )
            )
        if (v.remediations or v.workarounds or v.scores) and not v.affected:
            problems.append(
                Problem(
                    "remediations, workarounds and scores need an affected product to refer to",
                    field=f"vulnerabilities[{i}].affected",
                )
            )
    return problems


def to_csaf(advisory: Advisory, *, now: datetime) -> JSON:
    """The CSAF document of the advisory; ``now`` dates a draft that has no revision yet."""
    problems = check(advisory)
    if problems:
        raise InvalidInput(problems)
    assert advisory.publisher is not None
    assert advisory.title is not None
    extras = extras_of(advisory.extras, "csaf")
    doc_extras: JSON = dict(extras.get("document", {}))
    tree = Tree()
    tree.order = [str(x) for x in extras.get("order", [])]
    per_vuln: list[list[list[tuple[Leaf, Status]]]] = []
    for i, v in enumerate(advisory.vulnerabilities):
        rows = []
        for a in v.affected:
            leaves = leaves_of(tree, a)
            rows.append(leaves)
            for leaf, status in leaves:
                leaf.statuses.setdefault(i, set())
                leaf.statuses[i] |= categories_for(status, original_statuses(a, leaf))
        per_vuln.append(rows)
    for item in extras.get("other_products", []):
        key = ("other", repr(item))
        tree.leaves[key] = Leaf(tuple((c, n) for c, n in item.get("path", [])), item["product"])
    tree.assign_ids()
    publisher: JSON = {
        "category": advisory.publisher.category,
        "name": advisory.publisher.name,
        "namespace": advisory.publisher.namespace,
    }
    if advisory.publisher.contact:
        publisher["contact_details"] = advisory.publisher.contact
    tlp: JSON = {"label": CSAF_TLP[advisory.tlp], "url": TLP_URL}
    distribution = overlay(
        {"tlp": overlay(tlp, doc_extras.pop("tlp", {}))}, doc_extras.pop("distribution", {})
    )
    document: JSON = {
        "category": doc_extras.pop("category", "csaf_security_advisory"),
        "csaf_version": "2.0",
        "title": advisory.title,
        "publisher": overlay(publisher, doc_extras.pop("publisher", {})),
        "lang": advisory.language,
        "distribution": distribution,
        "tracking": _tracking(advisory, now, doc_extras.pop("tracking", {})),
    }
    summary = None
    if advisory.description:
        summary = {"category": "summary", "title": SUMMARY_NOTE, "text": advisory.description}
    notes = replace_first(
        doc_extras.pop("notes", None),
        lambda n: _summary_text(n) is not None,
        summary,
        lambda n: _summary_text(n) == advisory.description,
    )
    if notes:
        document["notes"] = notes
    refs = [_reference(r.url, r.name, r.extras) for r in advisory.references]
    refs = split_reuse(doc_extras.pop("references", None), refs, _external_url)
    if refs:
        document["references"] = refs
    acks = [{"names": [c.name]} for c in advisory.credits]
    acks = reuse(doc_extras.pop("acknowledgments", None), acks, _names)
    if acks:
        document["acknowledgments"] = acks
    omitted = doc_extras.pop("omitted", [])
    if "lang" in omitted and advisory.language == "en":
        del document["lang"]
    if (
        "distribution" in omitted
        and advisory.tlp is Tlp.CLEAR
        and distribution == {"tlp": {"label": "WHITE", "url": TLP_URL}}
    ):
        del document["distribution"]
    document = overlay(document, doc_extras)
    out: JSON = {"document": document}
    branches = tree.branches()
    product_tree: JSON = {}
    if branches:
        product_tree["branches"] = branches
    standalone = [leaf for leaf in tree.ordered() if not leaf.path]
    relationships = []
    for leaf in standalone:
        rel = relationship_of(advisory, leaf.product["product_id"])
        if rel is not None:
            relationships.append({**rel, "full_product_name": leaf.product})
        else:
            product_tree.setdefault("full_product_names", []).append(leaf.product)
    if relationships:
        product_tree["relationships"] = relationships
    product_tree = overlay(product_tree, extras.get("product_tree", {}))
    if product_tree:
        out["product_tree"] = product_tree
    vulns = [
        _vulnerability(advisory, i, v, per_vuln[i]) for i, v in enumerate(advisory.vulnerabilities)
    ]
    if vulns:
        out["vulnerabilities"] = vulns
    return overlay(out, extras, skip=("document", "product_tree", "other_products", "order"))


def _summary_text(note: JSON) -> str | None:
    if note.get("category") in ("summary", "description", "general", "details"):
        return str(note.get("text", "")).strip()
    return None


def _external_url(ref: JSON) -> str | None:
    return ref.get("url") if ref.get("category", "external") == "external" else None


def _names(ack: JSON) -> list[str]:
    return list(ack.get("names", []))


def _reference(url: str, name: str | None, extras: Any) -> JSON:
    ref: JSON = {"category": "external", "summary": name or url, "url": url}
    return overlay(ref, extras_of(extras, "csaf"))


def _tracking(advisory: Advisory, now: datetime, original: JSON) -> JSON:
    original = dict(original)
    history = []
    for rev in advisory.revisions:
        entry: JSON = {
            "date": same_time(rev.extras.get("csaf", {}).get("date"), rev.date),
            "number": rev.number,
            "summary": rev.summary,
        }
        history.append(
            overlay(entry, {k: v for k, v in extras_of(rev.extras, "csaf").items() if k != "date"})
        )
    if not history:
        history.append({"date": instant(now), "number": "0", "summary": "Draft"})
    published = advisory.status is AdvisoryStatus.PUBLISHED
    status = original.pop("status", None)
    if not (published and status == "interim"):
        status = "final" if published else "draft"
    initial = advisory.initial_release or advisory.current_release or now
    current = advisory.current_release or initial
    tracking: JSON = {
        "current_release_date": same_time(original.pop("current_release_date", None), current),
        "generator": {"date": instant(now), "engine": {"name": "Candor", "version": __version__}},
        "id": advisory.id,
        "initial_release_date": same_time(original.pop("initial_release_date", None), initial),
        "revision_history": history,
        "status": status,
        "version": original.pop("version", None) or advisory.version,
    }
    original.pop("generator", None)  # Candor wrote this document, whoever wrote the one imported
    return overlay(tracking, original)


def _vulnerability(
    advisory: Advisory, index: int, v: Vulnerability, rows: list[list[tuple[Leaf, Status]]]
) -> JSON:
    extras = extras_of(v.extras, "csaf")
    out: JSON = {}
    if v.cve:
        out["cve"] = v.cve
    if v.aliases:
        ids = [
            {"system_name": ID_SYSTEMS.get(a.split("-", 1)[0], a.split("-", 1)[0]), "text": a}
            for a in v.aliases
        ]
        out["ids"] = reuse(extras.get("ids"), ids, lambda x: x["text"])
    if v.title:
        out["title"] = v.title
    if v.cwes:
        out["cwe"] = {"id": v.cwes[0].id, "name": v.cwes[0].name}
    if v.published:
        out["release_date"] = same_time(extras.get("release_date"), v.published)
    # a vulnerability without its own description is described by the advisory's, unless it
    # came from a document whose notes said otherwise
    text = v.description or (advisory.description if "notes" not in extras else None)
    description = None
    if text:
        description = {"category": "description", "title": DESCRIPTION_NOTE, "text": text}
    notes = replace_first(
        extras.get("notes"),
        lambda n: n.get("category") == "description",
        description,
        lambda n: str(n.get("text", "")).strip() == text,
    )
    v4 = v.score(CvssVersion.V4_0)
    notes = replace_first(
        notes,
        lambda n: n.get("category") == "other" and n.get("title") == CVSS4_NOTE,
        {"category": "other", "title": CVSS4_NOTE, "text": v4.vector} if v4 else None,
        lambda n: v4 is not None and n.get("text") == v4.vector,
    )
    if not notes:
        # CSAF 6.1.27.5: every vulnerability of a security advisory has notes
        notes = [
            {
                "category": "description",
                "title": DESCRIPTION_NOTE,
                "text": advisory.description or advisory.title or v.cve or advisory.id,
            }
        ]
    out["notes"] = notes
    all_leaves = [leaf for row in rows for leaf, _ in row]
    statuses: dict[str, list[str]] = {}
    seen: set[str] = set()
    for leaf in all_leaves:
        pid = leaf.product["product_id"]
        if pid in seen:
            continue
        seen.add(pid)
        for category in sorted(leaf.statuses.get(index, ())):
            statuses.setdefault(category, []).append(pid)
    original = extras.get("product_status") or {}
    for category, members in statuses.items():
        # the imported order, while the same products have the same status
        if isinstance(original.get(category), list) and set(original[category]) == set(members):
            statuses[category] = original[category]
    if statuses:
        out["product_status"] = {k: statuses[k] for k in sorted(statuses)}
    affected_ids = [
        pid
        for k in ("first_affected", "known_affected", "last_affected")
        for pid in statuses.get(k, [])
    ]
    target = affected_ids or [leaf.product["product_id"] for leaf in all_leaves]
    target = list(dict.fromkeys(target))
    scores = []
    for s in v.scores:
        if s.version is CvssVersion.V4_0 or not target:
            continue
        key = "cvss_v2" if s.version is CvssVersion.V2_0 else "cvss_v3"
        scores.append({"products": target, key: metric_json(s.vector)})
    scores = _scores(extras.get("scores"), scores)
    if scores:
        out["scores"] = scores
    remediations: list[JSON] = []
    for r in v.remediations:
        product_ids = target
        if r.products:
            product_ids = list(
                dict.fromkeys(leaf.product["product_id"] for j in r.products for leaf, _ in rows[j])
            )
        rem: JSON = {"category": r.category.value, "details": r.details}
        if r.url:
            rem["url"] = r.url
        rem["product_ids"] = product_ids
        remediations.append(overlay(rem, extras_of(r.extras, "csaf")))
    for text in v.workarounds:
        remediations.append(
            {
                "category": RemediationCategory.WORKAROUND.value,
                "details": text,
                "product_ids": target,
            }
        )
    remediations = reuse(extras.get("remediations"), remediations, _remediation_projection)
    if remediations:
        out["remediations"] = remediations
    threats = [{"category": "impact", "details": text, "product_ids": target} for text in v.impacts]
    threats = split_reuse(extras.get("threats"), threats, _impact)
    if threats:
        out["threats"] = threats
    refs = [_reference(r.url, r.name, r.extras) for r in v.references]
    refs = reuse(extras.get("references"), refs, lambda x: x["url"])
    if refs:
        out["references"] = refs
    acks = [{"names": [c.name]} for c in v.credits]
    acks = reuse(extras.get("acknowledgments"), acks, _names)
    if acks:
        out["acknowledgments"] = acks
    skip = (
        "ids",
        "notes",
        "scores",
        "remediations",
        "threats",
        "references",
        "acknowledgments",
        "release_date",
    )
    return overlay(out, extras, skip=skip)


def _scores(original: Any, produced: list[JSON]) -> list[JSON]:
    """The record has one vector per CVSS version; an imported document may add scores of the
    same version for other products (an environmental variant for the products not
    affected). Those are kept as they were; the first per version is the record's."""
    if not isinstance(original, list):
        return produced
    first: list[JSON] = []
    rest: list[JSON] = []
    versions: set[Any] = set()
    for item in original:
        version, vector, _ = _score_projection(item)
        (rest if version in versions or not scorable(vector) else first).append(item)
        versions.add(version)
    if reuse(first, produced, _score_projection) is first:
        return original
    return [*produced, *rest]


def _score_projection(score: JSON) -> Any:
    obj = score.get("cvss_v3") or score.get("cvss_v2") or {}
    return [obj.get("version"), obj.get("vectorString"), float(obj.get("baseScore", -1))]


def _remediation_projection(rem: JSON) -> Any:
    return [rem.get("category"), str(rem.get("details", "")).strip(), rem.get("url")]


def _impact(threat: JSON) -> str | None:
    if threat.get("category") == "impact":
        return str(threat.get("details", "")).strip()
    return None
