"""Config problems: one message per problem, naming the stack file, the key path, the value and what is allowed."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

_MISSING = object()
MAX_VALUE_CHARS = 60


@dataclass(frozen=True)
class ConfigProblem:
    """One thing wrong with a stack's config."""

    key: str
    """Full key path as `pulumi config set --path` spells it, e.g. `rollway:services.web.canaryWeight`."""
    message: str
    """What is allowed (or what to do), e.g. `must be between 0 and 100`."""
    value: Any = _MISSING
    """The offending value; omitted for missing keys and never shown for secrets."""

    def render(self, source: str) -> str:
        if self.value is _MISSING:
            return f"{source}: {self.key}: {self.message}"
        return f"{source}: {self.key} = {render_value(self.value)}: {self.message}"


def render_value(value: Any) -> str:
    text = json.dumps(value, default=str, ensure_ascii=False)
    if len(text) > MAX_VALUE_CHARS:
        text = text[: MAX_VALUE_CHARS - 3] + "..."
    return text


class ConfigError(Exception):
    """Raised when a stack's config is invalid; carries every problem found, not just the first."""

    def __init__(self, source: str, problems: list[ConfigProblem]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(self.render())

    def render(self) -> str:
        return "\n".join(problem.render(self.source) for problem in self.problems)
