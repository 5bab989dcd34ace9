"""Which environment (dev, staging, prod, preview, or one extending them, e.g. qa) a resource or stack belongs to.

Order, most specific first: the resource's own `environment` tag/label, the stack's `rollway:environment`
config (the CLI passes stack config to policy packs in PULUMI_CONFIG), then the stack name (PULUMI_STACK,
e.g. `dev`, `acme/prod`, `pr-42`). Anything unrecognised falls back to `dev`, the strictest limits, so an
unlabelled resource can never pick up production-sized allowances by accident.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from policies.common import envconfig

ENVIRONMENTS: tuple[str, ...] = envconfig.BUILT_IN
"""Built-in environments (the policies' defaults); any other name with a `policies/config/<name>/environment.json`
extends one of them (see policies/common/envconfig.py)."""
FALLBACK = "dev"

_ALIASES = {
    "development": "dev",
    "develop": "dev",
    "stage": "staging",
    "stg": "staging",
    "production": "prod",
    "prd": "prod",
    "pr": "preview",
    "review": "preview",
}
_PREVIEW_STACK = re.compile(r"^(pr|preview|review)[-_]?\d+")


@dataclass(frozen=True)
class Environment:
    """A resolved environment and where it came from (shown in messages so a surprise is explainable)."""

    name: str
    """A built-in environment (dev, staging, prod, preview) or one that extends another (envconfig)."""
    source: str
    """Human-readable origin, e.g. "the resource's environment tag"."""
    guessed: bool = False
    """True for the fallback: nothing named the environment (never write it down as a tag)."""

    def describe(self) -> str:
        return f"{self.name} (from {self.source})"


def normalize(text: Any) -> str | None:
    """Environment name for a tag value or stack name, or None when it names none."""
    if not isinstance(text, str):
        return None
    candidate = text.strip().lower().rsplit("/", 1)[-1]
    if candidate in ENVIRONMENTS:
        return candidate
    if envconfig.NAME.fullmatch(candidate) and envconfig.known(candidate):
        return candidate
    if candidate in _ALIASES:
        return _ALIASES[candidate]
    if _PREVIEW_STACK.match(candidate):
        return "preview"
    return None


def from_stack() -> Environment | None:
    """The stack's environment from its config or name, as the CLI passes them to the pack process."""
    raw_config = os.environ.get("PULUMI_CONFIG")
    if raw_config:
        try:
            config = json.loads(raw_config)
        except ValueError:
            config = None
        if isinstance(config, dict):
            found = normalize(config.get("rollway:environment"))
            if found:
                return Environment(found, "the stack's rollway:environment config")
    stack = os.environ.get("PULUMI_STACK")
    found = normalize(stack)
    if found:
        return Environment(found, f"the stack name {stack!r}")
    return None


def resolve(tags: Mapping[str, Any] | None = None) -> Environment:
    """Environment of one resource: its `environment` tag, else the stack's, else the fallback."""
    if tags:
        value = tags.get("environment")
        found = normalize(value)
        if found:
            return Environment(found, "the resource's environment tag")
    stack = from_stack()
    if stack:
        return stack
    return Environment(FALLBACK, "the fallback: no environment tag, stack config or recognisable stack name", guessed=True)


def resolve_stack(tag_values: list[Any]) -> Environment:
    """Environment of a whole stack: the stack's own, else the environment tag every tagged resource agrees on."""
    stack = from_stack()
    if stack:
        return stack
    named = {normalize(value) for value in tag_values} - {None}
    if len(named) == 1:
        (only,) = named
        assert only is not None
        return Environment(only, "the environment tag all tagged resources share")
    return Environment(
        FALLBACK, "the fallback: no stack config, recognisable stack name or agreeing environment tags", guessed=True
    )
