"""GCP BlueGreenTargets on both runtimes: one backend service (target pool) per color behind the
EXTERNAL_MANAGED load balancer, Cloud Run services through serverless NEGs or instance groups with
health checks, secrets in Secret Manager, labels on everything labelable."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import yaml
from gcp_fixtures import (
    BACKEND_SERVICE,
    BOTH,
    CLOUD_RUN,
    GROUP,
    HEALTH_CHECK,
    LABELS,
    NEG,
    PASSWORD,
    POLICY_ID,
    PROJECT,
    RUNTIME_EMAIL,
    TEMPLATE,
    blue_green_args,
    cloud_run,
    instance_groups,
    labelable,
)

from components.gcp import BlueGreenTargets
from components.gcp.autoscaling import backend_max_rate_per_instance
from rollway.testing import Match, Secret, SynthesizedStack

# ------------------------------------------------------------------ both runtimes


@pytest.mark.parametrize("build", [cloud_run, instance_groups], ids=["cloudRun", "instanceGroup"])
def test_one_external_managed_backend_service_per_color(build: Callable[..., SynthesizedStack]) -> None:
    stack = build()
    stack.resource_count_is(BACKEND_SERVICE, 2, {"loadBalancingScheme": "EXTERNAL_MANAGED"})
    assert sorted(r.name for r in stack.of_type(BACKEND_SERVICE)) == ["web-blue", "web-green"]


@pytest.mark.parametrize("build", [cloud_run, instance_groups], ids=["cloudRun", "instanceGroup"])
def test_both_colors_carry_the_same_cloud_armor_policy(build: Callable[..., SynthesizedStack]) -> None:
    # The policy guards the test route by request, not by color, so a live flip never has to move it.
    stack = build()
    assert {r.name: r.inputs.get("securityPolicy") for r in stack.of_type(BACKEND_SERVICE)} == {
        "web-blue": POLICY_ID,
        "web-green": POLICY_ID,
    }


@pytest.mark.parametrize("build", [cloud_run, instance_groups], ids=["cloudRun", "instanceGroup"])
def test_every_labelable_resource_carries_the_labels_and_its_color(build: Callable[..., SynthesizedStack]) -> None:
    stack = build(with_secret=True)
    labelled = [r for r in stack.resources if labelable(r)]
    assert len(labelled) >= 3
    for resource in labelled:
        labels = resource.inputs.get("labels") or {}
        assert LABELS.items() <= labels.items(), resource.name
        assert labels["rollway-service"] == "web"


@pytest.mark.parametrize("build", [cloud_run, instance_groups], ids=["cloudRun", "instanceGroup"])
def test_secrets_live_in_secret_manager_and_never_appear_in_plain_text(build: Callable[..., SynthesizedStack]) -> None:
    stack = build(with_secret=True)
    stack.has_resource_properties(
        "gcp:secretmanager/secret:Secret", {"secretId": "rollway-dev-web-db-password", "replication": {"auto": {}}}
    )
    version = stack.get("gcp:secretmanager/secretVersion:SecretVersion", "web-db-password")
    assert version.inputs["secretData"] == Secret(PASSWORD)
    stack.has_resource_properties(
        "gcp:secretmanager/secretIamMember:SecretIamMember",
        {"role": "roles/secretmanager.secretAccessor", "member": f"serviceAccount:{RUNTIME_EMAIL}"},
    )
    assert stack.plaintext_paths(PASSWORD) == []


@pytest.mark.parametrize("build", [cloud_run, instance_groups], ids=["cloudRun", "instanceGroup"])
def test_every_child_is_parented_to_the_component(build: Callable[..., SynthesizedStack]) -> None:
    stack = build(with_secret=True)
    component = stack.get("rollway:gcp:BlueGreenTargets", "web")
    custom = [r for r in stack.resources if r.custom and not r.is_provider]
    assert all(r.parent == component.urn for r in custom)
    assert all(r.name.startswith("web-") for r in custom)


# ------------------------------------------------------------------ Cloud Run


def test_cloud_run_one_service_per_color_reachable_only_through_the_load_balancer() -> None:
    stack = cloud_run()
    for color, image in (("blue", "ghcr.io/rollway/web:1.4.0"), ("green", "ghcr.io/rollway/web:1.5.0")):
        service = stack.get(CLOUD_RUN, f"web-{color}").inputs
        assert service["ingress"] == "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER"
        assert service["defaultUriDisabled"] is True
        assert service["template"]["containers"][0]["image"] == image
        assert service["template"]["serviceAccount"] == RUNTIME_EMAIL


def test_cloud_run_backends_are_serverless_negs_of_their_own_color() -> None:
    stack = cloud_run()
    for color in ("blue", "green"):
        service = stack.get(CLOUD_RUN, f"web-{color}")
        neg = stack.get(NEG, f"web-{color}")
        assert neg.inputs["networkEndpointType"] == "SERVERLESS"
        assert neg.inputs["cloudRun"] == {"service": service.outputs["name"]}
        backend = stack.get(BACKEND_SERVICE, f"web-{color}").inputs
        assert backend["backends"] == [{"group": neg.id}]
        assert "healthChecks" not in backend


def test_cloud_run_color_without_image_keeps_an_empty_backend_service() -> None:
    stack = cloud_run(blue_only=True)
    stack.resource_count_is(CLOUD_RUN, 1)
    stack.resource_count_is(NEG, 1)
    assert stack.get(BACKEND_SERVICE, "web-green").inputs.get("backends", []) == []


def test_cloud_run_rounds_fractional_cpu_up_to_one_vcpu() -> None:
    resources = cloud_run().get(CLOUD_RUN, "web-blue").inputs["template"]["containers"][0]["resources"]
    assert resources == {"limits": {"cpu": "1", "memory": "512Mi"}, "cpuIdle": True, "startupCpuBoost": True}


def test_cloud_run_scaling_bounds_cpu_target_and_concurrency() -> None:
    template = cloud_run().get(CLOUD_RUN, "web-green").inputs["template"]
    assert template["scaling"] == {"minInstanceCount": 2, "maxInstanceCount": 6, "cpuUtilization": 0.6}
    assert template["maxInstanceRequestConcurrency"] == 40


def test_cloud_run_egress_goes_through_the_vpc() -> None:
    vpc = cloud_run().get(CLOUD_RUN, "web-blue").inputs["template"]["vpcAccess"]
    assert vpc["egress"] == "ALL_TRAFFIC"
    assert vpc["networkInterfaces"][0]["tags"] == ["rollway-dev-workload"]


def test_cloud_run_reads_secrets_by_reference() -> None:
    envs = cloud_run(with_secret=True).get(CLOUD_RUN, "web-blue").inputs["template"]["containers"][0]["envs"]
    assert {"name": "LOG_LEVEL", "value": "info"} in envs
    assert {
        "name": "DB_PASSWORD",
        "valueSource": {"secretKeyRef": {"secret": "rollway-dev-web-db-password", "version": "latest"}},
    } in envs


def test_cloud_run_waits_for_its_secret_access() -> None:
    stack = cloud_run(with_secret=True)
    access = stack.get("gcp:secretmanager/secretIamMember:SecretIamMember", "web-db-password-runtime")
    assert access.urn in stack.get(CLOUD_RUN, "web-blue").dependencies


# ------------------------------------------------------------------ instance groups


def test_instance_groups_run_cos_vms_without_external_addresses() -> None:
    template = instance_groups().get(TEMPLATE, "web-blue").inputs
    assert template["disks"][0]["sourceImage"] == "projects/cos-cloud/global/images/family/cos-stable"
    assert template["networkInterfaces"][0].get("accessConfigs", []) == []
    assert template["machineType"] == "e2-micro"
    assert template["tags"] == ["rollway-dev-workload"]
    assert template["shieldedInstanceConfig"] == {
        "enableSecureBoot": True,
        "enableVtpm": True,
        "enableIntegrityMonitoring": True,
    }
    assert template["serviceAccount"]["email"] == RUNTIME_EMAIL


def test_instance_group_leaves_its_size_to_the_autoscaler() -> None:
    group = instance_groups().get(GROUP, "web-green").inputs
    assert "targetSize" not in group
    assert group["namedPorts"] == [{"name": "http", "port": 8080}]


def test_instance_group_autoheals_with_its_colors_health_check() -> None:
    stack = instance_groups()
    health = stack.get(HEALTH_CHECK, "web-blue")
    assert health.inputs["httpHealthCheck"] == {"port": 8080, "requestPath": "/healthz"}
    group = stack.get(GROUP, "web-blue").inputs
    assert group["autoHealingPolicies"]["healthCheck"] == health.id
    assert group["versions"][0]["instanceTemplate"] == stack.get(TEMPLATE, "web-blue").outputs["selfLink"]


def test_instance_group_backend_uses_its_health_check_and_request_rate_capacity() -> None:
    stack = instance_groups()
    backend = stack.get(BACKEND_SERVICE, "web-green").inputs
    assert backend["healthChecks"] == stack.get(HEALTH_CHECK, "web-green").id
    assert backend["portName"] == "http"
    assert backend["backends"] == [
        {
            "group": stack.get(GROUP, "web-green").outputs["instanceGroup"],
            "balancingMode": "RATE",
            "maxRatePerInstance": backend_max_rate_per_instance(600),
            "capacityScaler": 1,
        }
    ]
    # 600 requests per minute per instance, aimed at by 80% load-balancing utilization.
    assert backend_max_rate_per_instance(600) == 12.5


def test_instance_group_backend_balances_on_utilization_without_a_request_target() -> None:
    backend = instance_groups(requests_per_target=None).get(BACKEND_SERVICE, "web-blue").inputs
    assert backend["backends"][0]["balancingMode"] == "UTILIZATION"
    assert "maxRatePerInstance" not in backend["backends"][0]


def test_instance_group_color_without_image_keeps_health_check_and_empty_backend() -> None:
    stack = instance_groups(blue_only=True)
    stack.resource_count_is(GROUP, 1)
    stack.resource_count_is(HEALTH_CHECK, 2)
    assert stack.get(BACKEND_SERVICE, "web-green").inputs.get("backends", []) == []


def test_instance_user_data_runs_the_image_and_fetches_secrets_by_name() -> None:
    metadata = instance_groups(with_secret=True).get(TEMPLATE, "web-green").inputs["metadata"]
    assert metadata["enable-oslogin"] == "TRUE"
    document = yaml.safe_load(metadata["user-data"])
    files = {item["path"]: item["content"] for item in document["write_files"]}
    unit = files["/etc/systemd/system/rollway-workload.service"]
    assert "-p 8080:8080" in unit and unit.rstrip().count("ghcr.io/rollway/web:1.5.0") == 1
    assert f"projects/{PROJECT}/secrets/rollway-dev-web-db-password" in files["/etc/rollway/fetch-secrets.sh"]
    assert files["/etc/rollway/plain.env"] == "LOG_LEVEL=info\n"
    assert PASSWORD not in metadata["user-data"]


def test_unknown_runtime_is_refused_before_anything_registers() -> None:
    with pytest.raises(ValueError, match="unknown GCP runtime 'gke'"):
        BlueGreenTargets("web", blue_green_args("gke", BOTH))


def test_cloud_run_labels_name_the_service_and_color() -> None:
    cloud_run().has_resource_properties(
        CLOUD_RUN, {"labels": Match.object_equals({**LABELS, "rollway-service": "web", "rollway-color": "blue"})}
    )
