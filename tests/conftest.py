"""Shared pytest setup. The test kit (rollway.testing.synth) creates its own event loop per run,
so tests need no Pulumi-specific fixtures; this only makes the repo root importable and current."""

from __future__ import annotations

import atexit
import gc
import logging
import os
import sys
import weakref
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.chdir(ROOT)


def pytest_configure(config: pytest.Config) -> None:
    if hasattr(config, "workerinput"):  # a pytest-xdist worker
        atexit.register(_end_worker)


def _end_worker() -> None:
    """End an xdist worker once its exit handlers are done, without tearing the interpreter down.

    By the time a worker runs its exit handlers it has sent every report and the controller is only waiting for
    the process to end. Tearing down a worker's interpreter deallocates its whole heap (400-600 MB of imported
    SDKs and synthesized stacks): ~2 CPU-s and ~4 s of wall time at the end of every run, during which nothing
    is tested. The exit work that matters still runs: this handler is registered after the standard library's,
    so pending `weakref.finalize` callbacks (temporary directories) and the logging shutdown are run here first.
    """
    weakref.finalize._exitfunc()  # type: ignore[attr-defined]  # what its own exit handler would run next
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os._exit(0)


def pytest_collection_finish(session: object) -> None:
    """Test modules have imported pulumi, the SDK entry points and the project: nothing of that is garbage, so the
    cyclic collector stops re-scanning it (`freeze`) and runs less often over what tests allocate (a synth
    allocates hundreds of thousands of objects); cycles are still collected."""
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)
