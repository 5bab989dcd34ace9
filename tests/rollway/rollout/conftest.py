"""Fixtures for the rollout tests (helpers live in rollout_helpers.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rollout_helpers import FakeClock, RunFactory, spec, state

from rollway.rollout.analysis import Check
from rollway.rollout.controller import Controller
from rollway.rollout.events import RecordingSink
from rollway.rollout.fake import FakeDeployer
from rollway.rollout.journal import Journal
from rollway.rollout.plan import Plan, build_plan
from rollway.rollout.spec import RolloutSpec


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
