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
from rollway.rollout.routing import COHORT_MATCHES, cohort_unsupported
from rollway.rollout.spec import RolloutSpec

PhaseType = Literal["deploy", "cohort", "shift", "smoke", "gate", "promote", "drain", "scale-down"]


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
        if self.type == "cohort":
            cohort = (plan.cohort or {}).get("match", "the cohort")
            return f"A/B: {cohort} to {plan.canary}, everyone else on {plan.stable} ({format_duration(self.bake)})"
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
    cohort: dict[str, str] | None = None
    """abTest: `kind`, `name`, `value` and `match` (e.g. `header x-beta=1`) of the cohort on the new color."""

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
    cohort = None
    if spec.strategy == "abTest":
        assert spec.cohort is not None  # the spec's validator requires it
        check_cohort_routing(spec, state)
        cohort = {"kind": spec.cohort.kind, "name": spec.cohort.name, "value": spec.cohort.value, "match": spec.cohort.describe()}
        # Everyone else stays on the stable color: the cohort phase routes weight 0.
        phases.append(Phase("cohort", weight=0, bake=spec.cohort_duration))
    if spec.strategy in ("canary", "abTest"):
        steps = spec.canary_steps()
        floor = 0 if spec.strategy == "abTest" else state.canary_weight
        kept = [(weight, bake) for weight, bake in steps if weight >= floor]
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
        cohort=cohort,
    )


def check_cohort_routing(spec: RolloutSpec, state: ServiceState) -> None:
    """UsageError unless every cloud of the stack routes the A/B cohort to the idle color.

    The cohort rides on the service's `canaryHeader` (a routing rule in git, deployed like any other config):
    the rollout does not create routing rules, it moves traffic between the ones the stack has.
    """
    assert spec.cohort is not None
    cohort = spec.cohort
    unsupported = cohort_unsupported(cohort.kind, state.clouds)
    if unsupported:
        supported = sorted({kind for cloud in state.clouds for kind in COHORT_MATCHES.get(cloud, ())}) or ["none"]
        raise UsageError(
            f"A/B cohort by {cohort.kind} is not supported on {', '.join(unsupported)}: the routing component there "
            f"can send only a request header (the service's canaryHeader) to the new color; use --cohort-header "
            f"(supported kinds on this stack: {', '.join(supported)})"
        )
    header = state.canary_header
    if header is None:
        raise UsageError(
            f"service `{spec.service}` routes no header to the idle color: set rollway:services.{spec.service}.canaryHeader "
            f"to {{name: {cohort.name}, value: {cohort.value}}} in the stack file and deploy it, then run the A/B test"
        )
    if header[0].lower() != cohort.name.lower() or header[1] != cohort.value:
        raise UsageError(
            f"service `{spec.service}`'s canaryHeader is {header[0]}={header[1]}, the A/B cohort asks for "
            f"{cohort.name}={cohort.value}: use the stack's header, or change canaryHeader in git and deploy it first"
        )
