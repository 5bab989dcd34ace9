"""What the builders report about a service's scaling: its worst-case time to capacity (a stack output, plus a
warning when above the service's target) and, where a runtime has no vertical autoscaler, a right-sizing report
computed from the same inputs a VPA would start from (the configured size, bounds and the price table).
"""

from __future__ import annotations

from typing import Any

import pulumi

from components.aws.fargate import FARGATE_MEMORY_MIB, fargate_cpu_units
from components.gcp.sizing import cloud_run_resources
from components.time_to_capacity import ScalingLoop, time_to_capacity
from stacks.config import Service, StackConfig
from stacks.config.model import Cloud
from stacks.config.scaling import replica_price, running_colors

CONTAINER_APPS_MAX_CPU = 4.0
UTILIZATION_METRICS: dict[str, str] = {
    "aws": "CloudWatch ECS/ContainerInsights CpuUtilized and MemoryUtilized per task",
    "gcp-cloudRun": "Cloud Monitoring run.googleapis.com/container/cpu/utilizations and memory/utilizations",
    "gcp-instanceGroup": "Cloud Monitoring compute.googleapis.com/instance/cpu/utilization (memory with the Ops Agent)",
    "azure": "Azure Monitor Container Apps UsageNanoCores and WorkingSetBytes per replica",
}
"""Where to read the usage the report's rule compares (Rollway cannot observe usage offline)."""
SMALLER_WHEN = "p95 CPU below 40% and p95 memory below 50% of the current size over two weeks of normal traffic"
LARGER_WHEN = "p95 memory above 80%, or CPU at the target with autoscaling.max reached"


def capacity_report(cloud: str, name: str, service: Service, loop: ScalingLoop) -> dict[str, object]:
    """The service's time to capacity as a stack output; logs a warning when it is above the target."""
    figure = time_to_capacity(loop, service.autoscaling.time_to_capacity_target_seconds)
    if figure.exceeds_target:
        pulumi.log.warn(figure.warning(name, cloud))
    return figure.summary()


def scaling_outputs(config: StackConfig, cloud: Cloud, name: str, service: Service, loop: ScalingLoop) -> dict[str, Any]:
    """The service's scaling stack outputs: `timeToCapacity` (`capacity_report`), and `rightSizing` where
    `rightsizing_report` gives one."""
    outputs: dict[str, Any] = {"timeToCapacity": capacity_report(cloud, name, service, loop)}
    report = rightsizing_report(config, cloud, name, service)
    if report is not None:
        outputs["rightSizing"] = report
    return outputs


def _valid_size(config: StackConfig, cloud: Cloud, cpu: float, memory: int) -> bool:
    if cpu <= 0 or memory < 128:
        return False
    if cloud == "aws":
        units = fargate_cpu_units(cpu)
        return units is not None and memory in FARGATE_MEMORY_MIB[units]
    if cloud == "gcp" and config.settings("gcp").runtime == "cloudRun":
        return cloud_run_resources(cpu, memory) is not None
    if cloud == "azure":
        return cpu <= CONTAINER_APPS_MAX_CPU and (cpu * 4).is_integer() and memory == int(cpu * 2048)
    return True


def _size(config: StackConfig, cloud: Cloud, name: str, service: Service, cpu: float, memory: int) -> dict[str, Any] | None:
    if not _valid_size(config, cloud, cpu, memory):
        return None
    resized = service.model_copy(update={"cpu": cpu, "memory": memory})
    price = replica_price(config, cloud, name, resized)
    if price is None:
        return None
    at_max = running_colors(service) * service.autoscaling.max * price.monthly
    return {
        "cpu": cpu,
        "memoryMib": memory,
        "priced": price.detail,
        "monthlyUsdPerReplica": round(price.monthly, 2),
        "monthlyUsdAtMax": round(at_max, 2),
    }


def rightsizing_report(config: StackConfig, cloud: Cloud, name: str, service: Service) -> dict[str, Any] | None:
    """The configured size and its neighbours (half and double cpu and memory, where the runtime offers them, the
    larger one capped by `vertical.maxMemory`) with their prices, and the rule for choosing; None without
    `autoscaling.vertical`, on Kubernetes (a VPA does the job) and where the size is not derived from cpu/memory
    (VM scale sets, an explicit GCP machine type)."""
    vertical = service.autoscaling.vertical
    if vertical is None or cloud == "kubernetes":
        return None
    if cloud == "gcp" and config.settings("gcp").runtime == "instanceGroup" and config.settings("gcp").machine_type:
        return None  # the configured machine type, not cpu/memory, sets the size
    current = _size(config, cloud, name, service, service.cpu, service.memory)
    if current is None:
        return None
    larger_memory = service.memory * 2
    larger = None
    if vertical.max_memory is None or larger_memory <= vertical.max_memory:
        larger = _size(config, cloud, name, service, service.cpu * 2, larger_memory)
    runtime = f"gcp-{config.settings('gcp').runtime}" if cloud == "gcp" else cloud
    return {
        "current": current,
        "smaller": _size(config, cloud, name, service, service.cpu / 2, service.memory // 2),
        "larger": larger,
        "measure": UTILIZATION_METRICS[runtime],
        "takeSmallerWhen": SMALLER_WHEN,
        "takeLargerWhen": LARGER_WHEN,
    }
