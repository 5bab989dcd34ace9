"""Times a two-sided comparison against one preview of the same stack (figures in bench/DIFF.md).

    .venv/bin/python bench/diff_bench.py [--stack staging] [--repeat 3]

Contenders, interleaved, each a fresh `rollway` process:
- one preview:  `rollway preview --stack S --resolve-outputs` (one evaluation, no packs);
- diff:         `rollway diff --stack S --path -c rollway:services.web.canaryWeight=35` (two evaluations,
                the base in a worker process while the change evaluates in the CLI's);
- sequential:   the two evaluations one after the other (two `rollway preview` processes), what diff cost
                before it ran its sides side by side.
Reports the median wall time and CPU seconds (user + system of the child) and the 1-minute load average.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ROLLWAY = str(ROOT / ".venv" / "bin" / "rollway")


def timed(commands: list[list[str]]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    for command in commands:
        subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stack", default="staging")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    one = [[ROLLWAY, "preview", "--stack", args.stack, "--resolve-outputs"]]
    step = ["--path", "-c", "rollway:services.web.canaryWeight=35"]
    contenders = {
        "one preview": one,
        "diff (side by side)": [[ROLLWAY, "diff", "--stack", args.stack, *step]],
        "two previews in a row": [one[0], [*one[0], *step]],
    }
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in contenders}
    loads = []
    for _ in range(args.repeat):
        for name, commands in contenders.items():
            loads.append(os.getloadavg()[0])
            results[name].append(timed(commands))
    print(f"stack {args.stack}, {args.repeat} runs each, 1-min load {min(loads):.1f}-{max(loads):.1f}")
    base = statistics.median(wall for wall, _ in results["one preview"])
    for name, runs in results.items():
        wall = statistics.median(wall for wall, _ in runs)
        cpu = statistics.median(cpu for _, cpu in runs)
        print(f"  {name:<24} wall {wall:6.1f} s ({wall / base:4.2f}x one preview)  cpu {cpu:6.1f} s")


if __name__ == "__main__":
    main()
