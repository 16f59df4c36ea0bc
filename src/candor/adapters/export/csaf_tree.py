"""The CSAF product tree Candor builds from the affected products of an advisory.

A branch per vendor and product, and under it a leaf per named version (``product_version``),
per range (``product_version_range`` in ``vers``) or, for a whole product, ``vers:all/*``.
Equal leaves of several vulnerabilities are shared; each remembers its statuses per
vulnerability. Imported documents keep their own branch shapes, names and product ids (extras).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from candor.adapters.export.common import JSON, extras_of
from candor.adapters.export.csaf_vers import to_vers
from candor.adapters.export.csaf_walk import RANGE_WORDS
from candor.domain.advisories import (
    Advisory,
    Affected,
    Status,
    Tlp,
    VersionEntry,
    VersionRange,
)

CSAF_TLP = {
    Tlp.CLEAR: "WHITE",
    Tlp.GREEN: "GREEN",
    Tlp.AMBER: "AMBER",
    Tlp.AMBER_STRICT: "AMBER",
    Tlp.RED: "RED",
}
TLP_URL = "https://www.first.org/tlp/"
STATUS_CATEGORY = {
    Status.AFFECTED: "known_affected",
    Status.UNAFFECTED: "known_not_affected",
    Status.FIXED: "fixed",
    Status.UNKNOWN: "under_investigation",
}
# CSAF's product status categories, and what each says in the record's words
CATEGORY_STATUS = {
    "known_affected": Status.AFFECTED,
    "first_affected": Status.AFFECTED,
    "last_affected": Status.AFFECTED,
    "known_not_affected": Status.UNAFFECTED,
    "fixed": Status.FIXED,
    "first_fixed": Status.FIXED,
    "under_investigation": Status.UNKNOWN,
}
CVSS4_NOTE = "CVSS v4.0"
ALL_VERSIONS = "vers:all/*"
DESCRIPTION_NOTE = "Description"
SUMMARY_NOTE = "Summary"
ID_SYSTEMS = {
    "GHSA": "GitHub Security Advisories",
    "GO": "Go Vulnerability Database",
    "PYSEC": "PyPI Advisory Database",
    "OSV": "OSV",
    "RUSTSEC": "RustSec Advisory Database",
}


@dataclass
class Leaf:
    """One product of the tree: where it hangs, what it is called, its id."""

    path: tuple[tuple[str, str], ...]  # (category, name) from the root to the leaf itself
    product: JSON
    statuses: dict[int, set[str]] = field(default_factory=dict)  # vulnerability → categories


class Tree:
    """Collects leaves from all vulnerabilities, sharing equal ones."""

    def __init__(self) -> None:
        self.leaves: dict[Any, Leaf] = {}
        self.counter = 0
        self.used_ids: set[str] = set()
        self.order: list[str] = []

    def _new_id(self) -> str:
        while True:
            self.counter += 1
            pid = f"CSAFPID-{self.counter:04d}"
            if pid not in self.used_ids:
                self.used_ids.add(pid)
                return pid

    def add(
        self,
        path: tuple[tuple[str, str], ...],
        name: str,
        helper: JSON | None,
        product_id: str | None,
    ) -> Leaf:
        key = (path, product_id) if product_id else (path, name, repr(helper))
        leaf = self.leaves.get(key)
        if leaf is None:
            product: JSON = {"name": name, "product_id": product_id or ""}
            if helper:
                product["product_identification_helper"] = helper
            leaf = Leaf(path, product)
            self.leaves[key] = leaf
        return leaf

    def assign_ids(self) -> None:
        for leaf in self.leaves.values():
            if leaf.product["product_id"]:
                self.used_ids.add(leaf.product["product_id"])
        for leaf in self.leaves.values():
            if not leaf.product["product_id"]:
                leaf.product["product_id"] = self._new_id()

    def ordered(self) -> list[Leaf]:
        """Leaves in the order of an imported tree (``order``: product ids), new ones after."""
        rank = {pid: i for i, pid in enumerate(self.order)}
        leaves = list(self.leaves.values())
        return sorted(leaves, key=lambda x: rank.get(x.product["product_id"], len(rank)))

    def branches(self) -> list[JSON]:
        root: list[JSON] = []
        for leaf in self.ordered():
            level = root
            for depth, (category, name) in enumerate(leaf.path):
                node = next(
                    (
                        b
                        for b in level
                        if b["category"] == category
                        and b["name"] == name
                        and (depth < len(leaf.path) - 1 or "product" not in b)
                    ),
                    None,
                )
                if node is None:
                    node = {"category": category, "name": name}
                    level.append(node)
                if depth == len(leaf.path) - 1:
                    node["product"] = leaf.product
                else:
                    level = node.setdefault("branches", [])
        return root


def _default_path(a: Affected) -> tuple[tuple[str, str], ...]:
    raw = extras_of(a.extras, "csaf").get("branches")
    if isinstance(raw, list):
        return tuple((str(c), str(n)) for c, n in raw)
    path: list[tuple[str, str]] = []
    if a.vendor:
        path.append(("vendor", a.vendor))
    path.append(("product_name", a.product or a.package or "unnamed"))
    return tuple(path)


def full_name(vendor: str | None, product: str | None, version: str | None) -> str:
    """``ACME acme-agent 1.4.1``; a range without its ``vers:scheme/`` prefix, as CSAF's
    examples write it (``ACME acme-agent >=1.0|<1.4``)."""
    if version and version.startswith("vers:"):
        version = version.split("/", 1)[-1]
    return " ".join(p for p in (vendor, product, version) if p)


def _full_name(a: Affected, version: str | None) -> str:
    return full_name(a.vendor, a.product or a.package, version)


def _helper(a: Affected, version: str | None, original: Any) -> JSON | None:
    helper: JSON = {}
    if a.purl:
        helper["purl"] = f"{a.purl}@{version}" if version and "@" not in a.purl else a.purl
    if isinstance(original, dict):
        # cpe, hashes, serial numbers … of an imported product are kept as they were
        return {**original, **helper}
    return helper or None


def categories_for(status: Status, original: Any) -> set[str]:
    if isinstance(original, list):
        cats = {str(c) for c in original}
        said = {CATEGORY_STATUS[c] for c in cats if c in CATEGORY_STATUS}
        if said == {status} or (not said and status is Status.FIXED):
            return cats
    return {STATUS_CATEGORY[status]}


def leaves_of(tree: Tree, a: Affected) -> list[tuple[Leaf, Status]]:
    path = _default_path(a)
    out: list[tuple[Leaf, Status]] = []
    entries: list[tuple[VersionEntry | VersionRange, str, str]] = []
    for e in a.versions:
        category = extras_of(e.extras, "csaf").get("category") or version_category(e.version)
        entries.append((e, category, e.version))
    for r in a.ranges:
        entries.append((r, "product_version_range", to_vers(r)))
    for item, category, name in entries:
        ex = extras_of(item.extras, "csaf")
        version = item.version if isinstance(item, VersionEntry) else None
        leaf = tree.add(
            (*path, (category, name)),
            ex.get("name") or _full_name(a, name),
            _helper(a, version, ex.get("product_identification_helper")),
            ex.get("product_id"),
        )
        out.append((leaf, item.status))
    ex = extras_of(a.extras, "csaf")
    if not entries or "all" in ex:
        if ex.get("relationship") or ex.get("full_product_name"):
            product: JSON = {
                "name": ex.get("name") or _full_name(a, None),
                "product_id": ex.get("product_id", ""),
            }
            helper = _helper(a, None, ex.get("product_identification_helper"))
            if helper:
                product["product_identification_helper"] = helper
            key = ("standalone", ex.get("product_id") or product["name"])
            leaf = tree.leaves.setdefault(key, Leaf((), product))
        elif "branches" in ex and not a.versions and not a.ranges and "all" not in ex:
            # an imported product that is itself a leaf (a product_name or product_family)
            leaf = tree.add(
                path,
                ex.get("name") or _full_name(a, None),
                _helper(a, None, ex.get("product_identification_helper")),
                ex.get("product_id"),
            )
        else:
            # the whole product, every version: "vers:all/*", as the CSAF examples write it;
            # a product_name branch cannot hold a product when other vulnerabilities hang
            # versions under it
            whole = dict(ex.get("all") or {})
            leaf = tree.add(
                (*path, ("product_version_range", ALL_VERSIONS)),
                whole.get("name") or _full_name(a, None),
                _helper(a, None, whole.get("product_identification_helper")),
                whole.get("product_id"),
            )
        out.append((leaf, a.default_status or Status.AFFECTED))
    return out


def version_category(version: str) -> str:
    """A version the record could not read as a range ("<=1.14.0", "vers:all/*") is still
    one: CSAF 6.1.31 forbids writing it as a product_version."""
    lowered = version.lower()
    if lowered.startswith("vers:") or any(word in lowered for word in RANGE_WORDS):
        return "product_version_range"
    return "product_version"


def original_statuses(a: Affected, leaf: Leaf) -> Any:
    pid = leaf.product.get("product_id")
    items: list[VersionEntry | VersionRange] = [*a.versions, *a.ranges]
    for item in items:
        ex = extras_of(item.extras, "csaf")
        if ex.get("product_id") == pid and pid:
            return ex.get("statuses")
    ex = extras_of(a.extras, "csaf")
    for candidate in (ex, ex.get("all") or {}):
        if candidate.get("product_id") == pid and pid:
            return candidate.get("statuses")
    return None


def relationship_of(advisory: Advisory, product_id: str) -> JSON | None:
    for v in advisory.vulnerabilities:
        for a in v.affected:
            ex = extras_of(a.extras, "csaf")
            if ex.get("product_id") == product_id and isinstance(ex.get("relationship"), dict):
                return dict(ex["relationship"])
    return None
