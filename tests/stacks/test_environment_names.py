"""`rollway:environment` is open: any lowercase name, not only dev/staging/prod/preview."""

from __future__ import annotations

import json
from typing import Any

import pytest

from stacks.config import ConfigError, load_stack_config


def config(environment: str) -> dict[str, Any]:
    values = {
        "rollway:environment": environment,
        "rollway:clouds": ["kubernetes"],
        "rollway:tags": {"cost-center": "cc-1", "owner": "team-a"},
        "rollway:services": {"web": {"image": {"blue": "ghcr.io/acme/web:1"}}},
    }
    return {key: value if isinstance(value, str) else json.dumps(value) for key, value in values.items()}


@pytest.mark.parametrize("name", ["qa", "dev", "eu-staging-2", "a" * 31])
def test_any_lowercase_environment_name_is_accepted(name: str) -> None:
    loaded = load_stack_config(config(name), (), "Pulumi.x.yaml")
    assert loaded.environment == name
    assert loaded.effective_tags["environment"] == name


@pytest.mark.parametrize("name", ["QA", "", "2nd", "qa_eu", "a" * 32, "qa env"])
def test_malformed_environment_names_are_refused(name: str) -> None:
    with pytest.raises(ConfigError) as failure:
        load_stack_config(config(name), (), "Pulumi.x.yaml")
    assert "rollway:environment" in failure.value.render()
