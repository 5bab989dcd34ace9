"""The Azure builder end to end under mocks: each shipped stack's Azure side, blast radius of a canary step
and a live flip, tags, secrets, VM scale set services, the Front Door id every app checks, scheduled windows,
ignored stickiness, and bad Azure config stopping the build."""

from __future__ import annotations

import inspect
from functools import cache
from pathlib import Path
from typing import Any
from unittest import mock

import pulumi
import pytest

import components.azure.canary
from rollway.testing import Match, Secret, SynthesizedStack, set_path, stack_config, synth
from stacks import build_stack
from stacks.config.azure import AzureSettings

STACKS = ("dev", "staging", "prod")
FAMILIES = ("BlueGreenTargets", "CanaryRoute", "Autoscaling")
ORIGIN = "azure-native:cdn:AFDOrigin"
ROUTING = {ORIGIN}
# Types Azure lets carry tags among those the builder registers.
TAGGABLE_PREFIXES = (
    "azure-native:resources:",
    "azure-native:network:VirtualNetwork",
    "azure-native:network:NetworkSecurityGroup",
    "azure-native:network:NatGateway",
    "azure-native:network:PublicIPAddress",
    "azure-native:operationalinsights:",
    "azure-native:app:",
    "azure-native:cdn:Profile",
    "azure-native:cdn:AFDEndpoint",
    "azure-native:monitor:AutoscaleSetting",
)
VMSS = "/subscriptions/0/resourceGroups/legacy/providers/Microsoft.Compute/virtualMachineScaleSets/worker-{}"


FRONT_DOOR_ID = "0f9e8d7c-6b5a-4c3d-8e2f-1a0b9c8d7e6f"
PROFILE = "azure-native:cdn:Profile"
APP = "azure-native:app:ContainerApp"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "azure.md"


def build(**kwargs: Any) -> SynthesizedStack:
    """The whole program under mocks, with Front Door profiles answering a frontDoorId as Azure does."""
    return synth(build_stack, resource_outputs={PROFILE: lambda args, context: {"frontDoorId": FRONT_DOOR_ID}}, **kwargs)


def azure_only(stack: str) -> dict[str, Any]:
    """The shipped stack file with only Azure targeted (the other clouds have their own tests)."""
    return set_path(stack_config(stack), "rollway:clouds", ["azure"])


@cache
def synthesized(stack: str) -> SynthesizedStack:
    return build(config=azure_only(stack), stack=stack)


def expected_tags(stack: str) -> dict[str, str]:
    tags = dict(stack_config(stack)["rollway:tags"])
    return {**tags, "environment": stack, "managed-by": "rollway"}


@pytest.mark.parametrize("stack", STACKS)
def test_shipped_stack_builds_every_family_per_service(stack: str) -> None:
    result = synthesized(stack)
    services = stack_config(stack)["rollway:services"]
    result.resource_count_is("rollway:azure:Environment", 1)
    for family in FAMILIES:
        assert sorted(r.name for r in result.of_type(f"rollway:azure:{family}")) == sorted(services), family


@pytest.mark.parametrize("stack", STACKS)
def test_shipped_stack_exports_a_front_door_url_per_service(stack: str) -> None:
    services = synthesized(stack).outputs["azure"]["services"]
    assert set(services) == set(stack_config(stack)["rollway:services"])
    assert all(str(s["url"]).startswith("https://") and str(s["url"]).endswith(".azurefd.net") for s in services.values())


@pytest.mark.parametrize("stack", STACKS)
def test_shipped_stack_needs_no_unanswered_invoke(stack: str) -> None:
    assert synthesized(stack).unanswered_invokes == []


@pytest.mark.parametrize("stack", STACKS)
def test_every_azure_resource_belongs_to_a_component(stack: str) -> None:
    result = synthesized(stack)
    orphans = [r.name for r in result.resources if r.custom and not r.is_provider and r.parent == result.recording.stack_urn]
    assert orphans == []


@pytest.mark.parametrize("stack", STACKS)
def test_taggable_resources_carry_the_effective_tags(stack: str) -> None:
    result = synthesized(stack)
    tagged = [r for r in result.resources if r.custom and r.type.startswith(TAGGABLE_PREFIXES)]
    assert tagged
    for resource in tagged:
        assert expected_tags(stack).items() <= dict(resource.inputs.get("tags") or {}).items(), resource.name


def test_preview_mode_evaluates_the_same_graph() -> None:
    preview = build(config=azure_only("dev"), stack="dev", preview=True)
    assert len(preview.resources) == len(synthesized("dev").resources)


def test_dev_mid_rollout_service_splits_900_to_100() -> None:
    result = synthesized("dev")
    result.has_resource_properties(ORIGIN, {"weight": 900, "enabledState": "Enabled"}, name="web-blue")
    result.has_resource_properties(ORIGIN, {"weight": 100, "enabledState": "Enabled"}, name="web-green")


def test_idle_color_test_url_is_exported() -> None:
    web = synthesized("dev").outputs["azure"]["services"]["web"]
    assert str(web["testUrl"]).startswith("https://web-green.")


def test_prod_environment_is_zone_redundant_with_nat_egress() -> None:
    result = synthesized("prod")
    result.has_resource_properties("azure-native:app:ManagedEnvironment", {"zoneRedundant": True})
    result.resource_count_is("azure-native:network:NatGateway", 1)


def test_dev_skips_the_nat_gateway_to_stay_cheap() -> None:
    synthesized("dev").resource_count_is("azure-native:network:NatGateway", 0)


def test_a_canary_step_changes_only_that_services_origin_weights() -> None:
    after = build(config=set_path(azure_only("dev"), "rollway:services.web.canaryWeight", 25), stack="dev")
    changes = after.changes_from(synthesized("dev"))
    assert sorted((c.type, c.name) for c in changes) == [(ORIGIN, "web-blue"), (ORIGIN, "web-green")]
    assert {p.path for c in changes for p in c.changes} == {"weight"}


def test_a_live_flip_changes_only_routing_resources() -> None:
    config = set_path(
        set_path(azure_only("dev"), "rollway:services.web.liveColor", "green"), "rollway:services.web.canaryWeight", 0
    )
    changes = build(config=config, stack="dev").changes_from(synthesized("dev"))
    assert changes and all(c.kind == "changed" for c in changes)
    assert {c.type for c in changes} <= ROUTING, [(c.type, c.name) for c in changes]


@cache
def dev_with_a_secret() -> tuple[SynthesizedStack, list[str]]:
    """The azure-only dev stack with a service secret, and the key prefixes AzureSettings.service_problems was
    called with while it was built (one run serves the secrets test and the checks-once test)."""
    calls: list[str] = []
    original = AzureSettings.service_problems

    def counted(self: AzureSettings, key_prefix: str, services: Any) -> Any:
        calls.append(key_prefix)
        return original(self, key_prefix, services)

    config = set_path(azure_only("dev"), "rollway:services.api.secrets", {"DB_PASSWORD": "db-password"})
    with mock.patch.object(AzureSettings, "service_problems", counted):
        result = build(config=config, secrets={"rollway:secrets": {"db-password": "hunter2-from-config"}}, stack="dev")
    return result, calls


def test_service_secrets_reach_the_apps_only_as_secrets() -> None:
    result, _ = dev_with_a_secret()
    app = result.get("azure-native:app:ContainerApp", "api-blue")
    assert app.inputs["configuration"]["secrets"] == [{"name": "db-password", "value": Secret("hunter2-from-config")}]
    assert result.plaintext_paths("hunter2-from-config") == []


def with_scale_sets(config: dict[str, Any]) -> dict[str, Any]:
    slots = {
        color: {"id": VMSS.format(color), "hostName": f"worker-{color}.westeurope.cloudapp.azure.com"}
        for color in ("blue", "green")
    }
    return set_path(config, "rollway:azure.services.worker", {"vmScaleSets": slots})


@cache
def prod_with_scale_sets() -> SynthesizedStack:
    return build(config=with_scale_sets(azure_only("prod")), stack="prod")


def test_scale_set_service_gets_an_autoscale_setting_per_color_and_no_app() -> None:
    result = prod_with_scale_sets()
    assert sorted(r.name for r in result.of_type("azure-native:monitor:AutoscaleSetting")) == ["worker-blue", "worker-green"]
    assert [r.name for r in result.of_type("azure-native:app:ContainerApp") if r.name.startswith("worker")] == []


def test_scale_set_service_is_routed_to_the_scale_set_hosts() -> None:
    prod_with_scale_sets().has_resource_properties(
        ORIGIN, {"hostName": "worker-green.westeurope.cloudapp.azure.com", "weight": 1000}, name="worker-green"
    )


def test_scale_set_rule_pair_is_derived_from_the_cpu_target() -> None:
    prod_with_scale_sets().has_resource_properties(
        "azure-native:monitor:AutoscaleSetting",
        {
            "profiles": Match.array_with(
                [
                    {
                        "name": "default",
                        "rules": [
                            {"metricTrigger": {"operator": "GreaterThan", "threshold": 88}},
                            {"metricTrigger": {"operator": "LessThan", "threshold": 52}},
                        ],
                    }
                ]
            )
        },
        name="worker-blue",
    )


def test_bad_azure_service_config_stops_the_build_with_the_key_and_value() -> None:
    config = set_path(azure_only("dev"), "rollway:azure.services.web.revisionSuffix", {"blue": "v1", "green": "v1"})
    with pytest.raises(pulumi.RunError, match=r"rollway:azure\.services\.web\.revisionSuffix\.green = \"v1\": collides"):
        build(config=config, stack="dev")


def test_both_colors_scale_within_the_services_bounds() -> None:
    result = synthesized("prod")
    for color in ("blue", "green"):
        result.has_resource_properties(
            "azure-native:app:ContainerApp",
            {"template": {"scale": {"minReplicas": 3, "maxReplicas": 20}}},
            name=f"web-{color}",
        )


def env_of(result: SynthesizedStack, app: str) -> list[dict[str, Any]]:
    return list(result.get(APP, app).inputs["template"]["containers"][0]["env"])


@pytest.mark.parametrize("app", ["web-blue", "web-green", "api-blue"])
def test_every_app_gets_the_profiles_front_door_id(app: str) -> None:
    assert {"name": "ROLLWAY_FRONT_DOOR_ID", "value": FRONT_DOOR_ID} in env_of(synthesized("dev"), app)


def test_apps_read_the_front_door_id_from_the_environments_profile() -> None:
    result = synthesized("dev")
    profile = result.of_type(PROFILE)[0]
    assert all(profile.urn in app.dependencies for app in result.of_type(APP))


def test_the_front_door_id_is_exported_for_hosts_outside_container_apps() -> None:
    assert synthesized("dev").outputs["azure"]["frontDoorId"] == FRONT_DOOR_ID


def test_prod_business_hours_hold_until_the_evening_window_fires() -> None:
    scale = synthesized("prod").get(APP, "web-blue").inputs["template"]["scale"]
    crons = {rule["name"]: rule["custom"]["metadata"] for rule in scale["rules"] if rule["name"].startswith("schedule-")}
    assert crons == {
        "schedule-business-hours": {
            "timezone": "Europe/Berlin",
            "start": "0 7 * * 1-5",
            "end": "0 20 * * 1-5",
            "desiredReplicas": "6",
        },
        "schedule-evening": {"timezone": "Europe/Berlin", "start": "0 20 * * 1-5", "end": "0 7 * * 1-5", "desiredReplicas": "3"},
    }


def test_stickiness_is_ignored_without_a_config_error() -> None:
    assert stack_config("prod")["rollway:services"]["web"]["stickinessSeconds"] == 60
    for group in synthesized("prod").find("azure-native:cdn:AFDOriginGroup", name="web-origins"):
        assert group.inputs["sessionAffinityState"] == "Disabled"


def test_ignored_stickiness_is_documented_where_users_and_contributors_look() -> None:
    assert "stickinessSeconds" in DOCS.read_text() and "no config error" in DOCS.read_text()
    assert "stickiness_seconds` is ignored on Azure" in (inspect.getdoc(components.azure.canary) or "")


def test_the_builder_leaves_azure_service_checks_to_the_loader() -> None:
    _, calls = dev_with_a_secret()
    assert calls == ["rollway:azure"]
