"""A rollout plan: the ordered phases a spec turns into for a service's current state.

Phases are idempotent (repeating one after a crash re-applies the same config), so a resumed rollout
restarts the first phase the journal doesn't record as done.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from rollway.rollout.deployer import Color, ServiceState, other
from rollway.rollout.durations import format_duration
from rollway.rollout.errors import UsageError
from rollway.rollout.spec import RolloutSpec

PhaseType = Literal["deploy", "shift", "smoke", "gate", "promote", "drain", "scale-down"]


@dataclass(frozen=True)
class Phase:
    """One step of a rollout."""

    type: PhaseType
    """What the phase does."""
    weight: int = 0
    """shift: canary percent to set."""
    bake: float = 0.0
    """shift/smoke/drain: seconds to wait while analysis runs."""
    image: str | None = None
    """deploy: image for the canary color."""

    def label(self, plan: Plan) -> str:
        if self.type == "deploy":
            return f"deploy {self.image} to {plan.canary}"
        if self.type == "shift":
            return f"canary {self.weight}% to {plan.canary} ({format_duration(self.bake)} bake)"
        if self.type == "smoke":
            return f"smoke-test {plan.canary} ({format_duration(self.bake)})"
        if self.type == "gate":
            return "wait for approval"
        if self.type == "promote":
            return f"switch live to {plan.canary}"
        if self.type == "drain":
            return f"drain {plan.stable} ({format_duration(self.bake)})"
        return f"scale down {plan.stable}"


@dataclass(frozen=True)
class Plan:
    """Everything the controller needs, serialisable into the journal so a resume needs no re-planning."""

    stack: str
    """Stack name."""
    service: str
    """Service being released."""
    strategy: str
    """canary or blueGreen."""
    stable: Color
    """Live color at the start (the rollback target)."""
    canary: Color
    """Color that receives the new version."""
    phases: list[Phase]
    """Ordered phases."""
    deadline: float
    """Seconds from the start within which the rollout must promote."""
    interval: float
    """Seconds between analysis measurements."""
    failure_limit: int
    """Failed measurements tolerated."""
    approval_file: str | None = None
    """Gate: file whose appearance approves the switch."""
    approval_timeout: float = 0.0
    """Gate: seconds to wait for approval."""
    pre_approved: bool = False
    """Gate: approved up front (`--approve`)."""
    fingerprint: str = ""
    """Hash of the spec and stack; a re-run with the same inputs resumes, different inputs are refused."""
    notes: list[str] = field(default_factory=list)
    """Things the planner decided that a person should know (e.g. steps skipped)."""
    spec: dict[str, Any] = field(default_factory=dict)
    """The validated spec (analysis resolved) the plan was built from; `rollway rollout retry` re-runs it."""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Plan:
        values = dict(data)
        values["phases"] = [Phase(**phase) for phase in data["phases"]]
        return cls(**values)


def fingerprint(spec: RolloutSpec, stack: str) -> str:
    text = json.dumps({"stack": stack, "spec": spec.model_dump(mode="json")}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def build_plan(
    spec: RolloutSpec, state: ServiceState, stack: str, approval_file: str | None = None, pre_approved: bool = False
) -> Plan:
    """Phases for `spec` starting from `state`; UsageError when the state makes the spec impossible.

    Args:
        spec: Validated rollout spec.
        state: The service's current routing state and images.
        stack: Stack name (part of the fingerprint).
        approval_file: Gate file to wait for (when the spec has a gate).
        pre_approved: `--approve` given: the gate passes at once.
    """
    stable, canary = state.live_color, other(state.live_color)
    current_image = state.images.get(canary)
    image = spec.image or current_image
    notes: list[str] = []
    if image is None:
        raise UsageError(
            f"service `{spec.service}` has no image for the idle color ({canary}); pass --image or set image.{canary} in the stack"
        )
    phases: list[Phase] = []
    if spec.image is not None and spec.image != current_image:
        if state.canary_weight > 0:
            raise UsageError(
                f"service `{spec.service}` is sending {state.canary_weight}% of traffic to {canary} ({current_image}); "
                f"replacing that image mid-canary would change what those users get. Roll back first "
                f"(canaryWeight 0) or release the current image without --image"
            )
        phases.append(Phase("deploy", image=spec.image))
    if spec.strategy == "canary":
        steps = spec.canary_steps()
        kept = [(weight, bake) for weight, bake in steps if weight >= state.canary_weight]
        if len(kept) < len(steps):
            notes.append(f"{canary} already has {state.canary_weight}% of traffic; steps below that are skipped")
        phases += [Phase("shift", weight=weight, bake=bake) for weight, bake in kept]
    else:
        phases.append(Phase("smoke", bake=spec.smoke_duration))
    if spec.gate is not None:
        phases.append(Phase("gate"))
    phases.append(Phase("promote"))
    if spec.drain > 0:
        phases.append(Phase("drain", bake=spec.drain))
    if spec.scale_down:
        phases.append(Phase("scale-down"))
    return Plan(
        stack=stack,
        service=spec.service,
        strategy=spec.strategy,
        stable=stable,
        canary=canary,
        phases=phases,
        deadline=spec.deadline,
        interval=spec.analysis.interval,
        failure_limit=spec.analysis.failure_limit,
        approval_file=approval_file if spec.gate is not None else None,
        approval_timeout=spec.gate.timeout if spec.gate is not None else 0.0,
        pre_approved=pre_approved,
        fingerprint=fingerprint(spec, stack),
        notes=notes,
        spec=spec.model_dump(by_alias=True, mode="json", exclude_none=True),
    )
