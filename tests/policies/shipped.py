"""Rollway's shipped stacks, synthesized once per test session and shown as the engine shows them to policy packs."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from policy_harness import engine_props

from rollway.preview.analyzer import AnalyzedResource
from rollway.preview.gate import analyzed_resources
from rollway.testing import stack_config, synth_once
from stacks import build_stack


def resources(stack: str, preview: bool = False) -> tuple[AnalyzedResource, ...]:
    """The stack's resources; `preview` leaves provider-computed values unknown, as `pulumi preview` does."""
    # One cache key per (stack, preview), however the caller spells the arguments.
    return _synthesized(stack, preview)


@cache
def _synthesized(stack: str, preview: bool) -> tuple[AnalyzedResource, ...]:
    config = stack_config(stack)
    # synth_once: the stack tests (tests/stacks/test_shipped_stacks.py) synthesize the very same stacks.
    synthesized = synth_once(build_stack, config=config, stack=stack, preview=preview)
    return tuple(analyzed_resources(synthesized.resources, "rollway", stack, config))


def decoded(stack: str, urn: str, preview: bool = False) -> Any:
    """A resource's inputs decoded once, as the SDK decodes them (shared by every policy)."""
    return _decoded_inputs(stack, preview)[urn]


def decoded_outputs(stack: str, preview: bool = False) -> dict[str, Any]:
    """URN -> the properties AnalyzeStack shows (outputs), decoded once as the SDK decodes them."""
    return _decoded_outputs(stack, preview)


@cache
def _decoded_inputs(stack: str, preview: bool) -> dict[str, Any]:
    return {r.urn: engine_props(r.properties) for r in resources(stack, preview)}


@cache
def _decoded_outputs(stack: str, preview: bool) -> dict[str, Any]:
    return {r.urn: engine_props(r.outputs or r.properties) for r in resources(stack, preview)}


def engine_config(stack: str) -> str:
    """PULUMI_CONFIG as the CLI passes it to a policy pack: values as strings, structured ones as JSON."""
    return json.dumps({key: value if isinstance(value, str) else json.dumps(value) for key, value in stack_config(stack).items()})
