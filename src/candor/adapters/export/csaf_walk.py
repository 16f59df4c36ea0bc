"""Walking a CSAF document: its products, the places that refer to them, its groups.

Shared by the mandatory tests and the product tree; reads defensively, since the tests also run
on documents that fail the schema.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

Doc = Mapping[str, Any]
Path = tuple[str | int, ...]

STATUS_GROUPS = {
    "first_affected": "affected",
    "known_affected": "affected",
    "last_affected": "affected",
    "known_not_affected": "not affected",
    "first_fixed": "fixed",
    "fixed": "fixed",
    "under_investigation": "under investigation",
}
PRODUCT_STATUS = (*STATUS_GROUPS, "recommended")
VEX_JUSTIFICATIONS = {
    "component_not_present",
    "inline_mitigations_already_exist",
    "vulnerable_code_cannot_be_controlled_by_adversary",
    "vulnerable_code_not_in_execute_path",
    "vulnerable_code_not_present",
}
PROFILES = {
    "csaf_base",
    "csaf_security_incident_response",
    "csaf_informational_advisory",
    "csaf_security_advisory",
    "csaf_vex",
}
# 6.1.26: names and values of the profiles other than CSAF Base, normalised
PROHIBITED = {
    "securityincidentresponse",
    "informationaladvisory",
    "securityadvisory",
    "vex",
}
RANGE_WORDS = ("<", ">", "after", "all", "before", "earlier", "later", "prior", "versions")
LANGUAGE = re.compile(
    r"^(([A-Za-z]{2,3}(-[A-Za-z]{3}(-[A-Za-z]{3}){0,2})?|[A-Za-z]{4,8})(-[A-Za-z]{4})?"
    r"(-([A-Za-z]{2}|[0-9]{3}))?(-([A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*"
    r"(-[0-9A-WY-Za-wy-z](-[A-Za-z0-9]{2,8})+)*(-[Xx](-[A-Za-z0-9]{1,8})+)?"
    r"|[Xx](-[A-Za-z0-9]{1,8})+|i-default|i-mingo)$"
)
CWE = re.compile(r"^CWE-[1-9]\d{0,5}$")


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def as_map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def vulnerability_items(doc: Doc) -> Iterator[tuple[Path, Mapping[str, Any]]]:
    for i, v in enumerate(as_list(doc.get("vulnerabilities"))):
        if isinstance(v, Mapping):
            yield ("vulnerabilities", i), v


def full_product_names(doc: Doc) -> Iterator[tuple[Path, Mapping[str, Any]]]:
    """Every Full Product Name in the product tree with its path."""
    tree = as_map(doc.get("product_tree"))

    def walk(branches: Any, path: Path) -> Iterator[tuple[Path, Mapping[str, Any]]]:
        for i, branch in enumerate(as_list(branches)):
            here = (*path, i)
            branch = as_map(branch)
            if isinstance(branch.get("product"), Mapping):
                yield (*here, "product"), branch["product"]
            yield from walk(branch.get("branches"), (*here, "branches"))

    yield from walk(tree.get("branches"), ("product_tree", "branches"))
    for i, fpn in enumerate(as_list(tree.get("full_product_names"))):
        if isinstance(fpn, Mapping):
            yield ("product_tree", "full_product_names", i), fpn
    for i, rel in enumerate(as_list(tree.get("relationships"))):
        fpn = as_map(rel).get("full_product_name")
        if isinstance(fpn, Mapping):
            yield ("product_tree", "relationships", i, "full_product_name"), fpn


def branch_items(doc: Doc) -> Iterator[tuple[Path, Mapping[str, Any]]]:
    def walk(branches: Any, path: Path) -> Iterator[tuple[Path, Mapping[str, Any]]]:
        for i, branch in enumerate(as_list(branches)):
            if isinstance(branch, Mapping):
                yield (*path, i), branch
                yield from walk(branch.get("branches"), (*path, i, "branches"))

    yield from walk(as_map(doc.get("product_tree")).get("branches"), ("product_tree", "branches"))


def product_references(doc: Doc) -> Iterator[tuple[Path, str]]:
    """Every place that refers to a product id (the paths of 6.1.1, plus flags)."""
    tree = as_map(doc.get("product_tree"))
    for i, group in enumerate(as_list(tree.get("product_groups"))):
        for j, pid in enumerate(as_list(as_map(group).get("product_ids"))):
            yield ("product_tree", "product_groups", i, "product_ids", j), pid
    for i, rel in enumerate(as_list(tree.get("relationships"))):
        for key in ("product_reference", "relates_to_product_reference"):
            if isinstance(as_map(rel).get(key), str):
                yield ("product_tree", "relationships", i, key), as_map(rel)[key]
    for path, v in vulnerability_items(doc):
        for status, ids in as_map(v.get("product_status")).items():
            for j, pid in enumerate(as_list(ids)):
                yield (*path, "product_status", status, j), pid
        for key, field in (
            ("remediations", "product_ids"),
            ("scores", "products"),
            ("threats", "product_ids"),
            ("flags", "product_ids"),
        ):
            for i, item in enumerate(as_list(v.get(key))):
                for j, pid in enumerate(as_list(as_map(item).get(field))):
                    yield (*path, key, i, field, j), pid


def product_groups(doc: Doc) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for group in as_list(as_map(doc.get("product_tree")).get("product_groups")):
        group = as_map(group)
        if isinstance(group.get("group_id"), str):
            out[group["group_id"]] = {
                p for p in as_list(group.get("product_ids")) if isinstance(p, str)
            }
    return out


def covered_by(item: Mapping[str, Any], groups: dict[str, set[str]]) -> set[str]:
    out = {p for p in as_list(item.get("product_ids")) if isinstance(p, str)}
    for gid in as_list(item.get("group_ids")):
        out |= groups.get(gid, set())
    return out
