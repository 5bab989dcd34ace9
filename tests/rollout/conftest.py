"""Fixtures for the rollout tests (helpers live in rollout_helpers.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rollout_helpers import FakeClock, RunFactory, spec, state

from rollout.analysis import Check
from rollout.controller import Controller
from rollout.events import RecordingSink
from rollout.fake import FakeDeployer
from rollout.journal import Journal
from rollout.plan import Plan, build_plan
from rollout.spec import RolloutSpec


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def journal(tmp_path: Path) -> Journal:
    return Journal(tmp_path / "journal.jsonl")


@pytest.fixture
def deployer() -> FakeDeployer:
    return FakeDeployer({"web": state()})


@pytest.fixture
def make_controller(deployer: FakeDeployer, journal: Journal, clock: FakeClock) -> Iterator[RunFactory]:
    def make(
        rollout: RolloutSpec | None = None, checks: list[Check] | None = None, plan: Plan | None = None, **plan_args: Any
    ) -> tuple[Controller, RecordingSink]:
        chosen = rollout or spec()
        built = plan or build_plan(chosen, deployer.read(chosen.service), "dev", **plan_args)
        sink = RecordingSink()
        return Controller(deployer, built, journal, checks or [], sink, clock), sink

    yield make
