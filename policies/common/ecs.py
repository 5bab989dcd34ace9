"""ECS task definitions: containers kept as a JSON document in `containerDefinitions`, and task sizes, which
ECS accepts in more than one spelling."""

from __future__ import annotations

import re
from typing import Any

from policies.common.props import Unknown, get, items, json_document, number

CPU_UNITS_PER_VCPU = 1024
MIB_PER_GB = 1024
"""ECS's "GB" in task memory is 1024 MiB (e.g. "2 GB" and "2048" are the same size)."""

_VCPU = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*vcpus?\s*$", re.IGNORECASE)
_GB = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*gb\s*$", re.IGNORECASE)


def container_definitions(props: Any) -> list[dict[str, Any]] | Unknown:
    """The parsed container definitions (empty when missing or unparsable, `Unknown` during preview)."""
    raw = get(props, "containerDefinitions")
    if isinstance(raw, Unknown):
        return raw
    return [item for item in items(json_document(raw)) if isinstance(item, dict)]


def task_cpu_units(value: Any) -> float | None:
    """Task `cpu` in CPU units: `1024`, `"1024"` or `"1 vCPU"`/`"0.25 vcpu"`; None when unparsable."""
    if isinstance(value, str):
        match = _VCPU.match(value)
        if match:
            return float(match.group(1)) * CPU_UNITS_PER_VCPU
    return number(value)


def task_memory_mib(value: Any) -> float | None:
    """Task `memory` in MiB: `2048`, `"2048"` or `"2 GB"`/`"2GB"`; None when unparsable."""
    if isinstance(value, str):
        match = _GB.match(value)
        if match:
            return float(match.group(1)) * MIB_PER_GB
    return number(value)
