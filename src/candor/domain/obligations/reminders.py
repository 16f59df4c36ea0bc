"""Deadline reminders: 72, 24 and 4 hours before each open obligation's deadline, and once it is
overdue.

``due_reminders`` is pure: given the obligations, the time and the reminders already recorded it
says which to emit now. Each reminder has a key naming the obligation, the deadline it counts to
and the mark; whoever emits it records the key in the same transaction, so a reminder is emitted
once and only once however often, and however interrupted, the job runs. A moved deadline has
new keys, so its reminders come again for the new time.

When the job did not run while a mark passed (no worker was up), only the most urgent mark is
emitted and it *covers* the earlier ones (their keys are recorded with it): nobody needs a
"72 hours left" message when four hours are left, and no mark is silently lost either.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from candor.domain.obligations.results import iso_utc
from candor.domain.obligations.tracking import TrackedObligation
from candor.domain.vocabulary import require_aware


class Mark(StrEnum):
    H72 = "72h"
    H24 = "24h"
    H4 = "4h"
    OVERDUE = "overdue"


# how long before the deadline each mark falls, least urgent first
LEAD: dict[Mark, timedelta] = {
    Mark.H72: timedelta(hours=72),
    Mark.H24: timedelta(hours=24),
    Mark.H4: timedelta(hours=4),
    Mark.OVERDUE: timedelta(0),
}
HORIZON = LEAD[Mark.H72]


def reminder_key(obligation: TrackedObligation, deadline: datetime, mark: Mark) -> str:
    return f"{obligation.id}:{iso_utc(deadline)}:{mark.value}"


def left(deadline: datetime, now: datetime) -> str:
    """Time to the deadline in words: '23 h 10 min left', '2 d 3 h overdue'."""
    seconds = int((deadline - now).total_seconds())
    late = seconds < 0
    seconds = abs(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    text = (f"{days} d " if days else "") + f"{hours} h {minutes} min"
    return f"{text} overdue" if late else f"{text} left"


@dataclass(frozen=True, slots=True)
class Reminder:
    obligation: TrackedObligation
    mark: Mark
    deadline: datetime
    due_at: datetime  # when the mark fell
    covers: tuple[Mark, ...] = ()  # earlier marks not emitted in time, recorded with this one

    @property
    def key(self) -> str:
        return reminder_key(self.obligation, self.deadline, self.mark)

    def marked_keys(self) -> list[tuple[Mark, str]]:
        """This reminder's key and those of the marks it covers."""
        return [
            (m, reminder_key(self.obligation, self.deadline, m)) for m in (*self.covers, self.mark)
        ]

    def message(self, now: datetime) -> str:
        c = self.obligation.computed
        head = (
            "Overdue"
            if self.mark is Mark.OVERDUE
            else f"{self.mark.value.replace('h', ' h')} reminder"
        )
        what = f"notice to {c.recipient}" if c.kind == "notice" else f"{c.kind}: {c.recipient}"
        text = (
            f"{head}: obligation #{self.obligation.seq}, {what} "
            f"({c.rule_id}, {c.jurisdiction}) is due {iso_utc(self.deadline)} — "
            f"{left(self.deadline, now)}. Status: {self.obligation.state.value.replace('_', ' ')}."
        )
        if self.covers:
            missed = ", ".join(m.value for m in self.covers)
            plural = "s" if len(self.covers) > 1 else ""
            text += f" (Also stands for the {missed} reminder{plural}, not sent in time.)"
        return text


def _fallen(mark: Mark, deadline: datetime, now: datetime) -> bool:
    if mark is Mark.OVERDUE:
        return now > deadline  # due at the deadline itself, overdue only after it
    return now >= deadline - LEAD[mark]


def due_reminders(
    obligations: Iterable[TrackedObligation], *, now: datetime, sent: Collection[str] = ()
) -> list[Reminder]:
    """The reminders to emit at ``now``: for each open obligation with a deadline, the most
    urgent mark that has fallen and is not in ``sent``, covering the other unsent ones."""
    now = require_aware(now, field="now")
    out: list[Reminder] = []
    for obligation in obligations:
        deadline = obligation.deadline
        if deadline is None or not obligation.is_open or obligation.computed.retention:
            continue
        fallen = [m for m in LEAD if _fallen(m, deadline, now)]
        unsent = [m for m in fallen if reminder_key(obligation, deadline, m) not in sent]
        if not unsent:
            continue
        mark = unsent[-1]
        out.append(Reminder(obligation, mark, deadline, deadline - LEAD[mark], tuple(unsent[:-1])))
    return sorted(out, key=lambda r: (r.deadline, r.obligation.incident_id.hex, r.obligation.seq))
