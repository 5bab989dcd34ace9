"""Rollback speed of `rollway rollout` against real nginx + Prometheus (the end-to-end sandbox).

Each trial releases a faulty version (it answers 500 after its first 5-40 requests) as a canary under steady
traffic and measures, on one monotonic clock:
- first failing request -> rollback applied (nginx reloaded and confirmed serving the stable-only config);
- first failing request -> last response served by the canary (what clients saw: from then on 100% stable);
- the controller's decision latency (failing measurement finished -> rollback update issued);
- the nginx reload itself.

With `--scenario default-analysis` the trials run the README's headline command instead (steps
5,10,25,50,100, no spec, only `--metrics-url`: the built-in default analysis), so the figures show how fast
the default success-rate check catches the 5xx build. `--scenario five-steps` releases a healthy build
through the same five steps end to end and reports the wall time, each routing update and the analysis.

`--scenario real-engine` runs `rollway rollout` as its own process through the Automation API against the real
Pulumi CLI (`make engine`, offline provider, a throwaway file:// backend) on the dev stack, with the project's
policy packs on every update and a steered metrics API in place of traffic: per trial one canary whose success
rate fails (time from the failing measurement to the rollback update finished) and one healthy canary killed
with SIGKILL while it bakes, then re-run (time from the restart to the resumed rollout's promotion).

Usage: .venv/bin/python bench/rollout_recovery.py [--trials 5] [--interval 0.25] [--rate 100] [--seed 7]
       [--scenario recovery|default-analysis|five-steps|real-engine] [--step-duration 2]
Needs nginx and prometheus (.ci/install-e2e); real-engine needs the engine (`make engine`, or ROLLWAY_ENGINE_DIR). Prints a Markdown table; figures are recorded in bench/ROLLOUT.md.
"""

from __future__ import annotations

import argparse
import calendar
import io
import json
import os
import random
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from rollway.rollout.cli import main as rollout_main  # noqa: E402
from rollway.rollout.sandbox import LoadGenerator, Sandbox, missing_binaries  # noqa: E402
from rollway.rollout.sandbox.steered import SteeredMetrics  # noqa: E402
from rollway.testing.real_engine import EngineMissing, RealEngine, StackWorkspace  # noqa: E402


def trial(interval: float, rate: float, fail_after: int, workdir: Path) -> dict[str, float]:
    with Sandbox({"web:1.0": None, "web:2.0-bad": fail_after}, live_image="web:1.0") as sandbox:
        spec = {
            "service": "web",
            "image": "web:2.0-bad",
            "steps": [10, 50, 100],
            "stepDuration": "10s",
            "drain": "1s",
            "analysis": {
                "interval": interval,
                "failureLimit": 0,
                "checks": [
                    {
                        "name": "error-rate",
                        "prometheus": {"url": sandbox.prometheus.url, "query": sandbox.error_rate_query()},
                        "max": 0.05,
                        "noData": "skip",
                    }
                ],
            },
        }
        spec_path = workdir / "rollout.yaml"
        spec_path.write_text(yaml.safe_dump(spec))
        out = io.StringIO()
        with LoadGenerator(sandbox.nginx.url, rate=rate) as load:
            code = rollout_main(
                ["--stack", "bench", "--spec", str(spec_path), "--state-dir", str(workdir / "state"), "--json"],
                deployer_factory=lambda spec, args: sandbox.deployer,
                stdout=out,
            )
            rollback_applied = sandbox.deployer.route_log[-1][0]
            time.sleep(1.0)  # keep traffic flowing: any canary response after the rollback would show up
        if code != 1:
            raise RuntimeError(f"expected a rollback (exit 1), got exit {code}")
        first_failure = sandbox.deployer.apps["green"].first_failure_at
        if first_failure is None:
            raise RuntimeError("the faulty version never failed a request")
        events = [json.loads(line) for line in out.getvalue().splitlines()]
        started = next(event for event in events if event["event"] == "rollback.started")
        last_canary = max(hit.at for hit in load.hits if hit.color == "green")
        return {
            "to_rollback_applied": rollback_applied - first_failure,
            "to_last_canary_response": last_canary - first_failure,
            "decision_ms": float(started["decisionLatencyMs"]),
            "reload_ms": sandbox.deployer.route_seconds[-1] * 1000,
            "failed_responses": float(sum(1 for hit in load.hits if hit.status >= 500)),
        }


def headline(image: str, fail_after: int | None, interval: float, step: float, rate: float, workdir: Path) -> dict[str, float]:
    """The headline command with the default analysis; a rolled-back or promoted trial's figures."""
    with Sandbox({"web:1.0": None, image: fail_after}, live_image="web:1.0") as sandbox:
        out = io.StringIO()
        argv = ["--stack", "bench", "--service", "web", "--image", image, "--steps", "5,10,25,50,100"]
        argv += ["--step-duration", f"{step}s", "--interval", f"{interval}s", "--drain", "0s", "--json"]
        argv += ["--metrics-url", sandbox.prometheus.url, "--state-dir", str(workdir / "state")]
        started = time.monotonic()
        cpu = time.process_time()
        with LoadGenerator(sandbox.nginx.url, rate=rate) as load:
            code = rollout_main(argv, deployer_factory=lambda spec, args: sandbox.deployer, stdout=out)
            ended = time.monotonic()
            time.sleep(0.5 if fail_after is not None else 0.0)
        events = [json.loads(line) for line in out.getvalue().splitlines()]
        measurements = [event for event in events if event["event"] == "analysis.measurement"]
        result = {
            "exit": float(code),
            "wall_s": ended - started,
            "cpu_s": time.process_time() - cpu,
            "routes": float(len(sandbox.deployer.route_log)),
            "route_ms_max": max(sandbox.deployer.route_seconds) * 1000,
            "measurements": float(len(measurements)),
            "failed_responses": float(sum(1 for hit in load.hits if hit.status >= 500)),
        }
        if fail_after is not None:
            if code != 1:
                raise RuntimeError(f"expected the default analysis to roll back (exit 1), got exit {code}")
            first_failure = sandbox.deployer.apps["green"].first_failure_at
            assert first_failure is not None
            result["to_rollback_applied"] = sandbox.deployer.route_log[-1][0] - first_failure
            rollback = next(event for event in events if event["event"] == "rollback.started")
            result["decision_ms"] = float(rollback["decisionLatencyMs"])
            result["caught_at_weight"] = float(sandbox.deployer.route_log[-2][2])
        elif code != 0:
            raise RuntimeError(f"expected the healthy build to be promoted (exit 0), got exit {code}")
        return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=5)
    parser.add_argument("--interval", type=float, default=0.25, help="analysis interval, seconds")
    parser.add_argument("--rate", type=float, default=100.0, help="requests per second through nginx")
    parser.add_argument("--seed", type=int, default=7, help="seed for when the fault starts in each trial")
    parser.add_argument("--scenario", choices=["recovery", "default-analysis", "five-steps", "real-engine"], default="recovery")
    parser.add_argument("--step-duration", type=float, default=2.0, help="bake per step (default-analysis, five-steps)")
    args = parser.parse_args()
    if args.scenario == "real-engine":
        return _real_engine_trials(args)
    missing = missing_binaries()
    if missing:
        print(f"bench/rollout_recovery.py needs {' and '.join(missing)}; run .ci/install-e2e as root", file=sys.stderr)
        return 2
    if args.scenario != "recovery":
        return _headline_trials(args)
    results = []
    # The fault starts after a varying number of canary requests, so it lands at a random point of the
    # analysis interval and scrape cycle (a fixed count would phase-lock with the first measurement).
    rng = random.Random(args.seed)
    for number in range(1, args.trials + 1):
        with tempfile.TemporaryDirectory(prefix="rollway-bench-") as workdir:
            result = trial(args.interval, args.rate, rng.randint(5, 40), Path(workdir))
        results.append(result)
        print(
            f"trial {number}: failure->rollback applied {result['to_rollback_applied']:.2f}s, "
            f"failure->last canary response {result['to_last_canary_response']:.2f}s, "
            f"decision {result['decision_ms']:.1f}ms, reload {result['reload_ms']:.0f}ms, "
            f"{result['failed_responses']:.0f} failed responses",
            file=sys.stderr,
        )
    print(f"\n{args.trials} trials, analysis interval {args.interval}s, Prometheus scrape 500ms, {args.rate:.0f} req/s\n")
    print("| measure | median | max |")
    print("|---|---|---|")
    rows = [
        ("first failing request -> rollback applied (s)", "to_rollback_applied", "{:.2f}"),
        ("first failing request -> last canary response (s)", "to_last_canary_response", "{:.2f}"),
        ("controller decision latency (ms)", "decision_ms", "{:.1f}"),
        ("nginx reload, confirmed (ms)", "reload_ms", "{:.0f}"),
        ("failed responses seen by clients", "failed_responses", "{:.0f}"),
    ]
    for label, key, fmt in rows:
        values = [result[key] for result in results]
        print(f"| {label} | {fmt.format(statistics.median(values))} | {fmt.format(max(values))} |")
    return 0


def _headline_trials(args: argparse.Namespace) -> int:
    rng = random.Random(args.seed)
    results = []
    for number in range(1, args.trials + 1):
        fail_after = rng.randint(5, 40) if args.scenario == "default-analysis" else None
        image = "web:2.0-bad" if fail_after is not None else "web:2.0"
        with tempfile.TemporaryDirectory(prefix="rollway-bench-") as workdir:
            result = headline(image, fail_after, args.interval, args.step_duration, args.rate, Path(workdir))
        results.append(result)
        print(f"trial {number}: " + ", ".join(f"{key} {value:.3f}" for key, value in result.items()), file=sys.stderr)
    print(
        f"\n{args.trials} trials, {args.scenario}, steps 5,10,25,50,100 x {args.step_duration}s, "
        f"analysis interval {args.interval}s, Prometheus scrape 500ms, {args.rate:.0f} req/s\n"
    )
    print("| measure | median | max |")
    print("|---|---|---|")
    for key in results[0]:
        values = [result[key] for result in results]
        print(f"| {key} | {statistics.median(values):.3f} | {max(values):.3f} |")
    return 0


ROLLWAY = str(Path(sys.executable).parent / "rollway")


def _events(path: Path) -> list[dict[str, object]]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip().endswith("}")]


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _engine_rollout(ws: StackWorkspace, state: Path, events: Path, metrics: SteeredMetrics, interval: float) -> list[str]:
    return [
        ROLLWAY, "rollout", "--stack", "dev", "--service", "web", "--work-dir", str(ws.directory),
        "--state-dir", str(state), "--events", str(events), "--steps", "50,100", "--drain", "0s", "--no-scale-down",
        "--metrics-url", metrics.url, "--interval", f"{interval}s", "--failure-limit", "0",
    ]  # fmt: skip


def _real_engine_rollback(ws: StackWorkspace, workdir: Path, metrics: SteeredMetrics, interval: float) -> dict[str, float]:
    """A canary whose success rate fails at its first measurement: rolled back by one targeted engine update."""
    events = workdir / "rollback-events.jsonl"
    metrics.success_rate = 0.5
    command = [*_engine_rollout(ws, workdir / "state", events, metrics, interval), "--step-duration", "30s"]
    started, cpu = time.monotonic(), _children_cpu()
    done = subprocess.run(command, env=ws.env, capture_output=True, text=True, timeout=1800, stdin=subprocess.DEVNULL)
    wall = time.monotonic() - started
    if done.returncode != 1:
        raise RuntimeError(f"expected a rollback (exit 1), got {done.returncode}: {done.stderr[-2000:]}")
    seen = _events(events)
    routes = [e for e in seen if e["event"] == "route.applied"]
    rollback = next(e for e in seen if e["event"] == "rollback.started")
    completed = next(e for e in seen if e["event"] == "rollback.completed")
    return {
        "decision_ms": float(str(rollback["decisionLatencyMs"])),
        "detected_to_rolled_back_s": float(str(completed["durationMs"])) / 1000,
        "canary_route_update_s": float(str(routes[0]["durationMs"])) / 1000,
        "wall_s": wall,
        "cpu_s": _children_cpu() - cpu,
    }


def _real_engine_resume(ws: StackWorkspace, workdir: Path, metrics: SteeredMetrics, interval: float) -> dict[str, float]:
    """A healthy canary killed with SIGKILL while it bakes its first step, then the same command again."""
    events = workdir / "resume-events.jsonl"
    metrics.success_rate = 1.0
    command = [*_engine_rollout(ws, workdir / "state", events, metrics, interval), "--step-duration", "10s"]
    process = subprocess.Popen(
        command, env=ws.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 1200
    while not any(e["event"] == "analysis.measurement" for e in _events(events)):
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("the rollout ended (or stalled) before its first step was measured")
        time.sleep(0.2)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)
    before = len(_events(events))
    started, cpu, restarted_at = time.monotonic(), _children_cpu(), time.time()
    done = subprocess.run(command, env=ws.env, capture_output=True, text=True, timeout=1800, stdin=subprocess.DEVNULL)
    wall = time.monotonic() - started
    if done.returncode != 0:
        raise RuntimeError(f"expected the resumed rollout to promote (exit 0), got {done.returncode}: {done.stderr[-2000:]}")
    resumed = _events(events)[before:]
    begun = next(e for e in resumed if e["event"] == "rollout.resumed")
    first_route = next(e for e in resumed if e["event"] == "route.applied")
    promoted = next(e for e in resumed if e["event"] == "rollout.promoted")
    return {
        "restart_to_resumed_s": _epoch(begun) - restarted_at,
        "resumed_step_route_s": float(str(first_route["durationMs"])) / 1000,
        "restart_to_promoted_s": _epoch(promoted) - restarted_at,
        "wall_s": wall,
        "cpu_s": _children_cpu() - cpu,
    }


def _epoch(event: dict[str, object]) -> float:
    """Epoch seconds of an event's `time` (ISO 8601 UTC with milliseconds)."""
    stamp = str(event["time"])
    whole, _, millis = stamp.rstrip("Z").partition(".")
    return calendar.timegm(time.strptime(whole, "%Y-%m-%dT%H:%M:%S")) + int(millis or 0) / 1000


def _real_engine_trials(args: argparse.Namespace) -> int:
    try:
        engine = RealEngine.locate()
    except EngineMissing as error:
        print(f"bench/rollout_recovery.py --scenario real-engine: {error}", file=sys.stderr)
        return 2
    rollbacks: list[dict[str, float]] = []
    resumes: list[dict[str, float]] = []
    load = os.getloadavg()
    with SteeredMetrics() as metrics, engine.workspace(ROOT, "dev") as ws:
        ws.set_config("rollway:services.web.canaryWeight", "0", path=True)
        ws.up()
        for number in range(1, args.trials + 1):
            with tempfile.TemporaryDirectory(prefix="rollway-bench-") as workdir:
                rollbacks.append(_real_engine_rollback(ws, Path(workdir), metrics, args.interval))
                print(f"trial {number} rollback: {rollbacks[-1]}", file=sys.stderr)
                resumes.append(_real_engine_resume(ws, Path(workdir), metrics, args.interval))
                print(f"trial {number} resume: {resumes[-1]}", file=sys.stderr)
    load_after = os.getloadavg()
    print(
        f"\n{args.trials} trial(s), real Pulumi engine (offline provider, file:// backend), dev stack, policy packs on, "
        f"analysis interval {args.interval}s; load average {load[0]:.1f} before, {load_after[0]:.1f} after\n"
    )
    print("| measure | median | max |")
    print("|---|---|---|")
    for prefix, results in (("rollback", rollbacks), ("resume", resumes)):
        for key in results[0]:
            values = [result[key] for result in results]
            print(f"| {prefix}: {key} | {statistics.median(values):.3f} | {max(values):.3f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
