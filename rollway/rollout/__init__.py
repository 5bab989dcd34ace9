"""`rollway rollout`: the progressive delivery controller (canary steps, blue/green switch, analysis, rollback).

Names are imported on first use (`lazy_exports`), so importing the package loads no SDK.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rollway.helpers import lazy_exports

if TYPE_CHECKING:
    from rollway.rollout.cli import main
    from rollway.rollout.controller import Controller, Outcome
    from rollway.rollout.deployer import Deployer, ServiceState
    from rollway.rollout.fake import FakeDeployer
    from rollway.rollout.spec import RolloutSpec

_MODULE_OF = {
    "Controller": "controller",
    "Deployer": "deployer",
    "FakeDeployer": "fake",
    "Outcome": "controller",
    "RolloutSpec": "spec",
    "ServiceState": "deployer",
    "main": "cli",
}

__all__ = [
    "Controller",
    "Deployer",
    "FakeDeployer",
    "Outcome",
    "RolloutSpec",
    "ServiceState",
    "main",
]

__getattr__ = lazy_exports(__name__, _MODULE_OF)
