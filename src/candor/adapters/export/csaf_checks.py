"""The mandatory tests of CSAF 2.0 (section 6.1), run over any CSAF document.

Each test is a function named after its number that yields ``Finding``s (test, message, path).
They read the document defensively: a document that also fails the schema still gets every test
that can be run on it. Two tests are partial because they need registries Candor does not ship
(see ``docs/advisories.md``): 6.1.11 checks the CWE id but cannot check its name against the
CWE catalogue, and 6.1.12 checks the form of a language tag but not that each subtag is
registered with IANA.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any

from packageurl import PackageURL

from candor.adapters.export import cvss
from candor.adapters.export.csaf_walk import (
    CWE,
    LANGUAGE,
    PROFILES,
    PROHIBITED,
    RANGE_WORDS,
    STATUS_GROUPS,
    VEX_JUSTIFICATIONS,
    Doc,
    Path,
    as_list,
    as_map,
    branch_items,
    covered_by,
    full_product_names,
    product_groups,
    product_references,
    vulnerability_items,
)
from candor.adapters.export.schemas import cvss_validator
from candor.domain.advisory_revisions import Finding, check_history


def t_6_1_1(doc: Doc) -> Iterator[Finding]:
    defined = {p.get("product_id") for _, p in full_product_names(doc)}
    for path, pid in product_references(doc):
        if pid not in defined:
            yield Finding("6.1.1", f"product id {pid} is not defined in the product tree", path)


def t_6_1_2(doc: Doc) -> Iterator[Finding]:
    seen: set[Any] = set()
    for path, product in full_product_names(doc):
        pid = product.get("product_id")
        if pid in seen:
            yield Finding(
                "6.1.2", f"product id {pid} is defined more than once", (*path, "product_id")
            )
        seen.add(pid)


def t_6_1_3(doc: Doc) -> Iterator[Finding]:
    edges: dict[str, set[str]] = defaultdict(set)
    rels = as_list(as_map(doc.get("product_tree")).get("relationships"))
    for rel in rels:
        rel = as_map(rel)
        new = as_map(rel.get("full_product_name")).get("product_id")
        if isinstance(new, str):
            for key in ("product_reference", "relates_to_product_reference"):
                if isinstance(rel.get(key), str):
                    edges[new].add(rel[key])

    def reaches(start: str, target: str) -> bool:
        stack, seen = [start], set()
        while stack:
            node = stack.pop()
            if node == target:
                return True
            if node not in seen:
                seen.add(node)
                stack.extend(edges.get(node, ()))
        return False

    for i, rel in enumerate(rels):
        new = as_map(as_map(rel).get("full_product_name")).get("product_id")
        if isinstance(new, str) and any(reaches(ref, new) for ref in edges.get(new, ())):
            yield Finding(
                "6.1.3",
                f"product id {new} is defined in terms of itself",
                ("product_tree", "relationships", i, "full_product_name", "product_id"),
            )


def t_6_1_4(doc: Doc) -> Iterator[Finding]:
    groups = product_groups(doc)
    for path, v in vulnerability_items(doc):
        for key in ("remediations", "threats", "flags"):
            for i, item in enumerate(as_list(v.get(key))):
                for j, gid in enumerate(as_list(as_map(item).get("group_ids"))):
                    if gid not in groups:
                        yield Finding(
                            "6.1.4",
                            f"product group {gid} is not defined",
                            (*path, key, i, "group_ids", j),
                        )


def t_6_1_5(doc: Doc) -> Iterator[Finding]:
    seen: set[Any] = set()
    for i, group in enumerate(as_list(as_map(doc.get("product_tree")).get("product_groups"))):
        gid = as_map(group).get("group_id")
        if gid in seen:
            yield Finding(
                "6.1.5",
                f"product group {gid} is defined more than once",
                ("product_tree", "product_groups", i, "group_id"),
            )
        seen.add(gid)


def t_6_1_6(doc: Doc) -> Iterator[Finding]:
    for path, v in vulnerability_items(doc):
        where: dict[str, set[str]] = defaultdict(set)
        for status, ids in as_map(v.get("product_status")).items():
            if status in STATUS_GROUPS:
                for pid in as_list(ids):
                    where[pid].add(STATUS_GROUPS[status])
        for pid, groups in where.items():
            if len(groups) > 1:
                yield Finding(
                    "6.1.6",
                    f"product {pid} is at once {' and '.join(sorted(groups))}",
                    (*path, "product_status"),
                )


def t_6_1_7(doc: Doc) -> Iterator[Finding]:
    for path, v in vulnerability_items(doc):
        seen: set[tuple[str, str]] = set()
        for i, score in enumerate(as_list(v.get("scores"))):
            score = as_map(score)
            versions = [
                str(as_map(score.get(k)).get("version"))
                for k in ("cvss_v2", "cvss_v3")
                if k in score
            ]
            for pid in as_list(score.get("products")):
                for version in versions:
                    if (pid, version) in seen:
                        yield Finding(
                            "6.1.7",
                            f"product {pid} has more than one CVSS {version} score",
                            (*path, "scores", i),
                        )
                    seen.add((pid, version))


def _cvss_objects(doc: Doc) -> Iterator[tuple[Path, str, Mapping[str, Any]]]:
    for path, v in vulnerability_items(doc):
        for i, score in enumerate(as_list(v.get("scores"))):
            for key in ("cvss_v2", "cvss_v3"):
                obj = as_map(score).get(key)
                if isinstance(obj, Mapping):
                    yield (*path, "scores", i, key), key, obj


def t_6_1_8(doc: Doc) -> Iterator[Finding]:
    for path, key, obj in _cvss_objects(doc):
        version = str(obj.get("version"))
        allowed = ("2.0",) if key == "cvss_v2" else ("3.0", "3.1")
        if version not in allowed:
            yield Finding("6.1.8", f"{key} cannot have version {version}", (*path, "version"))
            continue
        for error in cvss_validator(version).iter_errors(obj):
            yield Finding("6.1.8", error.message, (*path, *error.absolute_path))


def t_6_1_9_and_10(doc: Doc) -> Iterator[Finding]:
    for path, _, obj in _cvss_objects(doc):
        for test, message in cvss.check_metric(dict(obj)):
            if test != "6.1.8":  # a vector the library refuses is reported once, by 6.1.8
                yield Finding(test, message, path)


def t_6_1_11(doc: Doc) -> Iterator[Finding]:
    for path, v in vulnerability_items(doc):
        cwe = v.get("cwe")
        if isinstance(cwe, Mapping) and not CWE.match(str(cwe.get("id"))):
            yield Finding("6.1.11", f"{cwe.get('id')} is not a CWE id", (*path, "cwe", "id"))


def t_6_1_12(doc: Doc) -> Iterator[Finding]:
    document = as_map(doc.get("document"))
    for key in ("lang", "source_lang"):
        value = document.get(key)
        if value is not None and not (isinstance(value, str) and LANGUAGE.match(value)):
            yield Finding("6.1.12", f"{value!r} is not a language tag", ("document", key))


def t_6_1_13(doc: Doc) -> Iterator[Finding]:
    for path, product in full_product_names(doc):
        purl = as_map(product.get("product_identification_helper")).get("purl")
        if purl is None:
            continue
        try:
            PackageURL.from_string(str(purl))
        except ValueError as exc:
            yield Finding(
                "6.1.13",
                f"invalid purl {purl}: {exc}",
                (*path, "product_identification_helper", "purl"),
            )


def _date(value: Any) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def t_revision_history(doc: Doc) -> Iterator[Finding]:
    """6.1.14, 6.1.16 to 6.1.22 and 6.1.30, shared with the advisory record's own checks."""
    tracking = as_map(as_map(doc.get("document")).get("tracking"))
    entries = []
    for item in as_list(tracking.get("revision_history")):
        item = as_map(item)
        date = _date(item.get("date"))
        if date is None or not isinstance(item.get("number"), str):
            return  # the schema check reports it; ordering cannot be judged without dates
        entries.append((item["number"], date))
    version, status = tracking.get("version"), tracking.get("status")
    if not isinstance(version, str) or not isinstance(status, str):
        return
    yield from check_history(
        entries,
        version=version,
        status=status,
        path=("document", "tracking", "revision_history"),
        version_path=("document", "tracking", "version"),
    )


def t_6_1_15(doc: Doc) -> Iterator[Finding]:
    document = as_map(doc.get("document"))
    if as_map(document.get("publisher")).get("category") == "translator" and not document.get(
        "source_lang"
    ):
        yield Finding("6.1.15", "a translator's document must name its source_lang", ("document",))


def t_6_1_23(doc: Doc) -> Iterator[Finding]:
    seen: set[Any] = set()
    for path, v in vulnerability_items(doc):
        cve = v.get("cve")
        if cve is not None and cve in seen:
            yield Finding("6.1.23", f"{cve} is used by more than one vulnerability", (*path, "cve"))
        seen.add(cve)


def t_6_1_24(doc: Doc) -> Iterator[Finding]:
    for path, v in vulnerability_items(doc):
        seen: set[tuple[Any, Any]] = set()
        for i, inv in enumerate(as_list(v.get("involvements"))):
            key = (as_map(inv).get("party"), as_map(inv).get("date"))
            if key in seen:
                yield Finding(
                    "6.1.24",
                    f"party {key[0]} is listed twice for {key[1]}",
                    (*path, "involvements", i),
                )
            seen.add(key)


def t_6_1_25(doc: Doc) -> Iterator[Finding]:
    for path, product in full_product_names(doc):
        helper = as_map(product.get("product_identification_helper"))
        for i, item in enumerate(as_list(helper.get("hashes"))):
            algorithms = [
                as_map(h).get("algorithm") for h in as_list(as_map(item).get("file_hashes"))
            ]
            for algorithm in sorted({a for a in algorithms if algorithms.count(a) > 1}, key=str):
                yield Finding(
                    "6.1.25",
                    f"hash algorithm {algorithm} is used more than once",
                    (*path, "product_identification_helper", "hashes", i),
                )


def t_6_1_26(doc: Doc) -> Iterator[Finding]:
    category = as_map(doc.get("document")).get("category")
    if not isinstance(category, str) or category in PROFILES:
        return
    normal = re.sub(r"[-\s_]", "", category.lower())
    if (
        category.lower().startswith("csaf_")
        or normal in PROHIBITED
        or normal.removeprefix("csaf") in PROHIBITED
    ):
        yield Finding(
            "6.1.26",
            f"the category {category!r} is reserved for a CSAF profile",
            ("document", "category"),
        )


def t_6_1_27(doc: Doc) -> Iterator[Finding]:
    document = as_map(doc.get("document"))
    category = document.get("category")
    if category in ("csaf_informational_advisory", "csaf_security_incident_response"):
        if not any(
            as_map(n).get("category") in ("description", "details", "general", "summary")
            for n in as_list(document.get("notes"))
        ):
            yield Finding(
                "6.1.27.1",
                "document notes need a description, details, general or summary note",
                ("document", "notes"),
            )
        if not any(
            as_map(r).get("category", "external") == "external"
            for r in as_list(document.get("references"))
        ):
            yield Finding(
                "6.1.27.2",
                "document references need an external reference",
                ("document", "references"),
            )
    if category == "csaf_informational_advisory" and "vulnerabilities" in doc:
        yield Finding(
            "6.1.27.3", "an informational advisory has no vulnerabilities", ("vulnerabilities",)
        )
    if category not in ("csaf_security_advisory", "csaf_vex"):
        return
    if "product_tree" not in doc:
        yield Finding("6.1.27.4", "the product tree is missing", ("product_tree",))
    if "vulnerabilities" not in doc:
        yield Finding("6.1.27.11", "the vulnerabilities are missing", ("vulnerabilities",))
    groups = product_groups(doc)
    for path, v in vulnerability_items(doc):
        if "notes" not in v:
            yield Finding("6.1.27.5", "the vulnerability has no notes", (*path, "notes"))
        if category == "csaf_security_advisory" and "product_status" not in v:
            yield Finding(
                "6.1.27.6", "the vulnerability has no product status", (*path, "product_status")
            )
        if category != "csaf_vex":
            continue
        status = as_map(v.get("product_status"))
        if not any(
            k in status
            for k in ("fixed", "known_affected", "known_not_affected", "under_investigation")
        ):
            yield Finding(
                "6.1.27.7",
                "a VEX vulnerability needs fixed, known_affected, "
                "known_not_affected or under_investigation",
                (*path, "product_status"),
            )
        if "cve" not in v and "ids" not in v:
            yield Finding("6.1.27.8", "a VEX vulnerability needs a cve or ids", path)
        impact: set[str] = set()
        for flag in as_list(v.get("flags")):
            impact |= covered_by(as_map(flag), groups)
        for threat in as_list(v.get("threats")):
            if as_map(threat).get("category") == "impact":
                impact |= covered_by(as_map(threat), groups)
        for j, pid in enumerate(as_list(status.get("known_not_affected"))):
            if pid not in impact:
                yield Finding(
                    "6.1.27.9",
                    f"no impact statement for {pid}",
                    (*path, "product_status", "known_not_affected", j),
                )
        action: set[str] = set()
        for rem in as_list(v.get("remediations")):
            action |= covered_by(as_map(rem), groups)
        for j, pid in enumerate(as_list(status.get("known_affected"))):
            if pid not in action:
                yield Finding(
                    "6.1.27.10",
                    f"no action statement for {pid}",
                    (*path, "product_status", "known_affected", j),
                )


def t_6_1_28(doc: Doc) -> Iterator[Finding]:
    document = as_map(doc.get("document"))
    lang, source = document.get("lang"), document.get("source_lang")
    if lang is not None and source is not None and str(lang).lower() == str(source).lower():
        yield Finding(
            "6.1.28",
            f"the language and the source language are both {lang}",
            ("document", "source_lang"),
        )


def t_6_1_29_and_32(doc: Doc) -> Iterator[Finding]:
    for path, v in vulnerability_items(doc):
        for key, test in (("remediations", "6.1.29"), ("flags", "6.1.32")):
            for i, item in enumerate(as_list(v.get(key))):
                if not as_map(item).get("product_ids") and not as_map(item).get("group_ids"):
                    yield Finding(
                        test, f"this {key[:-1]} names no product or group", (*path, key, i)
                    )


def t_6_1_31(doc: Doc) -> Iterator[Finding]:
    for path, branch in branch_items(doc):
        if branch.get("category") == "product_version":
            name = str(branch.get("name", "")).lower()
            if any(word in name for word in RANGE_WORDS):
                yield Finding(
                    "6.1.31",
                    f"the product version {branch.get('name')!r} is a range; "
                    "use product_version_range",
                    (*path, "name"),
                )


def t_6_1_33(doc: Doc) -> Iterator[Finding]:
    groups = product_groups(doc)
    for path, v in vulnerability_items(doc):
        count: dict[str, int] = defaultdict(int)
        for flag in as_list(v.get("flags")):
            if as_map(flag).get("label") in VEX_JUSTIFICATIONS:
                for pid in covered_by(as_map(flag), groups):
                    count[pid] += 1
        for pid in sorted(p for p, n in count.items() if n > 1):
            yield Finding(
                "6.1.33",
                f"product {pid} has more than one VEX justification flag",
                (*path, "flags"),
            )


TESTS: tuple[Callable[[Doc], Iterator[Finding]], ...] = (
    t_6_1_1,
    t_6_1_2,
    t_6_1_3,
    t_6_1_4,
    t_6_1_5,
    t_6_1_6,
    t_6_1_7,
    t_6_1_8,
    t_6_1_9_and_10,
    t_6_1_11,
    t_6_1_12,
    t_6_1_13,
    t_revision_history,
    t_6_1_15,
    t_6_1_23,
    t_6_1_24,
    t_6_1_25,
    t_6_1_26,
    t_6_1_27,
    t_6_1_28,
    t_6_1_29_and_32,
    t_6_1_31,
    t_6_1_33,
)

IMPLEMENTED = (
    "6.1.1",
    "6.1.2",
    "6.1.3",
    "6.1.4",
    "6.1.5",
    "6.1.6",
    "6.1.7",
    "6.1.8",
    "6.1.9",
    "6.1.10",
    "6.1.11",
    "6.1.12",
    "6.1.13",
    "6.1.14",
    "6.1.15",
    "6.1.16",
    "6.1.17",
    "6.1.18",
    "6.1.19",
    "6.1.20",
    "6.1.21",
    "6.1.22",
    "6.1.23",
    "6.1.24",
    "6.1.25",
    "6.1.26",
    "6.1.27.1",
    "6.1.27.2",
    "6.1.27.3",
    "6.1.27.4",
    "6.1.27.5",
    "6.1.27.6",
    "6.1.27.7",
    "6.1.27.8",
    "6.1.27.9",
    "6.1.27.10",
    "6.1.27.11",
    "6.1.28",
    "6.1.29",
    "6.1.30",
    "6.1.31",
    "6.1.32",
    "6.1.33",
)


def run(doc: Doc) -> list[Finding]:
    return [finding for test in TESTS for finding in test(doc)]
