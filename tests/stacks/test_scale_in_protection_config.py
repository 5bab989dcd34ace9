"""Scale-in protection windows in the stack config: field bounds, timing relations checked with the shared cron
parser, names, and what each targeted cloud cannot build; plus the shared helpers that time a window's end."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from rollway.helpers import CronError, cron_after, first_overlap, shortest_gap_minutes, window_spans
from stacks.config import ConfigError, load_stack_config

SOURCE = "Pulumi.dev.yaml"
KEY = "rollway:services.web.autoscaling.scaleInProtection"
SLOT = "/subscriptions/0/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/web-{}"
SCALE_SETS = {
    "services": {
        "web": {
            "vmScaleSets": {
                color: {"id": SLOT.format(color), "hostName": f"web-{color}.example.com"} for color in ("blue", "green")
            }
        }
    }
}
DAY_AND_NIGHT = [
    {"name": "day", "schedule": "0 7 * * *", "min": 2, "max": 4},
    {"name": "night", "schedule": "0 20 * * *", "min": 1, "max": 4},
]


def window(**fields: Any) -> dict[str, Any]:
    return {"name": "release", "schedule": "0 9 * * 2", "durationMinutes": 60, **fields}


def config(
    windows: list[dict[str, Any]], clouds: tuple[str, ...] = ("gcp",), schedules: list[dict[str, Any]] | None = None, **extra: Any
) -> dict[str, str]:
    autoscaling: dict[str, Any] = {"min": 1, "max": 4, "scaleInProtection": windows}
    if schedules:
        autoscaling["schedules"] = schedules
    values: dict[str, Any] = {
        "aws:region": "us-east-1",
        "gcp:project": "acme-dev",
        "gcp:region": "europe-west1",
        "azure-native:location": "westeurope",
        "rollway:environment": "dev",
        "rollway:clouds": list(clouds),
        "rollway:tags": {"cost-center": "cc-1", "owner": "team-a"},
        "rollway:services": {"web": {"image": {"blue": "ghcr.io/acme/web:1"}, "autoscaling": autoscaling}},
    }
    values.update({f"rollway:{key}": value for key, value in extra.items()})
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in values.items()}


def problems(values: dict[str, str]) -> list[str]:
    with pytest.raises(ConfigError) as failure:
        load_stack_config(values, (), SOURCE)
    return failure.value.render().splitlines()


def valid(values: dict[str, str]) -> Any:
    return load_stack_config(values, (), SOURCE)


# --- fields and their bounds ------------------------------------------------------------------------------


def test_a_window_is_read_with_its_defaults() -> None:
    [found] = valid(config([window()])).services["web"].autoscaling.scale_in_protection
    assert (found.name, found.schedule, found.duration_minutes, found.timezone) == ("release", "0 9 * * 2", 60, "UTC")


@pytest.mark.parametrize("minutes", [5, 10079])
def test_duration_bounds_that_fit(minutes: int) -> None:
    valid(config([window(schedule="0 0 * * 0", durationMinutes=minutes)]))


@pytest.mark.parametrize("minutes", [4, 10081, 0, -5])
def test_duration_outside_its_bounds_is_refused(minutes: int) -> None:
    assert problems(config([window(durationMinutes=minutes)])) == [
        f"{SOURCE}: {KEY}[0].durationMinutes = {minutes}: must be between 5 and 10080 minutes"
    ]


def test_a_week_long_window_never_ends_before_a_weekly_schedule_starts_it_again() -> None:
    assert problems(config([window(schedule="0 0 * * 0", durationMinutes=10080)])) == [
        f"{SOURCE}: {KEY}[0].durationMinutes = 10080: must be shorter than the 10080 minutes between two starts of "
        "`0 0 * * 0` (a window must end before it starts again)"
    ]


@pytest.mark.parametrize(("minutes", "ok"), [(1439, True), (1440, False)])
def test_a_daily_window_must_end_within_the_day(minutes: int, ok: bool) -> None:
    values = config([window(schedule="0 22 * * *", durationMinutes=minutes)])
    if ok:
        valid(values)
    else:
        assert problems(values) == [
            f"{SOURCE}: {KEY}[0].durationMinutes = 1440: must be shorter than the 1440 minutes between two starts of "
            "`0 22 * * *` (a window must end before it starts again)"
        ]


def test_the_gap_is_the_shortest_between_starts_not_a_week() -> None:
    # Monday and Wednesday: two days apart, so 2880 minutes is too long even though Wednesday to Monday is five days.
    assert problems(config([window(schedule="0 9 * * 1,3", durationMinutes=2880)]))[0].endswith(
        "must be shorter than the 2880 minutes between two starts of `0 9 * * 1,3` (a window must end before it starts again)"
    )
    valid(config([window(schedule="0 9 * * 1,3", durationMinutes=2879)]))


def test_nine_windows_fit_and_ten_are_refused() -> None:
    nine = [
        window(name=f"w{day}{hour}", schedule=f"0 {hour} * * {day}", durationMinutes=30)
        for day in (1, 2, 3)
        for hour in (1, 2, 3)
    ]
    valid(config(nine))
    [line] = problems(config([*nine, window(name="tenth")]))
    assert line.startswith(f"{SOURCE}: {KEY} = [")
    assert line.endswith(": list should have at most 9 items after validation, not 10")


@pytest.mark.parametrize("name", ["a", "x" * 40])
def test_name_lengths_that_fit(name: str) -> None:
    valid(config([window(name=name)]))


@pytest.mark.parametrize(
    ("name", "message"), [("", "string should have at least 1 character"), ("x" * 41, "string should have at most 40 characters")]
)
def test_name_length_bounds(name: str, message: str) -> None:
    assert problems(config([window(name=name)])) == [f'{SOURCE}: {KEY}[0].name = "{name}": {message}']


def test_the_schedule_is_checked_by_the_shared_cron_parser() -> None:
    [line] = problems(config([window(schedule="0 9 * *")]))
    assert line == (
        f'{SOURCE}: {KEY}[0].schedule = "0 9 * *": must be a cron expression with 5 fields '
        "(minute hour day-of-month month day-of-week), found 4"
    )


def test_an_unknown_time_zone_is_refused() -> None:
    [line] = problems(config([window(timezone="Mars/Olympus")]))
    assert line.startswith(f'{SOURCE}: {KEY}[0].timezone = "Mars/Olympus": must be an IANA time zone')


def test_the_schedules_time_zone_key_is_spelled_as_scheduled_windows_spell_it() -> None:
    [line] = problems(config([window(timeZone="UTC")]))
    assert line.startswith(f"{SOURCE}: {KEY}[0].timeZone")


# --- timing and names -------------------------------------------------------------------------------------


@pytest.mark.parametrize("schedule", ["0,30 9 * * 2", "0 9,17 * * 2", "*/15 9 * * 2", "0 * * * 2"])
def test_a_window_starts_at_one_time_of_day(schedule: str) -> None:
    assert problems(config([window(schedule=schedule)])) == [
        f'{SOURCE}: {KEY}[0].schedule = "{schedule}": `{schedule}` must start at one time of day (a single minute and '
        "a single hour), so each start has one end"
    ]


def test_a_monthly_window_must_end_the_same_day() -> None:
    valid(config([window(schedule="0 9 1 * *", durationMinutes=899)]))
    [line] = problems(config([window(schedule="0 9 1 * *", durationMinutes=900)]))
    assert line.startswith(f'{SOURCE}: {KEY}[0].schedule = "0 9 1 * *": `0 9 1 * *` restricts day-of-month or month')


def test_names_must_be_unique() -> None:
    assert problems(config([window(), window(schedule="0 9 * * 4")])) == [
        f'{SOURCE}: {KEY}[1].name = "release": gives the same resource names (`protect-release`) as `release`; '
        "give each protection window a name of its own"
    ]


def test_a_name_reading_like_a_scheduled_windows_resource_name_is_refused() -> None:
    schedules = [{**DAY_AND_NIGHT[0], "name": "Protect Release"}, DAY_AND_NIGHT[1]]
    assert problems(config([window()], schedules=schedules)) == [
        f'{SOURCE}: {KEY}[0].name = "release": gives the same resource names (`protect-release`) as `Protect Release`; '
        "give each protection window a name of its own"
    ]


# --- per cloud --------------------------------------------------------------------------------------------


def test_every_cloud_takes_a_plain_weekly_window() -> None:
    valid(config([window(timezone="Europe/Berlin")], ("aws", "gcp", "azure")))
    valid(config([window(timezone="Europe/Berlin")], ("azure",), azure=SCALE_SETS))
    valid(config([window()], ("kubernetes",), kubernetes={"apiServerCidrs": ["10.0.0.1/32"]}))


def test_gcp_protection_composes_with_scheduled_windows() -> None:
    valid(config([window()], ("gcp",), schedules=DAY_AND_NIGHT))


def test_container_apps_compose_protection_with_scheduled_windows() -> None:
    valid(config([window()], ("azure",), schedules=DAY_AND_NIGHT))


def test_aws_refuses_protection_next_to_scheduled_windows() -> None:
    [line] = problems(config([window()], ("aws",), schedules=DAY_AND_NIGHT))
    assert line.startswith(
        f'{SOURCE}: {KEY} = ["release"]: cannot be combined with autoscaling.schedules on aws: AWS scheduled actions'
    )


def test_azure_scale_sets_refuse_protection_next_to_scheduled_windows() -> None:
    [line] = problems(config([window()], ("azure",), schedules=DAY_AND_NIGHT, azure=SCALE_SETS))
    assert line.startswith(f'{SOURCE}: {KEY} = ["release"]: cannot be combined with autoscaling.schedules on azure: Azure VM')


def test_cloud_run_has_no_scheduled_capacity() -> None:
    assert problems(config([window()], ("gcp",), gcp={"runtime": "cloudRun"})) == [
        f'{SOURCE}: {KEY} = ["release"]: needs rollway:gcp.runtime = instanceGroup (Cloud Run has no scheduled capacity); '
        "remove it or switch the runtime"
    ]


def test_azure_scale_sets_need_a_weekly_window_and_a_known_windows_time_zone() -> None:
    lines = problems(config([window(schedule="0 9 1 * *", timezone="Africa/Abidjan")], ("azure",), azure=SCALE_SETS))
    assert [line.split(": ")[1] for line in lines] == [
        f'{KEY}[0].schedule = "0 9 1 * *"',
        f'{KEY}[0].schedule = "0 9 1 * *"',
        f'{KEY}[0].timezone = "Africa/Abidjan"',
    ]
    assert "cannot drive a VM scale set recurrence: its start day-of-month and month must be `*`" in lines[0]
    assert "its end (`0 10 1 * *`, start + durationMinutes)" in lines[1]


def test_container_apps_take_a_monthly_window() -> None:
    valid(config([window(schedule="0 9 1 * *")], ("azure",)))


def test_kubernetes_needs_the_api_server_addresses_for_protection_jobs() -> None:
    [line] = problems(config([window()], ("kubernetes",)))
    assert line.startswith(
        f"{SOURCE}: rollway:kubernetes.apiServerCidrs: is required: `web` has scheduled or scale-in protection"
    )


# --- shared helpers ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("schedule", "minutes", "end"),
    [
        ("30 9 * * 2", 90, "0 11 * * 2"),
        ("0 22 * * 1-5", 120, "0 0 * * 2,3,4,5,6"),
        ("0 22 * * 1-5", 119, "59 23 * * 1-5"),
        ("0 22 * * 6", 180, "0 1 * * 0"),
        ("0 0 * * 0", 10079, "59 23 * * 6"),
        ("0 12 * * *", 1439, "59 11 * * *"),
        ("0 9 1 6 *", 0, "0 9 1 6 *"),
    ],
)
def test_cron_after_moves_time_and_days(schedule: str, minutes: int, end: str) -> None:
    assert cron_after(schedule, minutes) == end


def test_cron_after_on_every_day_of_the_week_keeps_a_star() -> None:
    assert cron_after("0 23 * * 0-6", 120) == "0 1 * * *"


@pytest.mark.parametrize("schedule", ["0 23 1 * *", "0 23 * 6 *"])
def test_cron_after_refuses_a_next_day_end_on_month_restricted_schedules(schedule: str) -> None:
    with pytest.raises(CronError, match="restricts day-of-month or month"):
        cron_after(schedule, 60)


def test_cron_after_refuses_a_negative_shift() -> None:
    with pytest.raises(CronError, match="must not be negative"):
        cron_after("0 9 * * *", -1)


@pytest.mark.parametrize(
    ("schedule", "gap"), [("0 9 * * *", 1440), ("0 9 * * 1", 10080), ("0 9 * * 5,6", 1440), ("0 9 31 * *", 31 * 1440)]
)
def test_shortest_gap_minutes(schedule: str, gap: int) -> None:
    assert shortest_gap_minutes(schedule) == gap


def test_a_schedule_firing_once_in_years_has_gaps_of_years() -> None:
    assert shortest_gap_minutes("0 9 29 2 *") == (366 + 365 * 3) * 1440


# --- the floor during the window --------------------------------------------------------------------------


@pytest.mark.parametrize("floor", [2, 4])
def test_a_floor_above_min_and_up_to_max_fits(floor: int) -> None:
    [found] = valid(config([window(min=floor)], ("aws", "gcp", "azure"))).services["web"].autoscaling.scale_in_protection
    assert found.min == floor


def test_a_floor_above_max_is_refused() -> None:
    assert problems(config([window(min=5)])) == [
        f"{SOURCE}: {KEY}[0].min = 5: must be at most autoscaling.max (4): the window holds capacity, it cannot raise the ceiling"
    ]


def test_a_floor_at_the_usual_min_holds_nothing_and_is_refused() -> None:
    assert problems(config([window(min=1)])) == [
        f"{SOURCE}: {KEY}[0].min = 1: must be above autoscaling.min (1): a floor at or below the usual one holds "
        "nothing (leave it unset to hold autoscaling.max)"
    ]


def test_a_floor_of_zero_is_refused_by_its_bound() -> None:
    assert problems(config([window(min=0)])) == [f"{SOURCE}: {KEY}[0].min = 0: must be at least 1"]


def test_kubernetes_refuses_a_floor_next_to_scheduled_windows() -> None:
    cidrs = {"apiServerCidrs": ["10.0.0.1/32"]}
    valid(config([window(min=3)], ("kubernetes",), kubernetes=cidrs))
    valid(config([window()], ("kubernetes",), schedules=DAY_AND_NIGHT, kubernetes=cidrs))
    [line] = problems(config([window(min=3)], ("kubernetes",), schedules=DAY_AND_NIGHT, kubernetes=cidrs))
    assert line.startswith(
        f"{SOURCE}: {KEY}[0].min = 3: cannot be combined with autoscaling.schedules on kubernetes: the window's end "
        "restores the HPA's minReplicas"
    )


# --- overlap ----------------------------------------------------------------------------------------------


def test_overlapping_windows_are_refused_naming_both_and_when() -> None:
    windows = [window(name="release"), window(name="hotfix", schedule="30 9 * * 2")]
    assert problems(config(windows)) == [
        f'{SOURCE}: {KEY}[1].schedule = "30 9 * * 2": starts while `release` (scaleInProtection[0]) is on or the '
        "minute it ends, first on 2024-01-02 09:30 UTC; the end of one would lift the other's protection: merge them "
        "into one window or leave at least a minute between them"
    ]


@pytest.mark.parametrize(("second_start", "ok"), [("0 10 * * 2", False), ("1 10 * * 2", True)])
def test_a_window_starting_the_minute_another_ends_touches_it(second_start: str, ok: bool) -> None:
    values = config([window(name="release"), window(name="after", schedule=second_start)])
    if ok:
        valid(values)
    else:
        assert problems(values)[0].startswith(f'{SOURCE}: {KEY}[1].schedule = "0 10 * * 2": starts while `release`')


def test_a_window_running_past_midnight_overlaps_the_next_days_window() -> None:
    windows = [window(name="late", schedule="0 22 * * 1", durationMinutes=180), window(name="early", schedule="30 0 * * 2")]
    [line] = problems(config(windows))
    assert line.startswith(f'{SOURCE}: {KEY}[1].schedule = "30 0 * * 2": starts while `late`')
    assert "first on 2024-01-02 00:30 UTC" in line


def test_windows_in_different_time_zones_overlap_once_daylight_saving_time_starts() -> None:
    # 09:00 in Berlin is 08:00 UTC in winter (after the UTC window) and 07:00 UTC in summer (on it).
    windows = [
        window(name="berlin", schedule="0 9 * * 2", timezone="Europe/Berlin"),
        window(name="utc", schedule="0 7 * * 2", durationMinutes=59),
    ]
    [line] = problems(config(windows))
    assert "starts while `utc` (scaleInProtection[1])" in line
    assert "first on 2024-04-02 07:00 UTC" in line


def test_windows_on_different_days_do_not_overlap() -> None:
    valid(config([window(name="tue"), window(name="wed", schedule="0 9 * * 3", durationMinutes=1439)]))


# --- shared overlap helpers -------------------------------------------------------------------------------


def test_window_spans_follow_daylight_saving_time_in_utc() -> None:
    spans = window_spans("0 9 * * 2", 90, "Europe/Berlin")
    # Every Tuesday of the 2928 days scanned from 2024-01-01; the first one after clocks go forward is an hour earlier.
    assert len(spans) == 419
    assert [(s.isoformat(), e.isoformat()) for s, e in (spans[0], spans[13], spans[-1])] == [
        ("2024-01-02T08:00:00+00:00", "2024-01-02T09:30:00+00:00"),
        ("2024-04-02T07:00:00+00:00", "2024-04-02T08:30:00+00:00"),
        ("2032-01-06T08:00:00+00:00", "2032-01-06T09:30:00+00:00"),
    ]


def test_first_overlap_is_none_for_windows_a_minute_apart() -> None:
    spans = {0: window_spans("0 9 * * *", 60, "UTC"), 1: window_spans("1 10 * * *", 60, "UTC")}
    assert first_overlap(spans) is None


def test_the_example_in_the_docs_is_valid_on_every_cloud_but_scale_sets() -> None:
    text = (Path(__file__).resolve().parents[2] / "docs" / "autoscaling.md").read_text()
    section = text[text.index("## Scale-in protection windows") :]
    block = section[section.index("```yaml") + len("```yaml") : section.index("```", section.index("```yaml") + 7)]
    example = yaml.safe_load(textwrap.dedent(block))["autoscaling"]
    values = config(
        example["scaleInProtection"], ("aws", "gcp", "azure", "kubernetes"), kubernetes={"apiServerCidrs": ["10.0.0.1/32"]}
    )
    services = json.loads(values["rollway:services"])
    services["web"]["autoscaling"].update(min=example["min"], max=example["max"])
    values["rollway:services"] = json.dumps(services)
    assert [w.name for w in valid(values).services["web"].autoscaling.scale_in_protection] == ["release-train", "month-end"]


def test_aws_refuses_a_start_its_cron_cannot_express_and_takes_the_shifted_end() -> None:
    # `*/2` (Sunday, Tuesday, ...) is valid shared cron but not AWS cron; its end past midnight becomes a day list.
    assert problems(config([window(schedule="0 22 * * */2", durationMinutes=180)], ("aws",))) == [
        f'{SOURCE}: {KEY}[0].schedule = "0 22 * * */2": cannot run on AWS: its start steps (/) in day-of-week are not '
        "supported by AWS cron; list the days instead"
    ]
    valid(
        config(
            [window(schedule="0 22 * * */2", durationMinutes=180)],
            ("gcp", "kubernetes"),
            kubernetes={"apiServerCidrs": ["10.0.0.1/32"]},
        )
    )


def test_a_name_equal_to_another_windows_end_profile_is_refused() -> None:
    # `x` gets Azure profiles `protect-x` and `protect-x-end`; `x-end` would start with a profile named `protect-x-end`.
    assert problems(config([window(name="x"), window(name="x-end", schedule="0 9 * * 4")])) == [
        f'{SOURCE}: {KEY}[1].name = "x-end": gives the same resource names (`protect-x-end`) as `x`; give each '
        "protection window a name of its own"
    ]
