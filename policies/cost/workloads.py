"""Container sizes and autoscaling bounds per environment, on all four clouds."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from pulumi_policy import Severity

from policies.common.ecs import CPU_UNITS_PER_VCPU, container_definitions, task_cpu_units, task_memory_mib
from policies.common.framework import MANDATORY, EnvironmentLimits, Report, ResourceContext, resource_policy
from policies.common.kubernetes import WORKLOAD_TYPES, container_name, containers, cpu_cores, memory_mib, pod_spec, resources_of
from policies.common.props import Unknown, get, items, number

ECS_TASK = "aws:ecs/taskDefinition:TaskDefinition"
CONTAINER_APP = "azure-native:app:ContainerApp"
CLOUD_RUN = "gcp:cloudrunv2/service:Service"


@dataclass(frozen=True)
class SizeReading:
    """One sized unit's CPU or memory setting: as written, and as read (vCPUs or MiB)."""

    key: str
    """Property path shown in messages, e.g. `cpu` or `resources.limits.memory`."""
    raw: Any
    """The value as written; None when unset."""
    value: float | Unknown | None
    """vCPUs or MiB; `Unknown` during preview; None when unset or not readable."""
    forms: str
    """The spellings this runtime accepts, for the message when `raw` cannot be read."""

    @property
    def unreadable(self) -> bool:
        return self.raw is not None and self.value is None


def _reading(key: str, raw: Any, parse: Callable[[Any], float | None], forms: str, default: float | None = None) -> SizeReading:
    if isinstance(raw, Unknown):
        return SizeReading(key, raw, raw, forms)
    return SizeReading(key, raw, parse(raw) if raw is not None else default, forms)


_ECS_CPU = "CPU units (1024) or vCPUs ('1 vCPU')"
_ECS_MEMORY = "MiB (2048) or GB ('2 GB')"
_K8S_CPU = "a quantity such as 500m or 2"
_K8S_MEMORY = "a quantity such as 512Mi or 2Gi"


def _ecs_vcpus(value: Any) -> float | None:
    units = task_cpu_units(value)
    return units / CPU_UNITS_PER_VCPU if units is not None else None


def container_sizes(resource_type: str, props: Any) -> Iterator[tuple[str, SizeReading, SizeReading]]:
    """(where, CPU in vCPUs, memory in MiB) of each sized unit: an ECS task, or each container of the others."""
    if resource_type == ECS_TASK:
        cpu, memory = get(props, "cpu"), get(props, "memory")
        if cpu is None and memory is None:
            definitions = container_definitions(props)
            if isinstance(definitions, Unknown):
                unknown = SizeReading("containerDefinitions", definitions, definitions, "")
                yield "containerDefinitions", unknown, unknown
                return
            # Container-level sizes are plain integers (CPU units, MiB) in the JSON document.
            cpu_units = sum(number(d.get("cpu")) or 0 for d in definitions)
            memory_total = sum(number(d.get("memory")) or number(d.get("memoryReservation")) or 0 for d in definitions)
            yield (
                "containerDefinitions (sum)",
                SizeReading("cpu", None, cpu_units / CPU_UNITS_PER_VCPU if cpu_units else None, ""),
                SizeReading("memory", None, memory_total or None, ""),
            )
            return
        yield "task", _reading("cpu", cpu, _ecs_vcpus, _ECS_CPU), _reading("memory", memory, task_memory_mib, _ECS_MEMORY)
    elif resource_type == CONTAINER_APP:
        for index, container in enumerate(items(get(props, "template", "containers"))):
            yield (
                f"template.containers[{index}]",
                _reading("resources.cpu", get(container, "resources", "cpu"), number, "a number of cores such as 0.5"),
                _reading("resources.memory", get(container, "resources", "memory"), memory_mib, "a size such as 1Gi"),
            )
    elif resource_type == CLOUD_RUN:
        for index, container in enumerate(items(get(props, "template", "containers"))):
            limits = get(container, "resources", "limits")
            # Cloud Run's defaults when limits are unset: 1 vCPU, 512 MiB.
            yield (
                f"template.containers[{index}]",
                _reading("resources.limits.cpu", get(limits, "cpu"), cpu_cores, _K8S_CPU, default=1.0),
                _reading("resources.limits.memory", get(limits, "memory"), memory_mib, _K8S_MEMORY, default=512.0),
            )
    elif resource_type in WORKLOAD_TYPES:
        spec = pod_spec(resource_type, props)
        if isinstance(spec, Unknown):
            unknown = SizeReading("pod spec", spec, spec, "")
            yield "pod spec", unknown, unknown
            return
        for path, container in containers(spec, include_init=False):
            requests, limits = resources_of(container)
            cpu_key = "limits.cpu" if "cpu" in limits else "requests.cpu"
            memory_key = "limits.memory" if "memory" in limits else "requests.memory"
            yield (
                container_name(path, container),
                _reading(f"resources.{cpu_key}", limits.get("cpu", requests.get("cpu")), cpu_cores, _K8S_CPU),
                _reading(f"resources.{memory_key}", limits.get("memory", requests.get("memory")), memory_mib, _K8S_MEMORY),
            )


@resource_policy(
    name="container-size-ceiling",
    description="Fargate tasks, Cloud Run and Container Apps containers and Kubernetes containers stay under the environment's CPU and memory ceilings.",
    types=(ECS_TASK, CONTAINER_APP, CLOUD_RUN, *WORKLOAD_TYPES),
    enforcement=MANDATORY,
    severity=Severity.MEDIUM,
    remediation_steps="Lower the service's cpu/memory (scale out instead of up), or raise the environment's ceilings in the policy config.",
    limits=EnvironmentLimits(
        properties={
            "maxCpu": {"type": "number", "minimum": 0, "description": "Most vCPUs per task/container."},
            "maxMemoryMib": {"type": "number", "minimum": 0, "description": "Most memory per task/container, MiB."},
        },
        defaults={
            "dev": {"maxCpu": 1, "maxMemoryMib": 2048},
            "preview": {"maxCpu": 0.5, "maxMemoryMib": 1024},
            "staging": {"maxCpu": 2, "maxMemoryMib": 4096},
            "prod": {"maxCpu": 4, "maxMemoryMib": 16384},
        },
    ),
)
def container_size_ceiling(resource: ResourceContext, report: Report) -> None:
    limits = resource.limits
    for where, cpu_reading, memory_reading in container_sizes(resource.type, resource.props):
        cpu, memory = cpu_reading.value, memory_reading.value
        if isinstance(cpu, Unknown) or isinstance(memory, Unknown):
            resource.unknown(where)
            continue
        for reading in (cpu_reading, memory_reading):
            if reading.unreadable:
                # Unreadable is not "small": a spelling this policy does not know must not skip the ceiling.
                report(
                    f"{resource.label}: {where} {reading.key} {reading.raw!r} is not a size this policy can read, so the ceiling cannot be checked. Fix: write it as {reading.forms}."
                )
        too_big = []
        if cpu is not None and cpu > float(limits["maxCpu"]):
            too_big.append(f"{cpu:g} vCPU > {limits['maxCpu']:g}")
        if memory is not None and memory > float(limits["maxMemoryMib"]):
            too_big.append(f"{memory:g} MiB > {limits['maxMemoryMib']:g}")
        if too_big:
            report(
                f"{resource.label}: {where} is {', '.join(too_big)} allowed in {resource.environment.describe()}. Fix: size it down and scale out, or raise maxCpu/maxMemoryMib in the policy config."
            )


SCALER_PATHS: dict[str, tuple[tuple[str | int, ...], ...]] = {
    "aws:appautoscaling/target:Target": (("maxCapacity",),),
    "aws:autoscaling/group:Group": (("maxSize",),),
    "gcp:compute/autoscaler:Autoscaler": (("autoscalingPolicy", "maxReplicas"),),
    "gcp:compute/regionAutoscaler:RegionAutoscaler": (("autoscalingPolicy", "maxReplicas"),),
    CLOUD_RUN: (("template", "scaling", "maxInstanceCount"), ("scaling", "maxInstanceCount")),
    CONTAINER_APP: (("template", "scale", "maxReplicas"),),
    "kubernetes:autoscaling/v2:HorizontalPodAutoscaler": (("spec", "maxReplicas"),),
    "kubernetes:autoscaling/v1:HorizontalPodAutoscaler": (("spec", "maxReplicas"),),
    "kubernetes:keda.sh/v1alpha1:ScaledObject": (("spec", "maxReplicaCount"),),
}


def scaler_maxima(resource_type: str, props: Any) -> list[tuple[str, Any]]:
    """(where, value) of each maximum-capacity setting of an autoscaler."""
    found = [(".".join(map(str, path)), get(props, *path)) for path in SCALER_PATHS.get(resource_type, ())]
    if resource_type == "azure-native:monitor:AutoscaleSetting":
        found += [
            (f"profiles[{i}].capacity.maximum", get(p, "capacity", "maximum"))
            for i, p in enumerate(items(get(props, "profiles")))
        ]
    return [(where, value) for where, value in found if value is not None]


@resource_policy(
    name="autoscaling-max-capacity-ceiling",
    description="Autoscaling maxima (ECS/ASG, GCE autoscalers, Cloud Run, Container Apps, Azure autoscale, Kubernetes HPA) stay under the environment's ceiling.",
    types=(*SCALER_PATHS, "azure-native:monitor:AutoscaleSetting"),
    enforcement=MANDATORY,
    severity=Severity.MEDIUM,
    remediation_steps="Lower the autoscaling maximum, or raise maxCapacity for the environment in the policy config.",
    limits=EnvironmentLimits(
        properties={"maxCapacity": {"type": "integer", "minimum": 1, "description": "Largest autoscaling maximum allowed."}},
        defaults={
            "dev": {"maxCapacity": 5},
            "preview": {"maxCapacity": 3},
            "staging": {"maxCapacity": 10},
            "prod": {"maxCapacity": 50},
        },
    ),
)
def autoscaling_max_capacity_ceiling(resource: ResourceContext, report: Report) -> None:
    ceiling = resource.limits["maxCapacity"]
    for where, value in scaler_maxima(resource.type, resource.props):
        if isinstance(value, Unknown):
            resource.unknown(where)
            continue
        count = number(value)
        if count is not None and count > ceiling:
            report(
                f"{resource.label}: {where} is {count:g}, above {resource.environment.describe()}'s ceiling of {ceiling}. Fix: lower it or raise maxCapacity in the policy config."
            )


POLICIES = [container_size_ceiling, autoscaling_max_capacity_ceiling]
