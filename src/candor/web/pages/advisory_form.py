"""The advisory form: numbered fields for repeatable rows, so it works without JavaScript.

Field names: ``title``, ``publisher_name`` …, advisory references ``ref-0-url``; per
vulnerability ``v0-cve``, ``v0-cvss`` (one vector per line), affected products ``v0-a1-product``,
remediations ``v0-r0-details``, references ``v0-ref0-url``, credits ``v0-c0-name``. Rows left
blank are ignored, and a few blank rows are always offered for adding.

The form shows the common shape of an advisory (one version range per product row, one CWE per
vulnerability …). ``representable`` tells whether an advisory fits it: one that does not (several
runs in a range, named versions, extras from an import …) is edited as YAML instead, so saving
the form never drops what it could not show.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from candor.adapters.export import cvss
from candor.domain.advisories import Advisory, Publisher, VersionRange
from candor.domain.advisory_dump import dump_advisory
from candor.domain.advisory_parse import parse_advisory
from candor.domain.advisory_store import UNNUMBERED
from candor.domain.errors import InvalidInput

AFFECTED = (
    "vendor", "product", "package", "ecosystem", "purl", "default_status",
    "scheme", "introduced", "fixed", "last_affected",
)  # fmt: skip
REMEDIATION = ("category", "details", "url")
REFERENCE = ("url", "name", "tags")
CREDIT = ("name", "type", "contact")
ROWS = {"a": AFFECTED, "r": REMEDIATION, "ref": REFERENCE, "c": CREDIT}
SPARE = {"a": 2, "r": 1, "ref": 2, "c": 1}  # blank rows offered for adding
ROW_NAME = re.compile(r"^v(\d{1,3})-(a|r|ref|c)(\d{1,3})-[a-z_]+$")
VULN_NAME = re.compile(r"^v(\d{1,3})-[a-z_]+$")
TOP_REF = re.compile(r"^ref-(\d{1,3})-[a-z_]+$")


@dataclass
class Layout:
    """Which numbered rows the template draws."""

    refs: list[int] = field(default_factory=list)
    vulnerabilities: list[dict[str, list[int]]] = field(default_factory=list)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _words(text: str) -> list[str]:
    return [w for w in re.split(r"[\s,]+", text.strip()) if w]


def _blank(form: Mapping[str, str], prefix: str, names: tuple[str, ...]) -> bool:
    return not any(form.get(f"{prefix}{n}", "").strip() for n in names)


def _put(out: dict[str, Any], key: str, value: object) -> None:
    if value not in (None, "", [], {}):
        out[key] = value


# ---- form → record -----------------------------------------------------------------------------


def record(form: Mapping[str, str], *, base: Advisory | None = None) -> dict[str, Any]:
    """The record (plain data for ``parse_advisory``) the form describes. The id and the
    publication history come from ``base``: the form never edits them."""
    out: dict[str, Any] = dict(_bookkeeping(base))
    g = {k: v.strip() for k, v in form.items()}
    for key in ("title", "description", "language"):
        _put(out, key, g.get(key))
    out["tlp"] = g.get("tlp") or "CLEAR"
    publisher: dict[str, Any] = {}
    for key in ("name", "namespace", "category", "contact", "cna_org_id", "cna_short_name"):
        _put(publisher, key, g.get(f"publisher_{key}"))
    if publisher:
        out["publisher"] = publisher
    _put(out, "incidents", [w.upper() for w in _words(g.get("incidents", ""))])
    _put(out, "references", [_reference(g, f"ref-{j}-") for j in _indices(g, TOP_REF)
                             if not _blank(g, f"ref-{j}-", REFERENCE)])  # fmt: skip
    vulnerabilities = []
    for i in _vuln_indices(g):
        vuln = _vulnerability(g, i)
        if vuln:
            vulnerabilities.append(vuln)
    _put(out, "vulnerabilities", vulnerabilities)
    return out


def _bookkeeping(base: Advisory | None) -> dict[str, Any]:
    if base is None:
        return {"id": UNNUMBERED}
    dumped = dump_advisory(base)
    keep = ("id", "status", "revisions", "initial_release", "current_release")
    return {k: dumped[k] for k in keep if k in dumped}


def _indices(g: Mapping[str, str], pattern: re.Pattern[str]) -> list[int]:
    return sorted({int(m.group(1)) for k in g if (m := pattern.match(k))})


def _vuln_indices(g: Mapping[str, str]) -> list[int]:
    found = {int(m.group(1)) for k in g if (m := VULN_NAME.match(k) or ROW_NAME.match(k))}
    return sorted(found)


def _rows(g: Mapping[str, str], i: int, kind: str) -> list[str]:
    found = {
        int(m.group(3)) for k in g if (m := ROW_NAME.match(k)) and m.group(1) == str(i)
        and m.group(2) == kind
    }  # fmt: skip
    return [
        f"v{i}-{kind}{j}-" for j in sorted(found) if not _blank(g, f"v{i}-{kind}{j}-", ROWS[kind])
    ]


def _vulnerability(g: Mapping[str, str], i: int) -> dict[str, Any]:
    p = f"v{i}-"
    out: dict[str, Any] = {}
    for key in ("cve", "title", "description", "published"):
        _put(out, key, g.get(p + key))
    _put(out, "aliases", _words(g.get(p + "aliases", "")))
    if g.get(p + "cwe_id"):
        cwe: dict[str, Any] = {"id": g[p + "cwe_id"]}
        _put(cwe, "name", g.get(p + "cwe_name"))
        out["cwe"] = [cwe]
    for key in ("cvss", "impacts", "workarounds"):
        _put(out, key, _lines(g.get(p + key, "")))
    _put(out, "affected", [_affected(g, row) for row in _rows(g, i, "a")])
    _put(out, "remediations", [_remediation(g, row) for row in _rows(g, i, "r")])
    _put(out, "references", [_reference(g, row) for row in _rows(g, i, "ref")])
    _put(out, "credits", [_credit(g, row) for row in _rows(g, i, "c")])
    return out


def _affected(g: Mapping[str, str], p: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in ("vendor", "product", "package", "ecosystem", "purl", "default_status"):
        _put(out, key, g.get(p + key))
    bounds = {k: g.get(p + k, "") for k in ("introduced", "fixed", "last_affected")}
    if any(bounds.values()):
        run: dict[str, Any] = {"scheme": g.get(p + "scheme") or "semver"}
        run["introduced"] = bounds["introduced"] or "0"  # "from the first version"
        for key in ("fixed", "last_affected"):
            _put(run, key, bounds[key])
        out["ranges"] = [run]
    return out


def _remediation(g: Mapping[str, str], p: str) -> dict[str, Any]:
    out: dict[str, Any] = {"category": g.get(p + "category") or "vendor_fix"}
    _put(out, "details", g.get(p + "details"))
    _put(out, "url", g.get(p + "url"))
    return out


def _reference(g: Mapping[str, str], p: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    _put(out, "url", g.get(p + "url"))
    _put(out, "name", g.get(p + "name"))
    _put(out, "tags", _words(g.get(p + "tags", "")))
    return out


def _credit(g: Mapping[str, str], p: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    _put(out, "name", g.get(p + "name"))
    _put(out, "type", g.get(p + "type"))
    _put(out, "contact", _words(g.get(p + "contact", "")))
    return out


# ---- record → form -----------------------------------------------------------------------------


def fields(advisory: Advisory | None, *, publisher: Publisher | None = None) -> dict[str, str]:
    """The form's values for an advisory (or a new one, with the default publisher)."""
    out: dict[str, str] = {"tlp": "CLEAR", "language": "en"}
    pub = advisory.publisher if advisory else publisher
    if pub:
        for key in ("name", "namespace", "category", "contact", "cna_org_id", "cna_short_name"):
            out[f"publisher_{key}"] = getattr(pub, key) or ""
    if advisory is None:
        return out
    out.update(
        title=advisory.title or "",
        description=advisory.description or "",
        tlp=advisory.tlp.value,
        language=advisory.language,
        incidents=", ".join(advisory.incidents),
    )
    for j, r in enumerate(advisory.references):
        out.update({f"ref-{j}-url": r.url, f"ref-{j}-name": r.name or "",
                    f"ref-{j}-tags": ", ".join(r.tags)})  # fmt: skip
    dumped = dump_advisory(advisory)["vulnerabilities"] if advisory.vulnerabilities else []
    for i, v in enumerate(advisory.vulnerabilities):
        p = f"v{i}-"
        out.update({
            p + "cve": v.cve or "", p + "title": v.title or "",
            p + "description": v.description or "", p + "aliases": ", ".join(v.aliases),
            p + "published": dumped[i].get("published", ""),
            p + "cvss": "\n".join(s.vector for s in v.scores),
            p + "impacts": "\n".join(v.impacts), p + "workarounds": "\n".join(v.workarounds),
        })  # fmt: skip
        if v.cwes:
            out[p + "cwe_id"], out[p + "cwe_name"] = v.cwes[0].id, v.cwes[0].name or ""
        for j, a in enumerate(v.affected):
            row = f"{p}a{j}-"
            for key in ("vendor", "product", "package", "ecosystem", "purl"):
                out[row + key] = getattr(a, key) or ""
            out[row + "default_status"] = a.default_status.value if a.default_status else ""
            if a.ranges:
                out.update(_range_fields(row, a.ranges[0]))
        for j, rem in enumerate(v.remediations):
            row = f"{p}r{j}-"
            out.update({row + "category": rem.category.value, row + "details": rem.details,
                        row + "url": rem.url or ""})  # fmt: skip
        for j, r in enumerate(v.references):
            row = f"{p}ref{j}-"
            out.update({row + "url": r.url, row + "name": r.name or "",
                        row + "tags": ", ".join(r.tags)})  # fmt: skip
        for j, c in enumerate(v.credits):
            row = f"{p}c{j}-"
            out.update({row + "name": c.name, row + "type": c.type or "",
                        row + "contact": ", ".join(c.contact)})  # fmt: skip
    return out


def _range_fields(row: str, r: VersionRange) -> dict[str, str]:
    out = {row + "scheme": r.scheme}
    for e in r.events:
        out[row + e.kind.value] = e.version
    return out


def layout(values: Mapping[str, str], *, extra_vulnerability: bool = True) -> Layout:
    """The rows to draw: every filled one, plus spare blank rows (and a spare vulnerability)."""
    refs = _indices(values, TOP_REF)
    vulns = _vuln_indices(values) or [0]
    if extra_vulnerability:
        vulns = [*vulns, max(vulns) + 1]
    out = Layout(refs=_with_spare(refs, SPARE["ref"]))
    for i in vulns:
        rows = {}
        for kind in ROWS:
            used = [int(m.group(3)) for k in values if (m := ROW_NAME.match(k))
                    and m.group(1) == str(i) and m.group(2) == kind]  # fmt: skip
            rows[kind] = _with_spare(sorted(set(used)), SPARE[kind])
        rows["i"] = [i]
        out.vulnerabilities.append(rows)
    return out


def _with_spare(used: list[int], spare: int) -> list[int]:
    start = max(used) + 1 if used else 0
    return [*used, *range(start, start + spare)]


def representable(advisory: Advisory) -> bool:
    """Whether the form shows everything the advisory says (else: edit it as YAML)."""
    try:
        back = parse_advisory(record(fields(advisory), base=advisory), scorer=cvss.score)
    except InvalidInput:
        return False
    return back == advisory
