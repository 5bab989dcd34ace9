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
from rollway.helpers import parse_cron

MIN_DURATION_SECONDS = 300
"""GCP's shortest scaling schedule."""

# A fixed reference week (Monday 2026-01-05, no DST change nearby) keeps the result deterministic.
_WEEK_START = datetime(2026, 1, 5)


def cron_starts(expression: str, timezone: str, start: datetime, days: int) -> list[datetime]:
    """UTC (naive) start times of a 5-field cron expression in `timezone`, from `start` for `days` days."""
    cron = parse_cron(expression)
    zone = ZoneInfo(timezone)
    found: list[datetime] = []
    for offset in range(days):
        day = start + timedelta(days=offset)
        if not cron.fires_on(day.date()):
            continue
        for hour in sorted(cron.hours):
            for minute in sorted(cron.minutes):
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
