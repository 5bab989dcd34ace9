"""The stack config model: every problem reported with stack file, key path, value and what is allowed."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import pulumi
import pytest

from rollway.testing import PlausibleMocks, RecordingMonitor, run_program, set_path, stack_config, synth
from stacks import build_stack
from stacks.config import ConfigError, load_stack_config, parse_cron
from stacks.config.problems import render_value

SOURCE = "Pulumi.dev.yaml"


def base() -> dict[str, Any]:
    return {
        "aws:region": "us-east-1",
        "rollway:environment": "dev",
        "rollway:clouds": ["aws", "kubernetes"],
        "rollway:tags": {"cost-center": "cc-1", "owner": "team-a"},
        "rollway:services": {
            "web": {
                "image": {"blue": "ghcr.io/acme/web:1", "green": "ghcr.io/acme/web:2"},
                "liveColor": "blue",
                "canaryWeight": 10,
                "port": 8080,
            }
        },
    }


def problems(config: dict[str, Any], secret_keys: tuple[str, ...] = ()) -> list[str]:
    """Validate like the engine passes config (structured values JSON-encoded) and return the messages."""
    import json

    bag = {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}
    with pytest.raises(ConfigError) as failure:
        load_stack_config(bag, secret_keys, SOURCE)
    return failure.value.render().splitlines()


def valid(config: dict[str, Any], secret_keys: tuple[str, ...] = ()) -> Any:
    import json

    bag = {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}
    return load_stack_config(bag, secret_keys, SOURCE)


def test_valid_config_parses_into_typed_model() -> None:
    config = valid(base())
    web = config.services["web"]
    assert (web.live_color, web.idle_color, web.canary_weight, web.port) == ("blue", "green", 10, 8080)
    assert config.effective_tags == {"cost-center": "cc-1", "owner": "team-a", "environment": "dev", "managed-by": "rollway"}


def test_canary_weight_out_of_range() -> None:
    assert problems(set_path(base(), "rollway:services.web.canaryWeight", 140)) == [
        "Pulumi.dev.yaml: rollway:services.web.canaryWeight = 140: must be between 0 and 100"
    ]


def test_wrong_type() -> None:
    assert problems(set_path(base(), "rollway:services.web.port", "http")) == [
        'Pulumi.dev.yaml: rollway:services.web.port = "http": must be a whole number'
    ]


def test_missing_required_key() -> None:
    config = base()
    del config["rollway:services"]["web"]["image"]
    assert problems(config) == ["Pulumi.dev.yaml: rollway:services.web.image: is required"]


def test_missing_environment() -> None:
    config = base()
    del config["rollway:environment"]
    assert problems(config) == ["Pulumi.dev.yaml: rollway:environment: is required"]


def test_unknown_key_suggests_the_close_one() -> None:
    assert problems(set_path(base(), "rollway:services.web.canaryWieght", 5)) == [
        "Pulumi.dev.yaml: rollway:services.web.canaryWieght: is not a known key; did you mean `canaryWeight`?"
    ]


def test_unknown_top_level_key() -> None:
    assert problems({**base(), "rollway:servics": {}}) == [
        "Pulumi.dev.yaml: rollway:servics: is not a known key; did you mean `services`?"
    ]


def test_service_that_is_not_an_object() -> None:
    assert problems(set_path(base(), "rollway:services.api", "nginx:latest")) == [
        'Pulumi.dev.yaml: rollway:services.api = "nginx:latest": must be an object (a map of keys to values)'
    ]


def test_min_greater_than_max() -> None:
    config = set_path(base(), "rollway:services.web.autoscaling", {"min": 5, "max": 2})
    assert problems(config) == ["Pulumi.dev.yaml: rollway:services.web.autoscaling.min = 5: must not exceed autoscaling.max (2)"]


EVENING = {"name": "evening", "schedule": "0 20 * * *", "min": 1, "max": 4}


def with_windows(*windows: dict[str, Any], scaling_max: int = 4) -> dict[str, Any]:
    """base() with web's autoscaling 1..scaling_max and these scheduled windows."""
    scaling = {"min": 1, "max": scaling_max, "schedules": list(windows)}
    # Kubernetes runs windows as jobs that may only reach the API server, so it must know where that is.
    config = {**base(), "rollway:kubernetes": {"apiServerCidrs": ["10.96.0.1/32"]}}
    return set_path(config, "rollway:services.web.autoscaling", scaling)


def peak(**changes: Any) -> dict[str, Any]:
    return {"name": "peak", "schedule": "0 7 * * 1-5", "min": 2, "max": 4, **changes}


WINDOW_KEY = "Pulumi.dev.yaml: rollway:services.web.autoscaling.schedules[0]"


def test_scheduled_window_min_greater_than_max() -> None:
    config = with_windows(peak(min=4, max=3), EVENING)
    assert problems(config) == [
        "Pulumi.dev.yaml: rollway:services.web.autoscaling.schedules[0].min = 4: must not exceed that window's max (3)"
    ]


def test_unknown_cloud() -> None:
    assert problems(set_path(base(), "rollway:clouds", ["aws", "mars"])) == [
        'Pulumi.dev.yaml: rollway:clouds[1] = "mars": must be one of: aws, gcp, azure or kubernetes'
    ]


def test_overlapping_cidrs_across_clouds() -> None:
    config = {**base(), "rollway:aws": {"vpcCidr": "10.10.0.0/16"}, "rollway:kubernetes": {"podCidr": "10.10.128.0/17"}}
    assert problems(config) == [
        'Pulumi.dev.yaml: rollway:kubernetes.podCidr = "10.10.128.0/17": overlaps rollway:aws.vpcCidr (10.10.0.0/16); '
        "give each network its own address range"
    ]


def test_malformed_cidr() -> None:
    (message,) = problems({**base(), "rollway:aws": {"vpcCidr": "10.10.0.1/16"}})
    assert message.startswith('Pulumi.dev.yaml: rollway:aws.vpcCidr = "10.10.0.1/16": must be a network in CIDR notation')


def test_live_color_not_blue_or_green() -> None:
    assert problems(set_path(base(), "rollway:services.web.liveColor", "purple")) == [
        'Pulumi.dev.yaml: rollway:services.web.liveColor = "purple": must be one of: blue or green'
    ]


def test_canary_weight_while_idle_color_has_no_image() -> None:
    config = set_path(base(), "rollway:services.web.image", {"blue": "ghcr.io/acme/web:1"})
    assert problems(config) == [
        "Pulumi.dev.yaml: rollway:services.web.canaryWeight = 10: must be 0 while the idle color (green) has no image; "
        "set image.green first"
    ]


def test_live_color_without_image() -> None:
    config = set_path(
        set_path(base(), "rollway:services.web.image", {"blue": "ghcr.io/acme/web:1"}), "rollway:services.web.liveColor", "green"
    )
    config = set_path(config, "rollway:services.web.canaryWeight", 0)
    assert problems(config) == ["Pulumi.dev.yaml: rollway:services.web.image.green: is required: green is the live color"]


@pytest.mark.parametrize("port", [0, -80, 70000])
def test_port_out_of_range(port: int) -> None:
    assert problems(set_path(base(), "rollway:services.web.port", port)) == [
        f"Pulumi.dev.yaml: rollway:services.web.port = {port}: must be between 1 and 65535"
    ]


def test_duplicate_service_names_across_case() -> None:
    config = base()
    config["rollway:services"]["Web"] = copy.deepcopy(config["rollway:services"]["web"])
    assert problems(config) == [
        'Pulumi.dev.yaml: rollway:services.Web = "Web": duplicates service `web` (names differ only in case; resource names are lowercase)'
    ]


def test_every_problem_is_reported_at_once() -> None:
    config = set_path(base(), "rollway:services.web.canaryWeight", 140)
    config = set_path(config, "rollway:services.web.port", 0)
    assert len(problems(config)) == 2


def test_missing_required_tags() -> None:
    assert problems({**base(), "rollway:tags": {"owner": "team-a"}}) == [
        "Pulumi.dev.yaml: rollway:tags.cost-center: is required (every taggable resource carries it)"
    ]


def test_region_required_for_aws() -> None:
    config = base()
    del config["aws:region"]
    assert problems(config) == ["Pulumi.dev.yaml: rollway:aws.region: is required when aws is targeted (or set aws:region)"]


def test_plain_text_secrets_are_refused_without_echoing_them() -> None:
    config = {**base(), "rollway:secrets": {"databasePassword": "hunter2"}}
    (message,) = problems(config)
    assert "rollway:secrets: must be set with `pulumi config set --secret" in message
    assert "hunter2" not in message


def test_secret_references_must_exist() -> None:
    config = set_path(base(), "rollway:services.web.secrets", {"DATABASE_PASSWORD": "dbPassword"})
    config["rollway:secrets"] = {"apiToken": "t"}
    assert problems(config, secret_keys=("rollway:secrets",)) == [
        'Pulumi.dev.yaml: rollway:services.web.secrets.DATABASE_PASSWORD = "dbPassword": names no secret in rollway:secrets '
        "(available: apiToken)"
    ]


def test_secret_looking_plain_environment_variable() -> None:
    config = set_path(base(), "rollway:services.web.environment", {"API_TOKEN": "abc"})
    (message,) = problems(config)
    assert message.startswith("Pulumi.dev.yaml: rollway:services.web.environment.API_TOKEN: looks like a secret")


def test_invalid_config_registers_nothing_and_raises_run_error() -> None:
    config = set_path(stack_config("dev"), "rollway:services.web.canaryWeight", 140)
    with pytest.raises(pulumi.RunError) as failure:
        synth(build_stack, config=config, stack="dev")
    assert "Pulumi.dev.yaml: rollway:services.web.canaryWeight = 140: must be between 0 and 100" in str(failure.value)


def test_invalid_config_registers_no_resources() -> None:
    monitor = RecordingMonitor(PlausibleMocks())
    config = set_path(stack_config("dev"), "rollway:services.web.port", 0)
    with pytest.raises(pulumi.RunError):
        run_program(build_stack, config=config, stack="dev", monitor=monitor)
    assert monitor.recorded_resources() == []


@pytest.mark.parametrize("stack", ["dev", "staging", "prod", "preview"])
def test_shipped_stack_files_are_valid(stack: str) -> None:
    import json

    config = stack_config(stack)
    bag = {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}
    parsed = load_stack_config(bag, (), f"Pulumi.{stack}.yaml")
    assert parsed.environment == stack
    assert len(parsed.services) >= 2
    assert parsed.services["web"].port == 8080


def test_scheduled_window_above_the_capacity_ceiling() -> None:
    config = with_windows(peak(max=9), EVENING)
    assert problems(config) == [
        "Pulumi.dev.yaml: rollway:services.web.autoscaling.schedules[0].max = 9: must not exceed autoscaling.max (4), "
        "the service's capacity (and cost) ceiling"
    ]


def test_scheduled_window_names_are_unique() -> None:
    config = with_windows(peak(), peak(schedule="0 20 * * *"))
    assert problems(config) == [
        'Pulumi.dev.yaml: rollway:services.web.autoscaling.schedules[1].name = "peak": is used by another window of this service; '
        "names must be unique"
    ]


@pytest.mark.parametrize("port", [80, 443])
def test_test_listener_port_cannot_take_a_production_port(port: int) -> None:
    assert problems({**base(), "rollway:aws": {"testListenerPort": port}}) == [
        f"Pulumi.dev.yaml: rollway:aws.testListenerPort = {port}: must not be 80 or 443: those are the production listener's ports"
    ]


def test_booleans_are_not_silently_taken_for_numbers() -> None:
    assert problems(set_path(base(), "rollway:services.web.canaryWeight", True)) == [
        "Pulumi.dev.yaml: rollway:services.web.canaryWeight = true: must be a whole number"
    ]


@pytest.mark.parametrize(
    ("schedule", "allowed"),
    [
        ("*/61 7 * * *", "minute field `*/61`: step 61 must be between 1 and 59"),
        ("*/0 7 * * *", "minute field `*/0`: step 0 must be between 1 and 59"),
        ("0 25 * * *", "hour field `25`: 25 is outside 0-23"),
        ("0 7 ? * MON", "day-of-month field `?`: `?` is AWS-only syntax; use `*`"),
        ("0 7 L * *", "day-of-month field `L`: `L` is not a number (1-31)"),
        ("0 7 * JANUARY *", "month field `JANUARY`: `JANUARY` is not a number (1-12) or a name (JAN-DEC)"),
        ("0 7 * * 7", "day-of-week field `7`: 7 is outside 0-6"),
        ("0 7 * * MON-", "day-of-week field `MON-`: an empty value is not a number (0-6) or a name (SUN-SAT)"),
        ("0 7 * * FRI-MON", "day-of-week field `FRI-MON`: range `FRI-MON` must run from low to high (ranges do not wrap around)"),
        ("0 7 * * 1#2", "day-of-week field `1#2`: `1#2` is not a number (0-6) or a name (SUN-SAT)"),
        ("0 7 ? * MON-FRI *", "must be a cron expression with 5 fields (minute hour day-of-month month day-of-week), found 6"),
        ("@daily", "must be a cron expression with 5 fields (minute hour day-of-month month day-of-week), found 1"),
        (
            "0 7 1 * MON",
            "restricts both day-of-month (`1`) and day-of-week (`MON`); restrict one and leave the other `*` "
            "(clouds disagree on how the two combine)",
        ),
        ("0 7 31 2,4 *", "never fires: no month in `2,4` has day `31`; pick days that exist in those months"),
    ],
)
def test_scheduled_window_cron_is_checked_field_by_field(schedule: str, allowed: str) -> None:
    assert problems(with_windows(peak(schedule=schedule), EVENING)) == [
        f"{WINDOW_KEY}.schedule = {render_value(schedule)}: {allowed}"
    ]


@pytest.mark.parametrize(
    "schedule", ["*/15 * * * *", "0 7 * * MON-FRI", "30 6 * * sun", "0 8-18/2 * * 1-5", "0 7 1,15 JAN-MAR *", "5/20 * 29 2 *"]
)
def test_scheduled_window_cron_accepts_lists_ranges_steps_and_names(schedule: str) -> None:
    assert valid(with_windows(peak(schedule=schedule), EVENING)).services["web"].autoscaling.schedules[0].schedule == schedule


def test_scheduled_window_exposes_its_parsed_schedule() -> None:
    window = valid(with_windows(peak(schedule="*/15 7-8 * * MON-FRI"), EVENING)).services["web"].autoscaling.schedules[0]
    assert (window.cron.minutes, window.cron.hours) == ({0, 15, 30, 45}, {7, 8})
    assert (window.cron.days_of_week, window.cron.restricts_day_of_week, window.cron.restricts_day_of_month) == (
        {1, 2, 3, 4, 5},
        True,
        False,
    )


def test_parsed_schedule_tells_which_days_it_fires_on() -> None:
    cron = parse_cron("0 7 * * MON-FRI")
    assert [cron.fires_on(date(2026, 1, day)) for day in (9, 10, 11, 12)] == [True, False, False, True]  # Fri..Mon


@pytest.mark.parametrize("zone", ["Mars/Olympus", "europe/berlin", "CEST", "localtime", "/etc/localtime", ""])
def test_scheduled_window_time_zone_must_be_iana(zone: str) -> None:
    assert problems(with_windows(peak(timezone=zone), EVENING)) == [
        f"{WINDOW_KEY}.timezone = {render_value(zone)}: must be an IANA time zone such as Europe/Berlin"
    ]


def test_scheduled_window_time_zone_is_loaded() -> None:
    window = valid(with_windows(peak(timezone="America/New_York"), EVENING)).services["web"].autoscaling.schedules[0]
    assert window.zone == ZoneInfo("America/New_York")


def test_a_lone_scheduled_window_is_refused() -> None:
    assert problems(with_windows(peak())) == [
        'Pulumi.dev.yaml: rollway:services.web.autoscaling.schedules = ["peak"]: needs at least 2 windows: a window lasts '
        "until the next one fires, so a lone window would never end; add one that restores the usual bounds "
        "(e.g. `evening` at 20:00)"
    ]


def test_a_bad_schedule_stops_the_program_before_any_cloud_is_built() -> None:
    monitor = RecordingMonitor(PlausibleMocks())
    config = set_path(stack_config("prod"), "rollway:services.web.autoscaling.schedules[0].schedule", "*/61 7 * * 1-5")
    with pytest.raises(pulumi.RunError) as failure:
        run_program(build_stack, config=config, stack="prod", monitor=monitor)
    assert (
        'Pulumi.prod.yaml: rollway:services.web.autoscaling.schedules[0].schedule = "*/61 7 * * 1-5": minute field `*/61`: '
        "step 61 must be between 1 and 59"
    ) in str(failure.value)
    assert monitor.recorded_resources() == []


HEADER_KEY = "Pulumi.dev.yaml: rollway:services.web.canaryHeader"
HEADER_NAME_RULE = "must be an HTTP header name of 1-40 characters (letters, digits and !#$%&'*+-.^_`|~), e.g. x-rollway-canary"


def with_header(name: str = "x-rollway-canary", value: str = "always") -> dict[str, Any]:
    return set_path(base(), "rollway:services.web.canaryHeader", {"name": name, "value": value})


@pytest.mark.parametrize("name", ["x rollway", "x-canary:", "", "x" * 41, "x-caf\u00e9", "x-(canary)"])
def test_canary_header_name_must_be_an_http_token_within_the_alb_limit(name: str) -> None:
    assert problems(with_header(name=name)) == [f"{HEADER_KEY}.name = {render_value(name)}: {HEADER_NAME_RULE}"]


def test_canary_header_name_cannot_be_host() -> None:
    assert problems(with_header(name="Host")) == [
        f'{HEADER_KEY}.name = "Host": must not be Host: route on the host name with the cloud\'s hostname settings instead'
    ]


def test_canary_header_accepts_the_longest_name_and_value() -> None:
    header = valid(with_header(name="X-" + "a" * 38, value="v" * 128)).services["web"].canary_header
    assert (len(header.name), len(header.value)) == (40, 128)


@pytest.mark.parametrize(
    ("value", "allowed"),
    [
        ("", "must be 1-128 characters (the ALB's limit)"),
        ("v" * 129, "must be 1-128 characters (the ALB's limit)"),
        ("beta*", "must not contain `*` or `?`: the ALB reads them as wildcards while the other clouds match them literally"),
        ("on?", "must not contain `*` or `?`: the ALB reads them as wildcards while the other clouds match them literally"),
        ("caf\u00e9", "must be printable ASCII (no control or non-ASCII characters)"),
        ("a\tb", "must be printable ASCII (no control or non-ASCII characters)"),
        (" always", "must not start or end with a space: HTTP drops it, so no request would match"),
    ],
)
def test_canary_header_value_is_matched_the_same_on_every_cloud(value: str, allowed: str) -> None:
    assert problems(with_header(value=value)) == [f"{HEADER_KEY}.value = {render_value(value)}: {allowed}"]
