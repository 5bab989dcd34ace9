"""Bad Azure config is reported like the rest of the config: stack file, key path, value, what is allowed."""

from __future__ import annotations

from typing import Any

import pytest

from rollway.testing import set_path, stack_config
from stacks.config import ConfigError, StackConfig, load_stack_config
from stacks.config.azure import AzureSettings
from stacks.config.problems import render_value

SOURCE = "Pulumi.dev.yaml"
VMSS = "/subscriptions/0/resourceGroups/legacy/providers/Microsoft.Compute/virtualMachineScaleSets/web-{}"


def base() -> dict[str, Any]:
    return set_path(stack_config("dev"), "rollway:clouds", ["aws", "azure"])


def load(config: dict[str, Any]) -> StackConfig:
    return load_stack_config(config, secret_keys=[], source=SOURCE)


def messages(config: dict[str, Any]) -> list[str]:
    """Every problem the loader and the Azure service checks report, rendered as users see them."""
    try:
        loaded = load(config)
    except ConfigError as error:
        return error.render().splitlines()
    settings = loaded.settings("azure")
    assert isinstance(settings, AzureSettings)
    return [p.render(SOURCE) for p in settings.service_problems("rollway:azure", loaded.services)]


EVENING = {"name": "evening", "schedule": "0 20 * * *", "min": 1, "max": 2}


def with_key(key: str, value: Any) -> list[str]:
    return messages(set_path(base(), key, value))


def test_shipped_dev_config_has_no_azure_problems() -> None:
    assert messages(base()) == []


def test_azure_defaults_stay_clear_of_the_other_clouds_networks() -> None:
    assert messages(set_path(base(), "rollway:azure", {})) == []


def test_location_must_look_like_an_azure_region() -> None:
    assert with_key("rollway:azure.location", "West Europe") == [
        'Pulumi.dev.yaml: rollway:azure.location = "West Europe": must be an Azure region name such as westeurope '
        "(lowercase, no spaces)"
    ]


def test_location_is_required_when_azure_is_targeted() -> None:
    config = base()
    del config["azure-native:location"]
    assert messages(config) == [
        "Pulumi.dev.yaml: rollway:azure.location: is required when azure is targeted (or set azure-native:location)"
    ]


def test_log_retention_outside_log_analytics_limits() -> None:
    assert with_key("rollway:azure.logRetentionDays", 7) == [
        "Pulumi.dev.yaml: rollway:azure.logRetentionDays = 7: must be between 30 and 730 (Log Analytics limits)"
    ]


def test_workload_subnet_must_lie_inside_the_vnet() -> None:
    assert with_key("rollway:azure.workloadSubnetCidr", "10.99.0.0/23") == [
        'Pulumi.dev.yaml: rollway:azure.workloadSubnetCidr = "10.99.0.0/23": must lie inside vnetCidr (10.50.0.0/16)'
    ]


def test_workload_subnet_must_be_at_least_a_27() -> None:
    found = with_key("rollway:azure.workloadSubnetCidr", "10.50.0.0/28")
    assert found == [
        'Pulumi.dev.yaml: rollway:azure.workloadSubnetCidr = "10.50.0.0/28": must be /27 or larger '
        "(a Container Apps environment needs room for its infrastructure)"
    ]


def test_vnet_overlapping_another_clouds_network_is_refused() -> None:
    found = with_key("rollway:azure.vnetCidr", "10.10.0.0/16")
    assert (
        'Pulumi.dev.yaml: rollway:azure.vnetCidr = "10.10.0.0/16": overlaps rollway:aws.vpcCidr (10.10.0.0/16); '
        "give each network its own address range"
    ) in found


def test_test_access_must_not_be_the_whole_internet() -> None:
    assert with_key("rollway:azure.testAccessCidrs", ["0.0.0.0/0"]) == [
        'Pulumi.dev.yaml: rollway:azure.testAccessCidrs[0] = "0.0.0.0/0": must not admit the whole internet; '
        "the idle color's FQDN is for smoke tests (use a VPN or office range)"
    ]


def test_misspelt_azure_key_suggests_the_right_one() -> None:
    assert with_key("rollway:azure.natGatway", True) == [
        "Pulumi.dev.yaml: rollway:azure.natGatway: is not a known key; did you mean `natGateway`?"
    ]


def test_probe_interval_out_of_range() -> None:
    assert with_key("rollway:azure.probeIntervalSeconds", 1) == [
        "Pulumi.dev.yaml: rollway:azure.probeIntervalSeconds = 1: must be at least 5"
    ]


def test_settings_for_an_unknown_service_name_the_closest() -> None:
    assert with_key("rollway:azure.services.wbe", {"revisionSuffix": {"blue": "v140"}}) == [
        "Pulumi.dev.yaml: rollway:azure.services.wbe: names no service in rollway:services; did you mean `web`?"
    ]


def test_revision_suffixes_of_both_colors_must_not_collide() -> None:
    assert with_key("rollway:azure.services.web.revisionSuffix", {"blue": "v1", "green": "v1"}) == [
        'Pulumi.dev.yaml: rollway:azure.services.web.revisionSuffix.green = "v1": collides with revisionSuffix.blue; '
        "give each color its own suffix (e.g. the image version plus the color) so a revision name tells which color "
        "and release it is"
    ]


@pytest.mark.parametrize("suffix", ["V150", "1-5-0", "v1--5", "v150-", "v1.5.0"])
def test_revision_suffix_must_be_a_lowercase_label(suffix: str) -> None:
    assert with_key("rollway:azure.services.web.revisionSuffix", {"green": suffix}) == [
        f'Pulumi.dev.yaml: rollway:azure.services.web.revisionSuffix.green = "{suffix}": must be lowercase letters, '
        "digits and '-', start with a letter, end with a letter or digit, no `--`"
    ]


def test_revision_suffix_must_keep_the_revision_name_short() -> None:
    suffix = "v" + "1" * 60
    found = with_key("rollway:azure.services.web.revisionSuffix", {"green": suffix})
    assert len(found) == 1 and f"makes the revision name web-green--{suffix} longer than 63 characters" in found[0]


def test_revision_suffix_for_a_color_without_an_image() -> None:
    assert with_key("rollway:azure.services.api.revisionSuffix", {"green": "v210"}) == [
        'Pulumi.dev.yaml: rollway:azure.services.api.revisionSuffix.green = "v210": has no revision to name: '
        "image.green is not set"
    ]


def test_container_apps_memory_must_be_twice_the_cpu() -> None:
    assert with_key("rollway:services.web.memory", 2048) == [
        "Pulumi.dev.yaml: rollway:services.web.memory = 2048: must be 512 MiB for cpu 0.25 on Azure Container Apps "
        "(Consumption profile: memory is twice the vCPUs in GiB)"
    ]


def test_container_apps_cpu_above_four_is_refused() -> None:
    sized = set_path(set_path(base(), "rollway:services.web.cpu", 8), "rollway:services.web.memory", 16384)
    found = messages(set_path(sized, "rollway:costCeiling.monthlyUsd", 1_000_000))
    assert found == [
        "Pulumi.dev.yaml: rollway:services.web.cpu = 8.0: must be a multiple of 0.25 up to 4 vCPUs on Azure Container Apps "
        "(Consumption profile)"
    ]


def test_service_name_too_long_for_a_container_app_name() -> None:
    config = base()
    services = dict(config["rollway:services"])
    services["checkout-recommendations-api"] = services.pop("api")
    config["rollway:services"] = services
    assert messages(config) == [
        'Pulumi.dev.yaml: rollway:services = "checkout-recommendations-api": service names targeted at Azure must be '
        "at most 26 characters without `--` (Container App names `<service>-green` are RFC 1123 labels of at most 32)"
    ]


def scale_sets(**slots: dict[str, str]) -> list[str]:
    return with_key("rollway:azure.services.web.vmScaleSets", slots)


def slot(color: str) -> dict[str, str]:
    return {"id": VMSS.format(color), "hostName": f"web-{color}.example.com"}


def test_valid_scale_sets_have_no_problems() -> None:
    assert scale_sets(blue=slot("blue"), green=slot("green")) == []


def test_scale_set_id_must_be_a_resource_id() -> None:
    found = scale_sets(blue={"id": "web-blue", "hostName": "web-blue.example.com"}, green=slot("green"))
    assert found == [
        'Pulumi.dev.yaml: rollway:azure.services.web.vmScaleSets.blue.id = "web-blue": must be a VM scale set resource ID: '
        "/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.Compute/virtualMachineScaleSets/<name>"
    ]


def test_scale_set_host_must_be_a_dns_name() -> None:
    found = scale_sets(blue={"id": VMSS.format("blue"), "hostName": "https://web"}, green=slot("green"))
    assert found == [
        'Pulumi.dev.yaml: rollway:azure.services.web.vmScaleSets.blue.hostName = "https://web": '
        "must be a DNS host name such as web-blue.example.com"
    ]


def test_idle_scale_set_is_required_while_canarying() -> None:
    assert scale_sets(blue=slot("blue")) == [
        "Pulumi.dev.yaml: rollway:azure.services.web.vmScaleSets.green: is required while canaryWeight is 10: "
        "the idle color receives traffic"
    ]


def test_live_scale_set_is_required() -> None:
    found = with_key("rollway:azure.services.api.vmScaleSets", {"green": slot("green")})
    assert found == ["Pulumi.dev.yaml: rollway:azure.services.api.vmScaleSets.blue: is required: blue is the live color"]


def test_both_colors_on_one_scale_set_is_refused() -> None:
    found = scale_sets(blue=slot("blue"), green={"id": VMSS.format("blue"), "hostName": "web-green.example.com"})
    assert found == [
        f"Pulumi.dev.yaml: rollway:azure.services.web.vmScaleSets.green.id = {render_value(VMSS.format('blue'))}: "
        "must differ from the blue scale set: each color needs its own capacity"
    ]


def test_scale_set_schedule_must_fit_a_weekly_recurrence() -> None:
    config = set_path(
        base(),
        "rollway:services.web.autoscaling.schedules",
        [{"name": "month-end", "schedule": "0 6 28 * *", "min": 2, "max": 3}, EVENING],
    )
    config = set_path(config, "rollway:azure.services.web.vmScaleSets", {"blue": slot("blue"), "green": slot("green")})
    assert messages(config) == [
        'Pulumi.dev.yaml: rollway:services.web.autoscaling.schedules[0].schedule = "0 6 28 * *": cannot drive a VM scale set '
        "recurrence: day-of-month and month must be `*`: Azure recurrences repeat weekly"
    ]


def test_scale_set_schedule_time_zone_must_have_a_windows_name() -> None:
    window = {"name": "hours", "schedule": "0 6 * * 1-5", "min": 2, "max": 3, "timezone": "Antarctica/Troll"}
    config = set_path(base(), "rollway:services.web.autoscaling.schedules", [window, {**EVENING, "timezone": "UTC"}])
    config = set_path(config, "rollway:azure.services.web.vmScaleSets", {"blue": slot("blue"), "green": slot("green")})
    found = messages(config)
    assert len(found) == 1
    assert found[0].startswith(
        'Pulumi.dev.yaml: rollway:services.web.autoscaling.schedules[0].timezone = "Antarctica/Troll": '
        "has no Azure (Windows) time zone name Rollway knows; use one of: "
    )


def test_revision_suffix_with_scale_sets_is_refused() -> None:
    config = set_path(
        base(),
        "rollway:azure.services.web",
        {
            "vmScaleSets": {"blue": slot("blue"), "green": slot("green")},
            "revisionSuffix": {"blue": "v140"},
        },
    )
    assert messages(config) == [
        "Pulumi.dev.yaml: rollway:azure.services.web.revisionSuffix: only applies to Container Apps; "
        "remove it or remove vmScaleSets"
    ]


def test_container_apps_window_with_a_day_of_month_is_refused() -> None:
    windows = [{"name": "month-end", "schedule": "0 6 28 * *", "min": 2, "max": 3}, EVENING]
    assert with_key("rollway:services.web.autoscaling.schedules", windows) == [
        'Pulumi.dev.yaml: rollway:services.web.autoscaling.schedules[0].schedule = "0 6 28 * *": cannot run on Azure '
        "Container Apps: day-of-month and month must be `*` (a window's end is the next window's start, worked out over a week)"
    ]


def test_container_apps_window_no_other_window_ends_is_refused() -> None:
    windows = [{"name": "hourly", "schedule": "0 * * * *", "min": 2, "max": 3}, {**EVENING, "schedule": "0 20 * * *"}]
    assert with_key("rollway:services.web.autoscaling.schedules", windows) == [
        'Pulumi.dev.yaml: rollway:services.web.autoscaling.schedules[0].schedule = "0 * * * *": never ends on Azure '
        "Container Apps: every other window fires only when this one does; give another window a time of its own"
    ]


def test_paired_windows_have_no_azure_problems() -> None:
    windows = [{"name": "hours", "schedule": "0 7 * * MON-FRI", "min": 2, "max": 3, "timezone": "Europe/Berlin"}, EVENING]
    assert with_key("rollway:services.web.autoscaling.schedules", windows) == []


@pytest.mark.parametrize("section", ["environment", "secrets"])
def test_the_front_door_id_variable_is_reserved_on_azure(section: str) -> None:
    config = set_path(base(), f"rollway:services.web.{section}", {"ROLLWAY_FRONT_DOOR_ID": "x"})
    found = [m for m in messages(config) if "set by Rollway" in m]
    assert found == [
        f"Pulumi.dev.yaml: rollway:services.web.{section}.ROLLWAY_FRONT_DOOR_ID: is set by Rollway on Azure (the Front Door "
        "profile id the app checks X-Azure-FDID against); use another name"
    ]


def test_stickiness_is_accepted_and_ignored_on_azure() -> None:
    assert with_key("rollway:services.web.stickinessSeconds", 60) == []
