"""Shared pytest setup. The test kit (rollway.testing.synth) creates its own event loop per run,
so tests need no Pulumi-specific fixtures; this only makes the repo root importable and current."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.chdir(ROOT)
