"""Rule files to ``Rule`` values, and rules to a checked ``RuleSet``. Every problem is collected
with its path (``rules[3].deadline.unit``); the adapter turns paths into file:line:column.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import date
from typing import TypeVar

from candor.domain.errors import Problem
from candor.domain.obligations import jurisdictions
from candor.domain.obligations.conditions import parse_condition
from candor.domain.obligations.exceptions import parse_exception
from candor.domain.obligations.facts import EVENT_KEY
from candor.domain.obligations.model import (
    Deadline,
    IfUnrecorded,
    Limit,
    Period,
    Rule,
    Source,
    SubstituteNotice,
    Trigger,
    Variant,
)
from candor.domain.obligations.reader import MapReader, Path, Problems, allowed_text, word
from candor.domain.obligations.vocabulary import (
    Clock,
    Determination,
    RecipientCategory,
    RuleKind,
    Sector,
    Unit,
)

RULE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,80}$")
FILE_KEYS = ("regime", "title", "jurisdiction", "timezone", "calendar", "last_reviewed", "rules")
INHERITED = ("jurisdiction", "timezone", "calendar", "last_reviewed")
RULE_KEYS = (
    "id",
    "reference_id",
    "kind",
    *INHERITED,
    "for_each",
    "law",
    "citation",
    "recipient_category",
    "recipient",
    "conditions",
    "exceptions",
    "other_exceptions",
    "deadline",
    "substitute_notice",
    "content_required",
    "effective_from",
    "effective_until",
    "effective_note",
    "in_force",
    "not_in_force_reason",
    "verified",
    "unverified",
    "notes",
    "threshold_text",
    "sources",
    "applies_to",
)
DEADLINE_KEYS = (
    "amount",
    "unit",
    "trigger",
    "if_unrecorded",
    "fallback",
    "standard",
    "start_on_business_day",
    "also_no_later_than",
    "no_later_than_rule",
    "variants",
    "roll",
)
# What a rule may mark as not confirmed in a source (the output shows the list).
UNVERIFIABLE = (
    "recipient",
    "deadline",
    "standard",
    "trigger",
    "thresholds",
    "data_elements",
    "conditions",
    "exceptions",
    "substitute_notice",
    "content_required",
    "effective_from",
    "calendar",
)
ALWAYS_RECORDED = (Clock.DISCOVERED_AT, Clock.AWARE_AT, Clock.DISCOVERY_YEAR_END)
# Stands in for a missing review date only while the rule is already being rejected.
NEVER = date(1970, 1, 1)
T = TypeVar("T")


def parse_rule_file(data: object, *, file: str) -> tuple[tuple[Rule, ...], list[Problem]]:
    """The rules of one file and the problems found; problems carry paths, not lines yet."""
    problems = Problems()
    root = MapReader(data, (), problems, what="a rule file")
    regime = root.text("regime", required=True) or "unknown"
    if root.ok and not RULE_ID.match(regime):
        problems.add("must be lower-case letters, digits and '-'", root.at("regime"))
    root.text("title")
    defaults = {key: root.raw(key) for key in INHERITED}
    items = root.sequence("rules", required=True)
    if root.ok and root.has("rules") and not items:
        problems.add("a rule file must hold at least one rule", root.at("rules"))
    root.finish(FILE_KEYS)
    rules = []
    for index, item in enumerate(items):
        rule = _rule(
            item,
            ("rules", index),
            problems,
            regime=regime,
            file=file,
            defaults=defaults,
            index=index,
        )
        if rule is not None:
            rules.append(rule)
    located = [replace(problem, file=file) for problem in problems.items]
    return tuple(rules), located


def _inherited(reader: MapReader, key: str, defaults: Mapping[str, object]) -> MapReader:
    """Read ``key`` from the rule, falling back to the file header (reported there)."""
    if reader.has(key):
        return reader
    header = MapReader({key: defaults.get(key)}, (), reader.problems, what="the file header")
    return header


def _rule(
    data: object,
    path: Path,
    problems: Problems,
    *,
    regime: str,
    file: str,
    defaults: Mapping[str, object],
    index: int,
) -> Rule | None:
    r = MapReader(data, path, problems, what="a rule")
    if not r.ok:
        return None
    before = len(problems)
    rule_id = r.text("id", required=True) or ""
    if rule_id and not RULE_ID.match(rule_id):
        problems.add("must be lower-case letters, digits and '-'", r.at("id"))
    reference_id = r.text("reference_id")
    kind = r.enum("kind", RuleKind) or RuleKind.NOTICE
    juris_reader = _inherited(r, "jurisdiction", defaults)
    jurisdiction = juris_reader.text("jurisdiction", required=True) or ""
    if jurisdiction:
        trouble = jurisdictions.check_rule_code(jurisdiction, allow_groups=False)
        if trouble:
            problems.add(trouble, juris_reader.at("jurisdiction"))
    zone_reader = _inherited(r, "timezone", defaults)
    zone = zone_reader.text("timezone", default="UTC") or "UTC"
    calendar_reader = _inherited(r, "calendar", defaults)
    calendar = calendar_reader.text("calendar", default="weekends") or "weekends"
    reviewed_reader = _inherited(r, "last_reviewed", defaults)
    last_reviewed = reviewed_reader.day("last_reviewed")
    if last_reviewed is None and not reviewed_reader.has("last_reviewed"):
        problems.add("'last_reviewed' is required (in the rule or the file header)", r.at("id"))
    for_each = r.text_list("for_each")
    for i, code in enumerate(for_each):
        trouble = jurisdictions.check_rule_code(code, allow_groups=True)
        if trouble:
            problems.add(trouble, (*r.at("for_each"), i))
    category = r.enum("recipient_category", RecipientCategory)
    if kind is RuleKind.NOTICE and category is None and not r.has("recipient_category"):
        problems.add(
            "'recipient_category' is required for a notice; allowed: "
            + allowed_text(c.value for c in RecipientCategory),
            r.at("id"),
        )
    conditions = _list(r, "conditions", parse_condition)
    exceptions = _list(r, "exceptions", parse_exception)
    deadline = _deadline(r.raw("deadline"), r.at("deadline"), problems)
    if deadline is None and not r.has("deadline"):
        problems.add("'deadline' is required", r.at("id"))
    verified = r.flag("verified")
    if verified is None and not r.has("verified"):
        problems.add("'verified' is required: true or false, exactly as the reference", r.at("id"))
    unverified = r.text_list("unverified")
    for i, name in enumerate(unverified):
        if name not in UNVERIFIABLE:
            problems.add(
                f"unknown field {name!r}; allowed: {', '.join(UNVERIFIABLE)}",
                (*r.at("unverified"), i),
            )
    effective_from = r.day("effective_from")
    effective_until = r.day("effective_until")
    if effective_from and effective_until and effective_until < effective_from:
        problems.add("ends before it starts", r.at("effective_until"))
    in_force = r.flag("in_force", default=True)
    reason = r.text("not_in_force_reason")
    if in_force is False and not reason:
        problems.add("say why in 'not_in_force_reason'", r.at("in_force"))
    applies_to = r.text_list("applies_to")
    if kind is RuleKind.DELAY_RULE and not applies_to:
        problems.add("a delay rule must list the rules it delays in 'applies_to'", r.at("id"))
    rule = Rule(
        id=rule_id,
        regime=regime,
        file=file,
        jurisdiction=jurisdiction,
        law=r.text("law", required=True) or "",
        citation=r.text("citation", required=True) or "",
        recipient=r.text("recipient", required=True) or "",
        deadline=deadline or Deadline(trigger=Trigger(clock=Clock.AWARE_AT)),
        last_reviewed=last_reviewed or NEVER,
        verified=bool(verified),
        kind=kind,
        reference_id=reference_id,
        recipient_category=category,
        for_each=for_each,
        timezone=zone,
        calendar=calendar,
        conditions=conditions,
        exceptions=exceptions,
        other_exceptions=r.text_list("other_exceptions"),
        substitute_notice=_substitute(r),
        content_required=r.text_list("content_required"),
        effective_from=effective_from,
        effective_until=effective_until,
        effective_note=r.text("effective_note"),
        in_force=bool(in_force),
        not_in_force_reason=reason,
        unverified=unverified,
        notes=r.text("notes"),
        threshold_text=r.text("threshold_text"),
        sources=_sources(r),
        applies_to=applies_to,
        index=index,
    )
    r.finish(RULE_KEYS)
    return rule if len(problems) == before else None


def _list(
    r: MapReader, key: str, parse: Callable[[object, Path, Problems], T | None]
) -> tuple[T, ...]:
    out = []
    for index, item in enumerate(r.sequence(key)):
        parsed = parse(item, (*r.at(key), index), r.problems)
        if parsed is not None:
            out.append(parsed)
    return tuple(out)


def _period(r: MapReader) -> tuple[Period | None, bool]:
    """The period of a deadline or limit; the flag is False when it could not be read."""
    unit = r.enum("unit", Unit, required=True)
    amount = r.integer("amount", minimum=0)
    if unit is None:
        return None, False
    if unit is Unit.NONE:
        if amount is not None:
            r.problems.add(
                "unit none takes no amount (the law sets only a standard)", r.at("amount")
            )
            return None, False
        return None, True
    if amount is None:
        if not r.has("amount"):
            r.problems.add(f"'amount' is required with unit {unit}", r.path)
        return None, False
    return Period(amount, unit), True


def _trigger(r: MapReader, *, key: str = "trigger") -> Trigger | None:
    text = r.text(key, required=True)
    if text is None:
        return None
    at = r.at(key)
    if text.startswith("determination:"):
        name = word(Determination, text.split(":", 1)[1], at, r.problems)
        return Trigger(determination=name) if name else None
    if text.startswith("notified:"):
        event = text.split(":", 1)[1]
        match = EVENT_KEY.match(event)
        if match is None:
            r.problems.add(
                f"not an event key: {event!r}",
                at,
                hint="notified:US-CA/individuals or notified:RULE-ID",
            )
            return None
        subject, what = match["subject"], match["what"]
        place = jurisdictions.is_place(subject) or subject in jurisdictions.PSEUDO
        if place and (what is None or what not in set(RecipientCategory)):
            r.problems.add(
                f"name who was notified: {subject}/CATEGORY; categories: "
                + allowed_text(c.value for c in RecipientCategory),
                at,
            )
            return None
        if not place and what not in (None, "requested"):
            r.problems.add("after a rule id only '/requested' is allowed", at)
            return None
        return Trigger(event=event)
    clock = word(Clock, text, at, r.problems)
    if clock is None:
        r.problems.add(
            "or write determination:NAME or notified:EVENT",
            at,
        )
        return None
    return Trigger(clock=clock)


def _with_fallback(r: MapReader, trigger: Trigger) -> Trigger:
    mode = r.text("if_unrecorded")
    fallback = r.enum("fallback", Clock)
    if trigger.clock in ALWAYS_RECORDED:
        if mode is not None or fallback is not None:
            r.problems.add(
                f"{trigger.name} is always known; drop if_unrecorded/fallback", r.at("trigger")
            )
        return trigger
    if fallback is not None:
        if fallback not in ALWAYS_RECORDED:
            r.problems.add(
                "fall back to a clock that is always known: aware_at or discovered_at",
                r.at("fallback"),
            )
            return trigger
        return replace(trigger, if_unrecorded=IfUnrecorded.USE, fallback=fallback)
    if mode is None:
        return trigger
    try:
        chosen = IfUnrecorded(mode)
    except ValueError:
        chosen = None
    if chosen is None or chosen is IfUnrecorded.USE:
        r.problems.add(
            f"unknown value {mode!r}; allowed: pending, not_triggered (or give "
            "'fallback: aware_at')",
            r.at("if_unrecorded"),
        )
        return trigger
    return replace(trigger, if_unrecorded=chosen)


def _deadline(data: object, path: Path, problems: Problems) -> Deadline | None:
    if data is None:
        return None
    d = MapReader(data, path, problems, what="a deadline")
    if not d.ok:
        return None
    before = len(problems)
    period, _ = _period(d)
    trigger = _trigger(d)
    if trigger is not None:
        trigger = _with_fallback(d, trigger)
    standard = d.text("standard")
    if period is None and not standard and d.has("unit"):
        problems.add(
            "a deadline without an amount needs its 'standard' (e.g. without unreasonable delay)",
            path,
        )
    limits = []
    for index, item in enumerate(d.sequence("also_no_later_than")):
        lr = MapReader(item, (*d.at("also_no_later_than"), index), problems, what="a limit")
        limit_period, _ = _period(lr)
        limit_trigger = _trigger(lr)
        lr.finish(("amount", "unit", "trigger"))
        if lr.ok and limit_trigger is not None and (limit_period or lr.has("unit")):
            limits.append(Limit(limit_period or Period(0, Unit.HOURS), limit_trigger))
    variants = []
    for index, item in enumerate(d.sequence("variants")):
        vr = MapReader(item, (*d.at("variants"), index), problems, what="a variant")
        when = parse_condition(vr.raw("when"), vr.at("when"), problems)
        variant_period, _ = _period(vr)
        vr.finish(("when", "amount", "unit"))
        if when is not None and variant_period is not None:
            variants.append(Variant(when, variant_period))
    roll = False
    roll_not_for: frozenset[Sector] = frozenset()
    if d.has("roll"):
        rr = MapReader(d.raw("roll"), d.at("roll"), problems, what="a roll")
        kind = rr.text("type", required=True)
        if kind is not None and kind != "noon_next_working_day":
            problems.add(f"unknown roll {kind!r}; allowed: noon_next_working_day", rr.at("type"))
        roll = kind == "noon_next_working_day"
        roll_not_for = frozenset(rr.enum_list("not_for_sectors", Sector))
        rr.finish(("type", "not_for_sectors"))
    else:
        d.raw("roll")
    deadline = Deadline(
        trigger=trigger or Trigger(clock=Clock.AWARE_AT),
        period=period,
        standard=standard,
        start_on_business_day=bool(d.flag("start_on_business_day", default=False)),
        also_no_later_than=tuple(limits),
        no_later_than_rule=d.text("no_later_than_rule"),
        variants=tuple(variants),
        roll_noon_next_working_day=roll,
        roll_not_for_sectors=roll_not_for,
    )
    d.finish(DEADLINE_KEYS)
    return deadline if len(problems) == before else None


def _substitute(r: MapReader) -> SubstituteNotice | None:
    if not r.has("substitute_notice"):
        r.raw("substitute_notice")
        return None
    s = MapReader(
        r.raw("substitute_notice"), r.at("substitute_notice"), r.problems, what="substitute_notice"
    )
    text = s.text("text", required=True) or ""
    notice = SubstituteNotice(
        text=text,
        cost_over=s.number("cost_over"),
        affected_over=s.integer("affected_over", minimum=0),
        insufficient_contact=bool(s.flag("insufficient_contact", default=False)),
    )
    s.finish(("text", "cost_over", "affected_over", "insufficient_contact"))
    return notice


def _sources(r: MapReader) -> tuple[Source, ...]:
    out = []
    for index, item in enumerate(r.sequence("sources")):
        s = MapReader(item, (*r.at("sources"), index), r.problems, what="a source")
        title = s.text("title", required=True)
        url = s.text("url", required=True)
        if url and not url.startswith(("https://", "http://")):
            r.problems.add("must be an http(s) URL", s.at("url"))
        s.finish(("title", "url"))
        if title and url:
            out.append(Source(title, url))
    return tuple(out)
