"""Errors the rollout command turns into exit codes instead of tracebacks."""

from __future__ import annotations


class UsageError(Exception):
    """Bad flags, spec file or stack state found before anything changed (exit code 2). The message names what and where."""


class DeployError(Exception):
    """A stack update (`pulumi up`) or config change failed; the controller rolls back."""
