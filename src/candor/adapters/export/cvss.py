"""CVSS scores computed by the ``cvss`` library (Red Hat's, LGPL-3.0+), versions 2.0 to 4.0.

Why a library: the v4.0 score comes from a lookup over macro vectors that nobody should
re-type, and v3.x rounding has traps (``Roundup`` is not ``round``); the library is the one the
CVE and CSAF tooling of Red Hat itself uses. This module turns its objects into the JSON objects
of the FIRST schemas that CVE records and CSAF documents embed, and back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cvss import CVSS2, CVSS3, CVSS4, CVSSError

from candor.domain.advisories import CvssScore, CvssVersion, Severity
from candor.domain.errors import InvalidInput, Problem

# v4.0 metric abbreviations → property names of the schema CVE records embed (cvssV4_0).
_V4_NAMES = {
    "AV": "attackVector",
    "AC": "attackComplexity",
    "AT": "attackRequirements",
    "PR": "privilegesRequired",
    "UI": "userInteraction",
    "VC": "vulnConfidentialityImpact",
    "VI": "vulnIntegrityImpact",
    "VA": "vulnAvailabilityImpact",
    "SC": "subConfidentialityImpact",
    "SI": "subIntegrityImpact",
    "SA": "subAvailabilityImpact",
    "E": "exploitMaturity",
    "CR": "confidentialityRequirement",
    "IR": "integrityRequirement",
    "AR": "availabilityRequirement",
    "MAV": "modifiedAttackVector",
    "MAC": "modifiedAttackComplexity",
    "MAT": "modifiedAttackRequirements",
    "MPR": "modifiedPrivilegesRequired",
    "MUI": "modifiedUserInteraction",
    "MVC": "modifiedVulnConfidentialityImpact",
    "MVI": "modifiedVulnIntegrityImpact",
    "MVA": "modifiedVulnAvailabilityImpact",
    "MSC": "modifiedSubConfidentialityImpact",
    "MSI": "modifiedSubIntegrityImpact",
    "MSA": "modifiedSubAvailabilityImpact",
    "S": "Safety",
    "AU": "Automatable",
    "R": "Recovery",
    "V": "valueDensity",
    "RE": "vulnerabilityResponseEffort",
    "U": "providerUrgency",
}
_V4_VALUES = {"N": "NONE", "L": "LOW", "H": "HIGH", "P": "PRESENT", "X": "NOT_DEFINED"}
_VECTOR = {"N": "NETWORK", "A": "ADJACENT", "L": "LOCAL", "P": "PHYSICAL", "X": "NOT_DEFINED"}
_UI = {"N": "NONE", "P": "PASSIVE", "A": "ACTIVE", "X": "NOT_DEFINED"}
_REQ = {"L": "LOW", "M": "MEDIUM", "H": "HIGH", "X": "NOT_DEFINED"}
_SAFETY = {**_V4_VALUES, "S": "SAFETY"}
# where a letter means something other than in _V4_VALUES
_V4_SPECIAL: dict[str, dict[str, str]] = {
    "AV": _VECTOR,
    "MAV": _VECTOR,
    "UI": _UI,
    "MUI": _UI,
    "E": {"U": "UNREPORTED", "P": "PROOF_OF_CONCEPT", "A": "ATTACKED", "X": "NOT_DEFINED"},
    "CR": _REQ,
    "IR": _REQ,
    "AR": _REQ,
    "MSI": _SAFETY,
    "MSA": _SAFETY,
    "S": {"N": "NEGLIGIBLE", "P": "PRESENT", "X": "NOT_DEFINED"},
    "AU": {"N": "NO", "Y": "YES", "X": "NOT_DEFINED"},
    "R": {"A": "AUTOMATIC", "U": "USER", "I": "IRRECOVERABLE", "X": "NOT_DEFINED"},
    "V": {"D": "DIFFUSE", "C": "CONCENTRATED", "X": "NOT_DEFINED"},
    "RE": {"L": "LOW", "M": "MODERATE", "H": "HIGH", "X": "NOT_DEFINED"},
    "U": {"Clear": "CLEAR", "Green": "GREEN", "Amber": "AMBER", "Red": "RED", "X": "NOT_DEFINED"},
}


@dataclass(frozen=True, slots=True)
class Computed:
    """Everything the library computes from one vector."""

    version: CvssVersion
    vector: str
    base_score: float
    severity: Severity
    temporal_score: float | None = None
    temporal_severity: Severity | None = None
    environmental_score: float | None = None
    environmental_severity: Severity | None = None


def version_of(vector: str) -> CvssVersion:
    text = vector.strip()
    if text.startswith("CVSS:4.0/"):
        return CvssVersion.V4_0
    if text.startswith("CVSS:3.1/"):
        return CvssVersion.V3_1
    if text.startswith("CVSS:3.0/"):
        return CvssVersion.V3_0
    if text.startswith("AV:") or text.startswith("(AV:"):
        return CvssVersion.V2_0
    raise InvalidInput(
        Problem(
            f"not a CVSS vector: {vector!r}",
            hint="it starts with CVSS:3.1/ or CVSS:4.0/ (v2.0 vectors start with AV:)",
        )
    )


def _severity(value: str) -> Severity:
    return Severity(value.upper())


def _v2_severity(score: float | None) -> Severity | None:
    # CVSS v2 has no severity in its specification; NVD's bands are what everyone uses
    if score is None:
        return None
    if score < 4.0:
        return Severity.LOW
    if score < 7.0:
        return Severity.MEDIUM
    return Severity.HIGH


def compute(vector: str) -> Computed:
    """Score a vector, or raise ``InvalidInput`` saying what is wrong with it."""
    version = version_of(vector)
    text = vector.strip()
    try:
        if version is CvssVersion.V4_0:
            c4 = CVSS4(text)
            return Computed(version, text, float(c4.base_score), _severity(c4.severity))
        if version is CvssVersion.V2_0:
            c2 = CVSS2(text.strip("()"))
            base, temporal, env = (float(x) if x is not None else None for x in c2.scores())
            assert base is not None
            return Computed(
                version,
                text,
                base,
                _v2_severity(base) or Severity.LOW,
                temporal,
                _v2_severity(temporal),
                env,
                _v2_severity(env),
            )
        c3 = CVSS3(text)
        base, temporal, env = (float(x) for x in c3.scores())
        sev = [_severity(s) for s in c3.severities()]
        return Computed(version, text, base, sev[0], temporal, sev[1], env, sev[2])
    except CVSSError as exc:
        raise InvalidInput(Problem(f"invalid CVSS {version} vector: {exc}")) from None


def score(vector: str) -> CvssScore:
    """The ``Scorer`` the advisory parser takes."""
    c = compute(vector)
    return CvssScore(c.version, c.vector, c.base_score, c.severity)


def metric_json(vector: str) -> dict[str, Any]:
    """The JSON object of the FIRST CVSS schema for this vector (as CVE and CSAF embed it)."""
    c = compute(vector)
    if c.version is CvssVersion.V4_0:
        return _v4_json(c)
    if c.version is CvssVersion.V2_0:
        c2 = CVSS2(vector.strip().strip("()"))
        data = c2.as_json(minimal=True)
        # the library writes the v2.0 severity NVD-style into some keys; the schema has none
        return {k: v for k, v in data.items() if not k.endswith("Severity")}
    c3 = CVSS3(vector.strip())
    data = c3.as_json(minimal=True)
    return dict(data)


def _v4_json(c: Computed) -> dict[str, Any]:
    # the library's as_json uses property names of a draft v4.0 schema ("attackRequirement",
    # "vulnerableSystemImpactConfidentiality") that the CVE schema refuses, so the object is
    # built here from the vector, with only the metrics the vector states
    out: dict[str, Any] = {"version": "4.0", "vectorString": c.vector}
    for part in c.vector.split("/")[1:]:
        key, value = part.split(":", 1)
        out[_V4_NAMES[key]] = _V4_SPECIAL.get(key, _V4_VALUES)[value]
    out["baseScore"] = c.base_score
    out["baseSeverity"] = c.severity.value
    return out


def _same(a: float | None, b: object) -> bool:
    return isinstance(b, int | float) and a is not None and abs(float(b) - a) < 0.05


def check_metric(data: dict[str, Any]) -> list[tuple[str, str]]:
    """Problems of an embedded CVSS object against its own vector, each with the CSAF test it
    breaks: 6.1.9 for wrong scores or severities, 6.1.10 for properties that contradict the
    vector. The vector is taken as the truth, as CSAF says it should be."""
    vector = data.get("vectorString")
    if not isinstance(vector, str):
        return []  # the schema check (6.1.8) reports the missing vector
    try:
        c = compute(vector)
    except InvalidInput as exc:
        return [("6.1.8", exc.problems[0].message)]
    out: list[tuple[str, str]] = []
    if data.get("version") != c.version.value:
        out.append(("6.1.10", f"version {data.get('version')} but the vector is {c.version}"))
    pairs: list[tuple[str, float | None, Severity | None]] = [
        ("base", c.base_score, c.severity),
        ("temporal", c.temporal_score, c.temporal_severity),
        ("environmental", c.environmental_score, c.environmental_severity),
    ]
    for prefix, value, severity in pairs:
        key = f"{prefix}Score"
        if key in data and value is not None and not _same(value, data[key]):
            out.append(("6.1.9", f"{key} is {data[key]}, the vector gives {value}"))
        given = data.get(f"{prefix}Severity")
        # v2.0 has no severities in its schema, so any given there are not judged
        judged = given is not None and c.version is not CvssVersion.V2_0 and severity is not None
        if judged and severity is not None and str(given).upper() != severity.value:
            out.append(("6.1.9", f"{prefix}Severity is {given}, the vector gives {severity.value}"))
    expected = metric_json(vector)
    for key, value in data.items():
        metric = key not in ("vectorString", "version") and not key.endswith(("Score", "Severity"))
        if metric and key in expected and expected[key] != value:
            out.append(("6.1.10", f"{key} is {value} but the vector says {expected[key]}"))
    return out
