"""The counsel packet: an incident's notification obligations laid out for counsel's decision —
the facts and where each came from, every obligation with its citation, deadline (UTC, the
organisation's zone, the jurisdiction's zone) and status, what was filed or determined, the
determinations still needed, the rules' review dates with unverified ones marked, and the
statement that this prepares counsel's decision and is not legal advice.

Built once as a ``Document`` and rendered to Markdown, DOCX and PDF by ``reports.render``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from candor.adapters.export.document import (
    PRIVILEGED,
    Block,
    Bullets,
    Document,
    Heading,
    Paragraph,
    Run,
    Table,
)
from candor.adapters.formatting import when
from candor.domain.obligations.results import DISCLAIMER
from candor.domain.obligations.tracking import TrackedObligation, Tracking
from candor.services.obligations import Overview

STATUS_WORDS = {
    "required": "required",
    "required_unless_exception": "required unless an exception applies — counsel decides",
    "pending_trigger": "pending: its clock has not started",
}
TRACKING_WORDS = {
    Tracking.PENDING: "pending",
    Tracking.FILED: "filed",
    Tracking.NOT_REQUIRED_PROPOSED: "not required — proposed, awaiting counsel",
    Tracking.NOT_REQUIRED: "not required — approved by counsel",
}


def local(moment: datetime | None, zone: str) -> str:
    if moment is None:
        return "—"
    return f"{moment.astimezone(ZoneInfo(zone)):%Y-%m-%d %H:%M} {zone}"


def shown(value: Any) -> str:
    if value is None:
        return "not recorded"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "none"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {shown(v)}" for k, v in value.items()) or "none"
    return str(value)


def tracking_text(ob: TrackedObligation) -> str:
    text = TRACKING_WORDS[ob.state]
    if ob.filing and ob.state is Tracking.FILED:
        f = ob.filing
        text += f" {when(f.at)} (recorded by {f.by}); reference: {f.reference}"
        if f.attachment:
            text += f"; evidence: {f.attachment}"
    d = ob.determination
    if d and ob.state in (Tracking.NOT_REQUIRED, Tracking.NOT_REQUIRED_PROPOSED):
        text += f"; proposed by {d.proposed_by} {when(d.proposed_at)}: “{d.text}”"
        if d.approved_by:
            text += f"; approved by {d.approved_by} {when(d.approved_at)}"
    elif d and d.rejected_by:
        text += f"; a not-required proposal was rejected by {d.rejected_by}: “{d.rejection}”"
    return text


def _facts(view: Overview) -> list[Block]:
    blocks: list[Block] = [Heading(1, "Facts")]
    if view.facts is not None:
        blocks.append(
            Paragraph.of(
                f"Facts version {view.facts.version}, recorded {when(view.facts.recorded_at)} by "
                f"{view.facts.recorded_by}. Times come from the incident's legal clocks, the "
                "organisation from the workspace settings."
            )
        )
    if view.composed is None:
        blocks.append(Paragraph.of(view.missing or "No facts recorded.", style="note"))
        return blocks
    rows = []
    for part in ("organization", "incident"):
        for key, value in view.composed.document[part].items():
            source = view.composed.sources.get(f"{part}.{key}", "")
            if key == "notified" and isinstance(value, dict):
                for event, at in value.items():
                    origin = view.composed.sources.get(f"incident.notified.{event}", source)
                    rows.append((f"notified {event}", str(at), origin))
                continue
            rows.append((key.replace("_", " "), shown(value), source))
    blocks.append(Table(("Fact", "Value", "Source"), tuple(rows), (1.6, 4, 1)))
    return blocks


def _obligation(ob: TrackedObligation, org_zone: str, now: datetime) -> list[Block]:
    c = ob.computed
    detail = c.detail
    head = f"#{ob.seq} {c.recipient} — {c.jurisdiction}"
    if not c.verified:
        head += " (UNVERIFIED)"
    deadline = "no fixed deadline"
    if c.deadline is not None:
        deadline = (
            f"{when(c.deadline)} · {local(c.deadline, org_zone)} · {local(c.deadline, c.zone)}"
        )
        if c.retention:
            deadline = f"keep the record until {deadline}"
        if ob.overdue(now):
            deadline += " · OVERDUE"
    items: list[tuple[Run, ...]] = [
        (Run("Law and citation: ", bold=True), Run(f"{c.law} — {c.citation}")),
        (Run("Status: ", bold=True), Run(STATUS_WORDS.get(c.status.value, c.status.value))),
        (Run("Deadline: ", bold=True), Run(deadline)),
        (Run("Clock: ", bold=True), Run(c.deadline_rule)),
        (Run("Tracking: ", bold=True), Run(tracking_text(ob))),
    ]
    if detail.get("standard"):
        items.append((Run("Standard: ", bold=True), Run(str(detail["standard"]))))
    review = f"last reviewed {c.last_reviewed.isoformat()}"
    if c.rule_effective_from:
        review += f"; version in force from {c.rule_effective_from.isoformat()}"
    if not c.verified:
        review += "; UNVERIFIED: the core facts of this rule were not confirmed in a source"
    if c.unverified:
        review += "; details not confirmed: " + ", ".join(c.unverified)
    items.append((Run("Rule: ", bold=True), Run(f"{c.rule_id} ({review})")))
    if detail.get("rationale"):
        items.append((Run("Why: ", bold=True), Run(str(detail["rationale"]))))
    content = detail.get("content_required") or []
    if content:
        items.append((Run("Required content: ", bold=True), Run("; ".join(map(str, content)))))
    substitute = detail.get("substitute_notice")
    if substitute:
        available = {True: "available", False: "not available", None: "undetermined"}
        text = f"{available[substitute.get('available')]} ({substitute.get('reason')})"
        items.append((Run("Substitute notice: ", bold=True), Run(text)))
    for exception in detail.get("exceptions") or []:
        items.append((Run("Exception: ", bold=True), Run(str(exception.get("description")))))
    return [Heading(2, head), Bullets(tuple(items))]


def counsel_packet(view: Overview, *, generated_at: datetime, privileged: bool = False) -> Document:
    incident = view.incident
    org_zone = view.profile.timezone
    active = [o for o in view.obligations if o.active]
    blocks: list[Block] = [Paragraph.of(DISCLAIMER, style="note", bold=True)]
    blocks.append(Heading(1, "Summary"))
    if view.stale:
        blocks.append(
            Paragraph.of(
                "The rules or settings now give other obligations than those recorded: "
                "recompute before relying on this packet.",
                style="note",
            )
        )
    counts = {state: sum(o.state is state for o in active) for state in Tracking}
    overdue = [o for o in active if o.overdue(generated_at)]
    blocks.append(
        Paragraph.of(
            f"{len(active)} obligations: {counts[Tracking.PENDING]} pending, "
            f"{counts[Tracking.FILED]} filed, {counts[Tracking.NOT_REQUIRED_PROPOSED]} proposed "
            f"not required, {counts[Tracking.NOT_REQUIRED]} not required; {len(overdue)} overdue. "
            f"Deadlines are shown in UTC, in the organisation's zone ({org_zone}) and in the "
            "jurisdiction's zone."
        )
    )
    blocks += _facts(view)
    blocks.append(Heading(1, "Obligations"))
    if active:
        blocks.append(
            Table(
                ("#", "Recipient", "Jurisdiction", "Status", "Deadline (UTC)", "Tracking"),
                tuple(
                    (
                        str(o.seq),
                        o.computed.recipient + ("" if o.computed.verified else " (UNVERIFIED)"),
                        o.computed.jurisdiction,
                        o.computed.status.value.replace("_", " "),
                        when(o.computed.deadline) + (" OVERDUE" if o.overdue(generated_at) else ""),
                        TRACKING_WORDS[o.state],
                    )
                    for o in active
                ),
                (0.4, 3, 1, 1.6, 1.6, 1.6),
            )
        )
        for ob in active:
            blocks += _obligation(ob, org_zone, generated_at)
    else:
        blocks.append(Paragraph.of("No obligations are computed for these facts.", style="note"))
    blocks.append(Heading(1, "Determinations needed"))
    if view.needed:
        blocks.append(
            Bullets(
                tuple(
                    (
                        Run(n.question),
                        Run(" — affects " + ", ".join(n.obligations), italic=True),
                    )
                    for n in view.needed
                )
            )
        )
    else:
        blocks.append(Paragraph.of("None: every condition the rules ask about is determined."))
    inactive = [o for o in view.obligations if not o.active]
    if inactive:
        blocks.append(Heading(1, "No longer triggered"))
        blocks.append(
            Table(
                ("#", "Obligation", "Why not", "Tracking"),
                tuple(
                    (str(o.seq), o.computed.label, o.removed_reason, TRACKING_WORDS[o.state])
                    for o in inactive
                ),
                (0.4, 3, 3, 1.4),
            )
        )
    blocks += _reviews(view)
    blocks.append(Paragraph.of(DISCLAIMER, style="note"))
    return Document(
        title=f"Notification obligations: {incident.key} — {incident.title}",
        subtitle=f"Prepared for counsel's decision. Generated {when(generated_at)}",
        blocks=tuple(blocks),
        marking=PRIVILEGED if privileged else None,
    )


def _reviews(view: Overview) -> list[Block]:
    rules: dict[str, tuple[str, str, str]] = {}
    for ob in view.obligations:
        c = ob.computed
        verified = "verified" if c.verified else "UNVERIFIED"
        if c.unverified:
            verified += " (details not confirmed: " + ", ".join(c.unverified) + ")"
        rules[c.rule_id] = (c.rule_id, c.last_reviewed.isoformat(), verified)
    blocks: list[Block] = [Heading(1, "The rules' review dates")]
    if rules:
        blocks.append(
            Table(("Rule", "Last reviewed", "Verification"), tuple(sorted(rules.values())))
        )
    blocks.append(
        Paragraph.of(
            "Rules are transcribed from a research table of public sources of varying age. A rule "
            "marked UNVERIFIED, or a detail marked not confirmed, needs legal review before it is "
            "relied on."
        )
    )
    return blocks
