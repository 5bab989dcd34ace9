"""The rollout controller: runs a plan's phases, judges each bake with the analyzer, rolls back on failure.

Rollback is the same single targeted update for every failure (analysis budget spent, deadline missed,
approval rejected or timed out, a failed update): live back to the stable color with canary weight 0.
It is issued straight from the analysis loop, so the decision latency is the time it takes to write one
journal record and one event.
"""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from rollway.rollout.analysis import Analyzer, Check, Context, Measurement
from rollway.rollout.clock import Clock, SystemClock
from rollway.rollout.deployer import Color, Deployer
from rollway.rollout.durations import format_duration
from rollway.rollout.errors import DeployError
from rollway.rollout.events import Event, EventSink
from rollway.rollout.journal import Journal, Progress
from rollway.rollout.plan import Phase, Plan
from rollway.rollout.spec import PhaseKind

APPROVAL_POLL_SECONDS = 0.5


@dataclass(frozen=True)
class Outcome:
    """How a rollout ended."""

    promoted: bool
    """True: the new color is live. False: rolled back (or the rollback itself failed)."""
    reason: str | None = None
    """Why it rolled back."""
    rollback_failed: bool = False
    """The rollback update failed; the journal keeps it pending for `--abort`."""


class RollbackNeeded(Exception):
    """Raised inside a phase to abandon the rollout."""

    def __init__(self, reason: str, decided_at: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.decided_at = decided_at if decided_at is not None else time.monotonic()


class PromoteNow(Exception):
    """Raised inside a phase when an operator asked to promote at once (`rollway rollout promote`)."""


ControlSource = Callable[[], "tuple[str, str] | None"]
"""Returns the next operator request (command, who) or None; see rollway.rollout.status.ControlFile."""


class Controller:
    """Runs one rollout.

    Args:
        deployer: Applies decisions to the stack.
        plan: The phases to run.
        journal: Where progress is recorded (resumability).
        checks: Analysis checks.
        events: Receives every event.
        clock: Time source (tests pass a fake).
        resume: Progress of the unfinished rollout this run continues.
        warnings: Emitted as `warning` events right after the start (e.g. running with --no-analysis).
        control: Operator requests (pause, resume, promote, abort, approve, reject), polled at every
            measurement interval and approval poll.
    """

    def __init__(
        self,
        deployer: Deployer,
        plan: Plan,
        journal: Journal,
        checks: list[Check],
        events: EventSink,
        clock: Clock | None = None,
        resume: Progress | None = None,
        warnings: Sequence[str] = (),
        control: ControlSource | None = None,
    ) -> None:
        self.deployer = deployer
        self.plan = plan
        self.journal = journal
        self.events = events
        self.clock = clock or SystemClock()
        self.resume = resume
        self.id = resume.id if resume else uuid.uuid4().hex[:12]
        self.started_at = resume.started_at if resume else self.clock.now()
        self.analyzer = Analyzer(checks, plan.failure_limit, failures=resume.failures if resume else 0)
        self.context = Context(plan.service, plan.canary, plan.stable)
        self.promoted = False
        self.warnings = list(warnings)
        self.control = control
        self.paused_total = 0.0
        self.skip_to_promote = False
        self.baking: PhaseKind | None = None

    # -- plumbing ---------------------------------------------------------------------------------
    def _emit(self, kind: str, **data: object) -> None:
        self.events.emit(
            Event(kind, {"rolloutId": self.id, "stack": self.plan.stack, "service": self.plan.service, **data}, self.clock.now())
        )

    def _record(self, rec: str, **data: object) -> None:
        self.journal.append({"rec": rec, "id": self.id, "at": self.clock.now(), **data})

    def _deadline_left(self) -> float:
        # Time spent paused by an operator does not count against the deadline.
        return self.started_at + self.paused_total + self.plan.deadline - self.clock.now()

    def _check_deadline(self) -> None:
        if not self.promoted and self._deadline_left() <= 0:
            raise RollbackNeeded(f"deadline missed: not promoted within {format_duration(self.plan.deadline)}")

    def _route(self, live: Color, weight: int) -> None:
        started = time.monotonic()
        self.deployer.route(self.plan.service, live, weight)
        self._emit("route.applied", liveColor=live, canaryWeight=weight, durationMs=round((time.monotonic() - started) * 1000))

    # -- run ----------------------------------------------------------------------------------------
    def run(self, abort: bool = False) -> Outcome:
        """Run (or resume) the plan; with `abort`, roll the unfinished rollout back instead."""
        plan = self.plan
        if self.resume is None:
            self._record("begin", plan=plan.to_json(), fingerprint=plan.fingerprint)
        self._emit(
            "rollout.resumed" if self.resume else "rollout.started",
            strategy=plan.strategy,
            **({"cohort": plan.cohort["match"]} if plan.cohort else {}),
            stable=plan.stable,
            canary=plan.canary,
            phases=len(plan.phases),
            notes=plan.notes,
            nextPhase=self.resume.next_phase if self.resume else 0,
        )
        for warning in self.warnings:
            self._emit("warning", message=warning)
        try:
            if abort:
                return self._rollback(RollbackNeeded("aborted by operator (--abort)"))
            if self.resume is not None and self.resume.rollback_reason is not None:
                return self._rollback(RollbackNeeded(f"{self.resume.rollback_reason} (rollback resumed)"))
            first = self.resume.next_phase if self.resume else 0
            # Phases before the first pending one are done; a promote among them means we're past the switch.
            self.promoted = any(phase.type == "promote" for phase in plan.phases[:first])
            for index, phase in enumerate(plan.phases):
                if index < first:
                    continue
                self._check_deadline()
                if self.skip_to_promote and phase.type in ("shift", "smoke", "gate"):
                    self._record("phase", index=index, status="done", skipped=True)
                    self._emit("phase.skipped", index=index, type=phase.type, label=phase.label(plan))
                    continue
                self._record("phase", index=index, status="started")
                self._emit("phase.started", index=index, total=len(plan.phases), type=phase.type, label=phase.label(plan))
                try:
                    self._run_phase(phase)
                except PromoteNow:
                    self.skip_to_promote = True
                except DeployError as exc:
                    if phase.type == "scale-down":
                        # The new color already serves everything; a leftover old workload costs money, not users.
                        self._emit("warning", message=f"scale-down of {plan.stable} failed, it keeps running: {exc}")
                    else:
                        raise RollbackNeeded(f"{phase.label(plan)} failed: {exc}") from None
                self._record("phase", index=index, status="done")
                self._emit("phase.completed", index=index, type=phase.type)
        except RollbackNeeded as needed:
            return self._rollback(needed)
        finally:
            self.analyzer.close()
        self._record("end", outcome="promoted")
        self._emit("rollout.promoted", liveColor=plan.canary, elapsed=self.clock.now() - self.started_at)
        return Outcome(promoted=True)

    def _run_phase(self, phase: Phase) -> None:
        plan = self.plan
        if phase.type == "deploy":
            self.deployer.deploy(plan.service, plan.canary, phase.image)
        elif phase.type == "cohort":
            self._route(plan.stable, 0)
            self._bake("cohort", phase.bake, phase.label(plan))
        elif phase.type == "shift":
            self._route(plan.stable, phase.weight)
            self._bake("canary", phase.bake, phase.label(plan))
        elif phase.type == "smoke":
            self._bake("smoke", phase.bake, phase.label(plan))
        elif phase.type == "gate":
            self._gate()
        elif phase.type == "promote":
            self._route(plan.canary, 0)
            self.promoted = True
        elif phase.type == "drain":
            self._bake("drain", phase.bake, phase.label(plan))
        elif phase.type == "scale-down":
            self.deployer.deploy(plan.service, plan.stable, None)

    def _bake(self, kind: PhaseKind, duration: float, label: str) -> None:
        """Wait `duration` while measuring every `interval`; raise RollbackNeeded the moment the budget is spent."""
        self.baking = kind
        end = self.clock.now() + duration
        active = bool(self.analyzer.active(kind))
        measured = False
        self.analyzer.begin_phase()
        while True:
            self._check_deadline()
            remaining = end - self.clock.now()
            if remaining <= 0 and (measured or not active):
                self._raise_if_exhausted(self.analyzer.end_phase(kind, self._on_measurement))
                return
            wait = min(self.plan.interval, max(remaining, 0.0))
            if not self.promoted:
                wait = min(wait, max(self._deadline_left(), 0.0))
            self.clock.sleep(wait)
            paused, _ = self._poll_control(gate=False)
            end += paused
            if active:
                results = self.analyzer.tick(kind, self.context, self._on_measurement)
                measured = True
                self._raise_if_exhausted(results)
            self._emit(
                "analysis.tick",
                label=label,
                bakeLeft=max(end - self.clock.now(), 0.0),
                deadlineLeft=max(self._deadline_left(), 0.0),
            )

    def _raise_if_exhausted(self, results: list[Measurement]) -> None:
        if not self.analyzer.exhausted:
            return
        failed = [result for result in results if result.ok is False]
        decided_at = max(result.finished_at for result in failed) if failed else time.monotonic()
        names = "; ".join(f"{result.check}: {result.detail}" for result in failed) or "no data during a whole phase"
        raise RollbackNeeded(
            f"analysis failed ({self.analyzer.failures} failed measurement(s), limit {self.plan.failure_limit}): {names}",
            decided_at,
        )

    def _on_measurement(self, result: Measurement) -> None:
        if result.ok is False:
            self._record("failure", check=result.check, detail=result.detail)
        # In an A/B test's cohort phase only the cohort reaches the new color: the measurement is the cohort's.
        cohort = self.plan.cohort["match"] if self.plan.cohort and self.baking == "cohort" else None
        self._emit(
            "analysis.measurement",
            check=result.check,
            ok=result.ok,
            # JSON has no Infinity/NaN; such values travel as text.
            value=result.value if result.value is None or math.isfinite(result.value) else str(result.value),
            detail=result.detail,
            durationMs=round(result.duration * 1000),
            failures=self.analyzer.failures,
            failureLimit=self.plan.failure_limit,
            **({"cohort": cohort} if cohort else {}),
        )

    def _gate(self) -> None:
        plan = self.plan
        if plan.pre_approved:
            self._emit("gate.approved", by="--approve")
            return
        assert plan.approval_file is not None  # build_plan sets it whenever the spec has a gate
        path = Path(plan.approval_file)
        waited_from = self.clock.now()
        self._emit("gate.waiting", approvalFile=str(path), timeout=plan.approval_timeout)
        while True:
            paused, answer_by = self._poll_control(gate=True)
            waited_from += paused
            if answer_by is not None:
                answer, by = answer_by
                if answer == "reject":
                    raise RollbackNeeded(f"rejected by {by} (rollway rollout reject)")
                self._emit("gate.approved", by=by)
                return
            if path.exists() and path.stat().st_mtime >= self.started_at - 1:
                answer = path.read_text(encoding="utf-8").strip().lower()
                path.unlink(missing_ok=True)  # consumed: a stale file must not approve the next rollout
                if answer.startswith("reject"):
                    raise RollbackNeeded(f"rejected by approver ({path})")
                self._emit("gate.approved", by=str(path))
                return
            if self.clock.now() - waited_from >= plan.approval_timeout:
                raise RollbackNeeded(f"approval not given within {format_duration(plan.approval_timeout)} ({path})")
            self._check_deadline()
            self.clock.sleep(APPROVAL_POLL_SECONDS)

    def _poll_control(self, gate: bool) -> tuple[float, tuple[str, str] | None]:
        """Apply a pending operator request: (seconds spent paused, (approve|reject, who) when in the gate)."""
        request = self.control() if self.control is not None else None
        if request is None:
            return 0.0, None
        command, by = request
        self._record("control", command=command, by=by)
        self._emit("control.received", command=command, by=by)
        if command == "abort":
            raise RollbackNeeded(f"aborted by {by} (rollway rollout abort)")
        if command == "promote":
            if self.promoted:
                self._emit("warning", message=f"promote from {by} ignored: already switched to {self.plan.canary}")
                return 0.0, None
            raise PromoteNow
        if command == "pause":
            return self._pause(by, gate)
        if command in ("approve", "reject"):
            if gate:
                return 0.0, (command, by)
            self._emit("warning", message=f"{command} from {by} ignored: no approval is pending")
            return 0.0, None
        self._emit("warning", message=f"{command} from {by} ignored: the rollout is not paused")
        return 0.0, None

    def _pause(self, by: str, gate: bool) -> tuple[float, tuple[str, str] | None]:
        """Hold the rollout where it is (traffic unchanged, no measurements) until resume, promote or abort."""
        paused_from = self.clock.now()
        self._emit("rollout.paused", by=by)
        while True:
            self.clock.sleep(min(self.plan.interval, 1.0))
            request = self.control() if self.control is not None else None
            if request is None:
                continue
            command, who = request
            self._record("control", command=command, by=who)
            self._emit("control.received", command=command, by=who)
            if command == "pause":
                continue
            paused = self.clock.now() - paused_from
            self.paused_total += paused
            self._emit("rollout.continued", by=who, pausedFor=paused)
            if command == "abort":
                raise RollbackNeeded(f"aborted by {who} (rollway rollout abort)")
            if command == "promote" and not self.promoted:
                raise PromoteNow
            if command in ("approve", "reject") and gate:
                return paused, (command, who)
            return paused, None

    def _rollback(self, needed: RollbackNeeded) -> Outcome:
        plan = self.plan
        self._record("rollback", reason=needed.reason)
        latency = time.monotonic() - needed.decided_at
        self._emit("rollback.started", reason=needed.reason, decisionLatencyMs=round(latency * 1000, 1), liveColor=plan.stable)
        try:
            self._route(plan.stable, 0)
        except DeployError as exc:
            self._emit("rollback.failed", reason=needed.reason, error=str(exc))
            return Outcome(promoted=False, reason=needed.reason, rollback_failed=True)
        self._emit("rollback.completed", liveColor=plan.stable, durationMs=round((time.monotonic() - needed.decided_at) * 1000))
        self._record("end", outcome="rolled-back", reason=needed.reason)
        self._emit("rollout.rolled_back", reason=needed.reason, liveColor=plan.stable)
        return Outcome(promoted=False, reason=needed.reason)
