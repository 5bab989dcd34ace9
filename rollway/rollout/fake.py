"""An in-memory Deployer for tests: records every call, can be told to fail or to stall."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from rollway.rollout.deployer import Color, ServiceState
from rollway.rollout.errors import DeployError, UsageError


@dataclass
class FakeCall:
    """One recorded Deployer call."""

    method: str
    """`route` or `deploy`."""
    service: str
    """Service the call was for."""
    args: tuple[object, ...]
    """(live_color, canary_weight) for route, (color, image) for deploy."""


@dataclass
class FakeDeployer:
    """A stack held in memory.

    Args:
        services: Service name -> state at the start.
        fail_on: Predicate over a call; when it returns True the call raises DeployError (after recording it).
        on_call: Hook run after each applied call (tests use it to advance a fake clock or crash mid-rollout).
    """

    services: dict[str, ServiceState]
    fail_on: Callable[[FakeCall], bool] | None = None
    on_call: Callable[[FakeCall], None] | None = None
    calls: list[FakeCall] = field(default_factory=list)

    def read(self, service: str) -> ServiceState:
        if service not in self.services:
            known = ", ".join(sorted(self.services)) or "none"
            raise UsageError(f"service `{service}` is not in rollway:services (known: {known})")
        return self.services[service]

    def route(self, service: str, live_color: Color, canary_weight: int) -> None:
        self._apply(FakeCall("route", service, (live_color, canary_weight)))
        state = self.read(service)
        self.services[service] = replace(state, live_color=live_color, canary_weight=canary_weight)

    def deploy(self, service: str, color: Color, image: str | None) -> None:
        self._apply(FakeCall("deploy", service, (color, image)))
        state = self.read(service)
        images = dict(state.images)
        images[color] = image
        self.services[service] = replace(state, images=images)

    def _apply(self, call: FakeCall) -> None:
        self.calls.append(call)
        if self.fail_on is not None and self.fail_on(call):
            raise DeployError(f"fake update failed for {call.method}{call.args}")
        if self.on_call is not None:
            self.on_call(call)

    def routes(self, service: str) -> list[tuple[object, ...]]:
        """(live_color, canary_weight) of every route call for `service`, in order."""
        return [call.args for call in self.calls if call.method == "route" and call.service == service]
