"""Shared pytest setup. The test kit (rollway.testing.synth) creates its own event loop per run,
so tests need no Pulumi-specific fixtures; this only makes the repo root importable and current."""

from __future__ import annotations

import gc
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.chdir(ROOT)


def pytest_collection_finish(session: object) -> None:
    """Test modules have imported pulumi, the SDK entry points and the project: nothing of that is garbage, so the
    cyclic collector stops re-scanning it (`freeze`) and runs less often over what tests allocate (a synth
    allocates hundreds of thousands of objects); cycles are still collected."""
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)
