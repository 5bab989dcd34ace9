"""Shared pytest setup. The test kit (rollway.testing.synth) creates its own event loop per run, so tests need
no Pulumi-specific fixtures; this makes the repo root importable and current, and keeps a run cheap: the cyclic
collector tuned after collection, `synth_once` stacks shared between xdist workers, workers ended without an
interpreter teardown."""

from __future__ import annotations

import atexit
import gc
import logging
import os
import sys
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest

from rollway.testing import share_synths

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


@pytest.fixture(scope="session", autouse=True)
def synths_shared_between_workers(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Iterator[None]:
    """The xdist workers of one run share each `synth_once` stack (the shipped stacks that tests/stacks and
    tests/policies assert on) instead of each worker synthesizing it again (~2 CPU-s per stack and worker)."""
    if worker_id == "master":  # not under xdist: one process, synth_once's own cache is enough
        yield
        return
    share_synths(tmp_path_factory.getbasetemp().parent / "synths")
    try:
        yield
    finally:
        share_synths(None)


def pytest_collection_finish(session: object) -> None:
    """Test modules have imported pulumi, the SDK entry points and the project: nothing of that is garbage, so the
    cyclic collector stops re-scanning it (`freeze`) and runs less often over what tests allocate (a synth
    allocates hundreds of thousands of objects); cycles are still collected."""
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)
