"""Reports built from the records: the incident report and the retro, as ``Document`` values that
render to Markdown, DOCX and PDF alike (``render``). Times are shown in UTC, as the timeline keeps
them. The privileged-and-confidential marking is an option, because whether a document is
prepared at counsel's direction is counsel's call, not the tool's.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum

from candor.adapters.export import pdf, word
from candor.adapters.export.document import (
    PRIVILEGED,
    Block,
    Bullets,
    Document,
    Heading,
    Paragraph,
    Run,
    Table,
    to_markdown,
)
from candor.adapters.formatting import duration, margin, when
from candor.domain.fivewhys import WhyChain
from candor.domain.incidents import CLOCK_DESCRIPTIONS, Incident
from candor.domain.metrics import MEASURE_LABELS, IncidentMetrics
from candor.domain.milestones import MILESTONE_LABELS
from candor.domain.retros import Retro, Review
from candor.domain.timeline import Entry
from candor.domain.vocabulary import ROLE_DEFINITIONS, Role


class Format(StrEnum):
    MARKDOWN = "md"
    DOCX = "docx"
    PDF = "pdf"


def render(doc: Document, fmt: Format | str) -> bytes:
    fmt = Format(fmt)
    if fmt is Format.MARKDOWN:
        return to_markdown(doc).encode("utf-8")
    if fmt is Format.DOCX:
        return word.render_docx(doc)
    return pdf.render_pdf(doc)


def _marking(privileged: bool) -> str | None:
    return PRIVILEGED if privileged else None


def metrics_blocks(metrics: IncidentMetrics) -> list[Block]:
    blocks: list[Block] = [Heading(1, "Response times")]
    rows = [
        (MEASURE_LABELS[m], when(span.start), when(span.end), duration(span.duration))
        for m, span in metrics.spans.items()
    ]
    if rows:
        blocks.append(Table(("Measure", "From", "To", "Took"), tuple(rows), (3, 2.2, 2.2, 1.4)))
    else:
        blocks.append(Paragraph.of("No response times can be measured yet."))
    if metrics.obligations:
        blocks.append(Heading(1, "Obligations"))
        blocks.append(
            Table(
                ("Obligation", "Recipient", "Deadline", "Filed", "Result", "Margin"),
                tuple(
                    (
                        o.name,
                        o.recipient,
                        when(o.deadline),
                        when(o.filed_at),
                        o.state.value.replace("_", " "),
                        margin(o.margin, o.state),
                    )
                    for o in metrics.obligations
                ),
                (2.6, 1.6, 1.7, 1.7, 1, 1.4),
            )
        )
    return blocks


def incident_report(
    incident: Incident,
    *,
    entries: Sequence[Entry] = (),
    impact_statement: str = "",
    metrics: IncidentMetrics | None = None,
    privileged: bool = False,
    generated_at: datetime,
) -> Document:
    facts = [
        ("Incident", incident.key),
        ("Kind", incident.kind.value.replace("_", " ")),
        ("Severity", incident.severity.value),
        ("Phase", incident.phase.value.replace("_", " ")),
        ("Declared", f"{when(incident.declared_at)} by {incident.declared_by}"),
    ]
    facts += [
        (name.value.replace("_", " ").capitalize(), when(t))
        for name, t in sorted(incident.clocks.items())
    ]
    if incident.exercise:
        facts.insert(0, ("Exercise", "yes — this incident was a practice run"))
    blocks: list[Block] = [
        Heading(1, "Summary"),
        Paragraph.of(incident.summary or "No summary written."),
        Table(("", ""), tuple(facts), (1, 3)),
        Heading(1, "Impact statement"),
    ]
    if impact_statement.strip():
        blocks += [Paragraph.of(p.strip()) for p in impact_statement.split("\n\n") if p.strip()]
    else:
        blocks.append(Paragraph.of("No impact statement has been written yet.", style="note"))
    if incident.roles:
        blocks.append(Heading(1, "Roles"))
        blocks.append(
            Table(
                ("Role", "Person", "Responsibility"),
                tuple(
                    (role.value.replace("_", " "), person, ROLE_DEFINITIONS[role])
                    for role, person in sorted(
                        incident.roles.items(), key=lambda i: list(Role).index(i[0])
                    )
                ),
                (1.2, 1, 3),
            )
        )
    if metrics is not None:
        blocks += metrics_blocks(metrics)
    blocks.append(Heading(1, "Timeline"))
    corrected = {e.corrects for e in entries if e.corrects}
    if entries:
        blocks.append(
            Table(
                ("#", "When (UTC)", "Kind", "By", "Entry"),
                tuple(
                    (
                        str(e.seq),
                        when(e.occurred_at),
                        e.kind.value.replace("_", " "),
                        e.author,
                        e.body
                        + (f" [corrects #{e.corrects}]" if e.corrects else "")
                        + (" [corrected later]" if e.seq in corrected else ""),
                    )
                    for e in sorted(entries, key=lambda e: e.seq)
                ),
                (0.4, 1.6, 1, 0.8, 4),
            )
        )
        head = max(entries, key=lambda e: e.seq)
        blocks.append(
            Paragraph.of(
                f"Timeline hash chain head: {head.hash} (entry #{head.seq}). Anyone holding this "
                "report can check that the stored timeline has not been altered since.",
                style="note",
            )
        )
    else:
        blocks.append(Paragraph.of("The timeline is empty."))
    clocks = "; ".join(f"{c.value}: {d}" for c, d in CLOCK_DESCRIPTIONS.items())
    blocks += [Heading(2, "About the legal-clock times"), Paragraph.of(clocks)]
    return Document(
        title=f"Incident report: {incident.key} — {incident.title}",
        subtitle=f"Generated {when(generated_at)}",
        blocks=tuple(blocks),
        marking=_marking(privileged),
    )


def chain_blocks(index: int, chain: WhyChain, nudges: Sequence[str]) -> list[Block]:
    blocks: list[Block] = [
        Heading(2, f"Chain {index + 1}: {chain.problem}"),
    ]
    items: list[tuple[Run, ...]] = []
    for step in chain.steps:
        items.append((Run(step.why, italic=True), Run(" → "), Run(step.because)))
    blocks.append(Bullets(tuple(items), ordered=True))
    if chain.root_cause:
        blocks.append(Paragraph((Run("Root cause: ", bold=True), Run(chain.root_cause))))
    blocks += [Paragraph.of(n, style="note") for n in nudges]
    return blocks


def retro_report(
    retro: Retro,
    *,
    incident: Incident,
    review: Review | None = None,
    privileged: bool = False,
    generated_at: datetime,
) -> Document:
    blocks: list[Block] = [
        Heading(1, "Summary"),
        Paragraph.of(retro.summary or "No summary written."),
        Heading(1, "Impact"),
        Paragraph.of(retro.impact or "No impact statement was attached."),
    ]
    if retro.timeline:
        blocks.append(Heading(1, "Timeline"))
        blocks.append(
            Table(
                ("When (UTC)", "Milestone", "What happened"),
                tuple(
                    (
                        when(item.at),
                        MILESTONE_LABELS[item.milestone] if item.milestone else "",
                        item.text + (f" (timeline #{item.entry})" if item.entry else ""),
                    )
                    for item in retro.timeline
                ),
                (1.8, 1.6, 4),
            )
        )
    for title, items in (
        ("What went well", retro.went_well),
        ("What went poorly", retro.went_poorly),
        ("Where we got lucky", retro.lucky),
    ):
        blocks.append(Heading(1, title))
        blocks.append(Bullets.of(items) if items else Paragraph.of("Nothing recorded."))
    blocks.append(Heading(1, "Five whys"))
    nudges = review.nudges if review else ()
    for i, chain in enumerate(retro.chains):
        blocks += chain_blocks(i, chain, [n.message for n in nudges if n.chain == i])
    if not retro.chains:
        blocks.append(Paragraph.of("No chains yet.", style="note"))
    blocks.append(Heading(1, "Contributing factors"))
    factors = retro.contributing_factors
    blocks.append(Bullets.of(factors) if factors else Paragraph.of("None recorded."))
    blocks.append(Heading(1, "Action items"))
    if retro.action_items:
        blocks.append(
            Table(
                ("#", "Action", "Kind", "Owner", "Due", "Status", "Tracker"),
                tuple(
                    (
                        str(a.seq),
                        a.title,
                        a.kind.value,
                        a.owner or "—",
                        a.due_on.isoformat() if a.due_on else "—",
                        a.status.value.replace("_", " "),
                        a.tracker_url or "",
                    )
                    for a in retro.action_items
                ),
                (0.3, 3, 0.9, 0.9, 1.1, 1, 2),
            )
        )
    else:
        blocks.append(Paragraph.of("No action items yet.", style="note"))
    if review and review.hints:
        blocks.append(Heading(2, "Blameless-language hints"))
        blocks.append(Bullets.of([f"{h.field}: {h.message}" for h in review.hints]))
    status = retro.status.value.replace("_", " ")
    return Document(
        title=f"Retro: {incident.key} — {incident.title}",
        subtitle=f"Status: {status}. Generated {when(generated_at)}",
        blocks=tuple(blocks),
        marking=_marking(privileged),
    )
