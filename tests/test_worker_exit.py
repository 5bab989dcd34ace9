"""The suite's xdist workers end without tearing their interpreter down (tests/conftest.py `_end_worker`),
but what a normal exit would still do is done: every report reaches the controller and pending finalizers
(temporary directories) run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent

LEFT_OPEN = """
import tempfile
from pathlib import Path

KEPT = []


def test_leaves_a_temporary_directory_open():
    KEPT.append(tempfile.TemporaryDirectory(prefix="rollway-worker-exit-"))
    Path("{record}").write_text(KEPT[-1].name)


def test_second():
    assert True
"""

# Loaded before the suite's conftest: registers weakref.finalize's own exit handler first, so it would run after
# the worker's (exit handlers run last-registered first) and only the worker's handler can run the finalizers.
EARLY = """
import weakref


class Anchor:
    pass


ANCHOR = Anchor()
weakref.finalize(ANCHOR, print)
"""


def test_a_worker_ends_with_its_reports_sent_and_its_finalizers_run(tmp_path: Path) -> None:
    record = tmp_path / "directory.txt"
    (tmp_path / "test_left_open.py").write_text(LEFT_OPEN.format(record=record), encoding="utf-8")
    (tmp_path / "early_finalizer.py").write_text(EARLY, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(TESTS.parent), str(TESTS)])}
    command = [sys.executable, "-m", "pytest", "-q", "-n", "1", "-p", "early_finalizer", "-p", "conftest"]
    command += ["-p", "no:cacheprovider", "-c", os.devnull, "--rootdir", str(tmp_path), str(tmp_path / "test_left_open.py")]
    done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed" in done.stdout
    left = Path(record.read_text())
    assert left.name.startswith("rollway-worker-exit-")
    assert not left.exists(), "the worker ended without running the TemporaryDirectory's finalizer"
