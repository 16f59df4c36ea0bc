"""Deadline arithmetic: exact hours, days ending at the end of the local day, business days on
the right calendar, calendar months, DORA's noon roll."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from candor.adapters.calendars import HolidayCalendars
from candor.domain.obligations.deadlines import (
    WeekendCalendar,
    add_months,
    add_period,
    roll_to_noon_next_working_day,
    year_end,
)
from candor.domain.obligations.vocabulary import Unit
from tests.unit.obligations.support import Holidays

NY = ZoneInfo("America/New_York")
LA = ZoneInfo("America/Los_Angeles")
SAO_PAULO = ZoneInfo("America/Sao_Paulo")
DUBLIN = ZoneInfo("Europe/Dublin")
CALENDARS = HolidayCalendars()


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def local(text: str, zone: ZoneInfo) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=zone).astimezone(UTC)


def test_hours_are_exact_and_ignore_weekends_and_daylight_saving() -> None:
    # 72 hours across the US spring-forward night (2026-03-08) are 72 real hours: the local
    # clock reads an hour later than the start's 10:00
    start = local("2026-03-07T10:00", NY)
    due = add_period(start, 72, Unit.HOURS, zone=NY, calendar=WeekendCalendar())
    assert due == utc("2026-03-10T15:00:00+00:00")
    assert due.astimezone(NY).isoformat() == "2026-03-10T11:00:00-04:00"


def test_calendar_days_end_at_the_end_of_the_last_local_day() -> None:
    start = utc("2026-03-02T14:00:00+00:00")  # 06:00 in Los Angeles
    due = add_period(start, 30, Unit.CALENDAR_DAYS, zone=LA, calendar=WeekendCalendar())
    assert due.astimezone(LA).isoformat() == "2026-04-01T23:59:00-07:00"


def test_the_local_date_of_the_trigger_counts_not_the_utc_date() -> None:
    # 03:00 UTC on 3 March is still 2 March in Los Angeles: day 1 is 3 March there
    start = utc("2026-03-03T03:00:00+00:00")
    due = add_period(start, 1, Unit.CALENDAR_DAYS, zone=LA, calendar=WeekendCalendar())
    assert due.astimezone(LA).date() == date(2026, 3, 3)


def test_calendar_days_do_not_skip_weekends() -> None:
    start = local("2026-03-06T12:00", LA)  # a Friday
    due = add_period(start, 1, Unit.CALENDAR_DAYS, zone=LA, calendar=WeekendCalendar())
    assert due.astimezone(LA).date() == date(2026, 3, 7)  # Saturday


def test_business_days_skip_weekends_and_the_calendars_holidays() -> None:
    friday = local("2026-06-05T09:00", NY)
    holidays = Holidays({date(2026, 6, 9)})  # the Tuesday after
    due = add_period(friday, 2, Unit.BUSINESS_DAYS, zone=NY, calendar=holidays)
    assert due.astimezone(NY).date() == date(2026, 6, 10)  # Mon, (Tue holiday), Wed


def test_business_days_from_a_weekend_trigger_count_from_the_next_business_day() -> None:
    saturday = local("2026-06-06T09:00", NY)
    plain = add_period(saturday, 1, Unit.BUSINESS_DAYS, zone=NY, calendar=WeekendCalendar())
    sec = add_period(
        saturday,
        1,
        Unit.BUSINESS_DAYS,
        zone=NY,
        calendar=WeekendCalendar(),
        start_on_business_day=True,
    )
    assert plain.astimezone(NY).date() == date(2026, 6, 8)  # Monday is day 1
    assert sec.astimezone(NY).date() == date(2026, 6, 9)  # treated as Monday; day 1 Tuesday


def test_sec_four_business_days_across_thanksgiving() -> None:
    us = CALENDARS.calendar("US")
    determined = local("2026-11-23T16:00", NY)  # Monday before Thanksgiving (Thu 26 Nov)
    due = add_period(
        determined, 4, Unit.BUSINESS_DAYS, zone=NY, calendar=us, start_on_business_day=True
    )
    # Tue 24 (1), Wed 25 (2), Thu 26 Thanksgiving, Fri 27 (3), Mon 30 (4)
    assert due.astimezone(NY).isoformat() == "2026-11-30T23:59:00-05:00"


def test_sec_four_business_days_across_christmas() -> None:
    us = CALENDARS.calendar("US")
    determined = local("2026-12-22T11:00", NY)
    due = add_period(
        determined, 4, Unit.BUSINESS_DAYS, zone=NY, calendar=us, start_on_business_day=True
    )
    # Wed 23 (1), Thu 24 (2: Christmas Eve is a working day), Fri 25 Christmas, Mon 28 (3),
    # Tue 29 (4)
    assert due.astimezone(NY).date() == date(2026, 12, 29)


def test_state_calendar_has_the_states_own_holidays() -> None:
    # California closes on the day after Thanksgiving; the federal calendar does not
    friday = date(2026, 11, 27)
    assert not CALENDARS.calendar("US-CA").is_business_day(friday)
    assert CALENDARS.calendar("US").is_business_day(friday)


def test_brazil_three_working_days_across_carnival() -> None:
    br = CALENDARS.calendar("BR")
    known = local("2026-02-13T10:00", SAO_PAULO)  # Friday before Carnival (16-17 Feb 2026)
    due = add_period(known, 3, Unit.BUSINESS_DAYS, zone=SAO_PAULO, calendar=br)
    # Mon 16 and Tue 17 Carnival, Wed 18 (1: Ash Wednesday opens at 14:00), Thu 19 (2), Fri 20
    assert due.astimezone(SAO_PAULO).isoformat() == "2026-02-20T23:59:00-03:00"
    weekends_only = add_period(
        known, 3, Unit.BUSINESS_DAYS, zone=SAO_PAULO, calendar=WeekendCalendar()
    )
    assert weekends_only.astimezone(SAO_PAULO).date() == date(2026, 2, 18)


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 1, 15), 1, date(2026, 2, 15)),
        (date(2026, 1, 31), 1, date(2026, 2, 28)),  # shorter month: its last day
        (date(2028, 1, 31), 1, date(2028, 2, 29)),  # leap year
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        (date(2026, 12, 31), 1, date(2027, 1, 31)),
        (date(2026, 3, 31), 24, date(2028, 3, 31)),
    ],
)
def test_calendar_months(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


def test_calendar_months_end_at_the_end_of_the_day() -> None:
    start = local("2026-01-31T08:00", DUBLIN)
    due = add_period(start, 1, Unit.CALENDAR_MONTHS, zone=DUBLIN, calendar=WeekendCalendar())
    assert due.astimezone(DUBLIN).isoformat() == "2026-02-28T23:59:00+00:00"


def test_noon_roll_moves_a_weekend_deadline_to_noon_of_the_next_working_day() -> None:
    ireland = CALENDARS.calendar("IE")
    saturday = local("2026-03-07T02:00", DUBLIN)
    rolled = roll_to_noon_next_working_day(saturday, zone=DUBLIN, calendar=ireland)
    assert rolled.astimezone(DUBLIN).isoformat() == "2026-03-09T12:00:00+00:00"


def test_noon_roll_skips_a_bank_holiday_and_keeps_a_working_day() -> None:
    ireland = CALENDARS.calendar("IE")
    patricks_day = local("2026-03-17T09:00", DUBLIN)  # a Tuesday, a public holiday
    rolled = roll_to_noon_next_working_day(patricks_day, zone=DUBLIN, calendar=ireland)
    assert rolled.astimezone(DUBLIN).isoformat() == "2026-03-18T12:00:00+00:00"
    monday = local("2026-03-16T09:00", DUBLIN)
    assert roll_to_noon_next_working_day(monday, zone=DUBLIN, calendar=ireland) == monday


def test_year_end_is_the_last_local_minute_of_the_year() -> None:
    moment = utc("2027-01-01T03:00:00+00:00")  # still 2026 in New York
    assert year_end(moment, NY).astimezone(NY).isoformat() == "2026-12-31T23:59:00-05:00"


@pytest.mark.parametrize(
    "unit", [Unit.HOURS, Unit.CALENDAR_DAYS, Unit.BUSINESS_DAYS, Unit.CALENDAR_MONTHS]
)
def test_zero_or_more_never_ends_before_the_start(unit: Unit) -> None:
    start = local("2026-05-01T22:30", NY)
    for amount in (0, 1, 5):
        assert add_period(start, amount, unit, zone=NY, calendar=WeekendCalendar()) >= start


def test_none_has_no_length() -> None:
    with pytest.raises(ValueError, match="no length"):
        add_period(
            utc("2026-01-01T00:00:00+00:00"), 1, Unit.NONE, zone=NY, calendar=WeekendCalendar()
        )
