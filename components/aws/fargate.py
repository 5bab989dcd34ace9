"""Fargate task sizes: the CPU/memory pairs ECS accepts for a Fargate task definition.

Pure helpers (no SDK), shared by BlueGreenTargets and the config model, so an unsupported pair is reported
with the rest of the config instead of failing at `pulumi up` ("No Fargate configuration exists for given
values"). The table is AWS's (ECS RegisterTaskDefinition, task `cpu`/`memory`); 8 and 16 vCPU need Linux
platform version 1.4.0 or later, which `LATEST` is.
"""

from __future__ import annotations

from collections.abc import Mapping

CPU_UNITS_PER_VCPU = 1024


def _steps(first: int, last: int, step: int) -> tuple[int, ...]:
    return tuple(range(first, last + 1, step))


FARGATE_MEMORY_MIB: Mapping[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: _steps(1024, 4096, 1024),
    1024: _steps(2048, 8192, 1024),
    2048: _steps(4096, 16384, 1024),
    4096: _steps(8192, 30720, 1024),
    8192: _steps(16384, 61440, 4096),
    16384: _steps(32768, 122880, 8192),
}
"""Task CPU units -> the task memory values (MiB) Fargate accepts with it."""


def fargate_cpu_units(vcpus: float) -> int | None:
    """CPU units of a task of `vcpus` vCPUs, or None when Fargate has no such task size."""
    units = vcpus * CPU_UNITS_PER_VCPU
    if units != int(units) or int(units) not in FARGATE_MEMORY_MIB:
        return None
    return int(units)


def fargate_vcpus() -> str:
    """The task sizes Fargate offers, in vCPUs, for messages (`0.25, 0.5, 1, 2, 4, 8 or 16`)."""
    sizes = [f"{units / CPU_UNITS_PER_VCPU:g}" for units in FARGATE_MEMORY_MIB]
    return f"{', '.join(sizes[:-1])} or {sizes[-1]}"


def fargate_memory_choices(cpu_units: int) -> str:
    """The memory values Fargate accepts with `cpu_units`, for messages (a list, or a range with its step)."""
    values = FARGATE_MEMORY_MIB[cpu_units]
    if len(values) <= 4:
        return f"{', '.join(str(v) for v in values[:-1])} or {values[-1]}"
    return f"{values[0]} to {values[-1]} in steps of {values[1] - values[0]}"


def fargate_task_size(vcpus: float, memory: int) -> tuple[str, str]:
    """Task definition `cpu` and `memory` strings for a Fargate task; ValueError names an unsupported pair."""
    units = fargate_cpu_units(vcpus)
    if units is None:
        raise ValueError(f"cpu {vcpus:g} is not a Fargate task size; use {fargate_vcpus()} vCPUs")
    if memory not in FARGATE_MEMORY_MIB[units]:
        raise ValueError(
            f"memory {memory} MiB does not fit a {vcpus:g} vCPU Fargate task; use {fargate_memory_choices(units)} MiB"
        )
    return str(units), str(memory)
