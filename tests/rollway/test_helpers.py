"""rollway.helpers: the one copy of the pure rules every layer shares."""

from __future__ import annotations

import subprocess
import sys

import pytest

from rollway.helpers import (
    NAME_HASH_CHARS,
    CronError,
    clean_name,
    cpu_quantity,
    dns_label,
    label_safe,
    memory_quantity,
    millicores,
    other_color,
    parse_cron,
    weight_split,
)


def test_other_color_swaps() -> None:
    assert other_color("blue") == "green"
    assert other_color("green") == "blue"


@pytest.mark.parametrize(
    ("live", "weight", "total", "expected"),
    [
        ("blue", 0, 100, {"blue": 100, "green": 0}),
        ("blue", 100, 100, {"blue": 0, "green": 100}),
        ("green", 10, 100, {"green": 90, "blue": 10}),
        ("blue", 33, 1000, {"blue": 670, "green": 330}),
        # 1% of 50 is 0.5: rounds half up, to the idle color.
        ("blue", 1, 50, {"blue": 49, "green": 1}),
    ],
)
def test_weight_split_sums_to_total(live: str, weight: int, total: int, expected: dict[str, int]) -> None:
    split = weight_split(live, weight, total)  # type: ignore[arg-type]
    assert split == expected
    assert sum(split.values()) == total


@pytest.mark.parametrize(("weight", "total"), [(-1, 100), (101, 100), (10, 0)])
def test_weight_split_refuses_out_of_range(weight: int, total: int) -> None:
    with pytest.raises(ValueError):
        weight_split("blue", weight, total)


def test_cron_refuses_sunday_as_seven() -> None:
    with pytest.raises(CronError, match="7 is outside 0-6"):
        parse_cron("0 7 * * 7")


def test_cron_reads_names_ranges_and_steps() -> None:
    cron = parse_cron("*/15 7-9 * * MON-FRI")
    assert cron.minutes == {0, 15, 30, 45}
    assert cron.hours == {7, 8, 9}
    assert cron.days_of_week == {1, 2, 3, 4, 5}


def test_clean_name_keeps_a_name_that_fits_exactly() -> None:
    name = "a" * 63
    assert clean_name(name) == name


def test_clean_name_shortens_with_a_hash_one_past_the_limit() -> None:
    first, second = clean_name("a" * 63 + "x"), clean_name("a" * 63 + "y")
    assert len(first) == len(second) == 63
    assert first != second
    assert first.startswith("a" * (63 - NAME_HASH_CHARS - 1) + "-")


def test_clean_name_replaces_runs_and_trims() -> None:
    assert clean_name("  Web__API!! ", allowed="a-z0-9") == "web-api"
    assert clean_name("!!!", fallback="window") == "window"
    assert clean_name("9lives", letter_first=True) == "x-9lives"


def test_dns_label_joins_parts_and_label_safe_keeps_underscores() -> None:
    assert dns_label("Web", "", "business hours") == "web-business-hours"
    assert label_safe("Cost_Center") == "cost_center"
    assert label_safe("ops@example.com") == "ops-example-com"


def test_sizes() -> None:
    assert millicores(0.25) == 250
    assert cpu_quantity(1.5) == "1500m"
    assert memory_quantity(512) == "512Mi"


def test_importing_helpers_loads_no_pulumi_and_no_project_module() -> None:
    code = (
        "import sys, rollway.helpers; "
        "bad = [m for m in sys.modules if m.split('.')[0] in {'pulumi', 'components', 'stacks', 'policies', 'pydantic'}]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
