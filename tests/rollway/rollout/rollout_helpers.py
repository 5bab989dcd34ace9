"""Helpers for the rollout tests: a clock whose sleep returns at once, scripted providers, spec/state builders.

A uniquely named module (not conftest) so `from rollout_helpers import ...` is unambiguous in a full-suite run."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rollway.rollout.analysis import Check, Context, Reading
from rollway.rollout.controller import Controller
from rollway.rollout.deployer import ServiceState
from rollway.rollout.events import RecordingSink
from rollway.rollout.fake import FakeDeployer
from rollway.rollout.spec import CheckSpec, RolloutSpec


class FakeClock:
    """Wall time that only moves when the controller sleeps."""

    def __init__(self, start: float | None = None) -> None:
        # Starts at the real time: approval files carry real modification times.
        self.time = time.time() if start is None else start
        self.slept: list[float] = []

    def now(self) -> float:
        return self.time

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.time += max(seconds, 0.0)


class Scripted:
    """A provider returning readings from a list (the last repeats), or raising what's in it."""

    def __init__(self, readings: list[Reading | Exception]) -> None:
        self.readings = readings
        self.calls = 0
        self.contexts: list[Context] = []

    def measure(self, context: Context) -> Reading:
        self.contexts.append(context)
        item = self.readings[min(self.calls, len(self.readings) - 1)]
        self.calls += 1
        if isinstance(item, Exception):
            raise item
        return item


def ok(value: float = 0.0) -> Reading:
    return Reading(value, "scripted")


def check(name: str = "error-rate", provider: Any = None, **fields: Any) -> Check:
    """A prometheus-shaped check spec (max 0.05 unless given) driven by a scripted provider."""
    spec_fields: dict[str, Any] = {
        "name": name,
        "prometheus": {"url": "http://prometheus.invalid:9090", "query": "up"},
        "max": 0.05,
        **fields,
    }
    return Check(CheckSpec.model_validate(spec_fields), provider or Scripted([ok()]))


def spec(**fields: Any) -> RolloutSpec:
    base: dict[str, Any] = {
        "service": "web",
        "steps": [10, 50, 100],
        "stepDuration": "10s",
        "drain": "5s",
        "analysis": {"interval": "5s", "failureLimit": 0},
    }
    base.update(fields)
    return RolloutSpec.model_validate(base)


def state(live: str = "blue", weight: int = 0, blue: str | None = "app:1", green: str | None = "app:2") -> ServiceState:
    return ServiceState(live, weight, {"blue": blue, "green": green})  # type: ignore[arg-type]


RunFactory = Callable[..., tuple[Controller, RecordingSink]]
"""make_controller fixture: (spec, checks, plan, **build_plan args) -> (controller, recorded events)."""


class CliRun:
    """Runs `rollway rollout` in-process over a FakeDeployer with a fake clock; keeps stdout/stderr of the last run."""

    def __init__(self, tmp_path: Path, deployer: FakeDeployer | None = None) -> None:
        self.tmp_path = tmp_path
        self.state_dir = tmp_path / "state"
        self.deployer = deployer or FakeDeployer({"web": state(), "api": state()})
        self.stdout = io.StringIO()
        self.stderr = io.StringIO()

    def __call__(self, *argv: str, state_dir: Path | None = None) -> int:
        from rollway.rollout.cli import main

        self.stdout, self.stderr = io.StringIO(), io.StringIO()
        args = ["--stack", "dev", "--state-dir", str(state_dir or self.state_dir), *argv]
        return main(
            args, deployer_factory=lambda spec, parsed: self.deployer, clock=FakeClock(), stdout=self.stdout, stderr=self.stderr
        )

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stdout.getvalue().splitlines()]
