"""Simulated incident time in a tabletop: 96 hours in 60 minutes, so minute 45 is simulated +72 h.
An obligation is met when it was filed (or counsel approved it as not required) by its deadline in
simulated time; the deadline is the trigger mapped plus the period the engine computed."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from candor.domain.obligations.tracking import Determination, Filing, TrackedObligation, Tracking
from candor.domain.simulated_time import SimulatedClock, deadlines_met, hours
from tests.unit.obligations.test_reminders import obligation as reminders_obligation

START = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
CLOCK = SimulatedClock(START, real_minutes=60, simulated_hours=96)
AWARE = START + timedelta(minutes=5)  # simulated +8 h
GDPR = timedelta(hours=72)  # so the deadline is simulated +80 h: real minute 50


def minute(m: float) -> datetime:
    return START + timedelta(minutes=m)


def obligation(
    seq: int = 2, *, period: timedelta = GDPR, kind: str = "notice", **changes: object
) -> TrackedObligation:
    """A regulator's notice due ``period`` after awareness (``period`` from the trigger)."""
    made = reminders_obligation()
    computed = replace(made.computed, kind=kind, deadline=AWARE + period, trigger_at=AWARE)
    return replace(made, id=uuid.UUID(int=seq), seq=seq, computed=computed, **changes)  # type: ignore[arg-type]


def filed(at: datetime, seq: int = 2, **changes: object) -> TrackedObligation:
    filing = Filing(at=at, by="erin", reference="DPC-1", attachment="", recorded_at=at)
    return obligation(seq, state=Tracking.FILED, filing=filing, **changes)


def not_required(approved_at: datetime, seq: int = 2) -> TrackedObligation:
    determination = Determination(
        text="no risk to the people concerned",
        proposed_by="bob",
        proposed_at=approved_at - timedelta(minutes=2),
        approved_by="erin",
        approved_at=approved_at,
    )
    return obligation(seq, state=Tracking.NOT_REQUIRED, determination=determination)


def test_the_clock_stretches_time_after_the_start_only() -> None:
    assert CLOCK.scale == 96
    assert CLOCK.elapsed(minute(45)) == timedelta(hours=72)
    assert CLOCK.elapsed(minute(60)) == CLOCK.horizon == timedelta(hours=96)
    # what the story puts before the exercise happened that long before it, not 96 times longer
    assert CLOCK.elapsed(START - timedelta(hours=4)) == timedelta(hours=-4)
    assert hours(timedelta(hours=70)) == "+70 h" and hours(timedelta(minutes=-90)) == "-1.5 h"


def test_the_deadline_keeps_the_period_the_engine_computed() -> None:
    # aware on a Friday evening; the engine counted two business days to Tuesday 17:00 (the
    # weekend and a Monday holiday skipped): that whole period stands, from the mapped trigger
    friday = minute(10)
    tuesday = friday + timedelta(days=3, hours=22)
    assert CLOCK.deadline(friday, tuesday) == timedelta(hours=16) + timedelta(days=3, hours=22)
    assert CLOCK.deadline(None, minute(30)) == timedelta(hours=48)


def test_filed_within_simulated_time_is_met_with_the_simulated_times() -> None:
    seen = deadlines_met([filed(minute(43.75))], now=minute(60), clock=CLOCK)
    assert seen.measured and seen.at == minute(43.75)
    assert "#2 filed at simulated +70 h, deadline +80 h" in seen.detail


def test_filed_exactly_at_the_simulated_deadline_is_met() -> None:
    seen = deadlines_met([filed(minute(50))], now=minute(60), clock=CLOCK)
    assert seen.at == minute(50) and "filed at simulated +80 h, deadline +80 h" in seen.detail


def test_filed_after_the_simulated_deadline_is_late() -> None:
    on_time, late = filed(minute(20), seq=1), filed(minute(51), seq=2)
    seen = deadlines_met([on_time, late], now=minute(60), clock=CLOCK)
    assert seen.measured and seen.at is None
    assert "late in simulated time: #2 filed at simulated +81.6 h, deadline +80 h" in seen.detail


def test_counsel_approving_not_required_in_time_counts_as_met() -> None:
    seen = deadlines_met(
        [not_required(minute(40), seq=1), filed(minute(45), seq=2)], now=minute(60), clock=CLOCK
    )
    assert seen.at == minute(45) and seen.detail.startswith("all 2 met in simulated time")
    assert "#1 approved not required at simulated +64 h, deadline +80 h" in seen.detail
    # a proposal counsel has not approved is still open
    proposed = obligation(
        state=Tracking.NOT_REQUIRED_PROPOSED,
        determination=Determination("no risk", "bob", minute(30)),
    )
    assert deadlines_met([proposed], now=minute(40), clock=CLOCK).at is None


def test_still_open_is_not_done_and_says_whether_its_deadline_passed() -> None:
    before = deadlines_met([obligation()], now=minute(30), clock=CLOCK)
    assert before.measured and before.at is None
    assert before.detail == "1 still open (simulated now +48 h): #2 deadline +80 h"
    after = deadlines_met([obligation()], now=minute(55), clock=CLOCK)
    assert after.at is None
    assert after.detail.startswith("late in simulated time: #2 still open, deadline +80 h passed")


def test_what_falls_due_after_the_simulated_time_is_not_scored() -> None:
    thirty_days = obligation(seq=3, period=timedelta(days=30))
    seen = deadlines_met([filed(minute(45)), thirty_days], now=minute(60), clock=CLOCK)
    assert seen.at == minute(45)
    assert seen.detail.endswith("; 1 due after the simulated +96 h not scored")
    only = deadlines_met([thirty_days], now=minute(60), clock=CLOCK)
    assert not only.measured and "no obligation falls due within the simulated +96 h" in only.detail
    # done anyway, it counts
    early = replace(filed(minute(30), seq=3), computed=thirty_days.computed)
    assert deadlines_met([early], now=minute(60), clock=CLOCK).at == minute(30)


def test_record_keeping_duties_and_dropped_obligations_are_left_out() -> None:
    record = obligation(seq=4, kind="record", period=timedelta(days=5 * 365))
    dropped = obligation(seq=5, active=False)
    seen = deadlines_met([filed(minute(45)), record, dropped], now=minute(60), clock=CLOCK)
    assert seen.at == minute(45) and seen.detail.startswith("all 1 met")
    assert deadlines_met([], now=minute(60), clock=CLOCK).detail == "no obligations computed"


def test_without_a_clock_real_filings_meet_real_deadlines() -> None:
    # minute 51 is long past simulated +80 h, but in real time the 72 hours are far away
    seen = deadlines_met([filed(minute(51))], now=minute(60))
    assert seen.at == minute(51) and seen.detail.startswith("all 1 met; the last at")
    late = deadlines_met([filed(AWARE + GDPR + timedelta(seconds=1))], now=minute(60))
    assert late.at is None and late.detail == "met after the deadline: #2"
    # counsel's "not required" after the deadline is late too, as on the simulated clock
    approved = deadlines_met([not_required(AWARE + GDPR + timedelta(hours=1))], now=minute(60))
    assert approved.at is None and approved.detail == "met after the deadline: #2"
    assert deadlines_met([obligation()], now=minute(60)).detail == "1 obligation(s) still open"
