"""Deadline reminders: the marks at 72, 24 and 4 hours and overdue, each emitted once; a late
run emits the most urgent and covers the others; a moved deadline starts again."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from candor.domain.obligations.reminders import Mark, due_reminders, left
from candor.domain.obligations.tracking import Computed, TrackedObligation, Tracking
from candor.domain.obligations.vocabulary import Status

DEADLINE = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)


def obligation(deadline: datetime | None = DEADLINE, **changes: object) -> TrackedObligation:
    computed = Computed(
        rule_id="us-ca-individuals",
        jurisdiction="US-CA",
        kind="notice",
        regime="us-state-ca",
        recipient_category="individuals",
        recipient="Affected California residents",
        status=Status.REQUIRED,
        deadline=deadline,
        deadline_rule="30 calendar days from discovered_at",
        trigger="discovered_at",
        trigger_at=None,
        citation="Cal. Civ. Code 1798.82",
        law="California",
        verified=True,
        unverified=(),
        last_reviewed=date(2026, 11, 22),
        rule_effective_from=None,
        zone="America/Los_Angeles",
        per_place=False,
        detail={},
    )
    made = TrackedObligation(
        id=uuid.UUID(int=7),
        incident_id=uuid.UUID(int=1),
        seq=3,
        computed=computed,
        state=Tracking.PENDING,
        active=True,
        first_computed_at=DEADLINE - timedelta(days=30),
        updated_at=DEADLINE - timedelta(days=30),
    )
    return replace(made, **changes)  # type: ignore[arg-type]


def marks(at: datetime, sent: set[str] | None = None) -> list[tuple[Mark, tuple[Mark, ...]]]:
    return [(r.mark, r.covers) for r in due_reminders([obligation()], now=at, sent=sent or set())]


def test_each_mark_falls_at_its_time() -> None:
    assert marks(DEADLINE - timedelta(hours=72, seconds=1)) == []
    assert marks(DEADLINE - timedelta(hours=72)) == [(Mark.H72, ())]
    assert marks(DEADLINE - timedelta(hours=4)) == [(Mark.H4, (Mark.H72, Mark.H24))]
    # at the deadline it is due, not yet overdue
    assert marks(DEADLINE) == [(Mark.H4, (Mark.H72, Mark.H24))]
    assert marks(DEADLINE + timedelta(seconds=1))[0][0] is Mark.OVERDUE


def test_what_was_sent_is_not_sent_again() -> None:
    at = DEADLINE - timedelta(hours=23)
    first = due_reminders([obligation()], now=at)
    assert [(r.mark, r.covers) for r in first] == [(Mark.H24, (Mark.H72,))]
    sent = {key for r in first for _, key in r.marked_keys()}
    assert due_reminders([obligation()], now=at, sent=sent) == []
    assert marks(DEADLINE - timedelta(hours=3), sent) == [(Mark.H4, ())]


def test_closed_inactive_and_undated_obligations_get_no_reminders() -> None:
    late = DEADLINE + timedelta(days=1)
    assert due_reminders([obligation(state=Tracking.FILED)], now=late) == []
    assert due_reminders([obligation(state=Tracking.NOT_REQUIRED)], now=late) == []
    assert due_reminders([obligation(active=False)], now=late) == []
    assert due_reminders([obligation(deadline=None)], now=late) == []
    proposed = due_reminders([obligation(state=Tracking.NOT_REQUIRED_PROPOSED)], now=late)
    assert [r.mark for r in proposed] == [Mark.OVERDUE]  # counsel has not decided yet
    # a record kept for 24 months is not late when the 24 months end
    record = obligation()
    record = replace(record, computed=replace(record.computed, kind="record"))
    assert due_reminders([record], now=late) == [] and not record.overdue(late)


def test_a_moved_deadline_is_reminded_again() -> None:
    at = DEADLINE - timedelta(hours=20)
    sent = {key for r in due_reminders([obligation()], now=at) for _, key in r.marked_keys()}
    moved = obligation(deadline=DEADLINE + timedelta(hours=1))
    again = due_reminders([moved], now=at, sent=sent)
    assert [(r.mark, r.deadline) for r in again] == [(Mark.H24, moved.deadline)]


def test_the_message_names_the_obligation_its_deadline_and_the_time_left() -> None:
    at = DEADLINE - timedelta(hours=3, minutes=30)
    (reminder,) = due_reminders([obligation()], now=at)
    text = reminder.message(at)
    assert "4 h reminder: obligation #3" in text
    assert "Affected California residents (us-ca-individuals, US-CA)" in text
    assert "2026-11-30T17:00:00Z — 3 h 30 min left" in text
    assert "stands for the 72h, 24h reminders" in text
    assert left(DEADLINE, DEADLINE + timedelta(days=2, hours=1)) == "2 d 1 h 0 min overdue"


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(min_value=-100 * 60, max_value=10 * 60), min_size=1, max_size=12),
    st.integers(min_value=0, max_value=5),
)
def test_any_schedule_of_runs_emits_every_mark_once_and_none_twice(
    minutes: list[int], crash_every: int
) -> None:
    """Runs at any times (minutes from the deadline, in order), some of them dying before they
    record what they emitted: every mark that has fallen by the last run is recorded exactly
    once, and nothing is recorded twice."""
    sent: dict[str, int] = {}
    runs = 0
    for offset in sorted(minutes):
        now = DEADLINE + timedelta(minutes=offset)
        for reminder in due_reminders([obligation()], now=now, sent=set(sent)):
            runs += 1
            if crash_every and runs % crash_every == 0:
                continue  # killed before the commit: nothing of it was recorded
            for _, key in reminder.marked_keys():
                sent[key] = sent.get(key, 0) + 1
    last = DEADLINE + timedelta(minutes=max(minutes))
    # a final run after any crash completes the record
    for reminder in due_reminders([obligation()], now=last, sent=set(sent)):
        for _, key in reminder.marked_keys():
            sent[key] = sent.get(key, 0) + 1
    assert all(n == 1 for n in sent.values())
    fallen = {
        Mark.H72: last >= DEADLINE - timedelta(hours=72),
        Mark.H24: last >= DEADLINE - timedelta(hours=24),
        Mark.H4: last >= DEADLINE - timedelta(hours=4),
        Mark.OVERDUE: last > DEADLINE,
    }
    recorded = {key.rsplit(":", 1)[1] for key in sent}
    assert recorded == {m.value for m, due in fallen.items() if due}
