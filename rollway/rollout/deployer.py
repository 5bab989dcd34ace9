"""The narrow seam between the controller and a stack: read a service's routing state, change it, deploy images.

`rollway.rollout.automation.PulumiDeployer` implements it with the Pulumi Automation API; `rollway.rollout.fake.FakeDeployer`
in memory for tests; `rollway.rollout.sandbox.NginxDeployer` against a real local nginx for end-to-end tests.

Optional methods the CLI calls when a deployer has them (PulumiDeployer does): `check_release(service, color,
image)` (refuse a release before anything changes, e.g. a policy preview), `resume_after(phase_type, since)` (this
run resumes a rollout begun at `since`, interrupted inside that phase), `publish_status(status)` (mirror the status into the stack).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

Color = Literal["blue", "green"]


def other(color: Color) -> Color:
    return "green" if color == "blue" else "blue"


@dataclass(frozen=True)
class ServiceState:
    """What the stack's config says about one service's traffic."""

    live_color: Color
    """Color production traffic goes to."""
    canary_weight: int
    """Percent of production traffic on the idle color."""
    images: dict[Color, str | None]
    """Image per color (None: the color has no workload)."""
    canary_header: tuple[str, str] | None = None
    """(name, value) of the header the stack routes to the idle color (`canaryHeader`), if any."""
    clouds: tuple[str, ...] = ()
    """Clouds the stack deploys the service to (`rollway:clouds`); empty when the deployer does not know."""

    @property
    def idle_color(self) -> Color:
        return other(self.live_color)


class Deployer(Protocol):
    """Applies rollout decisions to a stack. Every method is idempotent (safe to repeat after a crash)."""

    def read(self, service: str) -> ServiceState:
        """Current state of `service`; UsageError when the stack's config is invalid or has no such service."""
        ...

    def route(self, service: str, live_color: Color, canary_weight: int) -> None:
        """Set live color and canary weight, then update only the routing resources (one targeted update).

        Raises DeployError when the update fails.
        """
        ...

    def deploy(self, service: str, color: Color, image: str | None) -> None:
        """Set (or, with None, remove) a color's image and update the stack so its workload follows.

        Raises DeployError when the update fails.
        """
        ...
