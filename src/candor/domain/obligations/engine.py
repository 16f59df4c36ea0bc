"""The obligations engine: facts and rules in, obligations out.

Pure and deterministic: the same facts, rules, calendars and ``now`` always give the same
result, and nothing given is changed (facts and rules are frozen values). For each rule, in
dependency order:

1. pick the version in force on the awareness date (local to the rule's zone);
2. evaluate its conditions (YES / NO / UNKNOWN) — NO means not triggered, with the reason;
3. evaluate its exceptions — one that applies means not triggered; one that may apply, like an
   UNKNOWN condition, makes the obligation ``required_unless_exception``;
4. start its clock: a recorded time, a fallback clock, or ``pending_trigger`` until the event
   (another notice, a determination) is recorded;
5. compute the deadline on the rule's calendar and zone, then apply limits, the link to
   another notice, DORA's noon roll and any law-enforcement delay.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from candor.domain.obligations import jurisdictions
from candor.domain.obligations.conditions import Context, Outcome, Truth, combine_all
from candor.domain.obligations.deadlines import (
    BusinessCalendar,
    CalendarProvider,
    add_period,
    roll_to_noon_next_working_day,
    year_end,
)
from candor.domain.obligations.facts import Facts
from candor.domain.obligations.model import (
    FOLLOW_MAIN_ESTABLISHMENT,
    Deadline,
    IfUnrecorded,
    Period,
    Rule,
    RuleSet,
    Trigger,
)
from candor.domain.obligations.reporting import describe_deadline, warnings
from candor.domain.obligations.results import Evaluation, Finding, Skipped, SubstituteOutcome
from candor.domain.obligations.vocabulary import Clock, RuleKind, Status

ECB_CALENDAR = "ECB"


@lru_cache(maxsize=128)
def tz(name: str) -> ZoneInfo:
    """ZoneInfo keeps only a few zones strongly cached; rules use about sixty."""
    return ZoneInfo(name)


# TARGET2 closing days: the EU-wide fallback when no member state is known
BRUSSELS = "Europe/Brussels"


@dataclass(frozen=True, slots=True)
class Timing:
    at: datetime | None = None
    trigger: str | None = None
    trigger_at: datetime | None = None
    pending: bool = False
    not_triggered: str | None = None
    notes: tuple[str, ...] = ()


@dataclass
class _Run:
    """State of one evaluation: what has been decided so far, for rules that depend on it."""

    facts: Facts
    rules: RuleSet
    calendars: CalendarProvider
    outcomes: dict[str, Truth] = field(default_factory=dict)
    deadlines: dict[str, datetime | None] = field(default_factory=dict)


def evaluate(
    facts: Facts,
    rules: RuleSet,
    *,
    calendars: CalendarProvider,
    rules_date: date | None = None,
    now: datetime | None = None,
    organization_timezone: str = "UTC",
) -> Evaluation:
    run = _Run(facts, rules, calendars)
    found: list[Finding] = []
    skipped: list[Skipped] = []
    for rule_id in rules.order:
        for result in _evaluate_rule(run, rules.versions[rule_id], rules_date, now):
            if isinstance(result, Finding):
                found.append(result)
            else:
                skipped.append(result)
    notices = sorted((f for f in found if f.rule.kind is RuleKind.NOTICE), key=Finding.sort_key)
    duties = sorted((f for f in found if f.rule.kind is not RuleKind.NOTICE), key=Finding.sort_key)
    return Evaluation(
        organization=facts.organization.name,
        organization_zone=facts.organization.timezone or organization_timezone,
        aware_at=facts.incident.aware_at,
        rules_date=rules_date,
        obligations=tuple(notices),
        duties=tuple(duties),
        not_triggered=tuple(sorted(skipped, key=lambda s: (s.rule.id, s.jurisdiction))),
        warnings=tuple(warnings(facts, rules, rules_date=rules_date)),
        evaluated_at=now,
    )


def _evaluate_rule(
    run: _Run, versions: tuple[Rule, ...], rules_date: date | None, now: datetime | None
) -> list[Finding | Skipped]:
    first = versions[0]
    zone = zone_for(first, run.facts)
    day = rules_date or run.facts.incident.aware_at.astimezone(tz(zone)).date()
    rule = next((v for v in versions if v.in_force_on(day)), None)
    run.outcomes[first.id] = Truth.NO
    run.deadlines[first.id] = None
    if rule is None:
        return [Skipped(first, first.jurisdiction, _not_yet(versions, day))]
    if not rule.in_force:
        return [Skipped(rule, rule.jurisdiction, f"not in force: {rule.not_in_force_reason}")]
    if rule.kind is RuleKind.DELAY_RULE:
        delayed = ", ".join(rule.applies_to)
        return [
            Skipped(
                rule,
                rule.jurisdiction,
                "a delay rule, not a notice: it governs how law enforcement may delay "
                f"{delayed} (record law_enforcement_delay_until to apply it)",
            )
        ]
    if rule.for_each:
        targets = [
            code for code in jurisdictions.expand(rule.for_each) if run.facts.incident.count(code)
        ]
        if not targets:
            where = ", ".join(rule.for_each)
            return [Skipped(rule, rule.jurisdiction, f"no affected residents in any of {where}")]
        return [_apply(run, rule, code, zone, now) for code in targets]
    return [_apply(run, rule, rule.jurisdiction, zone, now)]


def _not_yet(versions: tuple[Rule, ...], day: date) -> str:
    spans = []
    for rule in versions:
        start = rule.effective_from.isoformat() if rule.effective_from else "…"
        end = rule.effective_until.isoformat() if rule.effective_until else "…"
        spans.append(f"{start} to {end}")
    return f"not in force on {day.isoformat()} (in force {'; '.join(spans)})"


def _apply(
    run: _Run, rule: Rule, jurisdiction: str, zone: str, now: datetime | None
) -> Finding | Skipped:
    ctx = Context(run.facts, jurisdiction, run.outcomes)
    conditions = [c.evaluate(ctx) for c in rule.conditions]
    combined = combine_all(conditions) if conditions else Outcome(Truth.YES, "no conditions")
    if combined.truth is Truth.NO:
        return Skipped(rule, jurisdiction, combined.reason)
    rationale = [o.reason for o in conditions]
    exceptions = [e.evaluate(ctx) for e in rule.exceptions]
    for outcome in exceptions:
        if outcome.truth is Truth.YES:
            return Skipped(rule, jurisdiction, f"exception: {outcome.reason}")
    rationale.extend(o.reason for o in exceptions if o.reason)
    undetermined = combined.truth is Truth.UNKNOWN or any(
        o.truth is Truth.UNKNOWN for o in exceptions
    )
    timing = _timing(run, rule, ctx, zone)
    if timing.not_triggered:
        return Skipped(rule, jurisdiction, timing.not_triggered)
    rationale.extend(timing.notes)
    if timing.pending:
        status = Status.PENDING_TRIGGER
    elif undetermined:
        status = Status.REQUIRED_UNLESS_EXCEPTION
    else:
        status = Status.REQUIRED
    if not rule.for_each:
        run.outcomes[rule.id] = Truth.UNKNOWN if undetermined else Truth.YES
        run.deadlines[rule.id] = timing.at
    notified = _notified_at(run.facts, rule, jurisdiction)
    overdue = None
    if now is not None and timing.at is not None and status is not Status.PENDING_TRIGGER:
        overdue = notified is None and timing.at < now
    return Finding(
        rule=rule,
        jurisdiction=jurisdiction,
        status=status,
        deadline=timing.at,
        deadline_rule=describe_deadline(rule.deadline),
        trigger=timing.trigger,
        trigger_at=timing.trigger_at,
        rationale=tuple(rationale),
        zone=zone,
        substitute=_substitute(rule, run.facts, jurisdiction),
        notified_at=notified,
        overdue=overdue,
    )


def _notified_at(facts: Facts, rule: Rule, jurisdiction: str) -> datetime | None:
    keys = [rule.id]
    if rule.recipient_category is not None:
        keys.append(f"{jurisdiction}/{rule.recipient_category.value}")
    for key in keys:
        if key in facts.incident.notified:
            return facts.incident.notified[key]
    return None


def zone_for(rule: Rule, facts: Facts) -> str:
    if rule.timezone != FOLLOW_MAIN_ESTABLISHMENT:
        return rule.timezone
    country = _main_establishment(facts)
    return jurisdictions.COUNTRY_ZONES.get(country, BRUSSELS) if country else BRUSSELS


def calendar_for(rule: Rule, facts: Facts) -> str:
    if rule.calendar != FOLLOW_MAIN_ESTABLISHMENT:
        return rule.calendar
    return _main_establishment(facts) or ECB_CALENDAR


def _main_establishment(facts: Facts) -> str | None:
    org = facts.organization
    if org.eu_main_establishment:
        return org.eu_main_establishment
    for code in org.establishments:
        country = code.split("-", 1)[0]
        if country in jurisdictions.EEA:
            return country
    return None


def _resolve(trigger: Trigger, facts: Facts, zone: ZoneInfo) -> datetime | None:
    incident = facts.incident
    if trigger.clock is Clock.DISCOVERED_AT:
        return incident.discovered_at
    if trigger.clock is Clock.AWARE_AT:
        return incident.aware_at
    if trigger.clock is Clock.DISCOVERY_YEAR_END:
        return year_end(incident.discovered_at, zone)
    if trigger.clock is not None:
        return incident.clocks.get(trigger.clock)
    if trigger.determination is not None:
        return incident.determined_at.get(trigger.determination)
    assert trigger.event is not None
    return incident.notified.get(trigger.event)


def _timing(run: _Run, rule: Rule, ctx: Context, zone_name: str) -> Timing:
    deadline = rule.deadline
    zone = tz(zone_name)
    calendar = run.calendars.calendar(calendar_for(rule, run.facts))
    notes: list[str] = []
    trigger = deadline.trigger
    start = _resolve(trigger, run.facts, zone)
    name = trigger.name
    pending = False
    if start is None:
        if trigger.if_unrecorded is IfUnrecorded.NOT_TRIGGERED:
            return Timing(not_triggered=f"nothing owed until {name} is recorded")
        if trigger.if_unrecorded is IfUnrecorded.USE and trigger.fallback is not None:
            fallback = Trigger(clock=trigger.fallback)
            start = _resolve(fallback, run.facts, zone)
            if deadline.period is not None:
                notes.append(
                    f"{name} is not recorded, so the clock is counted from {fallback.name} "
                    "(earlier, so the deadline is conservative); record it when it is determined"
                )
            name = fallback.name
        else:
            pending = True
            notes.append(f"the clock starts when {name} is recorded")
    period = deadline.period
    for variant in deadline.variants:
        outcome = variant.when.evaluate(ctx)
        if outcome.truth is Truth.YES:
            period = variant.period
            notes.append(f"{variant.period} because {outcome.reason}")
            break
        if outcome.truth is Truth.UNKNOWN:
            notes.append(f"{variant.period} instead if {variant.when.describe()}")
    at = None
    if start is not None and period is not None:
        at = add_period(
            start,
            period.amount,
            period.unit,
            zone=zone,
            calendar=calendar,
            start_on_business_day=deadline.start_on_business_day,
        )
    at = _limits(run, deadline, zone, calendar, start, at, notes)
    if deadline.no_later_than_rule is not None:
        at = _linked(run, deadline.no_later_than_rule, at, notes)
    if at is not None and deadline.roll_noon_next_working_day:
        excluded = run.facts.organization.sectors & deadline.roll_not_for_sectors
        if excluded:
            notes.append("no weekend/holiday roll for " + ", ".join(sorted(excluded)))
        else:
            rolled = roll_to_noon_next_working_day(at, zone=zone, calendar=calendar)
            if rolled != at:
                notes.append(
                    f"falls on a weekend or holiday ({calendar.code}): moved to noon of the next "
                    "working day"
                )
            at = rolled
    at = _law_enforcement(run, rule, zone, calendar, at, notes)
    return Timing(
        at=at,
        trigger=name,
        trigger_at=start,
        pending=pending,
        notes=tuple(notes),
    )


def _limits(
    run: _Run,
    deadline: Deadline,
    zone: ZoneInfo,
    calendar: BusinessCalendar,
    start: datetime | None,
    at: datetime | None,
    notes: list[str],
) -> datetime | None:
    """ "… and in any case no later than …": the earliest limit binds, unless it had already
    passed when the main clock started (DORA: classified major more than 24 hours after
    awareness → 4 hours from classification)."""
    for limit in deadline.also_no_later_than:
        limit_start = _resolve(limit.trigger, run.facts, zone)
        if limit_start is None:
            continue
        candidate = add_period(
            limit_start, limit.period.amount, limit.period.unit, zone=zone, calendar=calendar
        )
        if start is not None and candidate < start:
            notes.append(
                f"the {limit.period} limit from {limit.trigger.name} had passed when the clock "
                "started, so it does not apply"
            )
            continue
        if at is None or candidate < at:
            if limit.period.amount == 0:
                notes.append(f"no later than the day of {limit.trigger.name}")
            else:
                notes.append(f"no later than {limit.period} from {limit.trigger.name}")
            at = candidate
    return at


def _linked(run: _Run, other: str, at: datetime | None, notes: list[str]) -> datetime | None:
    """ "No later than the notice under another rule": that notice's time once recorded, else its
    deadline."""
    other_rule = run.rules.versions[other][0]
    linked = _notified_at(run.facts, other_rule, other_rule.jurisdiction)
    if linked is None:
        linked = run.deadlines.get(other)
    notes.append(f"no later than the notice under {other}")
    if linked is None or (at is not None and at <= linked):
        return at
    return linked


def _law_enforcement(
    run: _Run,
    rule: Rule,
    zone: ZoneInfo,
    calendar: BusinessCalendar,
    at: datetime | None,
    notes: list[str],
) -> datetime | None:
    delay = rule.law_enforcement_delay
    until = run.facts.incident.law_enforcement_delay_until
    if delay is None or until is None:
        return at
    end = until
    if delay.resume_amount is not None and delay.resume_unit is not None:
        end = add_period(
            until, delay.resume_amount, delay.resume_unit, zone=zone, calendar=calendar
        )
        after = f", then {Period(delay.resume_amount, delay.resume_unit)}"
    else:
        after = ""
    if at is None:
        notes.append(f"law enforcement asked for a delay until {until:%Y-%m-%d %H:%M} UTC{after}")
        return None
    if end <= at:
        notes.append("the law-enforcement delay ends before the deadline: no change")
        return at
    notes.append(
        f"delayed at law enforcement's request until {until:%Y-%m-%d %H:%M} UTC{after}: "
        "counsel to confirm how this law counts the delay"
    )
    return end


def _substitute(rule: Rule, facts: Facts, jurisdiction: str) -> SubstituteOutcome | None:
    spec = rule.substitute_notice
    if spec is None:
        return None
    incident = facts.incident
    if spec.cost_over is None and spec.affected_over is None and not spec.insufficient_contact:
        return SubstituteOutcome(
            None, "the rule gives no conditions to check: see its text", spec.text
        )
    region = jurisdiction if jurisdictions.is_place(jurisdiction) else "*"
    count = incident.count(region)
    because = []
    if spec.affected_over is not None and count > spec.affected_over:
        because.append(f"{count:,} affected (> {spec.affected_over:,})")
    cost = incident.notice_cost_estimate
    if spec.cost_over is not None and cost is not None and cost > spec.cost_over:
        because.append(f"notice would cost {cost:,.0f} (> {spec.cost_over:,.0f})")
    if spec.insufficient_contact and incident.insufficient_contact_info:
        because.append("contact information is insufficient")
    if because:
        return SubstituteOutcome(True, "; ".join(because), spec.text)
    unknown = []
    if spec.cost_over is not None and cost is None:
        unknown.append("notice_cost_estimate")
    if spec.insufficient_contact and incident.insufficient_contact_info is None:
        unknown.append("insufficient_contact_info")
    if unknown:
        return SubstituteOutcome(
            None, "depends on " + " and ".join(unknown) + ", not recorded", spec.text
        )
    return SubstituteOutcome(False, "none of the conditions is met", spec.text)
