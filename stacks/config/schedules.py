"""Scheduled windows' cron expressions and time zones, checked once for every cloud.

Each cloud speaks its own cron dialect (AWS 6 fields with `?`, Azure scale sets weekly recurrences,
Kubernetes and KEDA Go's cron, GCP unix-cron). Rollway accepts one common core, so a stack file means the
same thing on every cloud (a cloud may still refuse what it cannot express, e.g. Azure scale sets and
day-of-month):

- exactly 5 fields: minute hour day-of-month month day-of-week;
- each field `*`, a number, a name (JAN-DEC in month, SUN-SAT in day-of-week, any case), an ascending
  range `a-b`, a step `*/n`, `a-b/n` or `a/n` (a to the field's end), or a comma list of those;
- day-of-week 0-6 with Sunday 0 (no 7);
- day-of-month and day-of-week are never both restricted (clouds disagree on how the two combine);
- no `?`, `L`, `W`, `#` or `@daily`-style shortcuts.

The parser itself (`parse_cron`, `CronSchedule`, `time_zone`) lives in `rollway.helpers`, shared by every
layer; this module declares the pydantic field types that apply it to config values.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator

from rollway.helpers import FIELD_NAMES, TIME_ZONE_MESSAGE, CronError, CronSchedule, parse_cron, time_zone

__all__ = [
    "FIELD_NAMES",
    "TIME_ZONE_MESSAGE",
    "CronError",
    "CronExpression",
    "CronSchedule",
    "TimeZoneName",
    "parse_cron",
    "time_zone",
]


def _checked_cron(expression: str) -> str:
    parse_cron(expression)
    return expression


def _checked_time_zone(name: str) -> str:
    time_zone(name)
    return name


CronExpression = Annotated[str, AfterValidator(_checked_cron)]
"""A 5-field cron expression every cloud reads the same way (see `parse_cron`)."""

TimeZoneName = Annotated[str, AfterValidator(_checked_time_zone)]
"""An IANA time zone name, e.g. `Europe/Berlin`."""
