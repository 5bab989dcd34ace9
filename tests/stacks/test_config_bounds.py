"""Bounds declared on the config fields themselves: both ends accepted, one past refused, one message."""

from __future__ import annotations

import json
from typing import Any

import pytest

from stacks.config import ConfigError, load_stack_config


def load(field: str, value: Any) -> Any:
    web: dict[str, Any] = {"image": {"blue": "ghcr.io/acme/web:1", "green": "ghcr.io/acme/web:2"}, field: value}
    values = {
        "rollway:environment": "dev",
        "rollway:clouds": ["kubernetes"],
        "rollway:tags": {"cost-center": "cc-1", "owner": "team-a"},
        "rollway:services": {"web": web},
    }
    bag = {key: v if isinstance(v, str) else json.dumps(v) for key, v in values.items()}
    return load_stack_config(bag, (), "Pulumi.dev.yaml")


BOUNDS = [("canaryWeight", 0, 100, ""), ("port", 1, 65535, ""), ("cpu", 0.25, 16, " vCPUs"), ("memory", 128, 122880, " MiB")]


@pytest.mark.parametrize(("field", "low", "high", "unit"), BOUNDS)
def test_both_ends_are_accepted(field: str, low: float, high: float, unit: str) -> None:
    assert load(field, low).services["web"] is not None
    assert load(field, high).services["web"] is not None


@pytest.mark.parametrize(("field", "low", "high", "unit"), BOUNDS)
@pytest.mark.parametrize("side", ["below", "above"])
def test_one_past_either_end_is_refused(field: str, low: float, high: float, unit: str, side: str) -> None:
    step = 0.01 if isinstance(low, float) else 1
    value = low - step if side == "below" else high + step
    with pytest.raises(ConfigError) as failure:
        load(field, value)
    assert (
        failure.value.render()
        == f"Pulumi.dev.yaml: rollway:services.web.{field} = {value:g}: must be between {low:g} and {high:g}{unit}"
    )


def test_stickiness_bounds_explain_why() -> None:
    assert load("stickinessSeconds", 300).services["web"].stickiness_seconds == 300
    with pytest.raises(ConfigError, match="must be between 1 and 300 seconds \\(shorter than a rollout step"):
        load("stickinessSeconds", 301)
