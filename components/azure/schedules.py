"""Scheduled windows in the form Azure autoscale recurrences take: weekly days, a start time, and a
Windows time zone name. Pure Python (no SDK import), so the config model can validate with it too."""

from __future__ import annotations

import re
from dataclasses import dataclass

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
_DOW_ALIASES = {"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}
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
    minute, hour, dom, month, dow = fields
    if not (_NUMBER.match(minute) and _NUMBER.match(hour)) or int(minute) > 59 or int(hour) > 23:
        raise ValueError("minute and hour must be single numbers: Azure recurrences start at one time of day")
    if dom != "*" or month != "*":
        raise ValueError("day-of-month and month must be `*`: Azure recurrences repeat weekly")
    return WeeklyRecurrence(days=_days_of_week(dow), hour=int(hour), minute=int(minute))


def _days_of_week(field_text: str) -> tuple[str, ...]:
    if field_text == "*":
        return _DAY_NAMES
    days: set[int] = set()
    for part in field_text.split(","):
        bounds = [_day_number(bound) for bound in part.split("-")]
        if len(bounds) == 1:
            days.add(bounds[0])
        elif len(bounds) == 2 and bounds[0] <= bounds[1]:
            days.update(range(bounds[0], bounds[1] + 1))
        else:
            raise ValueError(f"day-of-week `{part}` is not a day, list or ascending range")
    return tuple(_DAY_NAMES[day] for day in sorted({day % 7 for day in days}))


def _day_number(text: str) -> int:
    lowered = text.lower()
    if lowered in _DOW_ALIASES:
        return _DOW_ALIASES[lowered]
    if _NUMBER.match(text) and int(text) <= 7:
        return int(text)
    raise ValueError(f"day-of-week `{text}` is not 0-7 or a day name")


def windows_time_zone(iana: str) -> str:
    """Windows time zone name for an IANA one; raises ValueError for zones not in WINDOWS_TIME_ZONES."""
    try:
        return WINDOWS_TIME_ZONES[iana]
    except KeyError:
        known = ", ".join(sorted(WINDOWS_TIME_ZONES))
        raise ValueError(f"has no Azure (Windows) time zone name Rollway knows; use one of: {known}") from None
