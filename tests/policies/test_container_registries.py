"""`container-allowed-registries`: off until configured, then the same rule for every cloud's workloads."""

from __future__ import annotations

import json
from typing import Any

import pytest
from policy_harness import UNKNOWN, check

POLICY = "container-allowed-registries"
ALLOWED = {"allowedRegistries": ["ghcr.io/acme/", "registry.k8s.io/"]}
MINER = "docker.io/randomuser/miner:latest"


def _workloads(image: str) -> list[tuple[str, dict[str, Any]]]:
    """One resource per cloud's workload shape, running `image`."""
    return [
        (
            "kubernetes:apps/v1:Deployment",
            {"spec": {"template": {"spec": {"initContainers": [{"name": "init", "image": image}], "containers": []}}}},
        ),
        (
            "kubernetes:batch/v1:CronJob",
            {"spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"image": image}]}}}}}},
        ),
        ("aws:ecs/taskDefinition:TaskDefinition", {"containerDefinitions": json.dumps([{"name": "app", "image": image}])}),
        ("gcp:cloudrunv2/service:Service", {"template": {"containers": [{"image": image}]}}),
        ("gcp:cloudrunv2/job:Job", {"template": {"template": {"containers": [{"image": image}]}}}),
        ("gcp:cloudrun/service:Service", {"template": {"spec": {"containers": [{"image": image}]}}}),
        (
            "gcp:compute/instanceTemplate:InstanceTemplate",
            {"metadata": {"user-data": f"ExecStart=/usr/bin/docker run --rm --name w -p 80:80 --env-file /run/e {image} serve"}},
        ),
        (
            "gcp:compute/regionInstanceTemplate:RegionInstanceTemplate",
            {"metadata": {"gce-container-declaration": f"spec:\n  containers:\n    - name: app\n      image: '{image}'\n"}},
        ),
        ("azure-native:app:ContainerApp", {"template": {"containers": [{"name": "app", "image": image}]}}),
        ("azure-native:app:Job", {"template": {"containers": [{"name": "app", "image": image}]}}),
        ("azure-native:containerinstance:ContainerGroup", {"containers": [{"name": "app", "image": image}]}),
    ]


WORKLOADS = _workloads(MINER)


@pytest.mark.parametrize(("resource_type", "props"), WORKLOADS, ids=[item[0] for item in WORKLOADS])
def test_an_image_from_elsewhere_is_reported_on_every_cloud(resource_type: str, props: dict[str, Any]) -> None:
    outcome = check(POLICY, resource_type, props, config=ALLOWED)
    assert len(outcome.violations) == 1 and MINER in outcome.violations[0]
    assert 'key "container-allowed-registries".{allowedRegistries}' in outcome.violations[0]


@pytest.mark.parametrize(("resource_type", "props"), _workloads("ghcr.io/acme/web:1.4.0"), ids=[item[0] for item in WORKLOADS])
def test_an_image_from_an_allowed_registry_passes(resource_type: str, props: dict[str, Any]) -> None:
    assert check(POLICY, resource_type, props, config=ALLOWED).passed


@pytest.mark.parametrize(("resource_type", "props"), WORKLOADS, ids=[item[0] for item in WORKLOADS])
def test_nothing_is_enforced_until_a_registry_is_configured(resource_type: str, props: dict[str, Any]) -> None:
    assert check(POLICY, resource_type, props).passed
    assert check(POLICY, resource_type, props, config={"allowedRegistries": []}).passed


def test_a_prefix_matches_from_the_start_only() -> None:
    props = {"template": {"containers": [{"image": "evil.io/ghcr.io/acme/web:1"}]}}
    assert len(check(POLICY, "gcp:cloudrunv2/service:Service", props, config=ALLOWED).violations) == 1


def test_an_image_unknown_during_preview_is_a_cannot_know_note() -> None:
    outcome = check(POLICY, "gcp:cloudrunv2/service:Service", {"template": {"containers": [{"image": UNKNOWN}]}}, config=ALLOWED)
    assert outcome.violations == [] and outcome.unknown is not None


def test_a_task_definition_built_from_outputs_is_a_cannot_know_note() -> None:
    outcome = check(POLICY, "aws:ecs/taskDefinition:TaskDefinition", {"containerDefinitions": UNKNOWN}, config=ALLOWED)
    assert outcome.violations == [] and outcome.unknown is not None
