"""Business-day calendars from the ``holidays`` library, for the obligations engine.

The domain only knows ``BusinessCalendar.is_business_day(date)``; this adapter decides what a
holiday is, because that is data that changes every year (new holidays are enacted, the library
ships them) and is kept out of the pure domain on purpose.

Codes a rule file may name in ``calendar:``

* ``US``: US federal holidays (SEC EDGAR and FCC business days);
* ``US-XX``: a state's or territory's own holidays, federal ones included;
* ``CA-XX``, and any country the library supports (``IE``, ``DE`` …): that place's public holidays;
* ``BR``: Brazil's national holidays plus Carnival Monday and Tuesday and Corpus Christi, days
  the federal administration does not work (pontos facultativos), so days on which the ANPD
  counts no "dias úteis" (Lei 9.784/1999 art. 66);
* ``ECB``: TARGET2 closing days, the EU-wide fallback when no member state is known;
* ``weekends``: Monday to Friday, no holidays.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import holidays

from candor.domain.obligations.deadlines import BusinessCalendar, WeekendCalendar

# Brazil: the optional days on which federal offices are closed all day. Ash Wednesday (open
# from 14:00), Public Servant's Day (usually moved), 24 and 31 December (half days) are
# working days for counting purposes.
BR_CLOSED_OPTIONAL = ("Carnival", "Corpus Christi")


class UnknownCalendar(ValueError):
    pass


class HolidayCalendar:
    def __init__(self, code: str, closed: holidays.HolidayBase) -> None:
        self._code = code
        self._closed = closed

    @property
    def code(self) -> str:
        return self._code

    def is_business_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self._closed

    def holiday_name(self, day: date) -> str | None:
        name = self._closed.get(day)
        return str(name) if name is not None else None


class BrazilFederalCalendar(HolidayCalendar):
    def __init__(self) -> None:
        super().__init__("BR", holidays.country_holidays("BR", language="en_US"))
        self._optional = holidays.country_holidays("BR", categories=("optional",), language="en_US")

    def is_business_day(self, day: date) -> bool:
        if not super().is_business_day(day):
            return False
        name = self._optional.get(day)
        return name is None or not any(closed in str(name) for closed in BR_CLOSED_OPTIONAL)


def _build(code: str) -> BusinessCalendar:
    if code == "weekends":
        return WeekendCalendar()
    if code == "BR":
        return BrazilFederalCalendar()
    if code == "ECB":
        return HolidayCalendar("ECB", holidays.financial_holidays("XECB"))
    country, _, subdiv = code.partition("-")
    try:
        closed = holidays.country_holidays(country, subdiv=subdiv or None, language="en_US")
    except NotImplementedError:
        raise UnknownCalendar(f"no holiday calendar for {code!r}") from None
    return HolidayCalendar(code, closed)


class HolidayCalendars:
    """The ``CalendarProvider`` the CLI and services use. Calendars are built once per code;
    each computes a year's holidays the first time a date in that year is asked about."""

    def calendar(self, code: str) -> BusinessCalendar:
        return _cached(code)


@lru_cache(maxsize=256)
def _cached(code: str) -> BusinessCalendar:
    return _build(code)


def check(code: str) -> str | None:
    """None when ``code`` names a calendar this adapter provides, else why not."""
    try:
        _cached(code)
    except UnknownCalendar as exc:
        return str(exc)
    return None
