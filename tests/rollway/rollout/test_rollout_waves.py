"""Multi-region waves: one release over several stacks in order, stopping at the first that does not promote."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from rollout_helpers import FakeClock, state

from rollway.rollout.cli import main
from rollway.rollout.fake import FakeDeployer

FAST = ["--step-duration", "1s", "--drain", "1s", "--interval", "1s", "--no-analysis", "--json"]


class Waves:
    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.deployers = {name: FakeDeployer({"web": state()}) for name in ("prod-us", "prod-eu", "prod-ap")}
        self.order: list[str] = []
        self.clock = FakeClock()
        self.stdout = io.StringIO()
        self.stderr = io.StringIO()

    def factory(self, spec, parsed):
        self.order.append(parsed.stack)
        return self.deployers[parsed.stack]

    def __call__(self, *argv: str) -> int:
        self.stdout, self.stderr = io.StringIO(), io.StringIO()
        args = ["--state-dir", str(self.tmp_path / "state"), "--service", "web", *argv]
        return main(args, deployer_factory=self.factory, clock=self.clock, stdout=self.stdout, stderr=self.stderr)

    def events(self, kind: str) -> list[dict]:
        return [event for line in self.stdout.getvalue().splitlines() if (event := json.loads(line))["event"] == kind]


@pytest.fixture
def waves(tmp_path: Path) -> Waves:
    return Waves(tmp_path)


def test_waves_release_each_stack_in_order(waves):
    assert waves("--stack", "prod-us,prod-eu,prod-ap", "--steps", "50,100", *FAST) == 0

    assert waves.order == ["prod-us", "prod-eu", "prod-ap"]
    assert all(deployer.routes("web")[-1] == ("green", 0) for deployer in waves.deployers.values())
    assert [event["stack"] for event in waves.events("wave.completed")] == ["prod-us", "prod-eu", "prod-ap"]


def test_a_failed_wave_is_rolled_back_and_the_next_never_starts(waves):
    waves.deployers["prod-eu"].fail_on = lambda call: call.args == ("blue", 100)

    assert waves("--stack", "prod-us,prod-eu,prod-ap", "--steps", "50,100", *FAST) == 1

    assert waves.order == ["prod-us", "prod-eu"]
    assert waves.deployers["prod-us"].routes("web")[-1] == ("green", 0)
    assert waves.deployers["prod-eu"].routes("web")[-1] == ("blue", 0)
    assert waves.deployers["prod-ap"].calls == []
    stopped = waves.events("wave.stopped")
    assert [(event["stack"], event["exitCode"], event["notStarted"]) for event in stopped] == [("prod-eu", 1, ["prod-ap"])]


def test_the_bake_between_waves_waits_after_each_but_the_last(waves):
    assert waves("--stack", "prod-us,prod-eu", "--steps", "100", "--wave-bake", "10m", *FAST) == 0

    assert waves.clock.slept.count(600.0) == 1


def test_each_wave_has_its_own_journal(waves, tmp_path):
    waves("--stack", "prod-us,prod-eu", "--steps", "100", *FAST)

    assert (tmp_path / "state" / "prod-us" / "journal.jsonl").is_file()
    assert (tmp_path / "state" / "prod-eu" / "journal.jsonl").is_file()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--stack", "prod-us,,prod-eu"], "distinct stack names"),
        (["--stack", "prod-us,prod-us"], "distinct stack names"),
        (["--stack", "prod-us", "--wave-bake", "1m"], "--wave-bake needs several stacks"),
        (["--stack", "prod-us,prod-eu", "--wave-bake", "soon"], "--wave-bake 'soon'"),
        (["--stack", "prod-us,prod-eu", "--abort"], "--abort acts on one stack"),
    ],
)
def test_bad_wave_flags_exit_two_before_anything_changes(waves, argv, message):
    assert waves(*argv, *FAST) == 2

    assert message in waves.stderr.getvalue()
    assert all(deployer.calls == [] for deployer in waves.deployers.values())


def test_a_bad_spec_fails_before_the_first_wave(waves):
    assert waves("--stack", "prod-us,prod-eu", "--steps", "50,10", *FAST) == 2
    assert waves.order == []
