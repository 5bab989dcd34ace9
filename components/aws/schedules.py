"""Scheduled windows on AWS: Unix cron as Application Auto Scaling `cron(...)` and resource-name slugs.

Pure helpers (no SDK), shared by the Autoscaling component and the config model, so a schedule AWS cannot
express is reported with the rest of the config before anything is registered.
"""

from __future__ import annotations

from rollway.helpers import clean_name

# Unix cron numbers days 0..7 from Sunday (7 is Sunday again); AWS numbers them 1..7, so use names instead.
_DAY_NAMES = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
# First value of minute, hour, day-of-month, month and day-of-week.
_FIELD_LOWS = (0, 0, 1, 1, 0)


def aws_cron(schedule: str) -> str:
    """A 5-field Unix cron expression as an Application Auto Scaling `cron(...)` (6 fields, with `?` and year).

    A 6-field expression is taken to be AWS syntax already. ValueError names the schedule and what AWS
    cannot express.
    """
    try:
        return _convert(schedule)
    except ValueError as exc:
        raise ValueError(f"schedule {schedule!r}: {exc}") from None


def aws_cron_problem(schedule: str) -> str | None:
    """Why AWS cannot run `schedule` (phrased as what is allowed), or None when it can."""
    try:
        _convert(schedule)
    except ValueError as exc:
        return str(exc)
    return None


def window_slug(name: str) -> str:
    """The part of a scheduled action's resource name that comes from its window's name."""
    return clean_name(name, fallback="window")


def _convert(schedule: str) -> str:
    fields = schedule.split()
    if len(fields) == 6:
        # AWS refuses a value or `*` in both day fields: one of them must be `?`.
        if "?" not in (fields[2], fields[4]):
            raise ValueError("in AWS cron syntax (6 fields) day-of-month or day-of-week must be `?`")
        return f"cron({' '.join(fields)})"
    if len(fields) != 5:
        raise ValueError("must be a cron expression with 5 fields (minute hour day-of-month month day-of-week)")
    minute, hour, day_of_month, month, day_of_week = (
        _explicit_start(text, low) for text, low in zip(fields, _FIELD_LOWS, strict=True)
    )
    if day_of_week in ("*", "?"):
        return f"cron({minute} {hour} {day_of_month} {month} ? *)"
    if day_of_month not in ("*", "?"):
        raise ValueError("sets both day-of-month and day-of-week; AWS cron accepts only one of them (make the other `*`)")
    return f"cron({minute} {hour} ? {month} {_aws_days(day_of_week)} *)"


def _explicit_start(field_text: str, low: int) -> str:
    # `*/n` starts at the field's first value in Unix cron; AWS documents steps as `start/n`, so spell it out.
    return ",".join(f"{low}/{item[2:]}" if item.startswith("*/") else item for item in field_text.split(","))


def _aws_days(field_text: str) -> str:
    parts: list[str] = []
    for token in field_text.split(","):
        if "/" in token:
            raise ValueError("steps (/) in day-of-week are not supported by AWS cron; list the days instead")
        if "-" in token:
            start, end = (_day(part) for part in token.split("-", 1))
            if end == 7 and start == 0:
                parts.append("SUN-SAT")
            elif end == 7:
                # 5-7 is Friday..Sunday; AWS ranges do not wrap past Saturday.
                parts.append(f"{_DAY_NAMES[start]}-SAT,SUN")
            else:
                parts.append(f"{_DAY_NAMES[start]}-{_DAY_NAMES[end]}")
        else:
            parts.append(_DAY_NAMES[_day(token)])
    return ",".join(parts)


def _day(token: str) -> int:
    upper = token.upper()
    if upper.isdigit() and 0 <= int(upper) <= 7:
        return int(upper)
    if upper in _DAY_NAMES:
        return _DAY_NAMES.index(upper)
    raise ValueError(f"{token!r} is not a day of the week (0-7 or SUN-SAT)")
