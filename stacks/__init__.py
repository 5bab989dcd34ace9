"""Stacks: validated config in, components out. `build_stack()` is the Pulumi program's entry point.

Each targeted cloud is built by the module `stacks.<cloud>` (its `build(config)` returns that cloud's
stack outputs), so adding a cloud means adding a module, not editing the others.
"""

from __future__ import annotations

import importlib
from typing import Any, Protocol, cast

import pulumi

from stacks.config import ConfigError, StackConfig, load_stack_config


class CloudBuilder(Protocol):
    def build(self, config: StackConfig) -> dict[str, Any]: ...


def builder_for(cloud: str) -> CloudBuilder:
    return cast(CloudBuilder, importlib.import_module(f"stacks.{cloud}"))


def build_stack() -> StackConfig:
    """Validate the stack config (registering nothing if it is invalid), then build every targeted cloud."""
    try:
        config = load_stack_config()
    except ConfigError as error:
        # RunError is reported by the language host as a message, without a Python traceback.
        raise pulumi.RunError(f"invalid stack config:\n{error.render()}") from None
    pulumi.export("environment", config.environment)
    for cloud in config.clouds:
        pulumi.export(cloud, builder_for(cloud).build(config))
    return config
