"""The impact statement: a few paragraphs at the top of an incident, versioned.

Fixed sections, each with a confidence, so "we don't know yet" is written down rather than left
out. Every save is a new immutable ``ImpactVersion`` (number, author, time, reason); a version
records which sections changed since the one before, which is the hook for flagging outside
communications (filings, customer notices) that were based on an earlier version and may need an
update. Any two versions compare as a word-level diff with moved sentences (``textdiff``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from candor.domain.errors import InvalidInput, Problem, ProblemCollector
from candor.domain.textdiff import TextDiff, diff
from candor.domain.vocabulary import require_aware

SECTION_MAX = 20_000
REASON_MAX = 500


class Section(StrEnum):
    WHAT_HAPPENED = "what_happened"
    WHO_IS_AFFECTED = "who_is_affected"
    WHAT_DATA = "what_data"
    NOT_AFFECTED = "not_affected"
    WHAT_WE_DID = "what_we_did"
    WHAT_CUSTOMERS_SHOULD_DO = "what_customers_should_do"
    OPEN_QUESTIONS = "open_questions"


SECTION_TITLES: dict[Section, str] = {
    Section.WHAT_HAPPENED: "What happened",
    Section.WHO_IS_AFFECTED: "Who is affected",
    Section.WHAT_DATA: "What data",
    Section.NOT_AFFECTED: "What is not affected",
    Section.WHAT_WE_DID: "What we have done",
    Section.WHAT_CUSTOMERS_SHOULD_DO: "What customers should do",
    Section.OPEN_QUESTIONS: "Open questions",
}

SECTION_PROMPTS: dict[Section, str] = {
    Section.WHAT_HAPPENED: "In a few sentences, what happened and when, as far as we know.",
    Section.WHO_IS_AFFECTED: "Which customers and people; how many; how sure we are.",
    Section.WHAT_DATA: "Which data or secrets were accessed, taken, altered or exposed.",
    Section.NOT_AFFECTED: (
        "What we know was not affected (often the most reassuring and most asked fact)."
    ),
    Section.WHAT_WE_DID: "What we have done to stop, contain and fix it.",
    Section.WHAT_CUSTOMERS_SHOULD_DO: "Concrete steps for customers (rotate keys, reset …).",
    Section.OPEN_QUESTIONS: "What we do not know yet and are working to find out.",
}


class Confidence(StrEnum):
    CONFIRMED = "confirmed"
    SUSPECTED = "suspected"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class SectionText:
    text: str = ""
    confidence: Confidence = Confidence.UNKNOWN


@dataclass(frozen=True, slots=True)
class Affected:
    """Counts for "who is affected"; None means not known yet."""

    customers: int | None = None
    people: int | None = None
    confidence: Confidence = Confidence.UNKNOWN


@dataclass(frozen=True, slots=True)
class ImpactVersion:
    number: int
    author: str
    created_at: datetime
    reason: str
    # one entry per Section, in Section order: a tuple, so a version cannot be edited in place
    sections: tuple[SectionText, ...]
    affected: Affected
    changed: frozenset[Section]
    findings: tuple[str, ...] = ()  # ids of findings this version integrates

    def section(self, name: Section | str) -> SectionText:
        return self.sections[list(Section).index(Section(name))]

    def as_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "author": self.author,
            "created_at": self.created_at.isoformat(),
            "reason": self.reason,
            "sections": {
                s.value: {"text": t.text, "confidence": t.confidence.value}
                for s, t in zip(Section, self.sections, strict=True)
            },
            "affected": {
                "customers": self.affected.customers,
                "people": self.affected.people,
                "confidence": self.affected.confidence.value,
            },
            "changed": sorted(s.value for s in self.changed),
            "findings": list(self.findings),
        }


def parse_sections(
    data: Mapping[str, Any], *, base: Sequence[SectionText] | None = None
) -> tuple[SectionText, ...]:
    """Sections from plain data (form, API, file): ``{section: text}`` or
    ``{section: {text:, confidence:}}``. Sections not given keep ``base`` (or start empty)."""
    problems = ProblemCollector()
    current = list(base) if base is not None else [SectionText() for _ in Section]
    for key, raw in data.items():
        try:
            section = Section(str(key))
        except ValueError:
            problems.add(
                f"unknown section {key!r}; sections: {', '.join(s.value for s in Section)}",
                path=(str(key),),
            )
            continue
        index = list(Section).index(section)
        previous = current[index]
        text: object
        if isinstance(raw, str):
            text, confidence_raw = raw, previous.confidence.value
        elif isinstance(raw, Mapping):
            text = raw.get("text", previous.text)
            confidence_raw = raw.get("confidence", previous.confidence.value)
        else:
            problems.add("must be text, or a mapping with text and confidence", path=(key,))
            continue
        if not isinstance(text, str):
            problems.add("text must be text", path=(key, "text"))
            continue
        text = text.strip()
        if len(text) > SECTION_MAX:
            problems.add(
                f"is {len(text)} characters long; at most {SECTION_MAX} allowed", path=(key,)
            )
        if "\x00" in text:
            problems.add("contains a NUL character", path=(key,))
        try:
            confidence = Confidence(str(confidence_raw).strip())
        except ValueError:
            problems.add(
                f"unknown confidence {confidence_raw!r}; allowed: confirmed, suspected, unknown",
                path=(key, "confidence"),
            )
            continue
        current[index] = SectionText(text, confidence)
    problems.raise_if_any()
    return tuple(current)


def parse_affected(data: Mapping[str, Any], *, base: Affected | None = None) -> Affected:
    problems = ProblemCollector()
    base = base or Affected()
    values: dict[str, Any] = {
        "customers": base.customers,
        "people": base.people,
        "confidence": base.confidence,
    }
    for key, raw in data.items():
        if key in ("customers", "people"):
            if raw is None or raw == "":
                values[key] = None
            elif isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
                problems.add("must be a whole number ≥ 0, or empty when unknown", path=(key,))
            else:
                values[key] = raw
        elif key == "confidence":
            try:
                values[key] = Confidence(str(raw))
            except ValueError:
                problems.add(f"unknown confidence {raw!r}", path=(key,))
        else:
            problems.add(
                f"unknown field {key!r}; fields: customers, people, confidence", path=(key,)
            )
    problems.raise_if_any()
    return Affected(**values)


def _check_meta(author: str, reason: str, now: datetime) -> tuple[str, str, datetime]:
    problems = ProblemCollector()
    reason = reason.strip()
    if not reason:
        problems.add("say why this version is saved", field="reason")
    if len(reason) > REASON_MAX:
        problems.add(f"at most {REASON_MAX} characters", field="reason")
    if not author.strip():
        problems.add("must not be empty", field="author")
    problems.raise_if_any()
    return author.strip(), reason, require_aware(now, field="now")


def first_version(
    *,
    sections: Sequence[SectionText],
    affected: Affected = Affected(),
    author: str,
    now: datetime,
    reason: str = "First impact statement",
    findings: Iterable[str] = (),
) -> ImpactVersion:
    author, reason, now = _check_meta(author, reason, now)
    sections = tuple(sections)
    if len(sections) != len(Section):
        raise ValueError("one SectionText per Section")
    blank = SectionText()
    changed = {s for s, t in zip(Section, sections, strict=True) if t != blank}
    if affected != Affected():
        changed.add(Section.WHO_IS_AFFECTED)
    return ImpactVersion(
        number=1,
        author=author,
        created_at=now,
        reason=reason,
        sections=sections,
        affected=affected,
        changed=frozenset(changed),
        findings=tuple(findings),
    )


def revise(
    previous: ImpactVersion,
    *,
    sections: Sequence[SectionText] | None = None,
    affected: Affected | None = None,
    author: str,
    now: datetime,
    reason: str,
    findings: Iterable[str] = (),
) -> ImpactVersion:
    """The next version. Saving without a change is refused: every version says something new."""
    author, reason, now = _check_meta(author, reason, now)
    if now < previous.created_at:
        raise InvalidInput(
            Problem(
                "is before the previous version's time",
                field="now",
                hint=f"version {previous.number} was saved at {previous.created_at.isoformat()}",
            )
        )
    new_sections = tuple(sections) if sections is not None else previous.sections
    new_affected = affected if affected is not None else previous.affected
    changed = set(
        s
        for s, old, new in zip(Section, previous.sections, new_sections, strict=True)
        if old != new
    )
    if new_affected != previous.affected:
        changed.add(Section.WHO_IS_AFFECTED)
    if not changed:
        raise InvalidInput(
            Problem(
                "nothing changed since the previous version",
                field="sections",
                hint="edit a section, a confidence or a count before saving",
            )
        )
    return ImpactVersion(
        number=previous.number + 1,
        author=author,
        created_at=now,
        reason=reason,
        sections=new_sections,
        affected=new_affected,
        changed=frozenset(changed),
        findings=tuple(findings),
    )


def sections_changed_since(versions: Iterable[ImpactVersion], number: int) -> frozenset[Section]:
    """Sections changed in any version after ``number``: a communication based on version
    ``number`` may need an update when this is not empty."""
    out: set[Section] = set()
    for version in versions:
        if version.number > number:
            out |= version.changed
    return frozenset(out)


@dataclass(frozen=True, slots=True)
class SectionDiff:
    section: Section
    text: TextDiff
    confidence_before: Confidence
    confidence_after: Confidence

    @property
    def changed(self) -> bool:
        return self.text.changed or self.confidence_before is not self.confidence_after


@dataclass(frozen=True, slots=True)
class VersionDiff:
    before: int
    after: int
    sections: tuple[SectionDiff, ...]
    affected_before: Affected
    affected_after: Affected

    @property
    def changed_sections(self) -> tuple[Section, ...]:
        out = [d.section for d in self.sections if d.changed]
        if self.affected_before != self.affected_after and Section.WHO_IS_AFFECTED not in out:
            out.append(Section.WHO_IS_AFFECTED)
        return tuple(s for s in Section if s in out)

    def render(self) -> str:
        """Terminal text: only the sections that changed, with word-diff markup."""
        lines = [f"Impact statement: version {self.before} → {self.after}"]
        for d in self.sections:
            counts_changed = (
                d.section is Section.WHO_IS_AFFECTED and self.affected_before != self.affected_after
            )
            if not d.changed and not counts_changed:
                continue
            lines.append("")
            lines.append(f"## {SECTION_TITLES[d.section]}")
            if d.confidence_before is not d.confidence_after:
                lines.append(
                    f"confidence: {d.confidence_before.value} → {d.confidence_after.value}"
                )
            if counts_changed:
                lines.append(
                    f"counts: {_counts(self.affected_before)} → {_counts(self.affected_after)}"
                )
            if d.text.changed:
                lines.append(d.text.render())
        if len(lines) == 1:
            lines.append("(no changes)")
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        return {
            "before": self.before,
            "after": self.after,
            "changed_sections": [s.value for s in self.changed_sections],
            "sections": {
                d.section.value: {
                    "changes": d.text.as_list(),
                    "confidence": {
                        "before": d.confidence_before.value,
                        "after": d.confidence_after.value,
                    },
                }
                for d in self.sections
            },
        }


def diff_versions(before: ImpactVersion, after: ImpactVersion) -> VersionDiff:
    """Compare any two versions (older first reads naturally, but either order works)."""
    return VersionDiff(
        before=before.number,
        after=after.number,
        sections=tuple(
            SectionDiff(s, diff(old.text, new.text), old.confidence, new.confidence)
            for s, old, new in zip(Section, before.sections, after.sections, strict=True)
        ),
        affected_before=before.affected,
        affected_after=after.affected,
    )


def _count(value: int | None) -> str:
    return "not known yet" if value is None else f"{value:,}"


def _counts(affected: Affected) -> str:
    return (
        f"customers {_count(affected.customers)}, people {_count(affected.people)} "
        f"({affected.confidence.value})"
    )


def to_markdown(version: ImpactVersion, *, incident_key: str, title: str) -> str:
    """A version as Markdown, for counsel, executives and the record."""
    stamp = version.created_at.strftime("%Y-%m-%d %H:%M UTC")
    out = [
        f"# Impact statement — {incident_key}: {title}",
        "",
        f"Version {version.number}, {stamp}, by {version.author}. Reason: {version.reason}",
    ]
    for section, content in zip(Section, version.sections, strict=True):
        out += ["", f"## {SECTION_TITLES[section]} ({content.confidence.value})", ""]
        if section is Section.WHO_IS_AFFECTED:
            out.append(
                f"Customers: {_count(version.affected.customers)}. "
                f"People: {_count(version.affected.people)}. "
                f"Counts are {version.affected.confidence.value}."
            )
            out.append("")
        out.append(content.text if content.text else "_Not known yet._")
    return "\n".join(out) + "\n"


def scrubbed(version: ImpactVersion, marker: str) -> ImpactVersion:
    """The version with its free text replaced by ``marker`` (retention): what each section said
    goes; its number, time, author, confidences and counts stay."""
    return replace(
        version,
        reason=marker if version.reason else "",
        sections=tuple(
            SectionText(marker if s.text else "", s.confidence) for s in version.sections
        ),
    )
