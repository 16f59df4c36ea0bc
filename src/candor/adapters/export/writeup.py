"""A public post-incident write-up drafted from the retro, for people outside the company.

It keeps what helps others learn (what happened, impact, milestones, causes, what changes) and
leaves out what belongs to the team: names of people, owners, tracker links, the timeline's own
entries and internal identifiers. Every text passes through ``redact.Scrubber`` (addresses, hosts,
keys, e-mail addresses, people's names); the counts of what was scrubbed are returned so the
reviewer knows where to look. It is a draft: the communications lead edits and publishes it.
"""

from __future__ import annotations

from collections import Counter

from candor.adapters.export.document import Block, Bullets, Document, Heading, Paragraph
from candor.adapters.formatting import when
from candor.domain.incidents import Incident
from candor.domain.milestones import MILESTONE_LABELS
from candor.domain.redact import Scrubber
from candor.domain.retros import ActionKind, Retro

CHANGE_WORDS = {
    ActionKind.PREVENT: "To prevent it",
    ActionKind.DETECT: "To detect it sooner",
    ActionKind.MITIGATE: "To limit the damage",
    ActionKind.PROCESS: "In how we work",
}


def public_writeup(
    retro: Retro, *, incident: Incident, organisation: str, scrubber: Scrubber
) -> tuple[Document, dict[str, int]]:
    counts: Counter[str] = Counter()

    def clean(text: str) -> str:
        result = scrubber.scrub(text)
        counts.update(result.counts)
        return result.text

    blocks: list[Block] = [
        Paragraph.of(
            "DRAFT for review: generated from the internal retro with names, hosts, addresses "
            "and keys replaced by [brackets]. Read every line before publishing.",
            style="note",
        ),
        Heading(1, "What happened"),
        Paragraph.of(clean(retro.summary or incident.summary or incident.title)),
    ]
    if retro.impact:
        blocks += [Heading(1, "Impact"), Paragraph.of(clean(retro.impact))]
    milestones = [item for item in retro.timeline if item.milestone is not None]
    if milestones:
        blocks.append(Heading(1, "Timeline (UTC)"))
        blocks.append(
            Bullets.of(
                [
                    f"{when(item.at)}: {MILESTONE_LABELS[item.milestone]}"
                    for item in milestones
                    if item.milestone is not None
                ]
            )
        )
    causes = [clean(c) for c in retro.root_causes] + [clean(f) for f in retro.contributing_factors]
    if causes:
        blocks += [Heading(1, "Why it happened"), Bullets.of(list(dict.fromkeys(causes)))]
    if retro.action_items:
        blocks.append(Heading(1, "What we are changing"))
        for kind, heading in CHANGE_WORDS.items():
            items = [clean(a.title) for a in retro.action_items if a.kind is kind]
            if items:
                blocks += [Heading(2, heading), Bullets.of(items)]
    blocks.append(
        Paragraph.of(
            f"{clean(organisation)} shares this so that others can learn from it, as we have "
            "learned from others' reports."
        )
    )
    title = clean(incident.title)
    return (
        Document(title=f"Post-incident report: {title}", blocks=tuple(blocks)),
        dict(counts),
    )
