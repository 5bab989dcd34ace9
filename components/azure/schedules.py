"""Scheduled windows in the forms Azure takes them. Pure Python (no SDK import), so the config model can
validate with it too.

- VM scale sets: weekly recurrences (days, one start time, a Windows time zone name), `weekly_recurrence`.
- Container Apps: KEDA `cron` rules, each active from its `start` until its `end`. A Rollway window lasts
  from when it fires until another window of the service fires, so `keda_cron_rules` works out each
  window's ends from the other windows' starts over one week (`window_spans`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from components.autoscaling import ScheduledCapacity
from rollway.helpers import parse_cron

# Azure autoscale recurrences take Windows time zone names, not IANA ones.
WINDOWS_TIME_ZONES: dict[str, str] = {
    "UTC": "UTC",
    "Etc/UTC": "UTC",
    "Europe/London": "GMT Standard Time",
    "Europe/Dublin": "GMT Standard Time",
    "Europe/Lisbon": "GMT Standard Time",
    "Europe/Berlin": "W. Europe Standard Time",
    "Europe/Amsterdam": "W. Europe Standard Time",
    "Europe/Vienna": "W. Europe Standard Time",
    "Europe/Zurich": "W. Europe Standard Time",
    "Europe/Rome": "W. Europe Standard Time",
    "Europe/Stockholm": "W. Europe Standard Time",
    "Europe/Paris": "Romance Standard Time",
    "Europe/Madrid": "Romance Standard Time",
    "Europe/Brussels": "Romance Standard Time",
    "Europe/Copenhagen": "Romance Standard Time",
    "Europe/Warsaw": "Central European Standard Time",
    "Europe/Prague": "Central Europe Standard Time",
    "Europe/Helsinki": "FLE Standard Time",
    "Europe/Athens": "GTB Standard Time",
    "America/New_York": "Eastern Standard Time",
    "America/Toronto": "Eastern Standard Time",
    "America/Chicago": "Central Standard Time",
    "America/Denver": "Mountain Standard Time",
    "America/Phoenix": "US Mountain Standard Time",
    "America/Los_Angeles": "Pacific Standard Time",
    "America/Sao_Paulo": "E. South America Standard Time",
    "Asia/Tokyo": "Tokyo Standard Time",
    "Asia/Seoul": "Korea Standard Time",
    "Asia/Shanghai": "China Standard Time",
    "Asia/Singapore": "Singapore Standard Time",
    "Asia/Kolkata": "India Standard Time",
    "Asia/Dubai": "Arabian Standard Time",
    "Australia/Sydney": "AUS Eastern Standard Time",
    "Pacific/Auckland": "New Zealand Standard Time",
}
_DAY_NAMES = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
_NUMBER = re.compile(r"^\d{1,2}$")


@dataclass(frozen=True)
class WeeklyRecurrence:
    """A cron schedule expressed the way Azure autoscale recurrences can: days of the week and a start time."""

    days: tuple[str, ...]
    hour: int
    minute: int


def weekly_recurrence(schedule: str) -> WeeklyRecurrence:
    """Parse `M H * * DOW` (DOW: `*`, numbers, names, ranges and lists) into a weekly recurrence.

    Raises ValueError naming what Azure recurrences cannot express (day-of-month, month, minute lists)."""
    fields = schedule.split()
    if len(fields) != 5:
        raise ValueError("needs 5 cron fields (minute hour day-of-month month day-of-week)")
    minute, hour, dom, month, _ = fields
    if not (_NUMBER.match(minute) and _NUMBER.match(hour)) or int(minute) > 59 or int(hour) > 23:
        raise ValueError("minute and hour must be single numbers: Azure recurrences start at one time of day")
    if dom != "*" or month != "*":
        raise ValueError("day-of-month and month must be `*`: Azure recurrences repeat weekly")
    cron = parse_cron(schedule)
    return WeeklyRecurrence(days=tuple(_DAY_NAMES[day] for day in sorted(cron.days_of_week)), hour=int(hour), minute=int(minute))


def windows_time_zone(iana: str) -> str:
    """Windows time zone name for an IANA one; raises ValueError for zones not in WINDOWS_TIME_ZONES."""
    try:
        return WINDOWS_TIME_ZONES[iana]
    except KeyError:
        known = ", ".join(sorted(WINDOWS_TIME_ZONES))
        raise ValueError(f"has no Azure (Windows) time zone name Rollway knows; use one of: {known}") from None


# --- KEDA cron windows (Container Apps) ---------------------------------------------------------------

MINUTES_PER_WEEK = 7 * 24 * 60
# A fixed reference week (Monday 2026-01-05, UTC) with no daylight saving change in common zones, so windows
# in different time zones are related at one fixed offset and the result is deterministic.
REFERENCE_WEEK = datetime(2026, 1, 5, tzinfo=ZoneInfo("UTC"))


@dataclass(frozen=True)
class KedaCronRule:
    """One KEDA cron rule: active from each `start` until the following `end`, in `timezone`."""

    window: ScheduledCapacity
    """The Rollway window this rule carries (its `min_capacity` is the rule's desired replicas)."""
    start: str
    """Cron expression of the moments the window takes effect."""
    end: str
    """Cron expression of the moments another window takes over."""
    timezone: str
    """IANA time zone both expressions are read in (the window's own)."""


def weekly_minutes(schedule: str) -> frozenset[tuple[int, int, int]]:
    """(day of week with Sunday 0, hour, minute) of every time a 5-field cron fires in a week.

    Raises ValueError when day-of-month or month is restricted: Azure repeats windows weekly."""
    fields = schedule.split()
    if len(fields) != 5:
        raise ValueError("needs 5 cron fields (minute hour day-of-month month day-of-week)")
    if fields[2] != "*" or fields[3] != "*":
        raise ValueError("day-of-month and month must be `*`: Azure repeats scheduled windows weekly")
    cron = parse_cron(schedule)
    return frozenset((day, h, m) for day in cron.days_of_week for h in cron.hours for m in cron.minutes)


def _week_minute(day: int, hour: int, minute: int, zone: ZoneInfo) -> int:
    """Minute of the reference week (UTC, from Monday 00:00) of a local day-of-week/time in `zone`."""
    local = datetime(2026, 1, 5 + (day - 1) % 7, hour, minute, tzinfo=zone)
    return int((local - REFERENCE_WEEK).total_seconds() // 60) % MINUTES_PER_WEEK


def _local(week_minute: int, zone: ZoneInfo) -> tuple[int, int, int]:
    local = (REFERENCE_WEEK + timedelta(minutes=week_minute)).astimezone(zone)
    return local.isoweekday() % 7, local.hour, local.minute


def _fire_minutes(windows: Sequence[ScheduledCapacity]) -> list[set[int]]:
    return [{_week_minute(*moment, ZoneInfo(w.timezone)) for moment in weekly_minutes(w.schedule)} for w in windows]


def _ending_minutes(fires: list[set[int]], index: int) -> set[int]:
    """Minutes at which another window fires and window `index` does not: the moments that end it."""
    return set().union(*(moments for other, moments in enumerate(fires) if other != index)) - fires[index]


def unended_windows(windows: Sequence[ScheduledCapacity]) -> list[int]:
    """Indexes of windows no other window ever ends (they fire whenever the others fire, or stand alone)."""
    fires = _fire_minutes(windows)
    return [index for index in range(len(windows)) if not _ending_minutes(fires, index)]


def window_spans(windows: Sequence[ScheduledCapacity]) -> list[list[tuple[int, int]]]:
    """Per window (in order): (start, end) minutes of the reference week during which it is in effect.

    A span starts when the window fires after another window was in effect, and ends at the next moment
    another window fires and this one does not (re-firing extends a span; windows firing at the same moment
    both apply). Raises ValueError naming a window no other window ever ends.
    """
    fires = _fire_minutes(windows)
    spans: list[list[tuple[int, int]]] = []
    for index, window in enumerate(windows):
        own, ending = fires[index], _ending_minutes(fires, index)
        if not ending:
            raise ValueError(f"window `{window.name}` never ends: no other window of the service fires at a time it does not")
        events = sorted(own | ending)
        spans.append([])
        for position, moment in enumerate(events):
            # Only a fire that follows another window's start begins a span; a re-fire extends the current one.
            if moment not in own or events[position - 1] in own:
                continue
            following = events[position + 1 :] + events[: position + 1]
            spans[-1].append((moment, next(m for m in following if m in ending)))
    return spans


def keda_cron_rules(windows: Sequence[ScheduledCapacity]) -> list[KedaCronRule]:
    """KEDA cron rules that keep each window in effect from when it fires until the next window fires.

    A KEDA cron rule is active while its next `end` comes before its next `start`, so a rule's starts and ends
    must alternate. Each window's spans are grouped by start and end time of day; a group becomes one rule
    whose expressions list exactly its days, so the usual pair (`0 7 * * 1-5`, `0 20 * * *`) becomes one rule
    per window. Raises ValueError for schedules Azure cannot repeat weekly and windows that never end.
    """
    spans = window_spans(windows)
    rules: list[KedaCronRule] = []
    for window, window_span in zip(windows, spans, strict=True):
        zone = ZoneInfo(window.timezone)
        groups: dict[tuple[int, int, int, int], tuple[set[int], set[int]]] = {}
        for start, end in window_span:
            start_day, start_hour, start_minute = _local(start, zone)
            end_day, end_hour, end_minute = _local(end, zone)
            starts, ends = groups.setdefault((start_hour, start_minute, end_hour, end_minute), (set(), set()))
            starts.add(start_day)
            ends.add(end_day)
        for (start_hour, start_minute, end_hour, end_minute), (starts, ends) in sorted(
            groups.items(), key=lambda item: (min(item[1][0]), item[0])
        ):
            rules.append(
                KedaCronRule(
                    window=window,
                    start=f"{start_minute} {start_hour} * * {_day_list(starts)}",
                    end=f"{end_minute} {end_hour} * * {_day_list(ends)}",
                    timezone=window.timezone,
                )
            )
    return rules


def _day_list(days: set[int]) -> str:
    """Cron day-of-week field for a set of days (Sunday 0): `*`, or ranges and single days, e.g. `1-5` or `0,6`."""
    if len(days) == 7:
        return "*"
    ordered = sorted(days)
    runs: list[list[int]] = []
    for day in ordered:
        if runs and day == runs[-1][-1] + 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    return ",".join(f"{run[0]}-{run[-1]}" if len(run) > 2 else ",".join(map(str, run)) for run in runs)
