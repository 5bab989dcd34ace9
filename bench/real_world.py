"""Measure how many public Pulumi Python programs `rollway preview` evaluates offline.

The corpus is the public pulumi/examples repository, read from a git directory (no work tree needed): every
project whose Pulumi.yaml declares the Python runtime is exported with `git archive` into a scratch directory,
given the config its README asks for (bench/real_world_config.json: a list of `KEY=VALUE` items, or
`{"config": [...], "files": {"NAME": "TEXT"}}` when the README also has the user make files, such as an SSH
key pair with `ssh-keygen`; stand-ins are written), and run as

    rollway preview --cwd DIR --stack dev -c KEY=VALUE ... --json -

with a timeout, in this environment plus `USER` when it is unset (a login shell always sets it; some programs
read it). "Evaluates" means exit 0: the program ran to its end and the report came back. Every other
outcome is classified from the run's stderr, so the failures can be grouped by cause.

    .venv/bin/python bench/real_world.py --git-dir /work/.mirror/pulumi+examples/repo [--jobs 2] [--only NAME ...]
        [--results bench/real_world_results.json] [--preview-arg=--resolve-outputs]

Nothing of the corpus is kept: each program's scratch directory is removed after its run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
DEFAULT_CONFIG = HERE / "real_world_config.json"
DEFAULT_ROLLWAY = HERE.parent / ".venv" / "bin" / "rollway"


@dataclass
class Outcome:
    program: str
    exit_code: int | None
    seconds: float
    resources: int
    category: str
    """`evaluates`, or the failure class (see `classify`)."""
    detail: str
    """The line of stderr that says what went wrong (empty when the program evaluates)."""


def python_programs(git_dir: Path, ref: str) -> list[str]:
    """Directories (relative to the repository root) whose Pulumi.yaml runs Python."""
    names = subprocess.run(
        ["git", f"--git-dir={git_dir}", "ls-tree", "-r", "--name-only", ref],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    programs = []
    for name in names:
        if Path(name).name != "Pulumi.yaml":
            continue
        text = subprocess.run(
            ["git", f"--git-dir={git_dir}", "show", f"{ref}:{name}"], capture_output=True, text=True, check=True
        ).stdout
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError:
            continue
        runtime = data.get("runtime") if isinstance(data, dict) else None
        runtime_name = runtime.get("name") if isinstance(runtime, dict) else runtime
        if runtime_name == "python":
            programs.append(str(Path(name).parent))
    return sorted(programs)


def export(git_dir: Path, ref: str, program: str, into: Path) -> Path:
    archive = subprocess.run(
        ["git", f"--git-dir={git_dir}", "archive", "--format=tar", ref, program], capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into / program


# Failure classes, first match wins: (category, pattern over stderr).
CLASSES: list[tuple[str, str]] = [
    ("timeout", r"did not finish within|timed out after"),
    (
        "requirements not installable",
        r"could not (install|make|create)|No solution found|pip.*(failed|error)|ResolutionImpossible",
    ),
    ("missing config", r"Missing required configuration|missing required config"),
    ("config refused", r"exit 2|is not of declared type|config `[^`]+`:|invalid stack config"),
    ("sdk pinned elsewhere", r"rollway evaluates programs with the Pulumi SDK"),
    ("unanswered invoke", r"have no offline answer"),
    ("missing module", r"ModuleNotFoundError|No module named"),
    ("import/api drift", r"ImportError|AttributeError|cannot import name"),
    ("missing provider output", r"TypeError|NoneType|Missing required property"),
    ("program error", r"program failed"),
]


def classify(code: int | None, stderr: str) -> tuple[str, str]:
    if code == 0:
        return "evaluates", ""
    if code is None:
        return "timeout", "the bench's own timeout"
    lines = [line for line in stderr.splitlines() if line.strip()]
    detail = next((line for line in lines if line.startswith("error:")), lines[-1] if lines else "")
    for category, pattern in CLASSES:
        if re.search(pattern, stderr):
            return category, detail.strip()[:300]
    return "other", detail.strip()[:300]


@dataclass
class Setup:
    """What a program's README has the user give before `pulumi up`."""

    config: list[str]
    """`KEY=VALUE` items, passed with `-c`."""
    files: dict[str, str]
    """Files the README has the user create in the project (stand-in content), by path relative to it."""


def setups(table: dict[str, Any]) -> dict[str, Setup]:
    """The config table's entries (comments, keys starting with `_`, left out)."""
    found = {}
    for program, entry in table.items():
        if program.startswith("_"):
            continue
        if isinstance(entry, list):
            found[program] = Setup([str(item) for item in entry], {})
        else:
            found[program] = Setup([str(item) for item in entry.get("config", [])], dict(entry.get("files", {})))
    return found


def run_one(git_dir: Path, ref: str, program: str, setup: Setup, rollway: Path, timeout: float, extra: list[str]) -> Outcome:
    with tempfile.TemporaryDirectory(prefix="rollway-real-world-") as scratch:
        directory = export(git_dir, ref, program, Path(scratch))
        for name, text in setup.files.items():
            (directory / name).write_text(text, encoding="utf-8")
        command = [str(rollway), "preview", "--cwd", str(directory), "--stack", "dev", "--json", "-", *extra]
        for item in setup.config:
            command += ["-c", item]
        env = {**os.environ, "USER": os.environ.get("USER") or "engineer"}
        started = time.monotonic()
        try:
            # Run in the scratch folder, so where the bench is started (a rollway checkout) plays no part.
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL, env=env, cwd=scratch
            )
            code: int | None = done.returncode
            stdout, stderr = done.stdout, done.stderr
        except subprocess.TimeoutExpired as expired:
            code = None
            stdout = expired.stdout.decode() if isinstance(expired.stdout, bytes) else (expired.stdout or "")
            stderr = expired.stderr.decode() if isinstance(expired.stderr, bytes) else (expired.stderr or "")
        seconds = time.monotonic() - started
    resources = 0
    if code == 0:
        try:
            resources = int(json.loads(stdout)["summary"]["resources"])
        except (ValueError, KeyError, TypeError):
            code, stderr = 99, stderr + "\nerror: exit 0 without a JSON report"
    category, detail = classify(code, stderr)
    if code is not None and code not in (0,):
        tail = stderr.strip().splitlines()[-40:]
        (RUN_LOGS / (program.replace("/", "__") + ".log")).write_text("\n".join(tail) + "\n", encoding="utf-8")
    return Outcome(program, code, round(seconds, 1), resources, category, detail)


RUN_LOGS = Path(tempfile.gettempdir()) / "rollway-real-world-logs"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--git-dir", type=Path, required=True, help="git directory of pulumi/examples")
    parser.add_argument("--ref", default="HEAD")
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG)
    parser.add_argument("--rollway", type=Path, default=DEFAULT_ROLLWAY)
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per program (installs included)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--only", nargs="*", help="program directories to run (default: all)")
    parser.add_argument("--results", type=Path, help="write every outcome as JSON")
    parser.add_argument(
        "--preview-arg",
        action="append",
        default=[],
        help="an extra `rollway preview` argument (repeatable), e.g. --resolve-outputs",
    )
    args = parser.parse_args(argv)

    table = setups(json.loads(args.config.read_text(encoding="utf-8")))
    programs = python_programs(args.git_dir, args.ref)
    if args.only:
        programs = [program for program in programs if program in args.only]
    unconfigured = [program for program in programs if program not in table]
    if unconfigured:
        print(f"no config entry (run with none): {', '.join(unconfigured)}", file=sys.stderr)
    RUN_LOGS.mkdir(exist_ok=True)

    def one(program: str) -> Outcome:
        outcome = run_one(
            args.git_dir, args.ref, program, table.get(program, Setup([], {})), args.rollway, args.timeout, args.preview_arg
        )
        print(f"{outcome.category:32} {outcome.seconds:7.1f}s  {program}  {outcome.detail[:150]}", file=sys.stderr, flush=True)
        return outcome

    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        outcomes = list(pool.map(one, programs))
    evaluated = sum(1 for outcome in outcomes if outcome.category == "evaluates")
    print(f"\n{evaluated} / {len(outcomes)} evaluate ({100 * evaluated / max(len(outcomes), 1):.1f}%)")
    print("\n| program | outcome | resources | seconds | cause |\n|---|---|---|---|---|")
    for outcome in outcomes:
        print(f"| {outcome.program} | {outcome.category} | {outcome.resources} | {outcome.seconds} | {outcome.detail} |")
    if args.results:
        args.results.write_text(json.dumps([asdict(outcome) for outcome in outcomes], indent=1) + "\n", encoding="utf-8")
    print(f"\nlogs of failures: {RUN_LOGS}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
