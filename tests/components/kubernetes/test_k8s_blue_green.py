"""BlueGreenTargets on Kubernetes: Deployments and Services per color, production and test Services, secrets."""

from __future__ import annotations

import pytest
from k8s_fixtures import DEPLOYMENT, LABELS, NAMESPACE, PASSWORD, SECRET, SERVICE, blue_green, pod_spec

from rollway.testing import Match

COLOR_SELECTOR = "rollway.io/color"
APP_SELECTOR = "app.kubernetes.io/name"


def test_each_color_with_an_image_gets_a_deployment() -> None:
    stack = blue_green()
    stack.resource_count_is(DEPLOYMENT, 2)
    stack.has_resource_properties(DEPLOYMENT, {"metadata": {"name": "web-green", "namespace": NAMESPACE}}, name="web-green")


def test_a_color_without_an_image_gets_a_service_but_no_deployment() -> None:
    stack = blue_green(images=(("blue", "ghcr.io/acme/web:1"), ("green", None)))
    stack.resource_count_is(DEPLOYMENT, 1)
    stack.get(SERVICE, "web-green")


def test_every_child_is_parented_to_the_component() -> None:
    stack = blue_green()
    component = stack.get("rollway:kubernetes:BlueGreenTargets", "web")
    children = {(r.type, r.name) for r in stack.children_of(component)}
    assert children == {
        (DEPLOYMENT, "web-blue"),
        (DEPLOYMENT, "web-green"),
        (SERVICE, "web-blue"),
        (SERVICE, "web-green"),
        (SERVICE, "web-production"),
        (SERVICE, "web-test"),
        (SECRET, "web-env"),
    }


@pytest.mark.parametrize("color", ["blue", "green"])
def test_pods_are_hardened(color: str) -> None:
    spec = pod_spec(blue_green(), DEPLOYMENT, f"web-{color}")
    assert spec["securityContext"] == {
        "runAsNonRoot": True,
        "runAsUser": 10001,
        "runAsGroup": 10001,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    assert spec["automountServiceAccountToken"] is False
    for container in spec["containers"]:
        assert container["imagePullPolicy"] == "Always"
        assert container["securityContext"] == {
            "runAsNonRoot": True,
            "readOnlyRootFilesystem": True,
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        }


def test_a_configured_uid_runs_the_pods_as_that_user_and_group() -> None:
    context = pod_spec(blue_green(run_as_user=10001), DEPLOYMENT, "web-green")["securityContext"]
    assert context == {
        "runAsNonRoot": True,
        "runAsUser": 10001,
        "runAsGroup": 10001,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def test_read_only_root_still_has_a_writable_tmp() -> None:
    spec = pod_spec(blue_green(), DEPLOYMENT, "web-blue")
    assert spec["volumes"] == [{"name": "tmp", "emptyDir": {}}]
    assert spec["containers"][0]["volumeMounts"] == [{"name": "tmp", "mountPath": "/tmp"}]


def test_requests_and_limits_come_from_cpu_and_memory() -> None:
    container = pod_spec(blue_green(), DEPLOYMENT, "web-blue")["containers"][0]
    size = {"cpu": "500m", "memory": "1024Mi"}
    assert container["resources"] == {"requests": size, "limits": size}


def test_probes_check_the_health_path_on_the_named_port() -> None:
    container = pod_spec(blue_green(), DEPLOYMENT, "web-blue")["containers"][0]
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"] == {"path": "/healthz", "port": "http"}, probe
    assert container["ports"] == [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]


def test_deployments_leave_replicas_to_the_autoscaler() -> None:
    stack = blue_green(replicas=None)
    for color in ("blue", "green"):
        stack.has_resource_properties(DEPLOYMENT, {"spec": {"replicas": Match.absent()}}, name=f"web-{color}")


def test_fixed_replicas_are_set_when_nothing_autoscales() -> None:
    blue_green(replicas=3).has_resource_properties(DEPLOYMENT, {"spec": {"replicas": 3}}, name="web-blue")


def test_rolling_updates_never_drop_ready_pods() -> None:
    blue_green().has_resource_properties(
        DEPLOYMENT, {"spec": {"strategy": {"rollingUpdate": {"maxUnavailable": 0}}}}, name="web-blue"
    )


@pytest.mark.parametrize("color", ["blue", "green"])
def test_each_color_service_selects_its_own_pods(color: str) -> None:
    stack = blue_green()
    selector = {APP_SELECTOR: "web", COLOR_SELECTOR: color}
    stack.has_resource_properties(
        SERVICE, {"metadata": {"name": f"web-{color}"}, "spec": {"selector": Match.object_equals(selector)}}, name=f"web-{color}"
    )
    stack.has_resource_properties(
        DEPLOYMENT,
        {"spec": {"selector": {"matchLabels": Match.object_equals(selector)}, "template": {"metadata": {"labels": selector}}}},
        name=f"web-{color}",
    )


@pytest.mark.parametrize(("live", "idle"), [("blue", "green"), ("green", "blue")])
def test_production_service_follows_the_live_color(live: str, idle: str) -> None:
    blue_green(live=live).has_resource_properties(
        SERVICE, {"metadata": {"name": "web"}, "spec": {"selector": {COLOR_SELECTOR: live}}}, name="web-production"
    )


@pytest.mark.parametrize(("live", "idle"), [("blue", "green"), ("green", "blue")])
def test_test_service_always_reaches_the_idle_color(live: str, idle: str) -> None:
    blue_green(live=live).has_resource_properties(
        SERVICE,
        {"metadata": {"name": "web-test"}, "spec": {"selector": {APP_SELECTOR: "web", COLOR_SELECTOR: idle}}},
        name="web-test",
    )


def test_switching_live_color_changes_only_the_production_and_test_services() -> None:
    changes = blue_green(live="green").changes_from(blue_green(live="blue"))
    assert sorted((c.type, c.name) for c in changes) == [(SERVICE, "web-production"), (SERVICE, "web-test")]
    assert {c.path for change in changes for c in change.changes} == {"spec.selector.rollway.io/color"}


def test_color_services_do_not_wait_for_endpoints_but_production_does() -> None:
    stack = blue_green()
    stack.has_resource_properties(SERVICE, {"metadata": {"annotations": {"pulumi.com/skipAwait": "true"}}}, name="web-green")
    stack.has_resource_properties(SERVICE, {"metadata": {"annotations": Match.absent()}}, name="web-production")


def test_secrets_are_stored_in_a_kubernetes_secret_as_secret_values() -> None:
    stack = blue_green()
    stack.has_resource_properties(SECRET, {"stringData": Match.secret({"DB_PASSWORD": PASSWORD})}, name="web-env")


def test_secret_env_vars_reference_the_secret_instead_of_a_value() -> None:
    stack = blue_green()
    secret_name = stack.get(SECRET, "web-env").outputs["metadata"]["name"]
    env = pod_spec(stack, DEPLOYMENT, "web-blue")["containers"][0]["env"]
    assert {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": secret_name, "key": "DB_PASSWORD"}}} in env
    assert {"name": "LOG_LEVEL", "value": "info"} in env


def test_secret_values_never_appear_in_plain_text() -> None:
    assert blue_green().plaintext_paths(PASSWORD) == []


def test_no_secret_object_without_secrets() -> None:
    stack = blue_green(with_secret=False)
    stack.resource_count_is(SECRET, 0)
    assert all("valueFrom" not in var for var in pod_spec(stack, DEPLOYMENT, "web-blue")["containers"][0]["env"])


def test_every_child_and_pod_carries_the_labels() -> None:
    stack = blue_green()
    stack.all_resources_have("kubernetes:", {"metadata": {"labels": LABELS}})
    for color in ("blue", "green"):
        stack.has_resource_properties(DEPLOYMENT, {"spec": {"template": {"metadata": {"labels": LABELS}}}}, name=f"web-{color}")
