"""Deadline arithmetic, to the minute, on the right calendar.

Conventions (the usual reading of legal periods, e.g. FRCP 6(a) and EU Regulation 1182/71):

* ``hours``: exact, from the trigger instant.
* ``calendar_days`` / ``business_days`` / ``calendar_months``: the day of the trigger is not
  counted; the period ends at the end of its last day (23:59 local time in the rule's zone).
* ``business_days`` skip weekends and the calendar's holidays. Where the law says a trigger on a
  non-business day counts as occurring on the next business day (SEC Form 8-K, General
  Instruction B.1), the rule sets ``start_on_business_day``.
* ``calendar_months``: the same day number N months later; when that month is shorter, its last
  day (EU Regulation 1182/71 Art. 3(2)(c)).
* DORA RTS 2025/301 Art. 5(4): a deadline that falls on a weekend or bank holiday moves to noon
  of the next working day (``roll``).

Business days come from a ``BusinessCalendar``; the domain only knows the protocol. The adapter
``candor.adapters.calendars`` backs it with the ``holidays`` library.
"""

from __future__ import annotations

import calendar as gregorian
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from candor.domain.obligations.vocabulary import Unit

END_OF_DAY = time(23, 59)
NOON = time(12, 0)
# A business-day count stops looking after this many days: no calendar has a year of holidays,
# so hitting it means the calendar is broken, not that the deadline is far away.
SEARCH_LIMIT = 366


class BusinessCalendar(Protocol):
    @property
    def code(self) -> str: ...

    def is_business_day(self, day: date) -> bool: ...


class CalendarProvider(Protocol):
    def calendar(self, code: str) -> BusinessCalendar: ...


class WeekendCalendar:
    """Monday to Friday, no holidays: the calendar of last resort and of unit tests."""

    def __init__(self, code: str = "weekends") -> None:
        self._code = code

    @property
    def code(self) -> str:
        return self._code

    def is_business_day(self, day: date) -> bool:
        return day.weekday() < 5


class WeekendCalendars:
    def calendar(self, code: str) -> BusinessCalendar:
        return WeekendCalendar(code)


def local_end_of_day(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, END_OF_DAY, tzinfo=zone).astimezone(UTC)


def next_business_day(day: date, calendar: BusinessCalendar) -> date:
    for _ in range(SEARCH_LIMIT):
        day += timedelta(days=1)
        if calendar.is_business_day(day):
            return day
    raise ValueError(f"calendar {calendar.code} has no business day within a year of {day}")


def add_months(day: date, months: int) -> date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    last = gregorian.monthrange(year, month)[1]
    return date(year, month, min(day.day, last))


def add_period(
    start: datetime,
    amount: int,
    unit: Unit,
    *,
    zone: ZoneInfo,
    calendar: BusinessCalendar,
    start_on_business_day: bool = False,
) -> datetime:
    """The instant (UTC) a period of ``amount`` ``unit`` from ``start`` ends."""
    if unit is Unit.HOURS:
        return (start + timedelta(hours=amount)).astimezone(UTC)
    local = start.astimezone(zone).date()
    if unit is Unit.CALENDAR_DAYS:
        return local_end_of_day(local + timedelta(days=amount), zone)
    if unit is Unit.CALENDAR_MONTHS:
        return local_end_of_day(add_months(local, amount), zone)
    if unit is Unit.BUSINESS_DAYS:
        day = local
        if start_on_business_day and not calendar.is_business_day(day):
            day = next_business_day(day, calendar)
        for _ in range(amount):
            day = next_business_day(day, calendar)
        return local_end_of_day(day, zone)
    raise ValueError(f"{unit} has no length")


def roll_to_noon_next_working_day(
    deadline: datetime, *, zone: ZoneInfo, calendar: BusinessCalendar
) -> datetime:
    """DORA RTS 2025/301 Art. 5(4); unchanged when the deadline is on a working day."""
    day = deadline.astimezone(zone).date()
    if calendar.is_business_day(day):
        return deadline
    return datetime.combine(next_business_day(day, calendar), NOON, tzinfo=zone).astimezone(UTC)


def year_end(moment: datetime, zone: ZoneInfo) -> datetime:
    """The last minute of the calendar year ``moment`` falls in, locally."""
    return local_end_of_day(date(moment.astimezone(zone).year, 12, 31), zone)
