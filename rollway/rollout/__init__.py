"""`rollway rollout`: the progressive delivery controller (canary steps, blue/green switch, analysis, rollback)."""

from rollway.rollout.cli import main
from rollway.rollout.controller import Controller, Outcome
from rollway.rollout.deployer import Deployer, ServiceState
from rollway.rollout.fake import FakeDeployer
from rollway.rollout.spec import RolloutSpec

__all__ = ["Controller", "Deployer", "FakeDeployer", "Outcome", "RolloutSpec", "ServiceState", "main"]
