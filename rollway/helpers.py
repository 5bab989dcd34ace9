"""Shared pure helpers every layer may import: colors, weight split, cron, names, sizes.

One place for each rule, so the config model, the components, the policies, the rollout controller and
the test kit can never disagree (a second cron parser is a bug waiting to disagree with the first).
Standard library only: importing this module loads no cloud SDK, no Pulumi, no project module.

- colors: `Color`, `COLORS`, `other_color`;
- weights: `weight_split` maps a canary percent onto a cloud's weight scale;
- cron: `parse_cron` accepts the 5-field core every cloud reads the same way (day-of-week 0-6, Sunday 0),
  `time_zone` loads an IANA zone, `cron_after`, `shortest_gap_minutes`, `window_spans` and `first_overlap` time
  windows that start at a cron;
- names: `clean_name` (one character rule, one long-name rule: cut and end with a hash of the whole name),
  `dns_label`, `label_safe`;
- sizes: `millicores`, `cpu_quantity`, `memory_quantity`;
- packages: `lazy_exports`, the one way a package `__init__` exposes its modules' names.
"""

from __future__ import annotations

import calendar
import hashlib
import importlib
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# --- colors -------------------------------------------------------------------------------------------

Color = Literal["blue", "green"]
COLORS: tuple[Color, Color] = ("blue", "green")


def other_color(color: Color) -> Color:
    """The idle color when `color` is live (and vice versa)."""
    return "green" if color == "blue" else "blue"


# --- weights ------------------------------------------------------------------------------------------


def weight_split(live_color: Color, canary_weight: int, total: int = 100) -> dict[Color, int]:
    """Map a canary percent onto a weight scale of `total` (100 for ALB/Gateway API/nginx, 1000 for GCP/AFD).

    The idle color gets round(canary_weight * total / 100) (half up), the live color the exact rest, so the
    two always sum to `total` and 0/100 percent give a full 0/total split.
    """
    if not 0 <= canary_weight <= 100:
        raise ValueError(f"canary weight must be between 0 and 100, got {canary_weight}")
    if total <= 0:
        raise ValueError(f"weight total must be positive, got {total}")
    idle = (canary_weight * total * 2 + 100) // 200
    return {live_color: total - idle, other_color(live_color): idle}


# --- cron ---------------------------------------------------------------------------------------------

FIELD_NAMES = ("minute", "hour", "day-of-month", "month", "day-of-week")
TIME_ZONE_MESSAGE = "must be an IANA time zone such as Europe/Berlin"

_MONTHS = {name.upper(): index for index, name in enumerate(calendar.month_abbr) if name}
_DAYS = {name: index for index, name in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"))}
_NUMBER = re.compile(r"[0-9]{1,2}")
# Files in the zoneinfo directory that load as zones but are no IANA zone name any cloud accepts.
_NOT_IANA_ZONES = frozenset({"localtime", "posixrules", "Factory"})
_NOT_IANA_PREFIXES = ("posix/", "right/")


class CronError(ValueError):
    """A cron expression Rollway cannot use on every cloud; the message names the field and the fix."""


@dataclass(frozen=True)
class _FieldSpec:
    name: str
    low: int
    high: int
    names: Mapping[str, int] = field(default_factory=dict)
    names_hint: str = ""

    @property
    def max_step(self) -> int:
        # A larger step picks one value only: almost certainly a typo (e.g. `*/61` for `*/15`).
        return self.high - self.low

    def describe(self) -> str:
        hint = f" or a name ({self.names_hint})" if self.names else ""
        return f"a number ({self.low}-{self.high}){hint}"


_SPECS = (
    _FieldSpec("minute", 0, 59),
    _FieldSpec("hour", 0, 23),
    _FieldSpec("day-of-month", 1, 31),
    _FieldSpec("month", 1, 12, _MONTHS, "JAN-DEC"),
    # 0-6 only: Kubernetes CronJobs (Go cron) refuse 7 for Sunday, which classic cron allows.
    _FieldSpec("day-of-week", 0, 6, _DAYS, "SUN-SAT"),
)


@dataclass(frozen=True)
class CronSchedule:
    """A parsed 5-field cron expression (the form every cloud's dialect can express)."""

    expression: str
    """The expression as written."""
    fields: tuple[str, str, str, str, str]
    """The five fields as written: minute, hour, day-of-month, month, day-of-week."""
    minutes: frozenset[int]
    """Minutes of the hour it fires at, 0-59."""
    hours: frozenset[int]
    """Hours of the day it fires at, 0-23."""
    days_of_month: frozenset[int]
    """Days of the month it fires on, 1-31 (every day when day-of-month is `*`)."""
    months: frozenset[int]
    """Months it fires in, 1 (January) to 12."""
    days_of_week: frozenset[int]
    """Days of the week it fires on, 0 (Sunday) to 6 (Saturday)."""

    @property
    def restricts_day_of_month(self) -> bool:
        """Whether day-of-month is anything but `*` (then day-of-week is `*`)."""
        return self.fields[2] != "*"

    @property
    def restricts_day_of_week(self) -> bool:
        """Whether day-of-week is anything but `*` (then day-of-month is `*`)."""
        return self.fields[4] != "*"

    def fires_on(self, day: date) -> bool:
        """Whether it fires at some time of `day` (a local date in the window's time zone)."""
        return day.month in self.months and day.day in self.days_of_month and (day.isoweekday() % 7) in self.days_of_week


def parse_cron(expression: str) -> CronSchedule:
    """Parse a 5-field cron expression; raises CronError naming the offending field."""
    parts = expression.split()
    if len(parts) != len(_SPECS):
        raise CronError(
            f"must be a cron expression with 5 fields (minute hour day-of-month month day-of-week), found {len(parts)}"
        )
    minute, hour, day_of_month, month, day_of_week = parts
    values = [_parse_field(text, spec) for text, spec in zip(parts, _SPECS, strict=True)]
    if day_of_month != "*" and day_of_week != "*":
        raise CronError(
            f"restricts both day-of-month (`{day_of_month}`) and day-of-week (`{day_of_week}`); restrict one and "
            "leave the other `*` (clouds disagree on how the two combine)"
        )
    schedule = CronSchedule(
        expression=expression,
        fields=(minute, hour, day_of_month, month, day_of_week),
        minutes=values[0],
        hours=values[1],
        days_of_month=values[2],
        months=values[3],
        days_of_week=values[4],
    )
    if not any(day <= _longest_month(month_number) for month_number in schedule.months for day in schedule.days_of_month):
        raise CronError(f"never fires: no month in `{month}` has day `{day_of_month}`; pick days that exist in those months")
    return schedule


MINUTES_PER_DAY = 24 * 60
# Eight years from a leap year: every schedule that fires at all fires at least twice in them (29 February too).
_GAP_SCAN_START = date(2024, 1, 1)
_GAP_SCAN_DAYS = 8 * 366


def daily_start(schedule: CronSchedule) -> tuple[int, int]:
    """(hour, minute) of a schedule that starts once a day at one time; CronError when it has several."""
    if len(schedule.hours) != 1 or len(schedule.minutes) != 1:
        raise CronError(
            f"`{schedule.expression}` must start at one time of day (a single minute and a single hour), "
            "so each start has one end"
        )
    return next(iter(schedule.hours)), next(iter(schedule.minutes))


def cron_after(expression: str, minutes: int) -> str:
    """The cron expression that fires `minutes` after each time `expression` fires: where a window that starts at
    `expression` and lasts `minutes` ends (read in the same time zone, so local wall-clock time).

    Only for schedules starting once a day at one time (`daily_start`). An end on a later day moves the days of
    the week, so it needs day-of-month and month `*`. Raises CronError saying which of these does not hold.
    """
    schedule = parse_cron(expression)
    hour, minute = daily_start(schedule)
    if minutes < 0:
        raise CronError(f"a shift must not be negative: {minutes}")
    days, end = divmod(hour * 60 + minute + minutes, MINUTES_PER_DAY)
    _, _, day_of_month, month, day_of_week = schedule.fields
    if days and (day_of_month != "*" or month != "*"):
        raise CronError(
            f"`{expression}` restricts day-of-month or month, so a window ending on a later day has no cron to end it "
            "(a month end would be skipped); restrict days of the week only, or end it the same day"
        )
    if days and day_of_week != "*":
        shifted = sorted({(day + days) % 7 for day in schedule.days_of_week})
        day_of_week = "*" if len(shifted) == 7 else ",".join(str(day) for day in shifted)
    return f"{end % 60} {end // 60} {day_of_month} {month} {day_of_week}"


def shortest_gap_minutes(expression: str) -> int | None:
    """Fewest minutes between two starts of a schedule that starts once a day at one time (`daily_start`);
    None when it starts only once in eight years (then nothing follows a start)."""
    schedule = parse_cron(expression)
    daily_start(schedule)
    previous: date | None = None
    shortest: int | None = None
    for day in _firing_days(schedule):
        if previous is not None:
            gap = (day - previous).days * MINUTES_PER_DAY
            shortest = gap if shortest is None else min(shortest, gap)
            if shortest == MINUTES_PER_DAY:
                break
        previous = day
    return shortest


def window_spans(expression: str, minutes: int, zone: str) -> list[tuple[datetime, datetime]]:
    """(start, end) in UTC of every window that starts at `expression` (read in IANA zone `zone`, once a day at one
    time: `daily_start`) and lasts `minutes` of local wall-clock time, over eight years from 2024: enough for any
    two windows' relation, 29 February included. Daylight saving time moves the UTC instants."""
    schedule = parse_cron(expression)
    hour, minute = daily_start(schedule)
    local = time_zone(zone)
    spans: list[tuple[datetime, datetime]] = []
    for day in _firing_days(schedule):
        start = datetime(day.year, day.month, day.day, hour, minute, tzinfo=local)
        spans.append((start.astimezone(UTC), (start + timedelta(minutes=minutes)).astimezone(UTC)))
    return spans


def _firing_days(schedule: CronSchedule) -> Iterator[date]:
    """The days `schedule` fires on in the eight years scanned from 2024, in order."""
    for offset in range(_GAP_SCAN_DAYS):
        day = _GAP_SCAN_START + timedelta(days=offset)
        if schedule.fires_on(day):
            yield day


def first_overlap(windows: Mapping[int, list[tuple[datetime, datetime]]]) -> tuple[int, int, datetime] | None:
    """The first time two different windows (their `window_spans`, by index) overlap or touch (one ends the minute the
    other starts): (earlier window, later window, when the later one starts); None when they never do. Each
    window's own spans must not overlap one another."""
    ordered = sorted((start, end, index) for index, spans in windows.items() for start, end in spans)
    latest: tuple[datetime, int] | None = None
    for start, end, index in ordered:
        if latest is not None and start <= latest[0] and latest[1] != index:
            return latest[1], index, start
        if latest is None or end > latest[0]:
            latest = (end, index)
    return None


def _longest_month(month: int) -> int:
    # A leap year: February 29 does come round.
    return calendar.monthrange(2028, month)[1]


def _field_error(spec: _FieldSpec, text: str, problem: str) -> CronError:
    return CronError(f"{spec.name} field `{text}`: {problem}")


def _parse_field(text: str, spec: _FieldSpec) -> frozenset[int]:
    if "?" in text:
        raise _field_error(spec, text, "`?` is AWS-only syntax; use `*`")
    values: set[int] = set()
    for item in text.split(","):
        body, slash, step_text = item.partition("/")
        step = 1
        if slash:
            if not _NUMBER.fullmatch(step_text):
                raise _field_error(spec, text, f"step `{step_text}` must be a whole number between 1 and {spec.max_step}")
            step = int(step_text)
            if not 1 <= step <= spec.max_step:
                raise _field_error(spec, text, f"step {step} must be between 1 and {spec.max_step}")
        if body == "*":
            start, end = spec.low, spec.high
        elif "-" in body:
            first, _, last = body.partition("-")
            start, end = _value(first, spec, text), _value(last, spec, text)
            if start > end:
                raise _field_error(spec, text, f"range `{body}` must run from low to high (ranges do not wrap around)")
        else:
            start = _value(body, spec, text)
            # `a/n` means from a to the end of the field, stepping n (as in Vixie and Go cron).
            end = spec.high if slash else start
        values.update(range(start, end + 1, step))
    return frozenset(values)


def _value(token: str, spec: _FieldSpec, text: str) -> int:
    if _NUMBER.fullmatch(token):
        number = int(token)
        if spec.low <= number <= spec.high:
            return number
        raise _field_error(spec, text, f"{number} is outside {spec.low}-{spec.high}")
    named = spec.names.get(token.upper())
    if named is not None:
        return named
    shown = f"`{token}`" if token else "an empty value"
    raise _field_error(spec, text, f"{shown} is not {spec.describe()}")


def time_zone(name: str) -> ZoneInfo:
    """The IANA time zone `name`; raises ValueError(TIME_ZONE_MESSAGE) when it is not one."""
    if name in _NOT_IANA_ZONES or name.startswith(_NOT_IANA_PREFIXES):
        raise ValueError(TIME_ZONE_MESSAGE)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        # ValueError: not a relative zone path (e.g. `/etc/localtime`, `../x`) or not a zone file.
        raise ValueError(TIME_ZONE_MESSAGE) from None


# --- names --------------------------------------------------------------------------------------------

NAME_HASH_CHARS = 8
"""Hex digits of the hash a shortened name ends with."""


def clean_name(text: str, *, limit: int = 63, allowed: str = "a-z0-9-", fallback: str = "x", letter_first: bool = False) -> str:
    """`text` lowercased, every run of characters outside `allowed` replaced by `-`, `-`/`_` trimmed at the ends.

    A name that fits `limit` is returned whole. A longer one is cut and ends with `-<hash>` of the whole
    cleaned name, so two long names differing only past the cut stay distinct (and deterministic).
    `letter_first` prefixes `x-` when the name would not start with a letter (RFC 1035 names).
    """
    cleaned = re.sub(f"[^{allowed}]+", "-", text.lower()).strip("-_")
    if not cleaned:
        cleaned = fallback
    if letter_first and not cleaned[0].isalpha():
        cleaned = f"x-{cleaned}"
    if len(cleaned) <= limit:
        return cleaned
    digest = hashlib.sha256(cleaned.encode()).hexdigest()[:NAME_HASH_CHARS]
    return f"{cleaned[: limit - NAME_HASH_CHARS - 1].rstrip('-_')}-{digest}"


def dns_label(*parts: str, limit: int = 63) -> str:
    """Join parts into a DNS label (lowercase alphanumerics and `-`) of at most `limit` characters.

    The first part (the service name) comes first, so shortened names stay recognisable.
    """
    cleaned = [re.sub(r"[^a-z0-9-]+", "-", part.lower()).strip("-") for part in parts]
    return clean_name("-".join(part for part in cleaned if part), limit=limit)


def label_safe(text: str) -> str:
    """A label key or value (GCP labels, Kubernetes label values): lowercase, `[a-z0-9_-]`, at most 63."""
    return clean_name(text, allowed="a-z0-9_-")


# --- sizes --------------------------------------------------------------------------------------------


def millicores(vcpus: float) -> int:
    """vCPUs in millicores (0.25 -> 250), exact for any config value."""
    return round(vcpus * 1000)


def cpu_quantity(vcpus: float) -> str:
    """vCPUs as a Kubernetes quantity in millicores (0.25 -> `250m`)."""
    return f"{millicores(vcpus)}m"


def memory_quantity(mebibytes: int) -> str:
    """MiB as a Kubernetes quantity (512 -> `512Mi`)."""
    return f"{mebibytes}Mi"


# --- packages -----------------------------------------------------------------------------------------


def lazy_exports(package: str, module_of: Mapping[str, str]) -> Callable[[str], Any]:
    """A package's module `__getattr__` (PEP 562) that imports `<package>.<module>` on first use of a name.

    Every package `__init__` in Rollway is written this way: importing a package loads nothing, so e.g. the
    config model can use a cloud's pure helpers without loading that cloud's SDK.
    """

    def __getattr__(name: str) -> Any:
        module = module_of.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{package}.{module}"), name)

    return __getattr__
