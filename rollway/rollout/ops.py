"""Day-2 commands: see and steer a stack's rollout from any terminal or CI job that shares its state.

    rollway rollout status  --stack prod [--json]        the status document (also in the stack's tags)
    rollway rollout watch   --stack prod [--timeout 30m] print each change until the rollout ends
    rollway rollout history --stack prod [--json]        rollouts in the journal, newest last
    rollway rollout pause|resume|promote|approve|reject --stack prod [--by NAME]
    rollway rollout abort   --stack prod                 ask the running rollout to roll back; if none runs,
                                                         roll back the unfinished one here
    rollway rollout retry   --stack prod                 re-run the last rolled-back rollout with its spec

Exit codes: 0 done, 1 (`watch`, `abort`, `retry`) the rollout rolled back, 2 usage error or nothing to act on.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import time
from pathlib import Path
from typing import Any, TextIO

from rollway.rollout.backend import BackendState
from rollway.rollout.clock import Clock, SystemClock
from rollway.rollout.durations import format_duration, parse_duration
from rollway.rollout.errors import UsageError
from rollway.rollout.journal import Journal
from rollway.rollout.spec import build_spec
from rollway.rollout.status import TERMINAL, ControlFile, read_json

EXIT_OK, EXIT_ROLLED_BACK, EXIT_USAGE = 0, 1, 2
REQUESTS = ("pause", "resume", "promote", "approve", "reject")


def parser(command: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=f"rollway rollout {command}")
    p.add_argument("--stack", required=True, help="stack whose rollout to act on")
    p.add_argument("--state-dir", type=Path, default=Path(".rollway"), help="journal and status directory (default: .rollway)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    if command in (*REQUESTS, "abort"):
        p.add_argument("--by", default=None, help="who asks (default: $GITHUB_ACTOR or $USER)")
    if command == "watch":
        p.add_argument("--timeout", default="1h", help="stop watching after this long (exit 2)")
        p.add_argument("--poll", default="1s", help="how often to read the status")
    if command == "status":
        p.add_argument("--from-stack", action="store_true", help="read the status the rollout published into the stack's tags")
        p.add_argument("--service", help="with --from-stack: the service whose rollout to show")
    if command != "retry":
        p.add_argument(
            "--from-backend",
            action="store_true",
            help="use the rollout state beside the stack's file:// backend (PULUMI_BACKEND_URL or Pulumi.yaml's "
            "backend.url) instead of --state-dir: works from any machine that shares the backend",
        )
    p.add_argument("--work-dir", type=Path, default=Path("."), help="Pulumi project directory (default: .)")
    return p


def _who(args: argparse.Namespace) -> str:
    return args.by or os.environ.get("GITHUB_ACTOR") or os.environ.get("USER") or "unknown"


def _running(state_dir: Path) -> bool:
    """A rollout process holds the stack's lock right now."""
    path = state_dir / "lock"
    if not path.is_file():
        return False
    with path.open("a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        return False


def render(status: dict[str, Any]) -> str:
    phase = status.get("phase") or {}
    lines = [
        f"{status.get('service')} on {status.get('stack')}: {status.get('state')}"
        + (f" ({status.get('reason')})" if status.get("reason") else ""),
        f"  rollout {status.get('rolloutId')} ({status.get('strategy')}), {status.get('stable')} -> {status.get('canary')}",
    ]
    if status.get("cohort"):
        lines.append(f"  A/B cohort: {status['cohort']} -> {status.get('canary')}")
    if phase:
        lines.append(f"  phase {phase.get('index')}/{phase.get('total')}: {phase.get('label')}")
    if "liveColor" in status:
        lines.append(f"  traffic: {status.get('liveColor')} live, {status.get('canaryWeight', 0)}% canary")
    if "failureLimit" in status:
        lines.append(f"  analysis: {status.get('failures', 0)} failed measurement(s), limit {status.get('failureLimit')}")
    if status.get("lastFailure"):
        lines.append(f"  last failure: {status['lastFailure']}")
    lines.append(f"  updated {status.get('updatedAt')}")
    return "\n".join(lines)


def run_op(argv: list[str], deployer_factory: Any, clock: Clock | None, out: TextIO, err: TextIO) -> int:
    command = argv[0]
    try:
        args = parser(command).parse_args(argv[1:])
    except SystemExit as exit_:
        return EXIT_USAGE if exit_.code not in (0, None) else EXIT_OK
    from rollway.rollout.cli import _safe

    state_dir = args.state_dir / _safe(args.stack)
    if state_dir.exists() and not state_dir.is_dir():
        raise UsageError(f"{state_dir}: exists and is not a directory; --state-dir must name a directory")
    no_status = "({path}); no rollout ran with this --state-dir"
    if getattr(args, "from_backend", False):
        if command == "status" and args.from_stack:
            raise UsageError("status: give --from-backend or --from-stack, not both")
        backend = BackendState.locate(args.work_dir, args.stack, required=True)
        assert backend is not None  # required=True raises instead
        if command not in ("status", "watch", "history"):
            return _request_through_backend(command, args, backend, out)
        # The backend's state object has the state directory's layout: status, watch and history read it alike.
        state_dir = backend.directory
        no_status = "in its backend ({path})"
    status_path = state_dir / "status.json"
    if command == "status" and args.from_stack:
        if not args.service:
            raise UsageError("status --from-stack needs --service (tags are per service)")
        from rollway.rollout.automation import PulumiDeployer

        published = PulumiDeployer(args.stack, args.work_dir.resolve()).read_status_tag(args.service)
        if published is None:
            raise UsageError(f"stack `{args.stack}` has no published rollout status for `{args.service}`")
        out.write(json.dumps(published, sort_keys=True) + "\n")
        return EXIT_OK
    if command == "status":
        status = read_json(status_path, "rollout status")
        if status is None:
            raise UsageError(f"stack `{args.stack}` has no rollout status {no_status.format(path=status_path)}")
        out.write((json.dumps(status, sort_keys=True) if args.json else render(status)) + "\n")
        return EXIT_OK
    if command == "watch":
        return _watch(args, status_path, clock or SystemClock(), out)
    if command == "history":
        return _history(args, Journal(state_dir / "journal.jsonl"), out)
    if command in REQUESTS:
        if not _running(state_dir):
            raise UsageError(
                f"no rollout is running on stack `{args.stack}` ({state_dir / 'lock'} is free); nothing to {command}"
            )
        ControlFile(state_dir / "control.json").request(command, _who(args))
        out.write(f"asked the rollout on stack `{args.stack}` to {command}\n")
        return EXIT_OK
    if command == "abort":
        if _running(state_dir):
            ControlFile(state_dir / "control.json").request("abort", _who(args))
            out.write(f"asked the rollout on stack `{args.stack}` to abort; it rolls back at its next measurement\n")
            return EXIT_OK
        return _rerun(args, state_dir, deployer_factory, clock, out, err, abort=True)
    return _rerun(args, state_dir, deployer_factory, clock, out, err, abort=False)


def _request_through_backend(command: str, args: argparse.Namespace, backend: BackendState, out: TextIO) -> int:
    """pause/resume/promote/approve/reject/abort through the state object beside a file:// backend."""
    # pause/resume/promote/approve/reject/abort: only a rollout the backend shows as running takes requests (no
    # lock can be tested across machines; the rollout consumes the request at its next measurement).
    status = read_json(backend.status_path, "rollout status")
    state = status.get("state") if status else None
    if state is None or state in TERMINAL:
        raise UsageError(
            f"no rollout is running on stack `{args.stack}` according to its backend ({backend.status_path}: "
            f"{state or 'no status'}); nothing to {command}"
        )
    if backend.lock_path.is_file() and not _running(backend.directory):
        raise UsageError(
            f"stack `{args.stack}`: its backend shows a rollout {state}, but no rollout process holds "
            f"{backend.lock_path} (it was stopped mid-rollout); re-run its command to resume it, or "
            f"`rollway rollout abort --stack {args.stack}` on the runner that has its --state-dir"
        )
    ControlFile(backend.control_path).request(command, _who(args))
    out.write(f"asked the rollout on stack `{args.stack}` to {command} (through the backend, {backend.control_path})\n")
    return EXIT_OK


def _watch(args: argparse.Namespace, status_path: Path, clock: Clock, out: TextIO) -> int:
    timeout = parse_duration(args.timeout)
    poll = parse_duration(args.poll)
    started = time.monotonic()
    last = None
    while True:
        status = read_json(status_path, "rollout status")
        if status is not None and status != last:
            out.write((json.dumps(status, sort_keys=True) if args.json else render(status)) + "\n")
            out.flush()
            last = status
            if status.get("state") in TERMINAL:
                return EXIT_OK if status["state"] == "promoted" else EXIT_ROLLED_BACK
        if time.monotonic() - started >= timeout:
            raise UsageError(
                f"stopped watching after {format_duration(timeout)}; the rollout is still {last and last.get('state')}"
            )
        clock.sleep(poll)


def _history(args: argparse.Namespace, journal: Journal, out: TextIO) -> int:
    rollouts = journal.history()
    if args.json:
        for item in rollouts:
            out.write(json.dumps(item, sort_keys=True) + "\n")
        return EXIT_OK
    if not rollouts:
        out.write(f"no rollouts recorded for stack `{args.stack}` ({journal.path})\n")
    for item in rollouts:
        started = time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime(float(item.get("startedAt") or 0)))
        reason = f": {item['reason']}" if item.get("reason") else ""
        out.write(f"{started}  {item['id']}  {item.get('service')} -> {item.get('canary')}  {item['outcome']}{reason}\n")
    return EXIT_OK


def _rerun(
    args: argparse.Namespace, state_dir: Path, deployer_factory: Any, clock: Clock | None, out: TextIO, err: TextIO, abort: bool
) -> int:
    """`abort` with no running process (roll back the unfinished rollout), or `retry` (re-run the last rolled-back one)."""
    from rollway.rollout.cli import parser as rollout_parser
    from rollway.rollout.cli import run

    journal = Journal(state_dir / "journal.jsonl")
    if abort:
        progress = journal.unfinished()
        if progress is None:
            raise UsageError(f"stack `{args.stack}` has no running or unfinished rollout to abort ({journal.path})")
        service = progress.plan.service
        flags = ["--abort"]
        spec = None
    else:
        last = journal.last_begin()
        ended = journal.history()
        if last is None or not ended or ended[-1]["outcome"] != "rolled-back":
            outcome = ended[-1]["outcome"] if ended else "none"
            raise UsageError(f"stack `{args.stack}`: the last rollout did not roll back (outcome: {outcome}); nothing to retry")
        recorded = last.get("plan", {}).get("spec")
        if not isinstance(recorded, dict) or not recorded:
            raise UsageError(f"{journal.path}: the last rollout predates recorded specs; re-run its original command instead")
        spec = build_spec(recorded, f"{journal.path} (last rollout)")
        service = spec.service
        flags = ["--no-analysis"] if not spec.analysis.checks else []
    rollout_args = rollout_parser().parse_args(
        [
            "--stack",
            args.stack,
            "--service",
            service,
            "--state-dir",
            str(args.state_dir),
            "--work-dir",
            str(args.work_dir),
            *flags,
        ]
        + (["--json"] if args.json else [])
    )
    return run(rollout_args, deployer_factory, clock, out, err, spec=spec)
