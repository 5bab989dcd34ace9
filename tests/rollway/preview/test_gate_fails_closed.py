"""The gate fails closed: a program that does not finish its evaluation normally fails `rollway preview`,
whatever way it ends, and nothing it leaves behind outlives the run."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.rollway.preview.test_preview_programs import write_program

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
PACK = FIXTURES / "packs" / "guardrails"
PACK_CONFIG = FIXTURES / "packs" / "guardrails-config.json"
BUCKET = "import pulumi_aws as aws\n\naws.s3.BucketV2('assets')\n"


@pytest.mark.parametrize(
    "ending",
    ["os._exit(0)", "os._exit(3)", "os.kill(os.getpid(), signal.SIGKILL)", "os.kill(os.getpid(), signal.SIGTERM)"],
)
def test_program_that_ends_its_process_fails_the_gate(rollway, tmp_path: Path, ending: str) -> None:
    source = f"import os, signal\n{BUCKET}{ending}\n"
    run = rollway("preview", "--cwd", write_program(tmp_path, source), "--stack", "dev", "--json", "-")
    assert run.code == 1
    assert run.out == ""
    assert "the program ended before the evaluation finished" in run.err


def test_program_that_exits_early_fails_the_gate_with_packs(rollway, tmp_path: Path) -> None:
    source = f"import os\n{BUCKET}os._exit(0)\n"
    run = rollway(
        "preview", "--cwd", write_program(tmp_path, source), "--stack", "dev",
        "--policy-pack", PACK, "--policy-pack-config", PACK_CONFIG,
    )  # fmt: skip
    assert run.code == 1
    assert "exited with status 0 without reporting" in run.err


@pytest.mark.parametrize("hang", ["time.sleep(60)", "while True:\n    pass"])
def test_program_that_hangs_is_stopped_at_the_program_timeout(rollway, tmp_path: Path, hang: str) -> None:
    source = f"import time\n{hang}\n"
    started = time.monotonic()
    run = rollway("preview", "--cwd", write_program(tmp_path, source), "--stack", "dev", "--program-timeout", "1")
    assert time.monotonic() - started < 30
    assert run.code == 1
    assert "did not finish within 1s (--program-timeout)" in run.err


def test_leftover_non_daemon_thread_does_not_keep_the_run_alive(rollway, tmp_path: Path) -> None:
    source = f"import threading, time\n{BUCKET}threading.Thread(target=time.sleep, args=(60,)).start()\n"
    started = time.monotonic()
    run = rollway("preview", "--cwd", write_program(tmp_path, source), "--stack", "dev", "--program-timeout", "20")
    assert run.code == 0, run.err
    assert time.monotonic() - started < 20


def test_subprocess_the_program_leaves_running_is_killed(rollway, tmp_path: Path) -> None:
    pid_file = tmp_path / "sleeper.pid"
    source = (
        "import subprocess, sys\n"
        f"child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        f"open({str(pid_file)!r}, 'w').write(str(child.pid))\n"
    )
    run = rollway("preview", "--cwd", write_program(tmp_path, source), "--stack", "dev")
    assert run.code == 0, run.err
    pid = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.05)
    assert not _alive(pid)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A killed child not yet reaped by its (dead) parent is a zombie: gone for our purposes.
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as stat:
            return stat.read().split()[2] != "Z"
    except OSError:
        return False


def test_prints_before_an_early_exit_are_still_shown(rollway, tmp_path: Path) -> None:
    source = "import os\nprint('about to leave', flush=True)\nos._exit(0)\n"
    run = rollway("preview", "--cwd", write_program(tmp_path, source), "--stack", "dev")
    assert run.code == 1
    assert "about to leave" in run.err


def test_sys_exit_zero_still_fails_the_gate(rollway, tmp_path: Path) -> None:
    run = rollway("preview", "--cwd", write_program(tmp_path, "import sys\nsys.exit(0)\n"), "--stack", "dev")
    assert run.code == 1
    assert "program exited (sys.exit) before finishing" in run.err


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "-inf", "1e300", "86400.5", "soon"])
def test_out_of_range_timeouts_are_usage_errors(rollway, tmp_path: Path, value: str) -> None:
    for flag in ("--program-timeout", "--policy-timeout"):
        run = rollway("preview", "--cwd", write_program(tmp_path, ""), "--stack", "dev", flag, value)
        assert run.code == 2, (flag, value)
        assert flag in run.err
        assert "Traceback" not in run.err


def test_largest_timeout_is_accepted(rollway, tmp_path: Path) -> None:
    run = rollway("preview", "--cwd", write_program(tmp_path, ""), "--stack", "dev", "--program-timeout", "86400")
    assert run.code == 0, run.err
