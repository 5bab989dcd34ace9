"""`rollway rollout`: the progressive delivery controller (canary steps, blue/green switch, analysis, rollback)."""

from rollout.cli import main
from rollout.controller import Controller, Outcome
from rollout.deployer import Deployer, ServiceState
from rollout.fake import FakeDeployer
from rollout.spec import RolloutSpec

__all__ = ["Controller", "Deployer", "FakeDeployer", "Outcome", "RolloutSpec", "ServiceState", "main"]
