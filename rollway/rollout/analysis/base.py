"""One interface for every metric source, and the Flagger-style judgement on top of it.

A provider only measures (`measure(context) -> Reading`); a Check compares the reading with its
thresholds (min/max, no-data policy); the Analyzer runs every check of a phase at once and keeps the
failure budget (failed measurements tolerated over the whole rollout).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from string import Template
from typing import Protocol

from rollway.rollout.spec import CheckSpec, PhaseKind


@dataclass(frozen=True)
class Context:
    """What a query may refer to: `$service`, `$canary` (the new color), `$stable` (the old color)."""

    service: str
    """Service being released."""
    canary: str
    """Color receiving the new version."""
    stable: str
    """Color serving the current version."""

    def expand(self, text: str) -> str:
        return Template(text).safe_substitute(service=self.service, canary=self.canary, stable=self.stable)


@dataclass(frozen=True)
class Reading:
    """What a provider measured."""

    value: float | None
    """The number (None: no data)."""
    detail: str
    """Short human explanation, e.g. `p95 38ms over 5 requests`."""
    passed: bool | None = None
    """The provider's own verdict where it has one (HTTP status/body); None defers to thresholds."""


class Provider(Protocol):
    """A metric source. `measure` raises any exception for errors; the Check turns it into a failed measurement."""

    def measure(self, context: Context) -> Reading: ...


class ProviderError(Exception):
    """A measurement could not be taken (unreachable, bad query, API error); counts as a failure."""


@dataclass(frozen=True)
class Measurement:
    """One judged measurement of one check."""

    check: str
    """Check name."""
    ok: bool | None
    """True passed, False failed, None skipped (no data with noData=skip)."""
    value: float | None
    """Measured value (None: no data or error)."""
    detail: str
    """Human explanation including the threshold that failed."""
    finished_at: float
    """time.monotonic() when the measurement completed (decision latency is measured from here)."""
    duration: float
    """Seconds the measurement took."""


def _fmt(value: float) -> str:
    return f"{value:.4g}"


class Check:
    """A CheckSpec with its provider.

    Args:
        spec: Name, thresholds, phases and no-data policy.
        provider: Where the value comes from.
    """

    def __init__(self, spec: CheckSpec, provider: Provider) -> None:
        self.spec = spec
        self.provider = provider
        self.saw_data = False
        """A value arrived since the current phase began (noData=wait)."""

    @property
    def name(self) -> str:
        return self.spec.name

    def runs_during(self, kind: PhaseKind) -> bool:
        return kind in self.spec.during

    def evaluate(self, context: Context) -> Measurement:
        started = time.monotonic()
        try:
            reading = self.provider.measure(context)
        except Exception as exc:  # a broken source must fail the check, never crash the controller
            return self._done(False, None, f"error: {exc}", started)
        if reading.passed is False:
            return self._done(False, reading.value, reading.detail, started)
        if reading.value is None or math.isnan(reading.value):
            if self.spec.no_data == "pass":
                return self._done(True, None, f"no data ({reading.detail}); noData=pass", started)
            if self.spec.no_data in ("skip", "wait"):
                return self._done(None, None, f"no data ({reading.detail}); skipped", started)
            return self._done(False, None, f"no data ({reading.detail})", started)
        self.saw_data = True
        value = reading.value
        if self.spec.max is not None and value > self.spec.max:
            return self._done(False, value, f"{_fmt(value)} > max {_fmt(self.spec.max)} ({reading.detail})", started)
        if self.spec.min is not None and value < self.spec.min:
            return self._done(False, value, f"{_fmt(value)} < min {_fmt(self.spec.min)} ({reading.detail})", started)
        return self._done(True, value, reading.detail, started)

    def _done(self, ok: bool | None, value: float | None, detail: str, started: float) -> Measurement:
        finished = time.monotonic()
        return Measurement(self.name, ok, value, detail, finished, finished - started)


class Analyzer:
    """Runs a phase's checks concurrently and keeps the failure budget.

    Args:
        checks: All checks of the rollout.
        failure_limit: Failed measurements tolerated over the whole rollout; the next one exhausts the budget.
        failures: Failures already spent (a resumed rollout carries them over).
    """

    def __init__(self, checks: Sequence[Check], failure_limit: int, failures: int = 0) -> None:
        self.checks = list(checks)
        self.failure_limit = failure_limit
        self.failures = failures
        self._pool = ThreadPoolExecutor(max_workers=max(1, len(self.checks)), thread_name_prefix="rollway-check")

    def active(self, kind: PhaseKind) -> list[Check]:
        return [check for check in self.checks if check.runs_during(kind)]

    def tick(
        self, kind: PhaseKind, context: Context, on_measurement: Callable[[Measurement], None] | None = None
    ) -> list[Measurement]:
        """Measure every check active in `kind` at once; results in check order, budget updated."""
        futures = [self._pool.submit(check.evaluate, context) for check in self.active(kind)]
        results = [future.result() for future in futures]
        for result in results:
            if result.ok is False:
                self.failures += 1
            if on_measurement is not None:
                on_measurement(result)
        return results

    def begin_phase(self) -> None:
        """A bake starts: forget which checks have seen data."""
        for check in self.checks:
            check.saw_data = False

    def end_phase(self, kind: PhaseKind, on_measurement: Callable[[Measurement], None] | None = None) -> list[Measurement]:
        """A bake ends: each noData=wait check that never got a value in it is one failed measurement."""
        results = []
        for check in self.active(kind):
            if check.spec.no_data == "wait" and not check.saw_data:
                now = time.monotonic()
                results.append(Measurement(check.name, False, None, f"no data during the whole {kind} phase", now, 0.0))
        for result in results:
            self.failures += 1
            if on_measurement is not None:
                on_measurement(result)
        return results

    @property
    def exhausted(self) -> bool:
        return self.failures > self.failure_limit

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
