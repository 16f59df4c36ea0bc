"""VERIS 1.4 incident records: export an incident for the VERIS Community Database and breach
reports, and import records others published.

VERIS describes an incident by the 4 A's: **actor** (who), **action** (what they did), **asset**
(what was affected) and **attribute** (how: confidentiality, integrity, availability), plus
timeline, victim, discovery method and impact. Candor's incident knows the times, the summary and
the kind; the 4 A's, victim, discovery and impact are VERIS's own vocabulary (hundreds of
enumerated values), so a ``Classification`` keeps them as VERIS objects that the schema checks,
rather than a copy of the enumerations in Candor's code.

Mapping from the incident:

    incident_id          the incident's UUID
    summary              the incident summary (or its title when the summary is empty)
    security_incident    Confirmed for incidents and breaches, Suspected for events, False positive
                         for declined incidents (a classification may say otherwise)
    timeline.incident    the date of first attacker activity when known, else of detection, else
                         of declaration (UTC)
    timeline.discovery   first activity → detection, in the largest whole unit
    timeline.containment detection (or declaration) → containment
    plus                 master_id (the incident id), created / modified, Candor's incident key

Import keeps everything in ``plus`` that the schema allows and reports, without refusing, the
``plus`` fields another organisation added beyond VERIS 1.4 (``plus`` is VERIS's place for
organisation-specific extensions, and real VCDB records carry some). Every other part of the
record must be valid VERIS 1.4; each problem names its field (``action.hacking.variety[0]``).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator
from jsonschema.exceptions import ValidationError

from candor.domain.errors import InvalidInput, Problem
from candor.domain.incidents import Clock, Incident
from candor.domain.lifecycle import Phase
from candor.domain.milestones import contained_at
from candor.domain.vocabulary import Kind, Severity, require_aware

SCHEMA_FILE = Path(__file__).resolve().parent / "data" / "veris-1.4" / "verisc-merged.json"
SCHEMA_VERSION = "1.4.0"
ESSENTIAL_FIELDS = (
    "incident_id",
    "summary",
    "security_incident",
    "confidence",
    "reference",
    "targeted",
    "actor",
    "action",
    "asset",
    "attribute",
    "discovery_method",
    "timeline.incident",
    "victim",
    "impact",
)
# Data varieties that make a confidentiality breach a breach of personal data.
PERSONAL_DATA = {"Personal", "Sensitive Personal", "Medical", "Bank", "Payment", "Credentials"}
# Data varieties that are secrets held for, or code shipped to, others: a supply-chain breach.
SUPPLY_CHAIN_DATA = {"API key", "Secrets", "Source code", "Session key", "Digital certificate"}
UNITS = (
    ("Years", timedelta(days=365)),
    ("Months", timedelta(days=30)),
    ("Weeks", timedelta(weeks=1)),
    ("Days", timedelta(days=1)),
    ("Hours", timedelta(hours=1)),
    ("Minutes", timedelta(minutes=1)),
    ("Seconds", timedelta(seconds=1)),
)


@cache
def schema() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return data


@cache
def _validator() -> Draft4Validator:
    return Draft4Validator(schema())


def _dotted(path: Any) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else ("." if text else "") + str(part)
    return text


def _problems_of(error: ValidationError) -> list[Problem]:
    """One problem per field: a missing or unexpected property is named itself, not its parent."""
    base = list(error.absolute_path)
    if error.validator == "required" and isinstance(error.instance, Mapping):
        missing = [p for p in error.validator_value if p not in error.instance]
        return [Problem("is required", field=_dotted([*base, name]) or name) for name in missing]
    if error.validator == "additionalProperties" and isinstance(error.instance, Mapping):
        allowed = set(error.schema.get("properties", {}))
        extra = [k for k in error.instance if k not in allowed]
        return [Problem("is not a VERIS 1.4 field", field=_dotted([*base, name])) for name in extra]
    where = _dotted(base) or "(record)"
    if error.validator == "enum":
        values = [str(v) for v in error.validator_value]
        # some enumerations have hundreds of values (countries, currencies): show a few
        shown = ", ".join(values[:8]) + (f" … ({len(values)} in all)" if len(values) > 8 else "")
        return [Problem(f"{error.instance!r} is not a VERIS 1.4 value", field=where, hint=shown)]
    return [Problem(error.message, field=where)]


def validate(record: Any, *, lenient_plus: bool = False) -> list[Problem]:
    """Every schema problem in a record; ``lenient_plus`` ignores those inside ``plus``."""
    if not isinstance(record, Mapping):
        return [Problem("a VERIS record is a JSON object", field="(record)")]
    problems: list[Problem] = []
    for error in _validator().iter_errors(record):
        if lenient_plus and list(error.absolute_path)[:1] == ["plus"]:
            continue
        problems.extend(_problems_of(error))
    return sorted(set(problems), key=lambda p: (p.field or "", p.message))


def plus_drift(record: Mapping[str, Any]) -> list[Problem]:
    """Problems inside ``plus`` only: extensions another organisation made."""
    return [p for p in validate(record) if (p.field or "").startswith("plus")]


# ---- the model ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VerisDate:
    year: int
    month: int | None = None
    day: int | None = None

    @classmethod
    def of(cls, when: datetime) -> VerisDate:
        return cls(when.year, when.month, when.day)

    def as_dict(self) -> dict[str, int]:
        out = {"year": self.year}
        if self.month is not None:
            out["month"] = self.month
            if self.day is not None:
                out["day"] = self.day
        return out


@dataclass(frozen=True, slots=True)
class Classification:
    """The VERIS-specific description of an incident, as VERIS objects."""

    actor: Mapping[str, Any]
    action: Mapping[str, Any]
    asset: Mapping[str, Any]
    attribute: Mapping[str, Any] = field(default_factory=dict)
    discovery_method: Mapping[str, Any] = field(default_factory=lambda: {"unknown": True})
    victim: Mapping[str, Any] | None = None
    impact: Mapping[str, Any] | None = None
    security_incident: str | None = None  # None: derived from the incident
    confidence: str | None = None
    targeted: str | None = None
    discovery_notes: str | None = None
    reference: str | None = None


@dataclass(frozen=True, slots=True)
class Imported:
    """A VERIS record read in: what a Candor incident needs, and the rest kept for re-export."""

    incident_id: str
    title: str
    summary: str
    kind: Kind
    severity: Severity
    occurred: VerisDate
    classification: Classification
    schema_version: str
    source_id: str | None
    timeline: Mapping[str, Any]
    plus: Mapping[str, Any]
    notes: tuple[Problem, ...] = ()  # tolerated problems (plus fields beyond VERIS 1.4)


def _unit(span: timedelta) -> dict[str, Any]:
    for name, size in UNITS:
        if span >= size:
            return {"unit": name, "value": span // size}
    return {"unit": "Seconds", "value": 0}


def _security_incident(incident: Incident, classification: Classification) -> str:
    if classification.security_incident:
        return classification.security_incident
    if incident.phase is Phase.DECLINED:
        return "False positive"
    if incident.kind is Kind.EVENT:
        return "Suspected"
    return "Confirmed"


def _assemble(
    *,
    incident_id: str,
    summary: str,
    security_incident: str,
    occurred: VerisDate,
    classification: Classification,
    timeline_extra: Mapping[str, Any],
    plus: Mapping[str, Any],
    source_id: str | None,
) -> dict[str, Any]:
    c = classification
    record: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "incident_id": incident_id,
        "security_incident": security_incident,
        "summary": summary,
        "timeline": {"incident": occurred.as_dict(), **timeline_extra},
        "actor": dict(c.actor),
        "action": dict(c.action),
        "asset": dict(c.asset),
        "discovery_method": dict(c.discovery_method),
        "plus": dict(plus),
    }
    if c.attribute:
        record["attribute"] = dict(c.attribute)
    optional = {
        "victim": c.victim,
        "impact": c.impact,
        "confidence": c.confidence,
        "targeted": c.targeted,
        "discovery_notes": c.discovery_notes,
        "reference": c.reference,
        "source_id": source_id,
    }
    record.update({k: v for k, v in optional.items() if v})
    problems = validate(record)
    if problems:
        raise InvalidInput(problems)
    return record


def incident_record(
    incident: Incident,
    classification: Classification,
    *,
    now: datetime,
    first_activity_at: datetime | None = None,
    source_id: str = "candor",
) -> dict[str, Any]:
    """The incident as a VERIS 1.4 record, checked against the schema before it is returned."""
    now = require_aware(now, field="now")
    detected = incident.clock(Clock.DETECTED_AT)
    start = first_activity_at or detected or incident.declared_at
    extra: dict[str, Any] = {}
    if first_activity_at is not None and detected is not None:
        extra["discovery"] = _unit(detected - first_activity_at)
    contained = contained_at(incident)
    if contained is not None:
        extra["containment"] = _unit(contained - (detected or incident.declared_at))
    return _assemble(
        incident_id=str(incident.id),
        summary=incident.summary or incident.title,
        security_incident=_security_incident(incident, classification),
        occurred=VerisDate.of(start),
        classification=classification,
        timeline_extra=extra,
        plus={
            "master_id": str(incident.id),
            "created": incident.declared_at.isoformat().replace("+00:00", "Z"),
            "modified": now.isoformat().replace("+00:00", "Z"),
            "candor_incident_key": incident.key,
        },
        source_id=source_id,
    )


def import_record(data: Any) -> Imported:
    """Read a VERIS record (1.3.x or 1.4); refuse it naming every field that is not valid VERIS
    1.4, except organisation extensions in ``plus``, which are kept as notes."""
    problems = validate(data, lenient_plus=True)
    if problems:
        raise InvalidInput(problems)
    record: Mapping[str, Any] = data
    occurred = record["timeline"]["incident"]
    summary = str(record.get("summary", "")).strip()
    classification = Classification(
        actor=record["actor"],
        action=record["action"],
        asset=record["asset"],
        attribute=record.get("attribute", {}),
        discovery_method=record["discovery_method"],
        victim=record.get("victim"),
        impact=record.get("impact"),
        security_incident=record["security_incident"],
        confidence=record.get("confidence"),
        targeted=record.get("targeted"),
        discovery_notes=record.get("discovery_notes"),
        reference=record.get("reference"),
    )
    return Imported(
        incident_id=str(record["incident_id"]),
        title=_title(summary, record),
        summary=summary,
        kind=_kind(record),
        severity=_severity(record),
        occurred=VerisDate(occurred["year"], occurred.get("month"), occurred.get("day")),
        classification=classification,
        schema_version=str(record["schema_version"]),
        source_id=record.get("source_id"),
        timeline={k: v for k, v in record["timeline"].items() if k != "incident"},
        plus=record.get("plus", {}),
        notes=tuple(plus_drift(record)),
    )


def reexport(item: Imported, *, now: datetime) -> dict[str, Any]:
    """An imported record written out again as VERIS 1.4 (for sharing it on, or a round trip).
    The other organisation's ``plus`` is not carried: it is theirs, and may not be valid 1.4."""
    now = require_aware(now, field="now")
    master = item.plus.get("master_id") if isinstance(item.plus, Mapping) else None
    return _assemble(
        incident_id=item.incident_id,
        summary=item.summary,
        security_incident=item.classification.security_incident or "Confirmed",
        occurred=item.occurred,
        classification=item.classification,
        timeline_extra=item.timeline,
        plus={
            "master_id": str(master or uuid.uuid5(uuid.NAMESPACE_URL, item.incident_id)),
            "modified": now.isoformat().replace("+00:00", "Z"),
        },
        source_id=item.source_id,
    )


def essentials(record: Mapping[str, Any]) -> dict[str, Any]:
    """The fields that say what happened, for comparing two records of one incident."""
    out: dict[str, Any] = {}
    for name in ESSENTIAL_FIELDS:
        value: Any = record
        for part in name.split("."):
            value = value.get(part) if isinstance(value, Mapping) else None
        out[name] = value
    return out


def _title(summary: str, record: Mapping[str, Any]) -> str:
    first = summary.split(". ")[0].strip().rstrip(".")
    if not first:
        victim = (record.get("victim") or {}).get("victim_id")
        first = f"VERIS incident {record['incident_id']}" + (f" at {victim}" if victim else "")
    return first if len(first) <= 200 else first[:199] + "…"


def _data_varieties(record: Mapping[str, Any]) -> set[str]:
    confidentiality = (record.get("attribute") or {}).get("confidentiality") or {}
    return {str(d.get("variety")) for d in confidentiality.get("data", []) or []}


def _kind(record: Mapping[str, Any]) -> Kind:
    if record.get("security_incident") in ("Near miss", "False positive"):
        return Kind.EVENT
    confidentiality = (record.get("attribute") or {}).get("confidentiality") or {}
    disclosed = confidentiality.get("data_disclosure") in ("Yes", "Potentially")
    varieties = _data_varieties(record)
    if disclosed and varieties & SUPPLY_CHAIN_DATA:
        return Kind.SUPPLY_CHAIN_BREACH
    if disclosed and varieties & PERSONAL_DATA:
        return Kind.PERSONAL_DATA_BREACH
    return Kind.SECURITY_INCIDENT


def _severity(record: Mapping[str, Any]) -> Severity:
    """A first guess for triage to confirm: VERIS has no severity, only impact and data."""
    rating = (record.get("impact") or {}).get("overall_rating")
    if rating in ("Catastrophic", "Damaging"):
        return Severity.SEV1
    kind = _kind(record)
    if kind in (Kind.PERSONAL_DATA_BREACH, Kind.SUPPLY_CHAIN_BREACH):
        return Severity.SEV2
    if kind is Kind.EVENT or rating == "Insignificant":
        return Severity.SEV4
    return Severity.SEV3
