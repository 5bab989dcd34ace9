"""A CLI runner for the `rollway` tests, capturing exit code and output."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from rollway.cli import main


@dataclass
class Run:
    code: int
    out: str
    err: str


@pytest.fixture
def rollway(capsys: pytest.CaptureFixture[str]):
    """Run `rollway ARGS...` in-process; returns exit code and captured stdout/stderr."""

    def run(*args: str | Path) -> Run:
        code = main([str(arg) for arg in args])
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run
