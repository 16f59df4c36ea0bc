"""Explaining and checking around an evaluation: deadlines in words, warnings about facts the
rules cannot use, and facts that name rules which do not exist."""

from __future__ import annotations

from datetime import date

from candor.domain.errors import Problem
from candor.domain.obligations import jurisdictions
from candor.domain.obligations.facts import Facts
from candor.domain.obligations.model import Deadline, IfUnrecorded, RuleSet
from candor.domain.obligations.vocabulary import Unit


def describe_deadline(deadline: Deadline) -> str:
    trigger = deadline.trigger.name
    if deadline.period is None:
        text = f"no fixed period: {deadline.standard or 'see the standard'}"
    else:
        text = f"{deadline.period} from {trigger}"
        if deadline.period.unit is Unit.BUSINESS_DAYS and deadline.start_on_business_day:
            text += " (a trigger on a non-business day counts from the next business day)"
    fallback = deadline.trigger.fallback
    if deadline.period and deadline.trigger.if_unrecorded is IfUnrecorded.USE and fallback:
        text += f"; until {trigger} is recorded, from {fallback.value}"
    for limit in deadline.also_no_later_than:
        if limit.period.amount == 0:
            text += f"; no later than the day of {limit.trigger.name}"
        else:
            text += f"; no later than {limit.period} from {limit.trigger.name}"
    if deadline.no_later_than_rule:
        text += f"; no later than the notice under {deadline.no_later_than_rule}"
    for variant in deadline.variants:
        text += f"; {variant.period} if {variant.when.describe()}"
    if deadline.roll_noon_next_working_day:
        text += "; on a weekend or holiday, noon of the next working day"
    return text


def warnings(facts: Facts, rules: RuleSet, *, rules_date: date | None) -> list[str]:
    out = []
    incident = facts.incident
    if rules_date is not None:
        out.append(
            f"rules in force on {rules_date.isoformat()} were used instead of those in force on "
            "the awareness date"
        )
    if incident.aware_at < incident.discovered_at:
        out.append("aware_at is before discovered_at: check the times")
    bare = incident.affected.get("US", 0)
    if bare:
        out.append(
            f"{bare:,} people are recorded for US without a state: state laws count residents of "
            "each state (US-CA, US-TX …), so they trigger no state rule"
        )
    named = sorted(set(incident.affected) | set(facts.organization.establishments))
    for code in named:
        country = code.split("-", 1)[0]
        if code not in rules.covered and country not in rules.covered:
            out.append(
                f"no rule covers {code}: Candor's rules do not include its law yet — ask counsel"
            )
    return out


def check_facts(facts: Facts, rules: RuleSet) -> list[Problem]:
    """Facts that name rules must name rules that exist (a typo would silently leave a clock
    pending)."""
    problems = []
    known = rules.ids()
    for key in facts.incident.notified:
        subject = key.split("/", 1)[0]
        if jurisdictions.is_place(subject) or subject in jurisdictions.PSEUDO:
            continue
        if subject not in known:
            problems.append(
                Problem(
                    f"no rule {subject!r}; name a rule id or JURISDICTION/category",
                    path=("incident", "notified", key),
                )
            )
    return problems
