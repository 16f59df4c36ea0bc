"""The combined (and common) log format of Apache and nginx access logs.

``LINE_PATTERN`` is written in the regular-expression subset that Python, RE2 (DuckDB) and
Java (Spark) read alike, so the engines and ``parse_line`` (used to explain malformed lines and
as the reference in tests) agree on every line.

    203.0.113.7 - al [17/May/2015:10:05:03 +0000] "GET /a.html HTTP/1.1" 200 3891 "-" "curl/8"
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

# Explicit classes, not \\S, \\s or \\d: those differ between Python (Unicode), RE2 (no \\v)
# and Java, and every engine must split a line the same way.
_QUOTED = r'"((?:[^"\\]|\\.)*)"'
LINE_PATTERN = (
    r"^([^ ]+) ([^ ]+) ([^ ]+) \[([^\]]+)\] "
    + _QUOTED
    + r" ([0-9]{3}) ([^ ]+)(?: "
    + _QUOTED
    + " "
    + _QUOTED
    + r")? *$"
)
# groups of LINE_PATTERN
CLIENT, IDENT, USER, TIME, REQUEST, STATUS, BYTES, REFERER, USER_AGENT = range(1, 10)

_TWO = "([0-9]{2})"
TIME_PATTERN = f"^{_TWO}/([A-Za-z]{{3}})/([0-9]{{4}}):{_TWO}:{_TWO}:{_TWO} ([+-]){_TWO}{_TWO}$"
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
REQUEST_PATTERN = r"^([^ ]+) ([^ ]+)"  # method and target; the protocol may be missing

_LINE = re.compile(LINE_PATTERN)
_TIME = re.compile(TIME_PATTERN)
_REQUEST = re.compile(REQUEST_PATTERN)


@dataclass(frozen=True, slots=True)
class WebRequest:
    client: str
    user: str | None
    time: datetime
    method: str | None
    path: str | None
    status: int
    user_agent: str | None


def parse_time(text: str) -> datetime | None:
    found = _TIME.match(text)
    if not found:
        return None
    day, month, year, hour, minute, second, sign, off_h, off_m = found.groups()
    if month not in MONTHS:
        return None
    try:
        local = datetime(
            int(year),
            MONTHS.index(month) + 1,
            int(day),
            int(hour),
            int(minute),
            int(second),
            tzinfo=UTC,
        )
    except ValueError:
        return None
    offset = timedelta(hours=int(off_h), minutes=int(off_m))
    return local - offset if sign == "+" else local + offset


def split_path(target: str) -> str:
    """The path of a request target, without the query string (which may carry secrets)."""
    return target.split("?", 1)[0]


def parse_line(line: str) -> WebRequest | None:
    """One access-log line, or None when it is not in the combined or common format."""
    found = _LINE.match(line)
    if not found:
        return None
    when = parse_time(found.group(TIME))
    if when is None:
        return None
    request = _REQUEST.match(found.group(REQUEST))
    user = found.group(USER)
    agent = found.group(USER_AGENT)
    return WebRequest(
        client=found.group(CLIENT),
        user=None if user == "-" else user,
        time=when,
        method=request.group(1) if request else None,
        path=split_path(request.group(2)) if request else None,
        status=int(found.group(STATUS)),
        user_agent=None if agent in (None, "-") else agent,
    )
