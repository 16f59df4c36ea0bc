"""Vulnerability advisories: one record from which CVE, CSAF and OSV documents are made.

An advisory is what a vendor publishes about flaws in software it ships to customers. It holds
one or more vulnerabilities; each names the products it affects with version ranges, its CWE,
CVSS vectors, impacts, workarounds and remediations. The exports in ``candor.adapters.export``
are pure functions from this record to a document and back.

Version ranges follow OSV's event model (``introduced``, ``fixed``, ``last_affected``,
``limit``) because it is the most general of the three formats: a CVE ``versions`` entry with
``changes`` and a CSAF ``vers:`` range both translate to and from a list of events without loss.
A range also carries the status it asserts, because CVE records state ranges that are *not*
affected as often as ranges that are.

``extras`` keep, per format, the fields of an imported document that the record has no place
for, so exporting an imported advisory back to its own format reproduces them. They sit on the
object they came from (advisory, vulnerability, affected product, version, range).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

# Extras are opaque JSON values kept for re-export, keyed by format name ("cve", "csaf", "osv").
Extras = Mapping[str, Mapping[str, Any]]

FORMATS = ("cve", "csaf", "osv")

# The id a Candor-numbered advisory gets: ORG-SA-YEAR-SEQ. Imported advisories keep the id of
# their source (GO-2021-0095, RHSA-2021:5186, CVE-2024-1234), so parsing accepts any id that
# CSAF's tracking id rule accepts; ``candor_advisory_id`` builds ours.
CANDOR_ID = re.compile(r"^(?P<org>[A-Z][A-Z0-9]{1,15})-SA-(?P<year>\d{4})-(?P<seq>\d{3,})$")
ANY_ID = re.compile(r"^\S(.*\S)?$")
CVE_ID = re.compile(r"^CVE-\d{4}-\d{4,19}$")
CWE_ID = re.compile(r"^CWE-[1-9]\d{0,5}$")
# BCP 47 as the CVE schema checks it (language, optional script, optional region).
LANGUAGE = re.compile(r"^[A-Za-z]{2,4}([_-][A-Za-z]{4})?([_-]([A-Za-z]{2}|[0-9]{3}))?$")


def candor_advisory_id(org: str, year: int, seq: int) -> str:
    """``("acme", 2026, 7)`` → ``ACME-SA-2026-007``."""
    text = f"{org.strip().upper()}-SA-{year:04d}-{seq:03d}"
    if not CANDOR_ID.match(text):
        raise ValueError(f"not a valid organisation short name for an advisory id: {org!r}")
    return text


def next_candor_advisory_id(org: str, year: int, existing: list[str] | tuple[str, ...]) -> str:
    """The next free sequence number of ``org`` in ``year``, given the ids already used."""
    prefix = f"{org.strip().upper()}-SA-{year:04d}-"
    used = [
        int(m.group("seq"))
        for text in existing
        if text.startswith(prefix) and (m := CANDOR_ID.match(text))
    ]
    return candor_advisory_id(org, year, max(used, default=0) + 1)


class AdvisoryStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class Tlp(StrEnum):
    """TLP 2.0 labels. CSAF 2.0 still speaks TLP 1.0; see ``csaf.py`` for the mapping."""

    CLEAR = "CLEAR"
    GREEN = "GREEN"
    AMBER = "AMBER"
    AMBER_STRICT = "AMBER+STRICT"
    RED = "RED"


class Status(StrEnum):
    """What a version, a range or a whole product is, with respect to one vulnerability.

    ``fixed`` is ``unaffected`` because a fix was applied; CSAF says so, CVE only says
    ``unaffected``, OSV only lists what is affected.
    """

    AFFECTED = "affected"
    UNAFFECTED = "unaffected"
    FIXED = "fixed"
    UNKNOWN = "unknown"


class EventKind(StrEnum):
    INTRODUCED = "introduced"
    FIXED = "fixed"
    LAST_AFFECTED = "last_affected"
    LIMIT = "limit"


class RemediationCategory(StrEnum):
    """CSAF's remediation categories; CVE calls the first one a solution."""

    VENDOR_FIX = "vendor_fix"
    MITIGATION = "mitigation"
    WORKAROUND = "workaround"
    NO_FIX_PLANNED = "no_fix_planned"
    NONE_AVAILABLE = "none_available"


class CvssVersion(StrEnum):
    V2_0 = "2.0"
    V3_0 = "3.0"
    V3_1 = "3.1"
    V4_0 = "4.0"


class Severity(StrEnum):
    NONE = "NONE"
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"


@dataclass(frozen=True, slots=True)
class Event:
    kind: EventKind
    version: str


@dataclass(frozen=True, slots=True)
class VersionRange:
    """A run of versions in one version scheme, delimited by events in order.

    ``scheme`` is the version numbering (``semver``, ``git``, ``python``, ``maven``, ``custom``
    …; CVE calls it versionType). A range with no closing event is open-ended.
    """

    scheme: str
    events: tuple[Event, ...]
    status: Status = Status.AFFECTED
    repo: str | None = None
    extras: Extras = field(default_factory=dict)

    @property
    def introduced(self) -> str | None:
        return next((e.version for e in self.events if e.kind is EventKind.INTRODUCED), None)

    def closing(self) -> Event | None:
        last = self.events[-1] if self.events else None
        return last if last is not None and last.kind is not EventKind.INTRODUCED else None


@dataclass(frozen=True, slots=True)
class VersionEntry:
    """One named version and its status (``scheme`` only when the source gave one)."""

    version: str
    status: Status
    scheme: str | None = None
    extras: Extras = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Affected:
    """One product (or package) and what a vulnerability does to its versions."""

    product: str | None
    vendor: str | None = None
    package: str | None = None  # the name in its ecosystem (PyPI name, Go module path …)
    ecosystem: str | None = None  # OSV ecosystem name: PyPI, npm, Go, Maven …
    purl: str | None = None  # package URL without version
    repo: str | None = None
    cpes: tuple[str, ...] = ()
    default_status: Status | None = None  # the status of every version not listed
    ranges: tuple[VersionRange, ...] = ()
    versions: tuple[VersionEntry, ...] = ()
    extras: Extras = field(default_factory=dict)

    @property
    def label(self) -> str:
        parts = [p for p in (self.vendor, self.product or self.package) if p]
        return " ".join(parts) or "(unnamed product)"

    def fixed_versions(self) -> tuple[str, ...]:
        """Versions that carry the fix: named fixed versions and the fixed events of ranges."""
        out: list[str] = [v.version for v in self.versions if v.status is Status.FIXED]
        for r in self.ranges:
            if r.status is Status.AFFECTED:
                out.extend(
                    e.version for e in r.events if e.kind is EventKind.FIXED and e.version != "*"
                )
        return tuple(dict.fromkeys(out))


@dataclass(frozen=True, slots=True)
class Cwe:
    id: str
    name: str | None = None


@dataclass(frozen=True, slots=True)
class CvssScore:
    """A CVSS vector with the score and severity computed from it (by the ``cvss`` library,
    in an adapter; the record stores what was computed so readers need not recompute)."""

    version: CvssVersion
    vector: str
    base_score: float
    severity: Severity
    extras: Extras = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Reference:
    url: str
    name: str | None = None
    tags: tuple[str, ...] = ()  # CVE reference tags, OSV type in lower case ("advisory", "fix")
    extras: Extras = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Credit:
    name: str
    type: str | None = None  # finder, reporter, analyst, coordinator, remediation developer …
    contact: tuple[str, ...] = ()
    extras: Extras = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Remediation:
    category: RemediationCategory
    details: str
    url: str | None = None
    # indices into the vulnerability's ``affected``; empty means every affected product
    products: tuple[int, ...] = ()
    extras: Extras = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Revision:
    """One published revision: kept for ever, with what changed."""

    number: str
    date: datetime
    summary: str
    extras: Extras = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Publisher:
    name: str
    namespace: str | None = None  # the publisher's URL; CSAF needs it, CVE and OSV do not
    category: str = "vendor"
    contact: str | None = None
    cna_org_id: str | None = None  # the CVE Program's UUID for the publishing CNA
    cna_short_name: str | None = None


@dataclass(frozen=True, slots=True)
class Vulnerability:
    cve: str | None = None
    aliases: tuple[str, ...] = ()  # other ids of the same flaw (GHSA-…, GO-…), not the CVE id
    title: str | None = None  # defaults to the advisory's
    description: str | None = None  # defaults to the advisory's
    cwes: tuple[Cwe, ...] = ()
    scores: tuple[CvssScore, ...] = ()
    impacts: tuple[str, ...] = ()
    workarounds: tuple[str, ...] = ()
    remediations: tuple[Remediation, ...] = ()
    affected: tuple[Affected, ...] = ()
    references: tuple[Reference, ...] = ()
    credits: tuple[Credit, ...] = ()
    published: datetime | None = None  # when the flaw became public
    extras: Extras = field(default_factory=dict)

    def score(self, version: CvssVersion) -> CvssScore | None:
        return next((s for s in self.scores if s.version is version), None)


@dataclass(frozen=True, slots=True)
class Advisory:
    id: str
    # Optional because imported records may lack them (a CVE record need not have a title, an
    # OSV record has no publisher); each export names what it needs and what is missing.
    title: str | None = None
    description: str | None = None
    publisher: Publisher | None = None
    status: AdvisoryStatus = AdvisoryStatus.DRAFT
    tlp: Tlp = Tlp.CLEAR
    language: str = "en"
    vulnerabilities: tuple[Vulnerability, ...] = ()
    references: tuple[Reference, ...] = ()
    credits: tuple[Credit, ...] = ()
    incidents: tuple[str, ...] = ()  # keys of the incidents this advisory came out of
    revisions: tuple[Revision, ...] = ()
    initial_release: datetime | None = None
    current_release: datetime | None = None
    extras: Extras = field(default_factory=dict)

    @property
    def version(self) -> str:
        """The document version: the number of the latest revision, ``0`` before any."""
        if not self.revisions:
            return "0"
        return max(self.revisions, key=lambda r: r.date).number

    def cve_ids(self) -> tuple[str, ...]:
        return tuple(v.cve for v in self.vulnerabilities if v.cve)
