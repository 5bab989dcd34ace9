"""Durations for GCP scaling schedules.

Rollway's scheduled windows say when a window *starts* (its capacity holds until the next window starts,
as with AWS scheduled actions); a GCP scaling schedule needs an explicit `duration_sec`. We derive it as
the shortest gap, over one week, between a window's start and the next start of any window, so a
schedule never outlasts the window that follows it.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from components.autoscaling import ScheduledCapacity

MIN_DURATION_SECONDS = 300
"""GCP's shortest scaling schedule."""

_NAMES = {
    **{name: index for index, name in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))},
    **{
        name: index + 1
        for index, name in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"))
    },
}
_FIELDS = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))
# A fixed reference week (Monday 2026-01-05, no DST change nearby) keeps the result deterministic.
_WEEK_START = datetime(2026, 1, 5)


def _values(text: str, low: int, high: int) -> set[int]:
    values: set[int] = set()
    for part in text.lower().split(","):
        body, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if body == "*":
            start, end = low, high
        elif "-" in body:
            first, last = body.split("-", 1)
            start, end = int(_NAMES.get(first, first)), int(_NAMES.get(last, last))
        else:
            start = int(_NAMES.get(body, body))
            end = high if step_text else start
        if step < 1 or not low <= start <= end <= high:
            raise ValueError(f"cron field {text!r} is out of range {low}-{high}")
        values.update(range(start, end + 1, step))
    return values


def cron_starts(expression: str, timezone: str, start: datetime, days: int) -> list[datetime]:
    """UTC (naive) start times of a 5-field cron expression in `timezone`, from `start` for `days` days."""
    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(f"cron expression {expression!r} must have 5 fields")
    minutes, hours, days_of_month, months, weekdays = (
        _values(text, low, high) for text, (low, high) in zip(fields, _FIELDS, strict=True)
    )
    weekdays = {day % 7 for day in weekdays}
    dom_restricted, dow_restricted = fields[2] != "*", fields[4] != "*"
    zone = ZoneInfo(timezone)
    found: list[datetime] = []
    for offset in range(days):
        day = start + timedelta(days=offset)
        if day.month not in months:
            continue
        dom_ok, dow_ok = day.day in days_of_month, (day.isoweekday() % 7) in weekdays
        # Classic cron: when both day fields are restricted, either one matching is enough.
        if not ((dom_ok or dow_ok) if dom_restricted and dow_restricted else (dom_ok and dow_ok)):
            continue
        for hour in sorted(hours):
            for minute in sorted(minutes):
                local = day.replace(hour=hour, minute=minute, tzinfo=zone)
                found.append(local.astimezone(ZoneInfo("UTC")).replace(tzinfo=None))
    return found


def window_durations(windows: Sequence[ScheduledCapacity]) -> dict[str, int]:
    """Seconds each window lasts: the shortest gap from its start to the next start of any window."""
    starts = {w.name: cron_starts(w.schedule, w.timezone, _WEEK_START, 15) for w in windows}
    every = sorted({moment for moments in starts.values() for moment in moments})
    week_end = _WEEK_START + timedelta(days=7)
    durations: dict[str, int] = {}
    for window in windows:
        gaps = [
            (_next_start(every, moment) - moment).total_seconds()
            for moment in starts[window.name]
            if _WEEK_START <= moment < week_end
        ]
        shortest = int(min(gaps)) if gaps else 7 * 24 * 3600
        durations[window.name] = max(MIN_DURATION_SECONDS, shortest)
    return durations


def _next_start(every: list[datetime], moment: datetime) -> datetime:
    """The first start after `moment` in the sorted `every`; a week later when none is within the scan."""
    index = bisect_right(every, moment)
    return every[index] if index < len(every) else moment + timedelta(days=7)
