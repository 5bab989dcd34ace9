"""The failures `rollway` reports without a traceback, each mapped to its exit code."""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


class PreflightError(Exception):
    """A failure reported to the user as a message; `exit_code` says how the command ends."""

    exit_code = EXIT_FAILED


class UsageError(PreflightError):
    """Bad flags, a malformed project or stack file, or policy-pack config that does not fit its pack."""

    exit_code = EXIT_USAGE


class ProgramError(PreflightError):
    """The Pulumi program itself failed (raised, or could not be imported); the message says where."""

    exit_code = EXIT_FAILED


class PolicyPackError(PreflightError):
    """A policy pack could not be started, crashed, hung, or answered outside the protocol."""

    exit_code = EXIT_FAILED
