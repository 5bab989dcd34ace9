"""Translating Rollway's cpu/memory into what each GCP runtime accepts, and GCP name syntax."""

from __future__ import annotations

from rollway.helpers import clean_name

# (machine type, vCPUs, memory MiB), smallest first. E2 shared-core types burst above their share.
E2_MACHINE_TYPES: tuple[tuple[str, float, int], ...] = (
    ("e2-micro", 0.25, 1024),
    ("e2-small", 0.5, 2048),
    ("e2-medium", 1, 4096),
    ("e2-standard-2", 2, 8192),
    ("e2-standard-4", 4, 16384),
    ("e2-standard-8", 8, 32768),
    ("e2-standard-16", 16, 65536),
    ("e2-highmem-16", 16, 131072),
)
VM_OVERHEAD_MIB = 256
"""Memory Container-Optimized OS, Docker and the logging agent need besides the container."""

# Cloud Run: (vCPUs, min memory MiB, max memory MiB). Below 1 vCPU Cloud Run demands concurrency 1 and
# request-based billing, which no web service wants, so 1 vCPU is the floor.
CLOUD_RUN_SHAPES: tuple[tuple[int, int, int], ...] = (
    (1, 128, 4096),
    (2, 128, 8192),
    (4, 2048, 16384),
    (6, 4096, 24576),
    (8, 4096, 32768),
)


def machine_type_for(cpu: float, memory: int) -> str | None:
    """Smallest E2 machine type with at least `cpu` vCPUs and room for `memory` MiB; None when none fits."""
    for machine_type, vcpus, mib in E2_MACHINE_TYPES:
        if vcpus >= cpu and mib >= memory + VM_OVERHEAD_MIB:
            return machine_type
    return None


def cloud_run_resources(cpu: float, memory: int) -> tuple[str, str] | None:
    """Cloud Run (cpu, memory) limits covering `cpu` vCPUs and `memory` MiB; None when Cloud Run has no such shape."""
    for vcpus, min_mib, max_mib in CLOUD_RUN_SHAPES:
        if vcpus >= cpu and max_mib >= memory:
            return str(vcpus), f"{max(memory, min_mib)}Mi"
    return None


def label_name(text: str, limit: int = 63) -> str:
    """RFC 1035 form of `text` (lowercase letters, digits, '-'; starts with a letter), for GCP resource names."""
    return clean_name(text, limit=limit, letter_first=True)
