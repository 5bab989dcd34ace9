"""Fargate task sizes: the CPU/memory pairs ECS accepts, and messages that list what fits."""

from __future__ import annotations

import pytest

from components.aws.fargate import (
    FARGATE_MEMORY_MIB,
    fargate_cpu_units,
    fargate_memory_choices,
    fargate_task_size,
    fargate_vcpus,
)


def test_the_table_has_every_size_aws_lists_with_its_memory_range() -> None:
    ranges = {cpu: (memories[0], memories[-1], len(memories)) for cpu, memories in FARGATE_MEMORY_MIB.items()}
    assert ranges == {
        256: (512, 2048, 3),
        512: (1024, 4096, 4),
        1024: (2048, 8192, 7),
        2048: (4096, 16384, 13),
        4096: (8192, 30720, 23),
        8192: (16384, 61440, 12),
        16384: (32768, 122880, 12),
    }


@pytest.mark.parametrize(
    ("vcpus", "memory", "size"),
    [(0.25, 512, ("256", "512")), (0.5, 4096, ("512", "4096")), (4, 30720, ("4096", "30720")), (16, 122880, ("16384", "122880"))],
)
def test_supported_pairs_become_task_definition_strings(vcpus: float, memory: int, size: tuple[str, str]) -> None:
    assert fargate_task_size(vcpus, memory) == size


@pytest.mark.parametrize("vcpus", [0.3, 0.75, 3, 32])
def test_cpu_values_between_sizes_are_not_task_sizes(vcpus: float) -> None:
    assert fargate_cpu_units(vcpus) is None


@pytest.mark.parametrize(("vcpus", "memory"), [(0.25, 4096), (4, 1024), (8, 18432), (1, 2560)])
def test_memory_outside_the_sizes_range_or_step_is_rejected(vcpus: float, memory: int) -> None:
    with pytest.raises(ValueError, match=rf"memory {memory} MiB does not fit a {vcpus:g} vCPU Fargate task"):
        fargate_task_size(vcpus, memory)


def test_messages_list_short_choices_and_summarize_long_ones() -> None:
    assert fargate_vcpus() == "0.25, 0.5, 1, 2, 4, 8 or 16"
    assert fargate_memory_choices(256) == "512, 1024 or 2048"
    assert fargate_memory_choices(8192) == "16384 to 61440 in steps of 4096"
