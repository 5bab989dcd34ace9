"""The Pulumi program: validate the stack config, then build every targeted cloud.

Each targeted cloud is built by the module `stacks.<cloud>`: its `build(config)` returns that cloud's stack
outputs, and an optional `config_problems(config)` reports what that cloud cannot build from an otherwise
valid config. Adding a cloud means adding a module, not editing the others.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pulumi

from rollway import clouds
from stacks.config import ConfigError, ConfigProblem, StackConfig, load_stack_config
from stacks.config.loader import stack_file_name


def builder_for(cloud: str) -> ModuleType:
    """The builder module the cloud's registry entry names (e.g. `stacks.aws`)."""
    module: ModuleType = clouds.get(cloud).builder_module()
    return module


def validate_stack() -> StackConfig:
    """The stack's config, checked by the model and by every targeted cloud's builder; raises ConfigError."""
    config = load_stack_config()
    problems: list[ConfigProblem] = []
    for cloud in config.clouds:
        check = getattr(builder_for(cloud), "config_problems", None)
        if check is not None:
            problems += check(config)
    if problems:
        raise ConfigError(stack_file_name(), problems)
    return config


def fail_on(problems: list[ConfigProblem]) -> None:
    """Stop the program with every problem, as the config loader reports them, when there are any."""
    if problems:
        raise config_run_error(ConfigError(stack_file_name(), problems))


def config_run_error(error: ConfigError) -> pulumi.RunError:
    # RunError is reported by the language host as a message, without a Python traceback.
    return pulumi.RunError(f"invalid stack config:\n{error.render()}")


def build_stack() -> StackConfig:
    """Validate the whole config first (registering nothing if any cloud finds a problem), then build
    every targeted cloud."""
    try:
        config = validate_stack()
    except ConfigError as error:
        raise config_run_error(error) from None
    pulumi.export("environment", config.environment)
    outputs: dict[str, Any] = {}
    for cloud in config.clouds:
        outputs[cloud] = builder_for(cloud).build(config)
        pulumi.export(cloud, outputs[cloud])
    return config
