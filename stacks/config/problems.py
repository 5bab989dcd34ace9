"""Config problems: one message per problem, naming the stack file, the key path, the value and what is allowed."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi

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


class InvalidStackConfig(pulumi.RunError):
    """A ConfigError as the program raises it: the language host prints a RunError's message without a traceback,
    and `config_problems` (each with `key` and `render(source)`) lets `rollway preview` report it as a config
    error (exit 2) and name, per problem, whether the value came from the stack file or a `-c` flag."""

    def __init__(self, error: ConfigError) -> None:
        self.config_problems = list(error.problems)
        self.source = error.source
        super().__init__(f"invalid stack config:\n{error.render()}")
