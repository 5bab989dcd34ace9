"""Fixtures for the rollout tests (helpers live in rollout_helpers.py)."""

from __future__ import annotations

import tempfile
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
from rollway.rollout.sandbox import Prometheus, missing_binaries, start_prometheus
from rollway.rollout.spec import RolloutSpec

_E2E_MODULE = "test_rollout_e2e.py"


class _Launched:
    """The e2e tests' Prometheus of this process (xdist worker): launched once they are collected, stopped after them."""

    prometheus: Prometheus | None = None
    directory: tempfile.TemporaryDirectory[str] | None = None

    @classmethod
    def launch(cls) -> Prometheus:
        if cls.prometheus is None:
            cls.directory = tempfile.TemporaryDirectory(prefix="rollway-e2e-prometheus-")
            cls.prometheus = start_prometheus(Path(cls.directory.name), wait=False)
        return cls.prometheus

    @classmethod
    def stop(cls) -> None:
        if cls.prometheus is not None:
            cls.prometheus.stop()
            cls.prometheus = None
        if cls.directory is not None:
            cls.directory.cleanup()
            cls.directory = None


def pytest_collection_finish(session: pytest.Session) -> None:
    # Prometheus's service discovery hands targets to the scrape loop ~5 s after launch: launching here lets
    # that wait overlap the tests that run before the e2e module instead of blocking its first test.
    if session.config.option.collectonly or missing_binaries():
        return
    if any(item.path.name == _E2E_MODULE for item in session.items):
        _Launched.launch()


def pytest_sessionfinish(session: pytest.Session) -> None:
    _Launched.stop()  # launched but no e2e test ran in this process


@pytest.fixture(scope="module")
def prometheus() -> Iterator[Prometheus]:
    """One running Prometheus for every e2e sandbox of the module (each sandbox deletes the previous series)."""
    try:
        shared = _Launched.launch()
        shared.wait_ready()
        yield shared
    finally:
        _Launched.stop()


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
