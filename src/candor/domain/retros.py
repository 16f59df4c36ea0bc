"""The blameless retro of an incident: what happened, what we learned, what we will change.

A retro moves ``draft → in_review → published``; review may send it back to draft, and a
published retro is the record people quote, so it is not edited again (a later insight goes into
a new action item on the next incident, or a follow-up retro). Functions take the current value
and return a new one; ``now`` is always a parameter.

Action items carry an owner, a due date and a kind (prevent, detect, mitigate, process), because
lessons without owners and dates are not kept. A draft may hold half-decided items; a retro goes to
review only when every item has an owner and a due date. (The item types and their parsers live
in ``retro_items``; callers may name them from here.)
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from candor.domain import fivewhys
from candor.domain.errors import IllegalTransition, InvalidInput, Problem, ProblemCollector
from candor.domain.fivewhys import BlamelessPolicy, Hint, Nudge, WhyChain
from candor.domain.incidents import Incident
from candor.domain.milestones import Moment
from candor.domain.retro_items import ActionItem as ActionItem
from candor.domain.retro_items import ActionKind as ActionKind
from candor.domain.retro_items import ActionStatus as ActionStatus
from candor.domain.retro_items import TimelineItem as TimelineItem
from candor.domain.retro_items import (
    list_field,
    parse_action_item,
    parse_chain,
    parse_timeline,
    text_field,
    texts_field,
)
from candor.domain.timeline import Entry
from candor.domain.vocabulary import parse_enum, require_aware

TEXT_MAX = 20_000


class RetroStatus(StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    PUBLISHED = "published"


RETRO_TRANSITIONS: dict[RetroStatus, frozenset[RetroStatus]] = {
    RetroStatus.DRAFT: frozenset({RetroStatus.IN_REVIEW}),
    RetroStatus.IN_REVIEW: frozenset({RetroStatus.DRAFT, RetroStatus.PUBLISHED}),
    RetroStatus.PUBLISHED: frozenset(),
}


@dataclass(frozen=True, slots=True)
class Retro:
    id: uuid.UUID
    incident_id: uuid.UUID
    incident_key: str
    status: RetroStatus
    created_at: datetime
    created_by: str
    updated_at: datetime
    summary: str = ""
    impact: str = ""
    timeline: tuple[TimelineItem, ...] = ()
    went_well: tuple[str, ...] = ()
    went_poorly: tuple[str, ...] = ()
    lucky: tuple[str, ...] = ()
    chains: tuple[WhyChain, ...] = ()
    contributing_factors: tuple[str, ...] = ()
    action_items: tuple[ActionItem, ...] = ()
    published_at: datetime | None = None
    status_history: tuple[tuple[RetroStatus, datetime, str], ...] = field(default=())

    @property
    def root_causes(self) -> list[str]:
        return [c.root_cause for c in self.chains if c.root_cause]


def new_retro(
    *, id: uuid.UUID, incident: Incident, by: str, now: datetime, impact: str = ""
) -> Retro:
    """A draft retro, its summary seeded from the incident and its impact from the final impact
    statement (passed in by the caller, which knows where that statement lives)."""
    now = require_aware(now, field="now")
    return Retro(
        id=id,
        incident_id=incident.id,
        incident_key=incident.key,
        status=RetroStatus.DRAFT,
        created_at=now,
        created_by=by,
        updated_at=now,
        summary=incident.summary,
        impact=impact.strip(),
        status_history=((RetroStatus.DRAFT, now, by),),
    )


def timeline_from(
    entries: Sequence[Entry], chosen: Iterable[int], moments: Iterable[Moment] = ()
) -> tuple[TimelineItem, ...]:
    """The retro timeline: the chosen timeline entries (by number) and the milestones, in UTC
    order. Unknown entry numbers are refused, naming them."""
    by_seq = {e.seq: e for e in entries}
    wanted = list(dict.fromkeys(chosen))
    missing = [seq for seq in wanted if seq not in by_seq]
    if missing:
        raise InvalidInput(
            Problem(
                "no such timeline entries: " + ", ".join(f"#{s}" for s in missing),
                field="timeline",
            )
        )
    items = [TimelineItem(by_seq[s].occurred_at, by_seq[s].body, None, s) for s in wanted]
    items += [TimelineItem(m.at, m.label, m.milestone, None) for m in moments]
    return tuple(sorted(items, key=lambda i: (i.at, i.entry or 0)))


# ---- parsing plain data (forms, API, files) with every problem at once -----------------------


EDITABLE = (
    "summary",
    "impact",
    "timeline",
    "went_well",
    "went_poorly",
    "lucky",
    "chains",
    "contributing_factors",
    "action_items",
)


def revise(retro: Retro, changes: Mapping[str, Any], *, now: datetime) -> Retro:
    """Apply edits given as plain data; every problem in every field is reported at once."""
    now = require_aware(now, field="now")
    if retro.status is RetroStatus.PUBLISHED:
        raise IllegalTransition(
            f"the retro of {retro.incident_key} is published; it is the record and is not edited"
        )
    problems = ProblemCollector()
    values: dict[str, Any] = {}
    for name, value in changes.items():
        if name not in EDITABLE:
            problems.add(f"cannot be changed; editable: {', '.join(EDITABLE)}", field=name)
        elif name in ("summary", "impact"):
            values[name] = text_field(problems, value, field=name, maximum=TEXT_MAX)
        elif name == "timeline":
            values[name] = parse_timeline(problems, value)
        elif name in ("went_well", "went_poorly", "lucky", "contributing_factors"):
            values[name] = texts_field(problems, value, field=name)
        elif name == "chains":
            parsed = [
                parse_chain(raw, index=i, problems=problems)
                for i, raw in enumerate(list_field(problems, value, field=name))
            ]
            values[name] = tuple(c for c in parsed if c is not None)
        elif name == "action_items":
            items = [
                parse_action_item(raw, index=i, problems=problems)
                for i, raw in enumerate(list_field(problems, value, field=name))
            ]
            kept = tuple(a for a in items if a is not None)
            seqs = [a.seq for a in kept]
            for seq in sorted({s for s in seqs if seqs.count(s) > 1}):
                problems.add(f"action item number {seq} is used twice", field="action_items")
            values[name] = kept
    problems.raise_if_any()
    return replace(retro, **values, updated_at=now)


def readiness_problems(retro: Retro) -> list[Problem]:
    """What must be settled before others review the retro."""
    problems: list[Problem] = []
    if not retro.summary.strip():
        problems.append(Problem("must not be empty before review", field="summary"))
    if not retro.chains:
        problems.append(
            Problem(
                "a retro needs at least one five-whys chain before review",
                field="chains",
                hint="start from the problem that let the incident happen and ask why",
            )
        )
    for i, chain in enumerate(retro.chains):
        problems.extend(fivewhys.check_chain(chain, index=i))
    for i, item in enumerate(retro.action_items):
        if item.owner is None:
            problems.append(
                Problem(
                    f"action item {item.seq} has no owner",
                    field=f"action_items[{i}].owner",
                    hint="lessons without an owner are not kept",
                )
            )
        if item.due_on is None:
            problems.append(
                Problem(
                    f"action item {item.seq} has no due date", field=f"action_items[{i}].due_on"
                )
            )
    return problems


def set_status(retro: Retro, target: RetroStatus | str, *, by: str, now: datetime) -> Retro:
    target = parse_enum(RetroStatus, target, field="status")
    now = require_aware(now, field="now")
    if target not in RETRO_TRANSITIONS[retro.status]:
        allowed = ", ".join(s.value for s in RETRO_TRANSITIONS[retro.status]) or "none"
        raise IllegalTransition(
            f"the retro of {retro.incident_key} is {retro.status.value}; it cannot move to "
            f"{target.value}. Allowed: {allowed}."
        )
    if target is not RetroStatus.DRAFT:
        problems = readiness_problems(retro)
        if problems:
            raise InvalidInput(problems)
    return replace(
        retro,
        status=target,
        updated_at=now,
        published_at=now if target is RetroStatus.PUBLISHED else retro.published_at,
        status_history=(*retro.status_history, (target, now, by)),
    )


def add_action_item(
    retro: Retro,
    *,
    title: str,
    kind: ActionKind | str,
    owner: str | None = None,
    due_on: date | None = None,
    tracker_url: str | None = None,
    now: datetime,
) -> Retro:
    """Append an item numbered after the highest so far (numbers are never reused). Allowed after
    publication too: follow-up work found later still needs an owner and a date."""
    seq = max((a.seq for a in retro.action_items), default=0) + 1
    problems = ProblemCollector()
    item = parse_action_item(
        {
            "seq": seq,
            "title": title,
            "kind": str(kind),
            "owner": owner,
            "due_on": due_on,
            "tracker_url": tracker_url,
        },
        index=len(retro.action_items),
        problems=problems,
    )
    problems.raise_if_any()
    assert item is not None
    return replace(retro, action_items=(*retro.action_items, item), updated_at=now)


def set_action_status(
    retro: Retro, seq: int, status: ActionStatus | str, *, now: datetime
) -> Retro:
    """Owners update their items at any time, also after the retro is published."""
    target = parse_enum(ActionStatus, status, field="status")
    if not any(a.seq == seq for a in retro.action_items):
        raise InvalidInput(Problem(f"no action item {seq}", field="seq"))
    items = tuple(replace(a, status=target) if a.seq == seq else a for a in retro.action_items)
    return replace(retro, action_items=items, updated_at=require_aware(now, field="now"))


# ---- review aids -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Review:
    nudges: tuple[Nudge, ...]
    hints: tuple[Hint, ...]


def cause_texts(retro: Retro) -> list[tuple[str, str]]:
    """The parts of a retro that state causes, where blame would show."""
    texts: list[tuple[str, str]] = []
    for i, chain in enumerate(retro.chains):
        texts.append((f"chains[{i}].problem", chain.problem))
        for j, step in enumerate(chain.steps):
            texts.append((f"chains[{i}].steps[{j}].because", step.because))
    texts += [(f"contributing_factors[{i}]", t) for i, t in enumerate(retro.contributing_factors)]
    texts += [(f"went_poorly[{i}]", t) for i, t in enumerate(retro.went_poorly)]
    return texts


def review(retro: Retro, policy: BlamelessPolicy, *, people: Iterable[str]) -> Review:
    """Nudges for shallow chains and hints for blaming language. They never block publishing:
    the team decides, the tool only asks the question."""
    return Review(
        nudges=tuple(fivewhys.nudges(retro.chains, policy)),
        hints=tuple(fivewhys.blameless_hints(cause_texts(retro), policy, people=people)),
    )


def scrubbed(retro: Retro, marker: str) -> Retro:
    """The retro under the retention policy: the summary, the impact and the chosen timeline
    moments' text go (they describe the people affected); the lessons — what went well and
    poorly, the five whys, factors and action items, written blamelessly — stay."""
    return replace(
        retro,
        summary=marker if retro.summary else "",
        impact=marker if retro.impact else "",
        timeline=tuple(replace(item, text=marker) for item in retro.timeline),
    )
