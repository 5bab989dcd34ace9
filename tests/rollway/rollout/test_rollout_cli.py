"""`rollway rollout` end to end over a fake stack: flags, spec files, exit codes, events, lock, resume, abort."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from rollout_helpers import FakeClock, state

from rollway.rollout.cli import main
from rollway.rollout.errors import UsageError
from rollway.rollout.fake import FakeDeployer
from rollway.rollout.lock import StackLock


class Run:
    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.deployer = FakeDeployer({"web": state(), "api": state()})
        self.stdout = io.StringIO()
        self.stderr = io.StringIO()

    def __call__(self, *argv: str) -> int:
        self.stdout, self.stderr = io.StringIO(), io.StringIO()
        args = ["--stack", "dev", "--state-dir", str(self.tmp_path / "state"), *argv]
        return main(
            args, deployer_factory=lambda spec, parsed: self.deployer, clock=FakeClock(), stdout=self.stdout, stderr=self.stderr
        )

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stdout.getvalue().splitlines()]


@pytest.fixture
def run(tmp_path: Path) -> Run:
    return Run(tmp_path)


FAST = ["--step-duration", "1s", "--drain", "1s", "--interval", "1s", "--no-analysis"]


def test_promoted_rollout_exits_zero(run):
    assert run("--service", "web", "--steps", "10,100", *FAST) == 0
    assert run.deployer.routes("web") == [("blue", 10), ("blue", 100), ("green", 0)]


def test_json_flag_streams_one_event_per_line(run):
    run("--service", "web", "--steps", "50,100", *FAST, "--json")

    kinds = [event["event"] for event in run.events()]
    assert kinds[0] == "rollout.started" and kinds[-1] == "rollout.promoted"
    assert all(event["stack"] == "dev" and event["service"] == "web" for event in run.events())


def test_progress_view_shows_steps_and_the_outcome(run):
    run("--service", "web", "--steps", "canary-10%-then-all", *FAST)

    text = run.stdout.getvalue()
    assert "[1/5] canary 10% to green (1.0s bake)" in text
    assert "promoted: web now live on green" in text


def test_rolled_back_rollout_exits_one(run, tmp_path):
    spec_file = tmp_path / "rollout.yaml"
    spec_file.write_text(
        "service: web\nsteps: [10, 100]\nanalysis:\n  failureLimit: 0\n  checks:\n"
        "    - name: smoke\n      http: {url: 'http://127.0.0.1:9/', retries: 0, timeout: 1s}\n"
    )

    assert run("--spec", str(spec_file), *FAST[:-1]) == 1
    assert run.deployer.routes("web")[-1] == ("blue", 0)


def test_unknown_flag_exits_two(run):
    assert run("--service", "web", "--stepz", "10") == 2


def test_missing_service_exits_two_with_a_message(run):
    assert run() == 2
    assert "--service is required" in run.stderr.getvalue()


def test_bad_steps_exit_two_naming_the_problem(run):
    assert run("--service", "web", "--steps", "50,10") == 2
    assert "command line: step weights must strictly increase, got [50, 10]" in run.stderr.getvalue()


def test_spec_file_typo_exits_two_naming_file_and_key(run, tmp_path):
    spec_file = tmp_path / "rollout.yaml"
    spec_file.write_text("service: web\nstepDuraton: 1m\n")

    assert run("--spec", str(spec_file)) == 2
    assert f"{spec_file}: stepDuraton: is not a known key" in run.stderr.getvalue()


def test_unreadable_spec_file_exits_two(run, tmp_path):
    assert run("--spec", str(tmp_path / "nope.yaml")) == 2
    assert "cannot read the rollout spec" in run.stderr.getvalue()


def test_unknown_service_exits_two_without_changing_anything(run):
    assert run("--service", "wbe", *FAST) == 2
    assert run.deployer.calls == []


def test_second_rollout_on_a_locked_stack_exits_two(run, tmp_path):
    with StackLock(tmp_path / "state" / "dev" / "lock", {"service": "api"}):
        assert run("--service", "web", *FAST) == 2

    assert "another rollout holds the lock" in run.stderr.getvalue()
    assert run.deployer.calls == []


def _crash_at(run: Run, args: tuple[str, int]) -> None:
    def crash(call: Any) -> None:
        if call.args == args:
            raise KeyboardInterrupt

    run.deployer.on_call = crash


def test_interrupted_rollout_resumes_with_the_same_command(run):
    _crash_at(run, ("blue", 50))
    assert run("--service", "web", "--steps", "10,50,100", *FAST) == 130
    run.deployer.on_call = None

    assert run("--service", "web", "--steps", "10,50,100", *FAST, "--json") == 0
    assert run.events()[0]["event"] == "rollout.resumed"
    assert run.deployer.routes("web") == [("blue", 10), ("blue", 50), ("blue", 50), ("blue", 100), ("green", 0)]


def test_different_settings_while_a_rollout_is_unfinished_exit_two(run):
    _crash_at(run, ("blue", 50))
    run("--service", "web", "--steps", "10,50,100", *FAST)

    assert run("--service", "api", *FAST) == 2
    assert "has an unfinished rollout of `web`" in run.stderr.getvalue()


def test_abort_rolls_back_the_unfinished_rollout(run):
    _crash_at(run, ("blue", 50))
    run("--service", "web", "--steps", "10,50,100", *FAST)
    run.deployer.on_call = None

    assert run("--service", "web", "--abort") == 1
    assert run.deployer.routes("web")[-1] == ("blue", 0)
    assert "aborted by operator" in run.stdout.getvalue()


def test_abort_without_an_unfinished_rollout_exits_two(run):
    assert run("--service", "web", "--abort") == 2
    assert "no unfinished rollout to abort" in run.stderr.getvalue()


def test_events_file_gets_json_lines_next_to_the_progress_view(run, tmp_path):
    events = tmp_path / "events.jsonl"

    run("--service", "web", "--steps", "100", *FAST, "--events", str(events))

    assert json.loads(events.read_text().splitlines()[-1])["event"] == "rollout.promoted"
    assert "promoted:" in run.stdout.getvalue()


def test_without_a_pulumi_cli_the_default_deployer_exits_two(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    stderr = io.StringIO()

    code = main(
        ["--stack", "dev", "--service", "web", "--no-analysis", "--state-dir", str(tmp_path)], stdout=io.StringIO(), stderr=stderr
    )

    assert code == 2
    assert "the Pulumi CLI is not on PATH" in stderr.getvalue()


class RefusingDeployer(FakeDeployer):
    """A stack whose policy packs refuse one image (what PulumiDeployer.check_release reports)."""

    def __init__(self) -> None:
        super().__init__({"web": state()})
        self.checked: list[tuple[str, str, str]] = []

    def check_release(self, service: str, color: str, image: str) -> None:
        self.checked.append((service, color, image))
        if image.startswith("docker.io/"):
            raise UsageError(f"{service} {image} on {color}: refused by the policy packs before anything was applied")


def test_a_release_the_policy_packs_refuse_exits_2_before_the_journal_or_the_stack_change(run):
    run.deployer = RefusingDeployer()

    code = run("--service", "web", "--image", "docker.io/evil/web:1", "--steps", "50,100", *FAST)

    assert code == 2
    assert "refused by the policy packs before anything was applied" in run.stderr.getvalue()
    assert run.deployer.checked == [("web", "green", "docker.io/evil/web:1")]
    assert run.deployer.calls == []
    assert not (run.tmp_path / "state" / "dev" / "journal.jsonl").exists()


def test_an_accepted_release_is_checked_once_then_deployed(run):
    run.deployer = RefusingDeployer()

    assert run("--service", "web", "--image", "ghcr.io/rollway/web:3", "--steps", "50,100", *FAST) == 0
    assert run.deployer.checked == [("web", "green", "ghcr.io/rollway/web:3")]
    assert run.deployer.calls[0].method == "deploy"


class ResumeRecordingDeployer(FakeDeployer):
    def __init__(self) -> None:
        super().__init__({"web": state()})
        self.resumed_after: list[str] = []

    def resume_after(self, phase_type: str, since: float) -> None:
        assert since > 0  # the resumed rollout's start
        self.resumed_after.append(phase_type)


@pytest.mark.parametrize(
    ("crash", "interrupted"), [(("blue", 50), "shift"), (("green", 0), "promote")], ids=["in-a-step", "in-the-switch"]
)
def test_a_resumed_run_tells_the_deployer_which_phase_was_interrupted(run, crash, interrupted):
    run.deployer = ResumeRecordingDeployer()
    _crash_at(run, crash)
    assert run("--service", "web", "--steps", "10,50,100", *FAST) == 130
    assert run.deployer.resumed_after == []
    run.deployer.on_call = None

    assert run("--service", "web", "--steps", "10,50,100", *FAST) == 0
    assert run.deployer.resumed_after == [interrupted]


def test_an_abort_tells_the_deployer_its_update_is_the_rollback(run):
    run.deployer = ResumeRecordingDeployer()
    _crash_at(run, ("blue", 50))
    run("--service", "web", "--steps", "10,50,100", *FAST)
    run.deployer.on_call = None

    assert run("--service", "web", "--abort") == 1
    assert run.deployer.resumed_after == ["rollback"]
