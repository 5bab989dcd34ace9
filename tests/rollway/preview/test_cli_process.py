"""`rollway preview` as users run it: a fresh process, where policy packs that share Rollway's interpreter
are forked from it rather than started anew (the in-process tests run under pytest workers, which never fork)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
PROGRAMS, PACKS = FIXTURES / "programs", FIXTURES / "packs"


def rollway(*args: str | Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", "import sys; from rollway.cli import main; sys.exit(main(sys.argv[1:]))"]
    return subprocess.run([*command, *map(str, args)], capture_output=True, text=True, timeout=timeout, check=False)


def test_forked_pack_blocks_a_mandatory_violation() -> None:
    run = rollway(
        "preview", "--cwd", PROGRAMS / "public-bucket", "--stack", "dev",
        "--policy-pack", PACKS / "guardrails", "--policy-pack-config", PACKS / "guardrails-config.json",
    )  # fmt: skip
    assert run.returncode == 1, run.stderr
    assert '[guardrails] no-public-bucket-acl  aws:s3/bucket:Bucket "assets"' in run.stdout


def test_forked_pack_passes_a_compliant_program() -> None:
    run = rollway(
        "preview", "--cwd", PROGRAMS / "aws-bucket", "--stack", "dev",
        "--policy-pack", PACKS / "guardrails", "--policy-pack-config", PACKS / "guardrails-config.json",
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Traceback" not in run.stderr


def test_crashing_pack_in_a_fresh_process_is_reported_with_its_stderr() -> None:
    run = rollway("preview", "--cwd", PROGRAMS / "aws-bucket", "--stack", "dev", "--policy-pack", PACKS / "crashing")
    assert run.returncode == 1
    assert "policy pack crashing exited before serving (exit code 3)" in run.stderr
    assert "crashing pack: cannot load rules.yaml (simulated)" in run.stderr
