"""`rollway rollout`: flags and spec file in, one rollout run, exit code out.

Exit codes: 0 promoted, 1 rolled back (or the rollback failed), 2 usage/config error (nothing changed),
130 interrupted (the journal keeps the rollout; re-run the same command to resume, or `--abort`).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from rollway.rollout.analysis import build_checks
from rollway.rollout.analysis.templates import expand_spec_templates, resolve_analysis
from rollway.rollout.backend import BackendState
from rollway.rollout.clock import Clock, SystemClock
from rollway.rollout.controller import Controller
from rollway.rollout.deployer import Deployer
from rollway.rollout.durations import parse_duration
from rollway.rollout.errors import UsageError
from rollway.rollout.events import Event, EventSink, Fanout, JsonLinesSink, ProgressView
from rollway.rollout.journal import Journal, ensure_dir
from rollway.rollout.lock import StackLock
from rollway.rollout.notify import NotifySink, parse_targets
from rollway.rollout.notify import environment as notify_environment
from rollway.rollout.plan import build_plan, fingerprint
from rollway.rollout.routing import Matcher
from rollway.rollout.spec import RolloutSpec, build_spec, load_spec_file
from rollway.rollout.status import ControlFile, StatusSink

EXIT_PROMOTED, EXIT_ROLLED_BACK, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130

DeployerFactory = Callable[[RolloutSpec, argparse.Namespace], Deployer]


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="rollway rollout",
        description="Progressive delivery for one service of a stack: canary steps or a blue/green switch, "
        "with analysis between steps and automatic rollback.",
    )
    p.add_argument(
        "--stack",
        required=True,
        help="stack to release on (e.g. dev); several, comma-separated (prod-us,prod-eu), release in waves in that order",
    )
    p.add_argument("--wave-bake", help="waves: how long to wait after one stack promotes before starting the next")
    p.add_argument("--service", help="service to release (key of rollway:services); or `service:` in --spec")
    p.add_argument("--spec", type=Path, help="rollout spec file (YAML): steps, analysis checks, gate; flags override it")
    p.add_argument(
        "--strategy",
        choices=["canary", "blue-green", "blueGreen", "ab-test", "abTest"],
        help="default: canary; ab-test: a cohort (--cohort-header) on the new color first, analysed on its own",
    )
    p.add_argument("--cohort-header", metavar="NAME=VALUE", help="A/B test: requests with this header reach the new color")
    p.add_argument("--cohort-cookie", metavar="NAME=VALUE", help="A/B test: requests with this cookie reach the new color")
    p.add_argument("--cohort-duration", help="A/B test: how long the cohort alone is on the new color (default 5m)")
    p.add_argument("--image", help="new image; deployed to the idle color before traffic moves")
    p.add_argument(
        "--steps",
        help="canary weights (5,10,25,50,100) or a preset (canary-10%%-then-all, linear-10%%-every-2m)",
    )
    p.add_argument("--step-duration", help="bake time per canary step (e.g. 2m)")
    p.add_argument("--smoke-duration", help="blue/green smoke test length")
    p.add_argument("--drain", help="how long the old color keeps running after the switch")
    p.add_argument("--deadline", help="roll back unless promoted within this")
    p.add_argument("--interval", help="time between analysis measurements")
    p.add_argument("--failure-limit", type=int, help="failed measurements tolerated before rollback")
    p.add_argument(
        "--smoke-url",
        "--test-url",
        dest="smoke_url",
        help="HTTP probe of this URL (2xx expected), e.g. the test route that reaches the idle color",
    )
    p.add_argument(
        "--metrics-url",
        help="Prometheus-compatible query API for the default analysis (canary success rate and p99 latency)",
    )
    p.add_argument("--metrics-flavor", choices=["generic", "ingress-nginx"], help="metric names of the default analysis")
    p.add_argument(
        "--no-analysis",
        action="store_true",
        help="run without any analysis (steps only bake); without it, a rollout with no checks uses the default analysis",
    )
    p.add_argument("--gate", action="store_true", help="wait for approval before the switch")
    p.add_argument("--approval-file", help="approval file for the gate (implies --gate)")
    p.add_argument("--approve", action="store_true", help="approve the gate up front")
    p.add_argument("--no-scale-down", action="store_true", help="keep the old color's workload after the drain window")
    p.add_argument(
        "--policy-pack",
        action="append",
        default=[],
        type=Path,
        metavar="DIR",
        help="policy pack every update runs (repeatable); default: <work-dir>/policies/{security,cost} when present",
    )
    p.add_argument(
        "--policy-pack-config",
        action="append",
        default=[],
        type=Path,
        metavar="FILE",
        help="config of the --policy-pack at the same position; default: <work-dir>/policies/config/<stack>/<pack>.json",
    )
    p.add_argument("--no-policy-packs", action="store_true", help="run updates without policy packs (not recommended)")
    p.add_argument("--abort", action="store_true", help="roll back the stack's unfinished rollout")
    p.add_argument(
        "--notify",
        action="append",
        default=[],
        metavar="TARGET",
        help="notify a webhook URL (JSON), slack:<URL>, or github (deployment statuses); repeatable",
    )
    p.add_argument("--github-deployment", help="GitHub deployment id for --notify github (or ROLLWAY_GITHUB_DEPLOYMENT_ID)")
    p.add_argument("--json", action="store_true", help="JSON-lines events on stdout instead of the progress view")
    p.add_argument("--events", type=Path, help="also write JSON-lines events to this file")
    p.add_argument("--work-dir", type=Path, default=Path("."), help="Pulumi project directory (default: .)")
    p.add_argument("--state-dir", type=Path, default=Path(".rollway"), help="journal and lock directory (default: .rollway)")
    return p


def _merge_flags(raw: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    merged = dict(raw)
    simple = {
        "service": args.service,
        "image": args.image,
        "stepDuration": args.step_duration,
        "smokeDuration": args.smoke_duration,
        "drain": args.drain,
        "deadline": args.deadline,
        "cohortDuration": args.cohort_duration,
    }
    merged.update({key: value for key, value in simple.items() if value is not None})
    if args.strategy is not None:
        merged["strategy"] = {"blue-green": "blueGreen", "ab-test": "abTest"}.get(args.strategy, args.strategy)
    if args.cohort_header is not None and args.cohort_cookie is not None:
        raise UsageError("--cohort-header and --cohort-cookie: an A/B cohort is selected by one of them")
    for kind, flag in (("header", args.cohort_header), ("cookie", args.cohort_cookie)):
        if flag is not None:
            name, equals, value = flag.partition("=")
            if not equals or not name.strip() or not value:
                raise UsageError(f"--cohort-{kind} {flag!r}: give NAME=VALUE, e.g. --cohort-{kind} x-rollway-beta=1")
            merged["cohort"] = {kind: name.strip(), "value": value}
            if args.strategy is None and "strategy" not in raw:
                merged["strategy"] = "abTest"
    if args.steps is not None:
        merged.pop("steps", None)
        merged.pop("preset", None)
        if "," in args.steps or re.fullmatch(r"[\d\s%.+-]+", args.steps):
            merged["steps"] = _weights(args.steps)
        else:
            merged["preset"] = args.steps
    if args.no_scale_down:
        merged["scaleDown"] = False
    # A non-mapping `analysis`/`gate` in the file is left as is for validation to report.
    analysis = merged.get("analysis") or {}
    if isinstance(analysis, dict):
        analysis = dict(analysis)
        if args.interval is not None:
            analysis["interval"] = args.interval
        if args.failure_limit is not None:
            analysis["failureLimit"] = args.failure_limit
        own_checks = analysis.get("checks")
        if args.smoke_url is not None and own_checks:
            if isinstance(own_checks, list):
                analysis["checks"] = [*own_checks, {"name": "smoke-url", "http": {"url": args.smoke_url}}]
        else:
            defaults = analysis.get("defaults") or {}
            if isinstance(defaults, dict):
                flags = {"testUrl": args.smoke_url, "prometheus": args.metrics_url, "flavor": args.metrics_flavor}
                defaults = {**defaults, **{key: value for key, value in flags.items() if value is not None}}
                if defaults:
                    analysis["defaults"] = defaults
        merged["analysis"] = analysis
    if args.gate or args.approval_file or args.approve:
        gate = merged.get("gate") or {}
        if isinstance(gate, dict):
            gate = dict(gate)
            if args.approval_file:
                gate["approvalFile"] = args.approval_file
            merged["gate"] = gate
    return merged


def _weights(text: str) -> list[int]:
    """`--steps 5,10,25`: whole percents; anything else names the offending part."""
    weights = []
    for part in text.split(","):
        value = part.strip().rstrip("%").strip()
        if not re.fullmatch(r"\d+", value):
            raise UsageError(
                f"--steps {text!r}: {part.strip()!r} is not a whole percent; list whole percents separated by commas, "
                f"e.g. 5,10,25,50,100"
            )
        weights.append(int(value))
    return weights


def _default_deployer(spec: RolloutSpec, args: argparse.Namespace) -> Deployer:
    from rollway.rollout.automation import PulumiDeployer

    log_path = args.state_dir / _safe(args.stack) / "pulumi.log"
    handles: list[TextIO] = []

    def on_output(line: str) -> None:
        # Opened on the first engine line, so a run that fails before any update leaves no log behind.
        if not handles:
            log_path.parent.mkdir(parents=True, exist_ok=True)
            handles.append(log_path.open("a", encoding="utf-8"))
        handles[0].write(line.rstrip("\n") + "\n")
        handles[0].flush()

    matchers = [Matcher(rule.type, rule.name_suffix) for rule in spec.routing] if spec.routing is not None else None
    packs, configs = policy_packs(args)
    configs = rollout_policy_configs(packs, configs, args.state_dir / _safe(args.stack) / "policy-config")
    return PulumiDeployer(
        args.stack,
        args.work_dir.resolve(),
        matchers=matchers,
        on_output=on_output,
        policy_packs=[str(pack) for pack in packs],
        policy_pack_configs=[str(config) for config in configs],
    )


DEFAULT_PACKS = ("security", "cost")


BUDGET_POLICY = "monthly-budget"


def rollout_policy_configs(packs: list[Path], configs: list[Path], directory: Path) -> list[Path]:
    """The configs a rollout's updates pass: each pack's own, with the budget policy told a rollout is running.

    The cost pack's `monthly-budget` grants its `rolloutAllowancePercent` only when `duringRollout` is true, so a
    release's transient second color is not refused; every other setting is the environment's, unchanged.
    Written under the state directory; a pack without a config gets `{}` (its defaults) to keep the pairing.
    """
    if not packs:
        return []
    ensure_dir(directory)
    derived: list[Path] = []
    for index, pack in enumerate(packs):
        data: dict[str, Any] = {}
        if configs:
            try:
                loaded = json.loads(configs[index].read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise UsageError(f"{configs[index]}: not a readable JSON policy-pack config: {exc}") from None
            if not isinstance(loaded, dict):
                raise UsageError(f"{configs[index]}: a policy-pack config is a JSON object of policy -> settings")
            data = loaded
        if pack.name == "cost" or BUDGET_POLICY in data:
            budget = data.get(BUDGET_POLICY)
            budget = dict(budget) if isinstance(budget, dict) else ({"enforcementLevel": budget} if budget else {})
            data = {**data, BUDGET_POLICY: {**budget, "duringRollout": True}}
        path = directory / f"{index}-{pack.name}.json"
        path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        derived.append(path)
    return derived


def policy_packs(args: argparse.Namespace) -> tuple[list[Path], list[Path]]:
    """The policy packs (and paired configs) every update of this rollout runs; UsageError for a missing one.

    Without flags: the project's own packs, `<work-dir>/policies/<pack>` for security and cost when present,
    each with `<work-dir>/policies/config/<stack>/<pack>.json` (the environment's config) when that exists.
    """
    if args.no_policy_packs:
        if args.policy_pack or args.policy_pack_config:
            raise UsageError("--no-policy-packs contradicts --policy-pack/--policy-pack-config; give one or the other")
        return [], []
    packs: list[Path] = list(args.policy_pack)
    configs: list[Path] = list(args.policy_pack_config)
    if not packs:
        if configs:
            raise UsageError("--policy-pack-config needs the --policy-pack it configures (paired by position)")
        environment = args.stack.rsplit("/", 1)[-1]
        for name in DEFAULT_PACKS:
            pack = args.work_dir / "policies" / name
            if (pack / "PulumiPolicy.yaml").is_file():
                packs.append(pack)
                configs.append(args.work_dir / "policies" / "config" / environment / f"{name}.json")
        found = [config for config in configs if config.is_file()]
        if not found:
            configs = []
        elif len(found) < len(configs):
            missing = next(config for config in configs if not config.is_file())
            raise UsageError(
                f"{missing}: no policy-pack config for stack `{args.stack}` while the other pack has one; add it "
                f"(it may be `{{}}`) or pass --policy-pack/--policy-pack-config explicitly"
            )
    if configs and len(configs) != len(packs):
        raise UsageError(
            f"--policy-pack-config is paired with --policy-pack by position: got {len(configs)} config file(s) for {len(packs)} pack(s)"
        )
    for pack in packs:
        if not pack.is_dir():
            raise UsageError(f"--policy-pack {pack}: not a directory")
    for config in configs:
        if not config.is_file():
            raise UsageError(f"--policy-pack-config {config}: no such file")
    return [pack.resolve() for pack in packs], [config.resolve() for config in configs]


def _first_request(controls: list[ControlFile], not_before: float) -> tuple[str, str] | None:
    """The pending operator request from the local state directory, else from the backend's state object."""
    for control in controls:
        request = control.take(not_before=not_before)
        if request is not None:
            return request
    return None


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)


def main(
    argv: list[str],
    *,
    deployer_factory: DeployerFactory | None = None,
    clock: Clock | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run `rollway rollout` with `argv` (arguments after `rollout`); returns the exit code.

    `rollway rollout <status|watch|history|pause|resume|promote|abort|approve|reject|retry> --stack S` are the
    day-2 commands (rollway.rollout.ops); anything else starts or resumes a rollout.

    Args:
        argv: Command-line arguments.
        deployer_factory: Builds the Deployer (default: the Automation API on --work-dir); tests pass a fake.
        clock: Time source (default: the system clock).
        stdout: Progress view / JSON events (default: sys.stdout).
        stderr: Error messages (default: sys.stderr).
    """
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    factory = deployer_factory or _default_deployer
    try:
        if argv[:1] and argv[0] in OPS:
            from rollway.rollout.ops import run_op

            return run_op(argv, factory, clock, out, err)
        try:
            args = parser().parse_args(argv)
        except SystemExit as exit_:
            return EXIT_USAGE if exit_.code not in (0, None) else 0
        return run_waves(args, factory, clock, out, err)
    except UsageError as exc:
        for line in str(exc).splitlines():
            err.write(f"rollway rollout: error: {line}\n")
        return EXIT_USAGE
    except KeyboardInterrupt:
        err.write(
            "rollway rollout: interrupted; the journal keeps the rollout: re-run the same command to resume, or add --abort\n"
        )
        return EXIT_INTERRUPTED


OPS = ("status", "watch", "history", "pause", "resume", "promote", "abort", "approve", "reject", "retry")


def _spec_from_args(args: argparse.Namespace) -> RolloutSpec:
    raw = load_spec_file(args.spec) if args.spec is not None else {}
    source = str(args.spec) if args.spec is not None else "command line"
    if args.spec is not None and args.service is None and "service" not in raw:
        raise UsageError(f"{args.spec}: service: is required (or pass --service)")
    if args.spec is None and args.service is None:
        raise UsageError("--service is required (or a --spec file with `service:`)")
    base_dir = args.spec.parent if args.spec is not None else Path(".")
    spec = build_spec(expand_spec_templates(_merge_flags(raw, args), base_dir, source), source)
    if not args.abort:
        spec = resolve_analysis(spec, args.no_analysis)
    return spec


def run_waves(args: argparse.Namespace, deployer_factory: DeployerFactory, clock: Clock | None, out: TextIO, err: TextIO) -> int:
    """One release over several stacks in order: each wave is a full rollout of its stack (its own journal,
    lock, analysis and rollback); a wave that does not promote stops the release, the next never starts.
    Waves already promoted stay promoted (roll them back with `rollway rollout abort`/a new release)."""
    stacks = [part.strip() for part in args.stack.split(",")]
    if any(not stack for stack in stacks) or len(set(stacks)) != len(stacks):
        raise UsageError(f"--stack {args.stack!r}: list distinct stack names separated by commas, e.g. prod-us,prod-eu")
    try:
        bake = parse_duration(args.wave_bake) if args.wave_bake is not None else 0.0
    except ValueError as exc:
        raise UsageError(f"--wave-bake {args.wave_bake!r}: {exc}") from None
    if len(stacks) == 1:
        if args.wave_bake is not None:
            raise UsageError("--wave-bake needs several stacks (--stack prod-us,prod-eu)")
        return run(args, deployer_factory, clock, out, err)
    if args.abort:
        raise UsageError("--abort acts on one stack; run it per stack (--stack prod-eu --abort)")
    spec = _spec_from_args(args)  # validated once, before the first wave changes anything
    view: EventSink = JsonLinesSink(out) if args.json else ProgressView(out)
    timer = clock or SystemClock()
    for number, stack in enumerate(stacks, start=1):
        data = {"wave": number, "waves": len(stacks), "stack": stack, "service": spec.service}
        view.emit(Event("wave.started", data, timer.now()))
        code = run(argparse.Namespace(**{**vars(args), "stack": stack}), deployer_factory, clock, out, err, spec=spec)
        if code != EXIT_PROMOTED:
            rest = stacks[number:]
            view.emit(Event("wave.stopped", {**data, "exitCode": code, "notStarted": rest}, timer.now()))
            return code
        view.emit(Event("wave.completed", data, timer.now()))
        if number < len(stacks) and bake > 0:
            timer.sleep(bake)
    return EXIT_PROMOTED


def run(
    args: argparse.Namespace,
    deployer_factory: DeployerFactory,
    clock: Clock | None,
    out: TextIO,
    err: TextIO,
    spec: RolloutSpec | None = None,
) -> int:
    """Start, resume or abort a rollout; `spec` (retry) replaces the one the flags and --spec describe."""
    spec = spec or _spec_from_args(args)
    state_dir = args.state_dir / _safe(args.stack)
    journal = Journal(state_dir / "journal.jsonl")
    targets = parse_targets(args.notify, notify_environment(), args.github_deployment)

    def warn(message: str) -> None:
        err.write(f"rollway rollout: warning: {message}\n")

    status = StatusSink(state_dir / "status.json", on_publish_error=warn)
    sinks: list[EventSink] = [JsonLinesSink(out) if args.json else ProgressView(out), status]
    notifier = NotifySink(targets, warn) if targets else None
    if notifier is not None:
        sinks.append(notifier)
    events_file = None
    if args.events is not None:
        try:
            events_file = args.events.open("a", encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"--events {args.events}: cannot open: {exc.strerror or exc}") from None
        sinks.append(JsonLinesSink(events_file))
    warnings: list[str] = []
    if args.no_analysis and not args.abort:
        warning = "--no-analysis: nothing measures the new version; every step promotes after its bake time whatever it serves"
        warn(warning)
        warnings.append(warning)
    now = clock.now if clock is not None else time.time
    control = ControlFile(state_dir / "control.json", now)
    controls = [control]
    backend = BackendState.locate(args.work_dir, args.stack) if (args.work_dir / "Pulumi.yaml").is_file() else None
    if backend is not None:
        # Anyone with the backend sees the status and can send requests, without this runner's --state-dir.
        status.mirrors.append((str(backend.directory), lambda data: backend.publish(data, journal.path)))
        controls.append(ControlFile(backend.control_path, now))
    holder = {"service": spec.service, "command": "rollway rollout"}
    try:
        with contextlib.ExitStack() as locks:
            locks.enter_context(StackLock(state_dir / "lock", holder))
            if backend is not None:
                # Runners that share only the backend (each its own --state-dir) must not release at once.
                ensure_dir(backend.directory)
                locks.enter_context(StackLock(backend.lock_path, holder))
            progress = journal.unfinished()
            events = Fanout(sinks)
            if args.abort:
                if progress is None:
                    raise UsageError(f"stack `{args.stack}` has no unfinished rollout to abort ({journal.path})")
                deployer = deployer_factory(spec, args)
                status.publish = getattr(deployer, "publish_status", None)
                resume_after = getattr(deployer, "resume_after", None)
                if resume_after is not None:
                    resume_after("rollback", progress.started_at)  # the abort's only update is the rollback's routing change
                controller = Controller(deployer, progress.plan, journal, build_checks([]), events, clock, progress)
                controller.run(abort=True)
                return EXIT_ROLLED_BACK
            wanted = fingerprint(spec, args.stack)
            if progress is not None and progress.plan.fingerprint != wanted:
                done = progress.next_phase
                raise UsageError(
                    f"stack `{args.stack}` has an unfinished rollout of `{progress.plan.service}` "
                    f"(phase {done + 1}/{len(progress.plan.phases)}) started with different settings; "
                    f"re-run that command to resume it, or add --abort to roll it back"
                )
            deployer = deployer_factory(spec, args)
            status.publish = getattr(deployer, "publish_status", None)
            checks = build_checks(spec.analysis.checks)
            if progress is not None:
                plan = progress.plan
                resume_after = getattr(deployer, "resume_after", None)
                if resume_after is not None:
                    interrupted = plan.phases[min(progress.next_phase, len(plan.phases) - 1)].type
                    resume_after("rollback" if progress.rollback_reason is not None else interrupted, progress.started_at)
            else:
                state = deployer.read(spec.service)
                approval = None
                if spec.gate is not None:
                    approval = spec.gate.approval_file or str(state_dir / f"{_safe(spec.service)}.approval")
                plan = build_plan(spec, state, args.stack, approval, pre_approved=args.approve)
                # A release the policy packs refuse is refused here, before the journal or the stack changes.
                check_release = getattr(deployer, "check_release", None)
                if check_release is not None:
                    for phase in plan.phases:
                        if phase.type == "deploy" and phase.image is not None:
                            check_release(plan.service, plan.canary, phase.image)
            controller = Controller(deployer, plan, journal, checks, events, clock, progress, warnings)
            # Requests older than the rollout's start are stale (e.g. an `abort` meant for an earlier rollout).
            controller.control = lambda: _first_request(controls, controller.started_at)
            outcome = controller.run()
            return EXIT_PROMOTED if outcome.promoted else EXIT_ROLLED_BACK
    finally:
        if notifier is not None:
            notifier.close()
        if events_file is not None:
            events_file.close()
