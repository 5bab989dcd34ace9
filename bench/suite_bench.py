"""Side-by-side timing of the test suite as `make test` runs it (issue 13's "≤ 45 s on 2 cores").

    .venv/bin/python bench/suite_bench.py [--baseline DIR] [--workers 2] [--repeat 3] [--engine]

Runs `python -m pytest -q -n N` in this tree and, with --baseline, in another checkout (e.g. `git worktree add
/tmp/base <ref>`, run with this virtualenv and PYTHONPATH=DIR), interleaved so that machine noise hits both
alike. tests/engine (the real Pulumi CLI) is left out unless --engine: it is timed on its own in docs/engine.md.
PYTHONDONTWRITEBYTECODE is unset, as the Makefile does, so pytest caches its rewritten test modules after the
first run; one untimed warm-up run per tree fills that cache. Prints one Markdown row per run: wall, CPU seconds
of pytest and everything it started (user + system), the 1-minute load average before and after, and the tally.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_suite(tree: Path, workers: str, engine: bool, extra: list[str]) -> tuple[float, float, str]:
    """One suite run in `tree`: (wall seconds, CPU seconds, pytest's summary line)."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    if tree != ROOT:
        env["PYTHONPATH"] = str(tree)
    command = [sys.executable, "-m", "pytest", "-q", "-n", workers, "-p", "no:cacheprovider"]
    if not engine:
        command.append("--ignore=tests/engine")
    command += extra
    cpu, start = _children_cpu(), time.perf_counter()
    done = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True, check=False)
    wall, used = time.perf_counter() - start, _children_cpu() - cpu
    summary = next((line for line in reversed(done.stdout.splitlines()) if re.search(r"\d+ (passed|failed)", line)), "")
    if not summary:
        raise SystemExit(f"pytest gave no tally in {tree} (exit {done.returncode}): {done.stdout[-2000:]}{done.stderr[-2000:]}")
    # A failing test still yields a comparable timing (a baseline run from another directory can fail a test that
    # checks what is importable from where): the tally in the table says so.
    return wall, used, summary.strip("= ")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, help="another checkout to time side by side")
    parser.add_argument("--workers", default="2", help="pytest-xdist workers (-n), default 2 as `-n auto` on 2 cores")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--engine", action="store_true", help="include tests/engine")
    parser.add_argument("--pytest-args", default="", help="more pytest arguments, e.g. '--dist loadfile'")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    extra = shlex.split(args.pytest_args)
    trees = {"this tree": ROOT, **({"baseline": args.baseline.resolve()} if args.baseline else {})}
    for name, tree in trees.items():
        if not (tree / "tests").is_dir():
            parser.error(f"--baseline {tree}: no tests/ folder there")
        print(f"warm-up ({name}) ...", file=sys.stderr)
        run_suite(tree, args.workers, args.engine, extra)
    walls: dict[str, list[float]] = {name: [] for name in trees}
    print("| tree | run | load before → after | wall | CPU-s | result |")
    print("|---|---|---|---|---|---|")
    for index in range(args.repeat):
        for name, tree in trees.items():
            before = os.getloadavg()[0]
            wall, cpu, summary = run_suite(tree, args.workers, args.engine, extra)
            walls[name].append(wall)
            print(
                f"| {name} | {index + 1} | {before:.1f} → {os.getloadavg()[0]:.1f} | {wall:.1f} s | {cpu:.1f} | {summary} |",
                flush=True,
            )
    for name, values in walls.items():
        print(
            f"\n{name}: median wall {statistics.median(values):.1f} s over {len(values)} runs (-n {args.workers} {args.pytest_args})"
        )
    if args.baseline:
        ratio = statistics.median(walls["this tree"]) / statistics.median(walls["baseline"])
        print(f"this tree / baseline: {ratio:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
