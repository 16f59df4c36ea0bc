"""Documents and exports built from an incident's stored records: the incident report, the retro,
the counsel packet, the public write-up draft (``reports.render`` turns each into Markdown,
DOCX or PDF), the STIX 2.1 bundle of its indicators and its VERIS 1.4 record.

The pages, the API and the CLI all call these, so the three give the same bytes. Every export
that leaves the workspace is audited.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from candor.adapters.export import reports, stix, veris
from candor.adapters.export.counsel_packet import counsel_packet
from candor.adapters.export.document import Document
from candor.adapters.export.writeup import public_writeup
from candor.adapters.retro_rules import default_policy
from candor.domain.access import Actor, require_write
from candor.domain.errors import InvalidInput, Problem
from candor.domain.fivewhys import BlamelessPolicy
from candor.domain.indicators import Tlp
from candor.domain.redact import Scrubber
from candor.domain.vocabulary import parse_enum
from candor.services import impact, incidents, learn_metrics, obligations, retros, sharing
from candor.services.context import Context

MEDIA = {
    reports.Format.MARKDOWN: "text/markdown; charset=utf-8",
    reports.Format.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    reports.Format.PDF: "application/pdf",
}


class Kind(StrEnum):
    INCIDENT = "incident"
    RETRO = "retro"
    COUNSEL = "counsel"
    WRITEUP = "writeup"


@dataclass(frozen=True, slots=True)
class Download:
    filename: str
    media_type: str
    content: bytes
    replaced: Mapping[str, int] | None = None  # the write-up: what the scrubber replaced


def document(
    ctx: Context,
    actor: Actor,
    key: str,
    kind: Kind | str,
    *,
    privileged: bool = False,
    policy: BlamelessPolicy | None = None,
    internal_domains: Sequence[str] = (),
) -> tuple[Document, Mapping[str, int] | None]:
    chosen = parse_enum(Kind, kind, field="kind")
    now = ctx.clock.now()
    if chosen is Kind.COUNSEL:
        packet = obligations.packet(ctx, actor, key, fmt="md", privileged=privileged)
        return counsel_packet(packet, generated_at=now, privileged=privileged), None
    facts = learn_metrics.incident_facts(ctx, actor, key)
    incident = facts.incident
    if chosen is Kind.INCIDENT:
        found = impact.statement(ctx, actor, key)
        text = impact.markdown(ctx, actor, key) if found.current else ""
        return (
            reports.incident_report(
                incident,
                entries=facts.entries,
                impact_statement=text,
                metrics=facts.metrics(now=now),
                privileged=privileged,
                generated_at=now,
            ),
            None,
        )
    view = retros.get(ctx, actor, key, policy=policy or default_policy())
    retro = retros.require(view)
    if chosen is Kind.RETRO:
        doc = reports.retro_report(
            retro, incident=incident, review=view.review, privileged=privileged, generated_at=now
        )
        return doc, None
    scrubber = Scrubber(people=view.people, internal_domains=internal_domains)
    doc, counts = public_writeup(
        retro, incident=incident, organisation=ctx.organization, scrubber=scrubber
    )
    return doc, counts


def download(
    ctx: Context,
    actor: Actor,
    key: str,
    kind: Kind | str,
    fmt: reports.Format | str,
    *,
    privileged: bool = False,
    policy: BlamelessPolicy | None = None,
    internal_domains: Sequence[str] = (),
) -> Download:
    """A report as a file, audited as an export (what, format, marking, size)."""
    try:
        chosen = reports.Format(fmt)
    except ValueError:
        raise InvalidInput(Problem("must be md, docx or pdf", field="format")) from None
    doc, counts = document(
        ctx,
        actor,
        key,
        kind,
        privileged=privileged,
        policy=policy,
        internal_domains=internal_domains,
    )
    content = reports.render(doc, chosen)
    incident = learn_metrics.incident_facts(ctx, actor, key).incident
    sharing.record_export(
        ctx,
        actor,
        incident,
        what="report",
        after={
            "kind": str(kind),
            "format": chosen.value,
            "privileged": privileged,
            "bytes": len(content),
        },
    )
    return Download(f"{incident.key}-{kind}.{chosen.value}", MEDIA[chosen], content, counts)


def stix_bundle(
    ctx: Context, actor: Actor, key: str, *, ceiling: Tlp | str = Tlp.AMBER_STRICT
) -> dict[str, Any]:
    """The incident's indicators as a STIX 2.1 bundle. TLP:RED items (and any above the
    ceiling) are refused, each named: nothing is written."""
    level = parse_enum(Tlp, str(ceiling).lower().removeprefix("tlp:"), field="ceiling")
    found = sharing.get(ctx, actor, key)
    require_write(actor, found.incident)  # a bundle carries the incident's findings outside
    items = [s.indicator for s in found.indicators]
    bundle = stix.build_bundle(
        items,
        organisation=ctx.organization,
        now=ctx.clock.now(),
        ceiling=level,
        incident_key=found.incident.key,
    )
    sharing.record_export(
        ctx,
        actor,
        found.incident,
        what="stix",
        after={"bundle": bundle["id"], "indicators": len(items), "ceiling": level.value},
    )
    return bundle


UNCLASSIFIED = "Not classified in Candor yet."


def classification_of(data: Mapping[str, Any] | None) -> veris.Classification:
    """A stored classification, or one that says only what is known: nothing yet."""
    data = data or {}
    return veris.Classification(
        actor=data.get("actor") or {"unknown": {"notes": UNCLASSIFIED}},
        action=data.get("action") or {"unknown": {"notes": UNCLASSIFIED}},
        asset=data.get("asset") or {"assets": [{"variety": "Unknown"}], "cloud": ["Unknown"]},
        attribute=data.get("attribute") or {},
        discovery_method=data.get("discovery_method") or {"unknown": True},
        victim=data.get("victim"),
        impact=data.get("impact"),
        security_incident=data.get("security_incident"),
        confidence=data.get("confidence"),
        targeted=data.get("targeted"),
        discovery_notes=data.get("discovery_notes"),
        reference=data.get("reference"),
    )


CLASSIFICATION_KEYS = (
    "timeline",  # kept from an imported record: VERIS dates may be only a year or a month
    "actor",
    "action",
    "asset",
    "attribute",
    "discovery_method",
    "victim",
    "impact",
    "security_incident",
    "confidence",
    "targeted",
    "discovery_notes",
    "reference",
)


def classify(ctx: Context, actor: Actor, key: str, data: Any) -> None:
    """Store the incident's VERIS classification after checking it against the VERIS 1.4
    schema, naming every wrong field."""
    if not isinstance(data, Mapping):
        raise InvalidInput(Problem("must be a JSON object", field="classification"))
    unknown = [k for k in data if k not in CLASSIFICATION_KEYS]
    if unknown:
        raise InvalidInput(
            [
                Problem(f"unknown part {k!r}", field=str(k), hint=", ".join(CLASSIFICATION_KEYS))
                for k in unknown
            ]
        )
    found = sharing.get(ctx, actor, key)
    _record(ctx, actor, key, found, data)  # raises InvalidInput naming each field
    sharing.save_classification(ctx, actor, key, data)


def _record(
    ctx: Context, actor: Actor, key: str, found: sharing.Sharing, data: Mapping[str, Any] | None
) -> dict[str, Any]:
    facts = learn_metrics.incident_facts(ctx, actor, key)
    record = veris.incident_record(
        found.incident,
        classification_of(data),
        now=ctx.clock.now(),
        first_activity_at=facts.first_activity_at,
    )
    kept = (data or {}).get("timeline")
    if kept:
        record["timeline"] = dict(kept)
        problems = veris.validate(record)
        if problems:
            raise InvalidInput(problems)
    return record


def veris_record(ctx: Context, actor: Actor, key: str) -> dict[str, Any]:
    found = sharing.get(ctx, actor, key)
    require_write(actor, found.incident)
    record = _record(ctx, actor, key, found, found.classification)
    sharing.record_export(
        ctx, actor, found.incident, what="veris", after={"incident_id": record["incident_id"]}
    )
    return record


def veris_import(ctx: Context, actor: Actor, data: Any, *, file: str | None = None) -> str:
    """Declare an incident from a VERIS record (its summary, kind, a first severity for triage
    to confirm) and keep the record's classification; returns the new incident's key."""
    try:
        item = veris.import_record(data)
    except InvalidInput as exc:
        raise InvalidInput(
            [Problem(p.message, field=p.field, file=file, hint=p.hint) for p in exc.problems]
        ) from None
    c = item.classification
    made = incidents.declare(
        ctx,
        actor,
        title=item.title,
        summary=item.summary,
        kind=item.kind,
        severity=item.severity,
    )
    classification = {
        "timeline": {"incident": item.occurred.as_dict(), **item.timeline},
        "actor": dict(c.actor),
        "action": dict(c.action),
        "asset": dict(c.asset),
        "attribute": dict(c.attribute),
        "discovery_method": dict(c.discovery_method),
        "victim": c.victim,
        "impact": c.impact,
        "security_incident": c.security_incident,
        "confidence": c.confidence,
        "targeted": c.targeted,
        "discovery_notes": c.discovery_notes,
        "reference": c.reference,
    }
    sharing.save_classification(
        ctx, actor, made.key, {k: v for k, v in classification.items() if v}
    )
    return made.key
