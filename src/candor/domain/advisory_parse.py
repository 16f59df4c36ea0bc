"""Read an advisory from plain data (a YAML or JSON mapping) and check it, all problems at once.

Every problem carries the ``path`` of the value it is about, so the YAML loader can name file,
line and column. CVSS scores are computed by a ``Scorer`` the caller passes in (the adapter
around the ``cvss`` library): the domain stays free of third-party code, and a score written in
the file is checked against the vector rather than trusted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from candor.domain.advisories import (
    ANY_ID,
    CVE_ID,
    CWE_ID,
    LANGUAGE,
    Advisory,
    AdvisoryStatus,
    Affected,
    Credit,
    CvssScore,
    Cwe,
    Event,
    EventKind,
    Publisher,
    Reference,
    Remediation,
    RemediationCategory,
    Revision,
    Status,
    Tlp,
    VersionEntry,
    VersionRange,
    Vulnerability,
)
from candor.domain.advisory_reader import QUOTE_VERSION, Path, Reader, Scorer
from candor.domain.advisory_revisions import history_findings
from candor.domain.errors import InvalidInput
from candor.domain.incidents import KEY_PATTERN

_NO_DATE = datetime(1970, 1, 1, tzinfo=UTC)
PUBLISHER_CATEGORIES = ("coordinator", "discoverer", "other", "translator", "user", "vendor")
TITLE_MAX = 256  # CVE's limit for a title

ADVISORY_KEYS = {
    "id",
    "title",
    "description",
    "status",
    "tlp",
    "language",
    "publisher",
    "vulnerabilities",
    "references",
    "credits",
    "incidents",
    "revisions",
    "initial_release",
    "current_release",
    "extras",
}
VULNERABILITY_KEYS = {
    "cve",
    "aliases",
    "title",
    "description",
    "cwe",
    "cvss",
    "impacts",
    "workarounds",
    "remediations",
    "affected",
    "references",
    "credits",
    "published",
    "extras",
}
AFFECTED_KEYS = {
    "vendor",
    "product",
    "package",
    "ecosystem",
    "purl",
    "repo",
    "cpes",
    "default_status",
    "ranges",
    "versions",
    "extras",
}
RANGE_KEYS = {
    "scheme",
    "status",
    "repo",
    "events",
    "introduced",
    "fixed",
    "last_affected",
    "limit",
    "extras",
}


def parse_advisory(data: object, *, scorer: Scorer) -> Advisory:
    """Build an advisory from plain data, or raise ``InvalidInput`` naming every problem."""
    r = Reader(scorer)
    root = r.mapping(data, (), ADVISORY_KEYS)
    advisory_id = r.text(root, "id", (), required=True, max_len=100)
    if advisory_id and not ANY_ID.match(advisory_id):
        r.add("must not contain leading or trailing spaces", ("id",))
    title = r.text(root, "title", (), max_len=TITLE_MAX)
    description = r.text(root, "description", ())
    status = r.enum(AdvisoryStatus, root.get("status", "draft"), ("status",))
    tlp = r.enum(Tlp, str(root.get("tlp", "CLEAR")).upper(), ("tlp",))
    language = r.text(root, "language", ()) or "en"
    if not LANGUAGE.match(language):
        r.add(f"not a BCP 47 language tag: {language!r}", ("language",), hint="e.g. en or de-DE")
    publisher = _publisher(r, root["publisher"], ("publisher",)) if "publisher" in root else None
    incidents: list[str] = []
    for path, item in r.items(root.get("incidents"), ("incidents",)):
        key = str(item).strip().upper()
        if not KEY_PATTERN.match(key):
            r.add(f"not an incident key: {item!r}", path, hint="e.g. INC-2026-4")
        incidents.append(key)
    vulnerabilities = tuple(
        _vulnerability(r, item, path)
        for path, item in r.items(root.get("vulnerabilities"), ("vulnerabilities",))
    )
    seen_cves: dict[str, int] = {}
    for i, vuln in enumerate(vulnerabilities):
        if vuln.cve and vuln.cve in seen_cves:
            r.add(
                f"{vuln.cve} is already used by vulnerability {seen_cves[vuln.cve]}",
                ("vulnerabilities", i, "cve"),
            )
        elif vuln.cve:
            seen_cves[vuln.cve] = i
    revisions = tuple(
        _revision(r, item, path) for path, item in r.items(root.get("revisions"), ("revisions",))
    )
    if status is AdvisoryStatus.PUBLISHED and not revisions:
        r.add(
            "a published advisory needs at least one revision",
            ("revisions",),
            hint="add {number: '1', date: …, summary: Initial publication}",
        )
    advisory = Advisory(
        id=advisory_id or "",
        title=title,
        description=description,
        publisher=publisher,
        status=status or AdvisoryStatus.DRAFT,
        tlp=tlp or Tlp.CLEAR,
        language=language,
        vulnerabilities=vulnerabilities,
        references=_references(r, root, ()),
        credits=_credits(r, root, ()),
        incidents=tuple(incidents),
        revisions=revisions,
        initial_release=r.instant(root, "initial_release", ()),
        current_release=r.instant(root, "current_release", ()),
        extras=r.extras(root, ()),
    )
    if revisions and all(rev.date is not _NO_DATE for rev in revisions):
        for finding in history_findings(advisory):
            r.add(f"{finding.message} (CSAF {finding.test})", finding.path)
    r.problems.raise_if_any()
    return advisory


def _publisher(r: Reader, value: object, path: Path) -> Publisher:
    data = r.mapping(
        value, path, {"name", "namespace", "category", "contact", "cna_org_id", "cna_short_name"}
    )
    name = r.text(data, "name", path, required=True, max_len=512) or ""
    namespace = r.url(r.text(data, "namespace", path), (*path, "namespace"))
    category = r.text(data, "category", path) or "vendor"
    if category not in PUBLISHER_CATEGORIES:
        r.add(
            f"unknown publisher category {category!r}",
            (*path, "category"),
            hint="allowed: " + ", ".join(PUBLISHER_CATEGORIES),
        )
    org_id = r.text(data, "cna_org_id", path)
    if org_id is not None:
        try:
            org_id = str(UUID(org_id))
        except ValueError:
            r.add("must be the CNA's UUID from the CVE Program", (*path, "cna_org_id"))
    short = r.text(data, "cna_short_name", path, max_len=32)
    return Publisher(name, namespace, category, r.text(data, "contact", path), org_id, short)


def _revision(r: Reader, value: object, path: Path) -> Revision:
    data = r.mapping(value, path)
    number = r.version(data, "number", path, required=True) or ""
    date = r.instant(data, "date", path)
    if date is None and "date" not in data:
        r.add("is required", (*path, "date"))
    summary = r.text(data, "summary", path, required=True) or ""
    extras = r.extras(data, path)
    # a stand-in keeps the record whole while the problem is reported; it is never returned
    return Revision(number, date or _NO_DATE, summary, extras)


def _vulnerability(r: Reader, value: object, path: Path) -> Vulnerability:
    data = r.mapping(value, path, VULNERABILITY_KEYS)
    cve = r.text(data, "cve", path)
    if cve is not None:
        cve = cve.upper()
        if not CVE_ID.match(cve):
            r.add(f"not a CVE id: {cve!r}", (*path, "cve"), hint="e.g. CVE-2026-12345")
    cwes: list[Cwe] = []
    for item_path, item in r.items(data.get("cwe"), (*path, "cwe")):
        entry = (
            {"id": item} if isinstance(item, str) else r.mapping(item, item_path, {"id", "name"})
        )
        cwe_id = (r.text(entry, "id", item_path, required=True) or "").upper()
        if cwe_id and not CWE_ID.match(cwe_id):
            r.add(f"not a CWE id: {cwe_id!r}", item_path, hint="e.g. CWE-79")
        cwes.append(Cwe(cwe_id, r.text(entry, "name", item_path)))
    scores: list[CvssScore] = []
    for item_path, item in r.items(data.get("cvss"), (*path, "cvss")):
        score = _score(r, item, item_path)
        if score is None:
            continue
        if any(s.version is score.version for s in scores):
            r.add(
                f"a CVSS {score.version} vector is already given",
                item_path,
                hint="one vector per CVSS version",
            )
        scores.append(score)
    affected = tuple(
        _affected(r, item, item_path)
        for item_path, item in r.items(data.get("affected"), (*path, "affected"))
    )
    remediations: list[Remediation] = []
    for item_path, item in r.items(data.get("remediations"), (*path, "remediations")):
        entry = r.mapping(item, item_path, {"category", "details", "url", "products", "extras"})
        category = r.enum(
            RemediationCategory, entry.get("category", "vendor_fix"), (*item_path, "category")
        )
        products: list[int] = []
        for p_path, p in r.items(entry.get("products"), (*item_path, "products")):
            if not isinstance(p, int) or isinstance(p, bool) or not 0 <= p < len(affected):
                r.add(
                    f"no affected product number {p!r}",
                    p_path,
                    hint=f"products are counted from 0 in 'affected' ({len(affected)} here)",
                )
            else:
                products.append(p)
        remediations.append(
            Remediation(
                category or RemediationCategory.VENDOR_FIX,
                r.text(entry, "details", item_path, required=True) or "",
                r.url(r.text(entry, "url", item_path), (*item_path, "url")),
                tuple(products),
                r.extras(entry, item_path),
            )
        )
    return Vulnerability(
        cve=cve,
        aliases=r.texts(data, "aliases", path),
        title=r.text(data, "title", path, max_len=TITLE_MAX),
        description=r.text(data, "description", path),
        cwes=tuple(cwes),
        scores=tuple(scores),
        impacts=r.texts(data, "impacts", path),
        workarounds=r.texts(data, "workarounds", path),
        remediations=tuple(remediations),
        affected=affected,
        references=_references(r, data, path),
        credits=_credits(r, data, path),
        published=r.instant(data, "published", path),
        extras=r.extras(data, path),
    )


def _score(r: Reader, value: object, path: Path) -> CvssScore | None:
    entry = (
        {"vector": value}
        if isinstance(value, str)
        else r.mapping(value, path, {"vector", "score", "severity", "extras"})
    )
    vector = r.text(entry, "vector", path, required=True)
    if vector is None:
        return None
    try:
        computed = r.scorer(vector)
    except InvalidInput as exc:
        r.add(exc.problems[0].message, (*path, "vector") if not isinstance(value, str) else path)
        return None
    given = entry.get("score")
    if given is not None and (
        not isinstance(given, int | float) or float(given) != computed.base_score
    ):
        r.add(
            f"score {given} does not match the vector, which scores {computed.base_score}",
            (*path, "score"),
            hint="leave the score out: Candor computes it",
        )
    severity = entry.get("severity")
    if severity is not None and str(severity).upper() != computed.severity.value:
        r.add(
            f"severity {severity} does not match the vector's {computed.severity.value}",
            (*path, "severity"),
        )
    extras = r.extras(entry, path) if not isinstance(value, str) else {}
    return CvssScore(
        computed.version, computed.vector, computed.base_score, computed.severity, extras
    )


def _affected(r: Reader, value: object, path: Path) -> Affected:
    data = r.mapping(value, path, AFFECTED_KEYS)
    product = r.text(data, "product", path, max_len=2048)
    package = r.text(data, "package", path)
    if product is None and package is None:
        r.add("name the product or the package", path)
    default = data.get("default_status")
    ranges = tuple(
        _range(r, item, item_path)
        for item_path, item in r.items(data.get("ranges"), (*path, "ranges"))
    )
    versions: list[VersionEntry] = []
    for item_path, item in r.items(data.get("versions"), (*path, "versions")):
        if isinstance(item, str | int | float) and not isinstance(item, bool):
            if isinstance(item, float):
                r.add(QUOTE_VERSION.format(item), item_path)
            versions.append(VersionEntry(str(item).strip(), Status.AFFECTED))
            continue
        entry = r.mapping(item, item_path, {"version", "status", "scheme", "extras"})
        status = r.enum(Status, entry.get("status", "affected"), (*item_path, "status"))
        versions.append(
            VersionEntry(
                r.version(entry, "version", item_path, required=True) or "",
                status or Status.AFFECTED,
                r.text(entry, "scheme", item_path),
                r.extras(entry, item_path),
            )
        )
    return Affected(
        product=product,
        vendor=r.text(data, "vendor", path, max_len=512),
        package=package,
        ecosystem=r.text(data, "ecosystem", path),
        purl=_purl(r, r.text(data, "purl", path), (*path, "purl")),
        repo=r.text(data, "repo", path),
        cpes=r.texts(data, "cpes", path),
        default_status=r.enum(Status, default, (*path, "default_status")) if default else None,
        ranges=ranges,
        versions=tuple(versions),
        extras=r.extras(data, path),
    )


def _purl(r: Reader, value: str | None, path: Path) -> str | None:
    if value is not None and not re.match(r"^pkg:[A-Za-z.+-][A-Za-z0-9.+-]*/\S+$", value):
        r.add(f"not a package URL: {value!r}", path, hint="e.g. pkg:pypi/acme-agent")
    return value


def _range(r: Reader, value: object, path: Path) -> VersionRange:
    data = r.mapping(value, path, RANGE_KEYS)
    scheme = r.text(data, "scheme", path, required=True) or ""
    status = r.enum(Status, data.get("status", "affected"), (*path, "status"))
    events: list[Event] = []
    if "events" in data:
        for key in ("introduced", "fixed", "last_affected", "limit"):
            if key in data:
                r.add("write either events or introduced/fixed, not both", (*path, key))
        for e_path, item in r.items(data.get("events"), (*path, "events")):
            entry = r.mapping(item, e_path)
            if len(entry) != 1:
                r.add("an event is one of introduced, fixed, last_affected or limit", e_path)
                continue
            ((kind, _),) = entry.items()
            parsed = r.enum(EventKind, kind, (*e_path, str(kind)))
            version = r.version(entry, str(kind), e_path, required=True)
            if parsed is not None:
                events.append(Event(parsed, version or ""))
    else:
        # the short form: one interval
        intro = r.version(data, "introduced", path) or "0"
        events.append(Event(EventKind.INTRODUCED, intro))
        closing = [k for k in ("fixed", "last_affected", "limit") if k in data]
        if len(closing) > 1:
            r.add("give only one of fixed, last_affected or limit", (*path, closing[1]))
        for key in closing[:1]:
            text = r.version(data, key, path, required=True)
            if text is not None:
                events.append(Event(EventKind(key), text))
    if not events:
        r.add("a range needs at least one event", (*path, "events"))
    elif not any(e.kind is EventKind.INTRODUCED for e in events):
        r.add(
            "a range needs an introduced event",
            (*path, "events"),
            hint="introduced: '0' means from the first version",
        )
    if any(not e.version for e in events):
        r.add("event versions must not be empty", (*path, "events"))
    return VersionRange(
        scheme,
        tuple(events),
        status or Status.AFFECTED,
        r.text(data, "repo", path),
        r.extras(data, path),
    )


def _references(r: Reader, data: Mapping[str, Any], path: Path) -> tuple[Reference, ...]:
    out: list[Reference] = []
    for item_path, item in r.items(data.get("references"), (*path, "references")):
        entry = (
            {"url": item}
            if isinstance(item, str)
            else r.mapping(item, item_path, {"url", "name", "tags", "extras"})
        )
        url = r.url(r.text(entry, "url", item_path, required=True), (*item_path, "url"))
        out.append(
            Reference(
                url or "",
                r.text(entry, "name", item_path, max_len=512),
                r.texts(entry, "tags", item_path),
                r.extras(entry, item_path),
            )
        )
    return tuple(out)


def _credits(r: Reader, data: Mapping[str, Any], path: Path) -> tuple[Credit, ...]:
    out: list[Credit] = []
    for item_path, item in r.items(data.get("credits"), (*path, "credits")):
        entry = (
            {"name": item}
            if isinstance(item, str)
            else r.mapping(item, item_path, {"name", "type", "contact", "extras"})
        )
        out.append(
            Credit(
                r.text(entry, "name", item_path, required=True) or "",
                r.text(entry, "type", item_path),
                r.texts(entry, "contact", item_path),
                r.extras(entry, item_path),
            )
        )
    return tuple(out)
