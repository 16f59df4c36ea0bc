"""Rules as values. A rule file (``src/candor/rules/obligations/*.yaml``, format in
docs/obligations.md) becomes a tuple of ``Rule``; all files together become a ``RuleSet``.

A rule id may appear more than once when the law changed: each version has its own
``effective_from``/``effective_until`` and the version in force on the awareness date applies.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from candor.domain.obligations.conditions import Condition
from candor.domain.obligations.exceptions import LawEnforcementDelay, RuleException
from candor.domain.obligations.vocabulary import (
    Clock,
    Determination,
    RecipientCategory,
    RuleKind,
    Sector,
    Unit,
)

# A rule's zone or calendar may follow the organisation: EU rules are computed in the member
# state of the main establishment (DORA's competent authority).
FOLLOW_MAIN_ESTABLISHMENT = "eu_main_establishment"


class IfUnrecorded(StrEnum):
    """What a rule does while the time its clock starts at has not been recorded."""

    PENDING = "pending"  # listed as pending_trigger: the clock starts when the event is recorded
    NOT_TRIGGERED = "not_triggered"  # nothing owed until it happens (a ransom payment)
    USE = "use"  # count from another clock meanwhile (conservative; said in the rationale)


@dataclass(frozen=True, slots=True)
class Trigger:
    """Where a clock starts: a clock time, the time of a determination, or a recorded event
    (another notice having been given: ``US-CA/individuals`` or a rule id)."""

    clock: Clock | None = None
    determination: Determination | None = None
    event: str | None = None
    if_unrecorded: IfUnrecorded = IfUnrecorded.PENDING
    fallback: Clock | None = None

    @property
    def name(self) -> str:
        if self.clock is not None:
            return self.clock.value
        if self.determination is not None:
            return f"determination:{self.determination.value}"
        return f"notified:{self.event}"

    def references(self) -> tuple[str, ...]:
        """The rule id an event trigger names, if it names one (events are recorded facts, so
        this is for checking the id exists, not for evaluation order)."""
        if self.event is not None and "/" not in self.event:
            return (self.event,)
        if self.event is not None and self.event.endswith("/requested"):
            return (self.event.split("/", 1)[0],)
        return ()


@dataclass(frozen=True, slots=True)
class Period:
    amount: int
    unit: Unit

    def __str__(self) -> str:
        unit = self.unit.value.replace("_", " ")
        if self.amount == 1:
            unit = unit.removesuffix("s")
        return f"{self.amount} {unit}"


@dataclass(frozen=True, slots=True)
class Limit:
    """ "… and in any case no later than": another period from another trigger. The earliest
    limit that does not end before the main trigger binds."""

    period: Period
    trigger: Trigger


@dataclass(frozen=True, slots=True)
class Variant:
    """A different period when a condition holds (NIS2: trust service providers 24 h)."""

    when: Condition
    period: Period


@dataclass(frozen=True, slots=True)
class Deadline:
    trigger: Trigger
    period: Period | None = None  # None: the law sets only a standard
    standard: str | None = None
    start_on_business_day: bool = False
    also_no_later_than: tuple[Limit, ...] = ()
    no_later_than_rule: str | None = None  # "no later than the notice under that rule"
    variants: tuple[Variant, ...] = ()
    roll_noon_next_working_day: bool = False
    roll_not_for_sectors: frozenset[Sector] = frozenset()

    def references(self) -> tuple[str, ...]:
        """Every rule id the deadline names."""
        refs = list(self.trigger.references())
        for limit in self.also_no_later_than:
            refs.extend(limit.trigger.references())
        return (*refs, *self.dependencies())

    def dependencies(self) -> tuple[str, ...]:
        """Rules whose outcome this deadline reads, so they must be evaluated first."""
        refs = [self.no_later_than_rule] if self.no_later_than_rule else []
        for variant in self.variants:
            refs.extend(variant.when.references())
        return tuple(refs)


@dataclass(frozen=True, slots=True)
class SubstituteNotice:
    """When notice may be given by website posting and media instead of one by one."""

    text: str
    cost_over: float | None = None
    affected_over: int | None = None
    insufficient_contact: bool = False


@dataclass(frozen=True, slots=True)
class Source:
    title: str
    url: str


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    regime: str
    file: str
    jurisdiction: str
    law: str
    citation: str
    recipient: str
    deadline: Deadline
    last_reviewed: date
    verified: bool
    kind: RuleKind = RuleKind.NOTICE
    reference_id: str | None = None
    recipient_category: RecipientCategory | None = None
    for_each: tuple[str, ...] = ()
    timezone: str = "UTC"
    calendar: str = "weekends"
    conditions: tuple[Condition, ...] = ()
    exceptions: tuple[RuleException, ...] = ()
    other_exceptions: tuple[str, ...] = ()
    substitute_notice: SubstituteNotice | None = None
    content_required: tuple[str, ...] = ()
    effective_from: date | None = None
    effective_until: date | None = None
    effective_note: str | None = None
    in_force: bool = True
    not_in_force_reason: str | None = None
    unverified: tuple[str, ...] = ()
    notes: str | None = None
    threshold_text: str | None = None
    sources: tuple[Source, ...] = ()
    applies_to: tuple[str, ...] = ()  # delay rules: the rules whose notices they delay
    index: int = 0  # position in its file's list, so cross-file problems can point at it

    @property
    def reference(self) -> str:
        """The id of the reference-table row this rule transcribes."""
        return self.reference_id or self.id

    def in_force_on(self, day: date) -> bool:
        if self.effective_from is not None and day < self.effective_from:
            return False
        return self.effective_until is None or day <= self.effective_until

    def dependencies(self) -> tuple[str, ...]:
        """Rules to evaluate before this one: its conditions and deadline read their outcome."""
        refs = [ref for c in self.conditions for ref in c.references()]
        refs.extend(self.deadline.dependencies())
        return tuple(dict.fromkeys(refs))

    def references(self) -> tuple[str, ...]:
        """Every rule id this rule names (each must exist)."""
        refs = [*self.dependencies(), *self.deadline.references(), *self.applies_to]
        return tuple(dict.fromkeys(refs))

    @property
    def law_enforcement_delay(self) -> LawEnforcementDelay | None:
        for exception in self.exceptions:
            if isinstance(exception, LawEnforcementDelay):
                return exception
        return None


@dataclass(frozen=True, slots=True)
class RuleSet:
    """Every version of every rule, and the order to evaluate them in (a rule after the rules
    its conditions and deadline read)."""

    versions: Mapping[str, tuple[Rule, ...]]
    order: tuple[str, ...]
    files: tuple[str, ...] = field(default=())
    # the places some rule looks at, to warn about facts naming places no rule covers
    covered: frozenset[str] = frozenset()

    def __len__(self) -> int:
        return len(self.versions)

    def all(self) -> tuple[Rule, ...]:
        return tuple(rule for rule_id in sorted(self.versions) for rule in self.versions[rule_id])

    def ids(self) -> frozenset[str]:
        return frozenset(self.versions)
