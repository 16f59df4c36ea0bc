"""How times, spans and deadline margins read in reports, charts and pages: one wording for all."""

from __future__ import annotations

from datetime import datetime, timedelta

from candor.domain.metrics import ObligationState


def when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "—"


def duration(value: timedelta | None) -> str:
    """``1 d 2 h``, ``3 h 05 min``, ``12 min``; negative spans read ``−1 h 10 min``."""
    if value is None:
        return "—"
    sign = "−" if value < timedelta(0) else ""
    minutes = int(abs(value).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        text = f"{days} d {hours} h" if hours else f"{days} d"
    elif hours:
        text = f"{hours} h {mins:02d} min" if mins else f"{hours} h"
    else:
        text = f"{mins} min"
    return sign + text


def margin(value: timedelta | None, state: ObligationState) -> str:
    if value is None:
        return "—"
    if state is ObligationState.MISSED or value < timedelta(0):
        return f"late by {duration(abs(value))}"
    if state is ObligationState.PENDING:
        return f"{duration(value)} left"
    return f"{duration(value)} to spare"
