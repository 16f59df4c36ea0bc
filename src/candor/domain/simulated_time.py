"""Simulated incident time: an hour of tabletop standing for days of an incident.

A real breach's notification clocks run for days (GDPR's 72 hours, a state's 30 days), so a
one-hour exercise can never reach them in real time. A scenario may say how much incident time it
stands for (``simulated_hours``); the exercise then runs a clock that maps real time to simulated
time, and an obligation counts as met when it was done, in simulated time, by its deadline.

The mapping, from the moment the exercise started:

- after the start, real time is stretched by the scale (simulated minutes per real minute): with
  96 simulated hours in 60 minutes, minute 45 of the exercise is simulated +72 h;
- before the start, time is not stretched: what the story says happened at 02:14, hours before the
  customer's e-mail opened the exercise, happened that long before it in the incident too;
- an obligation still open whose simulated deadline falls after the time the exercise stands for
  (a state's 30 days in a 96-hour exercise) is not scored: it was never due during the exercise;
- a deadline is the obligation's trigger mapped to simulated time plus the period the engine
  computed (deadline − trigger, in real terms), so the business days and holidays the engine
  counted still count.

Pure: the caller gives the obligations and the moment to judge at.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from candor.domain.exercises import Exercise, Observation
from candor.domain.obligations.results import iso_utc
from candor.domain.obligations.tracking import TrackedObligation, Tracking
from candor.domain.vocabulary import require_aware

SHOWN = 8  # obligations named in a report line before "and N more"


@dataclass(frozen=True, slots=True)
class SimulatedClock:
    started_at: datetime
    real_minutes: int  # how long the exercise runs
    simulated_hours: int  # how much incident time that stands for

    def __post_init__(self) -> None:
        require_aware(self.started_at, field="started_at")
        if self.real_minutes <= 0 or self.simulated_hours <= 0:
            raise ValueError("a simulated clock needs a positive length and simulated time")

    @property
    def scale(self) -> float:
        """Simulated minutes per real minute."""
        return self.simulated_hours * 60 / self.real_minutes

    def elapsed(self, real: datetime) -> timedelta:
        """Simulated time since the start at the real moment ``real`` (negative before it)."""
        offset = require_aware(real, field="real") - self.started_at
        return offset if offset < timedelta(0) else offset * self.scale

    def deadline(self, trigger_at: datetime | None, deadline: datetime) -> timedelta:
        """A computed deadline in simulated time: the trigger mapped, plus the computed period."""
        if trigger_at is None:  # nothing to count from: the deadline itself is mapped
            return self.elapsed(deadline)
        return self.elapsed(trigger_at) + (deadline - trigger_at)

    @property
    def horizon(self) -> timedelta:
        """The simulated time the whole exercise stands for."""
        return timedelta(hours=self.simulated_hours)


def hours(offset: timedelta) -> str:
    """``+70 h``, ``+1.5 h``, ``-4 h``."""
    value = round(offset.total_seconds() / 3600, 1)
    return f"{value:+.1f}".removesuffix(".0") + " h"


def done_at(ob: TrackedObligation) -> datetime | None:
    """When the obligation was dealt with: filed, or counsel approved it as not required."""
    if ob.state is Tracking.FILED and ob.filing is not None:
        return ob.filing.at
    if ob.state is Tracking.NOT_REQUIRED and ob.determination is not None:
        return ob.determination.approved_at
    return None


def _named(parts: Sequence[str]) -> str:
    shown = "; ".join(parts[:SHOWN])
    more = len(parts) - SHOWN
    return f"{shown}; and {more} more" if more > 0 else shown


def deadlines_met(
    obligations: Sequence[TrackedObligation],
    *,
    now: datetime,
    clock: SimulatedClock | None = None,
) -> Observation:
    """Whether every obligation still triggered was done by its deadline. ``at``: when the last
    one was done, when all were on time; no ``at`` while one is open or when one was late.

    Record-keeping duties are left out: their "deadline" is how long to keep the record. Without
    a ``clock`` the real filing times are compared with the real deadlines."""
    due = [o for o in obligations if o.active and not o.computed.retention]
    if not due:
        return Observation(True, None, "no obligations computed")
    if clock is None:
        return _real(due)
    now_sim = clock.elapsed(now)
    late: list[str] = []
    open_: list[str] = []
    met: list[str] = []
    beyond: list[TrackedObligation] = []
    for ob in due:
        done, deadline = done_at(ob), ob.computed.deadline
        sim_deadline = clock.deadline(ob.computed.trigger_at, deadline) if deadline else None
        limit = f"deadline {hours(sim_deadline)}" if sim_deadline is not None else "no deadline"
        if done is None and sim_deadline is not None and sim_deadline > clock.horizon:
            beyond.append(ob)  # falls due after the time the exercise stands for
            continue
        if done is None:
            if sim_deadline is not None and now_sim > sim_deadline:
                late.append(f"#{ob.seq} still open, {limit} passed")
            else:
                open_.append(f"#{ob.seq} {limit}")
            continue
        verb = "filed" if ob.state is Tracking.FILED else "approved not required"
        line = f"#{ob.seq} {verb} at simulated {hours(clock.elapsed(done))}, {limit}"
        on_time = sim_deadline is None or clock.elapsed(done) <= sim_deadline
        (met if on_time else late).append(line)
    now_text = f"simulated now {hours(now_sim)}"
    later = (
        f"; {len(beyond)} due after the simulated {hours(clock.horizon)} not scored"
        if beyond
        else ""
    )
    skipped = {o.seq for o in beyond}
    scored = [o for o in due if o.seq not in skipped]
    if not scored:
        return Observation(
            False,
            None,
            f"not measured: no obligation falls due within the simulated {hours(clock.horizon)}",
        )
    if late:
        return Observation(
            True, None, f"late in simulated time: {_named(late)} ({now_text}){later}"
        )
    if open_:
        return Observation(
            True, None, f"{len(open_)} still open ({now_text}): {_named(open_)}{later}"
        )
    last = max(t for o in scored if (t := done_at(o)) is not None)
    return Observation(
        True, last, f"all {len(scored)} met in simulated time (the last at {iso_utc(last)}): "
        + _named(met) + later,
    )  # fmt: skip


def _real(due: Sequence[TrackedObligation]) -> Observation:
    open_ = [o for o in due if o.state.is_open]
    if open_:
        return Observation(True, None, f"{len(open_)} obligation(s) still open")
    # filed, or approved as not required, by the deadline: as on the simulated clock
    late = [
        o
        for o in due
        if (t := done_at(o)) is not None and o.computed.deadline and t > o.computed.deadline
    ]
    if late:
        names = ", ".join(f"#{o.seq}" for o in late)
        return Observation(True, None, f"met after the deadline: {names}")
    last = max(t for o in due if (t := done_at(o)) is not None)
    return Observation(True, last, f"all {len(due)} met; the last at {iso_utc(last)}")


def of_exercise(exercise: Exercise) -> SimulatedClock | None:
    """The exercise's simulated clock, when its scenario says how much incident time it is."""
    hours_ = exercise.scenario.simulated_hours
    if hours_ is None:
        return None
    return SimulatedClock(exercise.started_at, exercise.scenario.duration, hours_)
