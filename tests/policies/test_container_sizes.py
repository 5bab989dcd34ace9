"""Container sizes in every spelling the runtimes accept reach the ceiling and the budget (dev: 1 vCPU, 2048 MiB)."""

from __future__ import annotations

from typing import Any

import pytest
from policy_harness import Res, check, check_stack

from policies.common.ecs import task_cpu_units, task_memory_mib
from policies.common.kubernetes import cpu_cores, memory_mib

DEV = {"environment": "dev", "cost-center": "cc", "owner": "team"}
TASK = "aws:ecs/taskDefinition:TaskDefinition"


def _task(cpu: Any, memory: Any) -> dict[str, Any]:
    return {"family": "web", "cpu": cpu, "memory": memory, "requiresCompatibilities": ["FARGATE"], "tags": DEV}


@pytest.mark.parametrize(
    ("value", "units"),
    [("1024", 1024), (1024, 1024), ("1 vCPU", 1024), ("1vcpu", 1024), ("0.25 vCPU", 256), (" 2 VCPU ", 2048)],
)
def test_ecs_task_cpu_is_read_in_units_or_vcpus(value: Any, units: float) -> None:
    assert task_cpu_units(value) == units


@pytest.mark.parametrize(("value", "mib"), [("2048", 2048), (2048, 2048), ("2 GB", 2048), ("2GB", 2048), ("0.5 gb", 512)])
def test_ecs_task_memory_is_read_in_mib_or_gb(value: Any, mib: float) -> None:
    assert task_memory_mib(value) == mib


@pytest.mark.parametrize("value", ["1 core", "2 GiB", "lots", ""])
def test_other_ecs_spellings_are_not_guessed(value: str) -> None:
    assert task_cpu_units(value) is None and task_memory_mib(value) is None


@pytest.mark.parametrize(
    ("value", "cores"), [("500m", 0.5), ("2", 2.0), (2, 2.0), ("1e3", 1000.0), ("2E0", 2.0), ("1500000u", 1.5), (".5", 0.5)]
)
def test_kubernetes_cpu_quantities_are_read(value: Any, cores: float) -> None:
    assert cpu_cores(value) == pytest.approx(cores)


@pytest.mark.parametrize(
    ("value", "mib"), [("512Mi", 512), ("1Gi", 1024), ("1G", 1e9 / 1024**2), ("1048576", 1), ("2e9", 2e9 / 1024**2)]
)
def test_kubernetes_memory_quantities_are_read(value: str, mib: float) -> None:
    assert memory_mib(value) == pytest.approx(mib)


@pytest.mark.parametrize("value", ["1e", "Gi", "1 Gb", "1e400", "2e6k", "abc"])
def test_malformed_quantities_are_not_read(value: str) -> None:
    assert memory_mib(value) is None


@pytest.mark.parametrize(("cpu", "says"), [("2 vCPU", "2 vCPU > 1"), ("4 vcpu", "4 vCPU > 1")])
def test_ecs_task_cpu_in_vcpus_is_held_to_the_ceiling(cpu: str, says: str) -> None:
    assert says in check("container-size-ceiling", TASK, _task(cpu, "2048")).violations[0]


def test_ecs_task_memory_in_gb_is_held_to_the_ceiling() -> None:
    assert "4096 MiB > 2048" in check("container-size-ceiling", TASK, _task("1024", "4 GB")).violations[0]


def test_ecs_task_in_vcpus_and_gb_within_the_ceiling_passes() -> None:
    assert check("container-size-ceiling", TASK, _task("0.5 vCPU", "1 GB")).passed


def test_unreadable_ecs_task_size_is_reported_not_skipped() -> None:
    outcome = check("container-size-ceiling", TASK, _task("1 core", "2048"))
    assert "task cpu '1 core' is not a size this policy can read" in outcome.violations[0]
    assert "'1 vCPU'" in outcome.violations[0]


def test_unreadable_kubernetes_quantity_is_reported_not_skipped() -> None:
    props = {
        "metadata": {"namespace": "a", "labels": DEV},
        "spec": {"template": {"spec": {"containers": [{"name": "app", "resources": {"limits": {"memory": "2 gigs"}}}]}}},
    }
    outcome = check("container-size-ceiling", "kubernetes:apps/v1:Deployment", props)
    assert "resources.limits.memory '2 gigs' is not a size" in outcome.violations[0]


def test_kubernetes_exponent_quantity_is_held_to_the_ceiling() -> None:
    props = {
        "metadata": {"namespace": "a", "labels": DEV},
        "spec": {"template": {"spec": {"containers": [{"name": "app", "resources": {"limits": {"cpu": "2e0"}}}]}}},
    }
    assert "2 vCPU > 1" in check("container-size-ceiling", "kubernetes:apps/v1:Deployment", props).violations[0]


def test_budget_prices_ecs_tasks_sized_in_vcpus_and_gb() -> None:
    task = Res(TASK, "big-task", {"cpu": "4 vCPU", "memory": "8 GB", "requiresCompatibilities": ["FARGATE"]})
    service = Res(
        "aws:ecs/service:Service",
        "big",
        {"name": "big", "launchType": "FARGATE", "desiredCount": 40, "tags": DEV},
        dependencies=[task.urn],
        property_dependencies={"taskDefinition": [task.urn]},
    )
    message = check_stack("monthly-budget", [task, service]).violations[0]
    assert "40 x Fargate 4 vCPU / 8 GB" in message
