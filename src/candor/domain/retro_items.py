"""The parts of a retro that are lists people fill in (action items, timeline items, five-whys
chains) and their parsing from plain data (forms, API, files), every problem collected at once
with the field it belongs to (``action_items[2].due_on``)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from candor.domain import fivewhys
from candor.domain.errors import InvalidInput, ProblemCollector
from candor.domain.fivewhys import Why, WhyChain
from candor.domain.incidents import PERSON_PATTERN
from candor.domain.milestones import Milestone
from candor.domain.vocabulary import parse_enum, parse_instant, require_aware

ITEM_MAX = 2_000
TITLE_MAX = 300
URL_PATTERN = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)


class ActionKind(StrEnum):
    PREVENT = "prevent"
    DETECT = "detect"
    MITIGATE = "mitigate"
    PROCESS = "process"


class ActionStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    WONT_DO = "wont_do"

    @property
    def is_open(self) -> bool:
        return self in (ActionStatus.OPEN, ActionStatus.IN_PROGRESS)


@dataclass(frozen=True, slots=True)
class ActionItem:
    seq: int
    title: str
    kind: ActionKind
    owner: str | None = None
    due_on: date | None = None
    status: ActionStatus = ActionStatus.OPEN
    tracker_url: str | None = None

    def is_overdue(self, now: datetime) -> bool:
        """Open past its due date; the date is a UTC calendar day, due at the end of that day."""
        now = require_aware(now, field="now")
        return self.status.is_open and self.due_on is not None and self.due_on < now.date()


@dataclass(frozen=True, slots=True)
class TimelineItem:
    """A moment chosen for the retro: from the incident timeline (``entry``) or a milestone."""

    at: datetime
    text: str
    milestone: Milestone | None = None
    entry: int | None = None


# ---- parsing ----------------------------------------------------------------------------------


def text_field(
    problems: ProblemCollector, value: Any, *, field: str, maximum: int, required: bool = False
) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        problems.add("must be text", field=field)
        return ""
    text = value.strip()
    if required and not text:
        problems.add("must not be empty", field=field)
    if len(text) > maximum:
        problems.add(f"is {len(text)} characters long; at most {maximum} allowed", field=field)
    if "\x00" in text:
        problems.add("contains a NUL character", field=field)
    return text


def _plain(problems: ProblemCollector, value: Any, *, field: str) -> str:
    """Text whose emptiness and length ``fivewhys.check_chain`` judges (so it is said once)."""
    if value is None:
        return ""
    if not isinstance(value, str):
        problems.add("must be text", field=field)
        return ""
    return value.strip()


def list_field(problems: ProblemCollector, value: Any, *, field: str) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, Sequence):
        problems.add("must be a list", field=field)
        return []
    return list(value)


def texts_field(problems: ProblemCollector, value: Any, *, field: str) -> tuple[str, ...]:
    out = []
    for i, item in enumerate(list_field(problems, value, field=field)):
        text = text_field(problems, item, field=f"{field}[{i}]", maximum=ITEM_MAX, required=True)
        if text:
            out.append(text)
    return tuple(out)


def _guard(problems: ProblemCollector, call: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a single-value parser, turning its ``InvalidInput`` into collected problems."""
    try:
        return call(*args, **kwargs)
    except InvalidInput as exc:
        problems.extend(exc.problems)
        return None


def parse_chain(data: Any, *, index: int, problems: ProblemCollector) -> WhyChain | None:
    base = f"chains[{index}]"
    if not isinstance(data, Mapping):
        problems.add("must be a mapping with 'problem' and 'steps'", field=base)
        return None
    problem = _plain(problems, data.get("problem"), field=f"{base}.problem")
    steps = []
    for i, raw in enumerate(list_field(problems, data.get("steps"), field=f"{base}.steps")):
        if not isinstance(raw, Mapping):
            problems.add("must be a mapping with 'why' and 'because'", field=f"{base}.steps[{i}]")
            continue
        steps.append(
            Why(
                why=_plain(problems, raw.get("why"), field=f"{base}.steps[{i}].why"),
                because=_plain(problems, raw.get("because"), field=f"{base}.steps[{i}].because"),
            )
        )
    chain = WhyChain(problem, tuple(steps))
    problems.extend(fivewhys.check_chain(chain, index=index))
    return chain


def parse_action_item(data: Any, *, index: int, problems: ProblemCollector) -> ActionItem | None:
    base = f"action_items[{index}]"
    if not isinstance(data, Mapping):
        problems.add("must be a mapping with title, kind, owner and due_on", field=base)
        return None
    title = text_field(
        problems, data.get("title"), field=f"{base}.title", maximum=TITLE_MAX, required=True
    )
    kind = _guard(problems, parse_enum, ActionKind, data.get("kind"), field=f"{base}.kind")
    status_raw = data.get("status") or ActionStatus.OPEN.value
    status = _guard(problems, parse_enum, ActionStatus, status_raw, field=f"{base}.status")
    owner = data.get("owner") or None
    if owner is not None:
        owner = str(owner).strip().lower()
        if not PERSON_PATTERN.match(owner):
            problems.add(f"not a user name: {data.get('owner')!r}", field=f"{base}.owner")
    due_on = _parse_date(problems, data.get("due_on"), field=f"{base}.due_on")
    url = data.get("tracker_url") or None
    if url is not None and not (isinstance(url, str) and URL_PATTERN.match(url.strip())):
        problems.add(
            "must be an http(s) link to the item in your tracker",
            field=f"{base}.tracker_url",
            hint="e.g. https://tracker.example.com/SEC-123",
        )
    seq = data.get("seq", index + 1)
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
        problems.add("must be a positive whole number", field=f"{base}.seq")
        seq = index + 1
    if kind is None or status is None:
        return None
    return ActionItem(
        seq=seq,
        title=title,
        kind=kind,
        owner=owner,
        due_on=due_on,
        status=status,
        tracker_url=url.strip() if isinstance(url, str) else None,
    )


def _parse_date(problems: ProblemCollector, value: Any, *, field: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        problems.add("must be a calendar date, not a time", field=field, hint="e.g. 2026-12-01")
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        problems.add(f"not a date: {value!r}", field=field, hint="e.g. 2026-12-01")
        return None


def parse_timeline(problems: ProblemCollector, value: Any) -> tuple[TimelineItem, ...]:
    items = []
    for i, raw in enumerate(list_field(problems, value, field="timeline")):
        base = f"timeline[{i}]"
        if not isinstance(raw, Mapping):
            problems.add("must be a mapping with 'at' and 'text'", field=base)
            continue
        at = _guard(problems, parse_instant, raw.get("at"), field=f"{base}.at")
        text = text_field(
            problems, raw.get("text"), field=f"{base}.text", maximum=ITEM_MAX, required=True
        )
        milestone = None
        if raw.get("milestone"):
            milestone = _guard(
                problems, parse_enum, Milestone, raw.get("milestone"), field=f"{base}.milestone"
            )
        entry = raw.get("entry")
        if entry is not None and (not isinstance(entry, int) or entry < 1):
            problems.add("must be a timeline entry number", field=f"{base}.entry")
            entry = None
        if at is not None:
            items.append(TimelineItem(at, text, milestone, entry))
    return tuple(sorted(items, key=lambda i: (i.at, i.entry or 0)))
