"""A CLI runner for the `rollway` tests, capturing exit code and output."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from preflight_support import REPO

from rollway.cli import main
from rollway.engine import derived
from rollway.preview.config import load_stack_settings
from rollway.preview.evaluate import evaluate
from rollway.preview.project import load_project


@dataclass
class Run:
    code: int
    out: str
    err: str


@pytest.fixture(scope="session", autouse=True)
def provider_sdks_imported() -> None:
    """Evaluate the shipped dev stack once in this test process, leaving its provider SDK modules imported, as the
    stack tests (tests/stacks) leave them in a worker that ran them first.

    Every `rollway preview` here evaluates in a child forked from this process: a child that finds the SDKs
    imported skips ~2.5 CPU-s of lazy SDK imports on a 4-cloud stack. Nothing a preview reports depends on
    what the parent had imported (the tests pass in either order); the invoke-type cache is emptied so each
    child starts with the lookups of its own program.
    """
    project = load_project(REPO)
    evaluate(project, load_stack_settings(project, "dev"))
    derived.invoke_result_type.cache_clear()


@pytest.fixture
def rollway(capsys: pytest.CaptureFixture[str]):
    """Run `rollway ARGS...` in-process; returns exit code and captured stdout/stderr."""

    def run(*args: str | Path) -> Run:
        code = main([str(arg) for arg in args])
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run
