"""Stacks: validated config in, components out. `build_stack()` is the Pulumi program's entry point.

Each targeted cloud is built by the builder module its registry entry names (`rollway.clouds`, e.g.
`stacks.aws`): its `build(config)` returns that cloud's stack outputs, and an optional
`config_problems(config)` reports what that cloud cannot build from an otherwise valid config.
The program itself lives in `stacks.program`; names are imported on first use (`lazy_exports`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rollway.helpers import lazy_exports

if TYPE_CHECKING:
    from stacks.program import build_stack, builder_for, config_run_error, fail_on, validate_stack

_MODULE_OF = {
    "build_stack": "program",
    "builder_for": "program",
    "config_run_error": "program",
    "fail_on": "program",
    "validate_stack": "program",
}

__all__ = ["build_stack", "builder_for", "config_run_error", "fail_on", "validate_stack"]

__getattr__ = lazy_exports(__name__, _MODULE_OF)
