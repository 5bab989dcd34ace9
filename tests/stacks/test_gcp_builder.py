"""The GCP stack builder end to end under mocks: the shipped stack files, both runtimes, labels, secrets,
blast radius (a canary step changes only the URL map; a live flip only routing, never the Cloud Armor policy
or its attachments), and GCP config errors."""

from __future__ import annotations

import inspect
import json
from datetime import datetime, timedelta
from functools import cache
from typing import Any

import pulumi
import pulumi_gcp as gcp
import pytest

import stacks.gcp
from components.gcp.schedule import cron_starts
from rollway.testing import RecordedResource, SynthesizedStack, set_path, stack_config, synth
from stacks import build_stack
from stacks.config import ConfigError, ConfigProblem, load_stack_config, parse_cron
from stacks.config.gcp import GcpSettings

URL_MAP = "gcp:compute/uRLMap:URLMap"
SECURITY_POLICY = "gcp:compute/securityPolicy:SecurityPolicy"
PASSWORD = "s3cr3t-db-password-for-gcp-tests"
ROUTING_TYPES = {URL_MAP}


def program() -> None:
    pulumi.export("gcp", stacks.gcp.build(load_stack_config()))


def build(config: dict[str, Any], stack: str, **kwargs: Any) -> SynthesizedStack:
    return synth(program, config=config, stack=stack, **kwargs)


@cache
def shipped(stack: str) -> SynthesizedStack:
    return build(stack_config(stack), stack)


def with_gcp(stack: str, key: str, value: Any) -> dict[str, Any]:
    return set_path(stack_config(stack), key, value)


@cache
def dev_on_cloud_run() -> SynthesizedStack:
    return build(with_gcp("dev", "rollway:gcp.runtime", "cloudRun"), "dev")


def changed_resources(before: SynthesizedStack, after: SynthesizedStack) -> dict[str, str]:
    """name -> type of every changed resource, failing on any added or removed one."""
    changes = after.changes_from(before)
    assert [c for c in changes if c.kind != "changed"] == []
    return {change.name: change.type for change in changes}


def labelable(resource: RecordedResource) -> bool:
    if not resource.custom or not resource.type.startswith("gcp:"):
        return False
    module_path, _, class_name = resource.type.split(":", 1)[1].partition(":")
    cls = getattr(getattr(gcp, module_path.split("/")[0]), class_name)
    return "labels" in inspect.signature(cls._internal_init).parameters


# ------------------------------------------------------------------ shipped stacks


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_shipped_stack_builds_every_family_per_service(stack: str) -> None:
    built = shipped(stack)
    services = stack_config(stack)["rollway:services"]
    built.resource_count_is("rollway:gcp:Environment", 1)
    for family in ("BlueGreenTargets", "CanaryRoute", "Autoscaling"):
        built.resource_count_is(f"rollway:gcp:{family}", len(services))
    assert built.unanswered_invokes == []


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_every_cloud_resource_belongs_to_a_rollway_component(stack: str) -> None:
    built = shipped(stack)
    components = {r.urn: r.type for r in built.resources if not r.custom}
    assert all(t.startswith("rollway:gcp:") for t in components.values())
    assert [r.name for r in built.resources if r.custom and not r.is_provider and r.parent not in components] == []


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_labelable_resource_carries_cost_center_owner_and_environment(stack: str) -> None:
    built = shipped(stack)
    labelled = [r for r in built.resources if labelable(r)]
    missing = [
        r.name
        for r in labelled
        if not {"cost-center", "owner", "environment"} <= set(r.inputs.get("labels") or {})
        or r.inputs["labels"]["environment"] != stack
    ]
    assert len(labelled) >= 8
    assert missing == []


def test_every_gcp_resource_uses_the_stacks_explicit_provider() -> None:
    on_gcp = [r for r in shipped("dev").resources if r.custom and r.type.startswith("gcp:")]
    assert on_gcp and all("::pulumi:providers:gcp::gcp::" in r.options.get("provider", "") for r in on_gcp)


def test_every_backend_service_carries_the_environments_test_route_policy() -> None:
    built = shipped("dev")
    policy = built.get(SECURITY_POLICY, "rollway-dev-test-route")
    attached = {r.name: r.inputs.get("securityPolicy") for r in built.of_type("gcp:compute/backendService:BackendService")}
    assert len(attached) == 4 and set(attached.values()) == {policy.id}


def test_trusted_ranges_of_the_stack_file_may_use_the_test_route() -> None:
    rules = shipped("dev").get(SECURITY_POLICY, "rollway-dev-test-route").inputs["rules"]
    allowed = [rule["match"]["config"]["srcIpRanges"] for rule in rules if rule["action"] == "allow"]
    assert allowed[0] == stack_config("dev")["rollway:gcp"]["testAccessCidrs"] == ["198.51.100.0/24"]


def test_the_mid_rollout_service_sends_a_hundred_of_a_thousand_to_green() -> None:
    built = shipped("dev")
    backends = {r.id: r.name for r in built.of_type("gcp:compute/backendService:BackendService")}
    entries = built.get(URL_MAP, "web-routes").inputs["defaultRouteAction"]["weightedBackendServices"]
    assert {backends[e["backendService"]]: e["weight"] for e in entries} == {"web-blue": 900, "web-green": 100}


def test_prod_serves_https_per_service_hostname() -> None:
    built = shipped("prod")
    domains = sorted(
        r.inputs["managed"]["domains"][0] for r in built.of_type("gcp:compute/managedSslCertificate:ManagedSslCertificate")
    )
    assert domains == ["api.rollway.example.com", "web.rollway.example.com", "worker.rollway.example.com"]
    assert built.outputs["gcp"]["services"]["web"]["productionUrl"] == "https://web.rollway.example.com"


def test_prod_scheduled_window_becomes_a_scaling_schedule() -> None:
    policy = shipped("prod").get("gcp:compute/regionAutoscaler:RegionAutoscaler", "web-blue").inputs["autoscalingPolicy"]
    assert (policy["minReplicas"], policy["maxReplicas"]) == (3, 20)
    assert policy["scalingSchedules"][0]["timeZone"] == "Europe/Berlin"
    assert policy["scalingSchedules"][0]["minRequiredReplicas"] == 6


def test_a_color_without_image_gets_no_autoscaler() -> None:
    names = sorted(r.name for r in shipped("prod").of_type("gcp:compute/regionAutoscaler:RegionAutoscaler"))
    assert "worker-green" in names and "worker-blue" not in names


def test_outputs_name_project_region_and_each_services_route() -> None:
    built = shipped("staging")
    outputs = built.outputs["gcp"]
    assert (outputs["project"], outputs["region"], outputs["runtime"]) == (
        "rollway-staging-4821",
        "europe-west1",
        "instanceGroup",
    )
    assert outputs["services"]["api"]["urlMapId"] == built.get(URL_MAP, "api-routes").id
    assert outputs["services"]["api"]["testRoute"] == "x-rollway-test: idle"


# ------------------------------------------------------------------ Cloud Run runtime


def test_cloud_run_runtime_builds_services_and_serverless_negs_instead_of_groups() -> None:
    built = dev_on_cloud_run()
    built.resource_count_is("gcp:cloudrunv2/service:Service", 3)  # web blue+green, api blue
    built.resource_count_is("gcp:compute/regionNetworkEndpointGroup:RegionNetworkEndpointGroup", 3)
    built.resource_count_is("gcp:compute/regionInstanceGroupManager:RegionInstanceGroupManager", 0)
    built.resource_count_is("rollway:gcp:Autoscaling", 0)


def test_cloud_run_cannot_take_scheduled_windows() -> None:
    messages = gcp_problems(only_gcp(with_gcp("staging", "rollway:gcp.runtime", "cloudRun")), "Pulumi.staging.yaml")
    assert messages == [
        'Pulumi.staging.yaml: rollway:services.web.autoscaling.schedules = ["business-hours", "night"]: scheduled windows '
        "need rollway:gcp.runtime = instanceGroup (Cloud Run has no scheduled capacity); remove them or switch the runtime"
    ]


def only_gcp(config: dict[str, Any]) -> dict[str, Any]:
    # Other clouds have limits of their own that would be reported too.
    return set_path(config, "rollway:clouds", ["gcp"])


def test_builder_problems_stop_the_program_with_the_config_message() -> None:
    config = only_gcp(set_path(with_gcp("dev", "rollway:services.api.cpu", 12), "rollway:gcp.runtime", "cloudRun"))
    with pytest.raises(pulumi.RunError, match=r"Pulumi\.dev\.yaml: rollway:services\.api\.cpu = 12\.0: .*no Cloud Run shape"):
        synth(build_stack, config=config, stack="dev")


def test_build_stack_runs_the_gcp_checks_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # The loader runs GcpSettings' checks before anything is registered; build() trusts that and does not check again.
    calls: list[str] = []
    checks = GcpSettings.service_problems

    def counted(self: GcpSettings, key_prefix: str, services: Any) -> list[ConfigProblem]:
        calls.append(key_prefix)
        return checks(self, key_prefix, services)

    monkeypatch.setattr(GcpSettings, "service_problems", counted)
    synth(build_stack, config=only_gcp(stack_config("dev")), stack="dev")
    assert calls == ["rollway:gcp"]


# ------------------------------------------------------------------ blast radius


@pytest.mark.parametrize("weight", [0, 50, 100])
def test_a_canary_step_changes_only_the_url_map(weight: int) -> None:
    after = build(with_gcp("dev", "rollway:services.web.canaryWeight", weight), "dev")
    assert changed_resources(shipped("dev"), after) == {"web-routes": URL_MAP}


def test_a_canary_step_on_cloud_run_changes_only_the_url_map() -> None:
    config = set_path(with_gcp("dev", "rollway:gcp.runtime", "cloudRun"), "rollway:services.web.canaryWeight", 30)
    assert changed_resources(dev_on_cloud_run(), build(config, "dev")) == {"web-routes": URL_MAP}


def test_a_live_flip_changes_only_routing_resources() -> None:
    config = set_path(with_gcp("prod", "rollway:services.web.liveColor", "green"), "rollway:services.web.canaryWeight", 0)
    changed = changed_resources(shipped("prod"), build(config, "prod"))
    assert changed == {"web-routes": URL_MAP}


# ------------------------------------------------------------------ secrets


def test_secrets_reach_secret_manager_only_as_secrets() -> None:
    config = set_path(stack_config("dev"), "rollway:services.web.secrets", {"DB_PASSWORD": "db-password"})
    built = build(config, "dev", secrets={"rollway:secrets": {"db-password": PASSWORD}})
    built.resource_count_is("gcp:secretmanager/secretVersion:SecretVersion", 1)
    assert built.plaintext_paths(PASSWORD) == []


# ------------------------------------------------------------------ GCP config errors


def problems(config: dict[str, Any]) -> list[str]:
    bag = {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}
    with pytest.raises(ConfigError) as failure:
        load_stack_config(bag, secret_keys=(), source="Pulumi.dev.yaml")
    return failure.value.render().splitlines()


def targeting_gcp(**gcp_block: Any) -> dict[str, Any]:
    config = stack_config("dev")
    config["rollway:clouds"] = ["gcp"]
    config["rollway:gcp"] = {**config["rollway:gcp"], **gcp_block}
    return config


def test_bad_region_format_is_named() -> None:
    config = targeting_gcp()
    config["gcp:region"] = "Europe West 1"
    assert problems(config) == [
        'Pulumi.dev.yaml: rollway:gcp.region = "Europe West 1": must be a Google Cloud region such as europe-west1'
    ]


def test_missing_project_is_named() -> None:
    config = targeting_gcp()
    del config["gcp:project"]
    assert problems(config) == ["Pulumi.dev.yaml: rollway:gcp.project: is required when gcp is targeted (or set gcp:project)"]


def test_subnet_overlapping_another_clouds_network_is_named() -> None:
    config = targeting_gcp(subnetCidr="10.10.16.0/20")
    config["rollway:clouds"] = ["aws", "gcp"]
    assert problems(config) == [
        'Pulumi.dev.yaml: rollway:gcp.subnetCidr = "10.10.16.0/20": overlaps rollway:aws.vpcCidr (10.10.0.0/16); '
        "give each network its own address range"
    ]


def test_proxy_only_subnet_overlapping_the_workload_subnet_is_named() -> None:
    assert problems(targeting_gcp(proxyOnlyCidr="10.40.8.0/23")) == [
        'Pulumi.dev.yaml: rollway:gcp.proxyOnlyCidr = "10.40.8.0/23": overlaps rollway:gcp.subnetCidr (10.40.0.0/20); '
        "give each network its own address range"
    ]


def test_too_small_subnet_is_named() -> None:
    assert problems(targeting_gcp(subnetCidr="10.40.0.0/28")) == [
        'Pulumi.dev.yaml: rollway:gcp.subnetCidr = "10.40.0.0/28": must be /26 or larger (Cloud Run Direct VPC egress '
        "and instance groups need room to scale)"
    ]


def test_unknown_runtime_is_named() -> None:
    assert problems(targeting_gcp(runtime="gke")) == [
        'Pulumi.dev.yaml: rollway:gcp.runtime = "gke": must be one of: cloudRun or instanceGroup'
    ]


def test_typo_in_a_gcp_key_gets_a_suggestion() -> None:
    assert problems(targeting_gcp(subnetCidrs="10.40.0.0/20")) == [
        "Pulumi.dev.yaml: rollway:gcp.subnetCidrs: is not a known key; did you mean `subnetCidr`?"
    ]


def test_test_access_for_the_whole_internet_is_refused() -> None:
    assert problems(targeting_gcp(testAccessCidrs=["198.51.100.0/24", "0.0.0.0/0"])) == [
        'Pulumi.dev.yaml: rollway:gcp.testAccessCidrs[1] = "0.0.0.0/0": must not admit the whole internet; the test '
        "route reaches the idle color (use a VPN, office or CI range)"
    ]


def test_test_header_name_outside_letters_digits_and_dashes_is_refused() -> None:
    # The name also goes into the Cloud Armor expression guarding the route.
    assert problems(targeting_gcp(testRoute={"headerName": "x-smoke'test"})) == [
        'Pulumi.dev.yaml: rollway:gcp.testRoute.headerName = "x-smoke\'test": must be an HTTP header name (letters, '
        "digits, '-') not reserved by Google (Host, X-Google*, X-Goog-*, X-GFE*)"
    ]


def test_bad_domain_and_reserved_test_header_are_named() -> None:
    found = problems(targeting_gcp(domain="https://rollway.example.com", testRoute={"headerName": "X-Goog-Test"}))
    assert found == [
        'Pulumi.dev.yaml: rollway:gcp.domain = "https://rollway.example.com": must be a lowercase DNS domain such as '
        "rollway.example.com (no scheme, port or trailing dot)",
        'Pulumi.dev.yaml: rollway:gcp.testRoute.headerName = "X-Goog-Test": must be an HTTP header name (letters, digits, '
        "'-') not reserved by Google (Host, X-Google*, X-Goog-*, X-GFE*)",
    ]


def test_bad_schedule_timezone_stops_the_program_before_anything_is_registered() -> None:
    config = only_gcp(with_gcp("prod", "rollway:services.web.autoscaling.schedules[0].timezone", "Mars/Olympus"))
    with pytest.raises(pulumi.RunError, match=r"schedules\[0\]\.timezone = \"Mars/Olympus\": must be an IANA time zone"):
        synth(build_stack, config=config, stack="prod")


def test_multi_line_environment_values_are_refused_on_instance_groups() -> None:
    config = only_gcp(with_gcp("dev", "rollway:services.web.environment", {"BANNER": "line one\nline two"}))
    with pytest.raises(pulumi.RunError, match=r"rollway:services\.web\.environment\.BANNER = .*must be a single line"):
        synth(build_stack, config=config, stack="dev")


def gcp_problems(config: dict[str, Any], source: str = "Pulumi.prod.yaml") -> list[str]:
    """Every problem the loader reports (GCP's own checks run with the rest of the validation)."""
    bag = {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}
    try:
        load_stack_config(bag, secret_keys=(), source=source)
    except ConfigError as error:
        return error.render().splitlines()
    return []


def test_window_names_that_become_the_same_gcp_schedule_name_are_refused() -> None:
    config = with_gcp("prod", "rollway:services.web.autoscaling.schedules[1].name", "Business Hours")
    assert gcp_problems(only_gcp(config)) == [
        'Pulumi.prod.yaml: rollway:services.web.autoscaling.schedules[1].name = "Business Hours": names the same GCP '
        "scaling schedule as window `business-hours` (business-hours); window names must differ in more than case and "
        "punctuation"
    ]


def test_valid_windows_raise_no_gcp_problem() -> None:
    assert gcp_problems(stack_config("prod")) == []


@pytest.mark.parametrize(
    "expression",
    ["0 7 * * MON-FRI", "*/20 6-8 * * *", "30 22 1,15 * *", "0 0 * JAN-MAR/2 *", "5 4/6 * * sun", "0 12 * * 0,6"],
)
def test_gcp_schedule_durations_read_cron_as_the_config_model_does(expression: str) -> None:
    # The config model validates cron once for every cloud (stacks/config/schedules.py); components cannot
    # import stacks, so the GCP duration math parses again and must agree on every accepted expression.
    parsed = parse_cron(expression)
    starts = cron_starts(expression, "UTC", datetime(2026, 1, 1), 366)
    expected = [
        datetime(day.year, day.month, day.day, hour, minute)
        for day in (datetime(2026, 1, 1) + timedelta(days=offset) for offset in range(366))
        if parsed.fires_on(day.date())
        for hour in sorted(parsed.hours)
        for minute in sorted(parsed.minutes)
    ]
    assert starts == expected
