"""How often something recurs during an incident, by severity, as data with defaults.

Two cadences use it: reviewing the findings inbox (every 4 hours by default, every hour for SEV1
and every 2 hours for SEV2) and internal status reports (hourly for SEV1, every 4 hours for SEV2,
daily for SEV3, none scheduled for SEV4). An incident may override its interval, e.g. a SEV3 that
counsel wants reviewed hourly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from candor.domain.errors import InvalidInput, Problem
from candor.domain.vocabulary import Severity

MIN_INTERVAL = timedelta(minutes=5)
MAX_INTERVAL = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class Cadence:
    default: timedelta | None  # None: nothing is scheduled
    by_severity: tuple[tuple[Severity, timedelta | None], ...] = ()

    def every(self, severity: Severity, *, override: timedelta | None = None) -> timedelta | None:
        if override is not None:
            return check_interval(override, field="cadence")
        for sev, interval in self.by_severity:
            if sev is severity:
                return interval
        return self.default


def check_interval(value: timedelta, *, field: str) -> timedelta:
    if not MIN_INTERVAL <= value <= MAX_INTERVAL:
        raise InvalidInput(
            Problem(
                f"must be between {MIN_INTERVAL} and {MAX_INTERVAL}",
                field=field,
                hint="e.g. 2 hours",
            )
        )
    return value


REVIEW_CADENCE = Cadence(
    default=timedelta(hours=4),
    by_severity=((Severity.SEV1, timedelta(hours=1)), (Severity.SEV2, timedelta(hours=2))),
)

STATUS_REPORT_CADENCE = Cadence(
    default=None,
    by_severity=(
        (Severity.SEV1, timedelta(hours=1)),
        (Severity.SEV2, timedelta(hours=4)),
        (Severity.SEV3, timedelta(hours=24)),
    ),
)
