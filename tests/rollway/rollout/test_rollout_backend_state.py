"""Rollout state beside a file:// backend: status, watch, history, pause/resume/approve from a machine that shares only
the backend (another --state-dir, another working directory)."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from rollout_helpers import FakeClock, state

from rollway.rollout.backend import BackendState, backend_url, file_backend_root
from rollway.rollout.cli import main
from rollway.rollout.errors import UsageError
from rollway.rollout.fake import FakeDeployer


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "project"
    directory.mkdir()
    (directory / "Pulumi.yaml").write_text("name: shop\nruntime: python\n", encoding="utf-8")
    (tmp_path / "backend").mkdir()
    monkeypatch.setenv("PULUMI_BACKEND_URL", (tmp_path / "backend").as_uri())
    return directory


def other_machine(project: Path, tmp_path: Path, *argv: str) -> tuple[int, str, str]:
    """A `rollway rollout <op>` that shares nothing with the rollout but the backend: its own empty state dir."""
    out, err = io.StringIO(), io.StringIO()
    code = main(
        [*argv, "--stack", "dev", "--from-backend", "--work-dir", str(project), "--state-dir", str(tmp_path / "elsewhere")],
        stdout=out,
        stderr=err,
    )
    return code, out.getvalue(), err.getvalue()


class ElsewhereClock(FakeClock):
    """The rollout's clock; each time the rollout sleeps, `act(status in the backend)` plays the other machine."""

    def __init__(self, project: Path, act: Callable[[dict[str, Any]], None]) -> None:
        super().__init__()
        self.project, self.act = project, act

    def sleep(self, seconds: float) -> None:
        super().sleep(seconds)
        located = BackendState.locate(self.project, "dev")
        if located is not None and located.status_path.is_file():
            self.act(json.loads(located.status_path.read_text(encoding="utf-8")))


def rollout(project: Path, tmp_path: Path, deployer: FakeDeployer, *argv: str, clock: FakeClock | None = None) -> tuple[int, str]:
    err = io.StringIO()
    code = main(
        ["--stack", "dev", "--service", "web", "--work-dir", str(project), "--state-dir", str(tmp_path / "runner"), *argv],
        deployer_factory=lambda spec, args: deployer,
        clock=clock or FakeClock(),
        stdout=io.StringIO(),
        stderr=err,
    )
    return code, err.getvalue()


FAST = ["--step-duration", "2s", "--drain", "0s", "--interval", "1s", "--no-analysis", "--no-scale-down"]


def _journal(tmp_path: Path) -> list[dict[str, Any]]:
    lines = (tmp_path / "runner" / "dev" / "journal.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def test_the_backend_state_object_sits_beside_pulumis_own_state(project, tmp_path):
    located = BackendState.locate(project, "acme/shop/dev")

    assert located is not None
    assert located.directory == tmp_path / "backend" / ".pulumi" / "rollway" / "shop" / "dev"


def test_a_gate_is_approved_from_a_machine_that_shares_only_the_backend(project, tmp_path):
    seen: list[str] = []

    def approve_when_waiting(status: dict[str, Any]) -> None:
        if status["state"] == "waiting-for-approval" and not seen:
            seen.append(other_machine(project, tmp_path, "status")[1])
            assert other_machine(project, tmp_path, "approve", "--by", "ops-laptop")[0] == 0

    clock = ElsewhereClock(project, approve_when_waiting)
    code, err = rollout(project, tmp_path, FakeDeployer({"web": state()}), "--steps", "50,100", "--gate", *FAST, clock=clock)

    assert code == 0, err
    assert "web on dev: waiting-for-approval" in seen[0]
    control = next(r for r in _journal(tmp_path) if r["rec"] == "control")
    assert (control["command"], control["by"]) == ("approve", "ops-laptop")
    history = other_machine(project, tmp_path, "history", "--json")[1]
    assert [json.loads(line)["outcome"] for line in history.splitlines()] == ["promoted"]
    assert json.loads(other_machine(project, tmp_path, "status", "--json")[1])["state"] == "promoted"


def test_pause_and_resume_travel_through_the_backend(project, tmp_path):
    def steer(status: dict[str, Any]) -> None:
        commands = [r.get("command") for r in _journal(tmp_path) if r["rec"] == "control"]
        if status["state"] == "running" and status.get("canaryWeight") == 50 and not commands:
            assert other_machine(project, tmp_path, "pause", "--by", "ops")[0] == 0
        elif status["state"] == "paused" and commands == ["pause"]:
            assert other_machine(project, tmp_path, "resume", "--by", "ops")[0] == 0

    code, err = rollout(
        project, tmp_path, FakeDeployer({"web": state()}), "--steps", "50,100", *FAST, clock=ElsewhereClock(project, steer)
    )

    assert code == 0, err
    assert [r["command"] for r in _journal(tmp_path) if r["rec"] == "control"] == ["pause", "resume"]


def test_requests_through_the_backend_need_a_running_rollout(project, tmp_path):
    code, err = rollout(project, tmp_path, FakeDeployer({"web": state()}), "--steps", "100", *FAST)
    assert code == 0, err

    code, _, err = other_machine(project, tmp_path, "pause")

    assert code == 2
    assert "no rollout is running on stack `dev` according to its backend" in err
    assert "promoted" in err


def test_no_status_in_the_backend_is_exit_two_naming_the_file(project, tmp_path):
    code, _, err = other_machine(project, tmp_path, "status")

    assert code == 2
    assert "has no rollout status in its backend" in err and "status.json" in err


def test_from_backend_refuses_a_backend_that_is_not_a_directory(project, tmp_path, monkeypatch):
    monkeypatch.setenv("PULUMI_BACKEND_URL", "https://api.pulumi.com")

    code, _, err = other_machine(project, tmp_path, "status")

    assert code == 2
    assert "the stack's backend is https://api.pulumi.com" in err and "--from-stack" in err


def test_a_corrupted_backend_status_is_exit_two_with_the_way_out(project, tmp_path):
    located = BackendState.locate(project, "dev")
    assert located is not None
    located.directory.mkdir(parents=True)
    located.status_path.write_bytes(b"\xff\xfe not json")

    code, _, err = other_machine(project, tmp_path, "status")

    assert code == 2
    assert "status.json: cannot read the rollout status" in err and "Traceback" not in err


def test_the_backend_url_is_the_clis_env_first_then_pulumi_yaml(tmp_path):
    (tmp_path / "Pulumi.yaml").write_text("name: shop\nbackend:\n  url: file:///srv/state\n", encoding="utf-8")

    assert backend_url(tmp_path, {}) == "file:///srv/state"
    assert backend_url(tmp_path, {"PULUMI_BACKEND_URL": "s3://bucket"}) == "s3://bucket"
    (tmp_path / "Pulumi.yaml").write_text("name: shop\n", encoding="utf-8")
    assert backend_url(tmp_path, {}) is None


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("file:///srv/state", Path("/srv/state")),
        ("file://~/state", Path.home() / "state"),
        ("s3://bucket/x", None),
        ("https://api.pulumi.com", None),
    ],
)
def test_only_file_urls_have_a_backend_directory(url, path):
    assert file_backend_root(url) == path


def test_a_malformed_project_file_is_a_usage_error(tmp_path):
    (tmp_path / "Pulumi.yaml").write_text("runtime: python\n", encoding="utf-8")

    with pytest.raises(UsageError, match=r"Pulumi.yaml: not a Pulumi project file"):
        BackendState.locate(tmp_path, "dev", {"PULUMI_BACKEND_URL": tmp_path.as_uri()})


def test_a_second_runner_sharing_only_the_backend_is_refused_while_a_rollout_runs(project, tmp_path):
    refused: list[tuple[int, str]] = []
    second = FakeDeployer({"web": state()})

    def start_another(status: dict[str, Any]) -> None:
        if status["state"] == "running" and not refused:
            err = io.StringIO()
            code = main(
                ["--stack", "dev", "--service", "web", "--steps", "100", *FAST, "--work-dir", str(project),
                 "--state-dir", str(tmp_path / "second-runner")],
                deployer_factory=lambda spec, args: second, clock=FakeClock(), stdout=io.StringIO(), stderr=err,
            )  # fmt: skip
            refused.append((code, err.getvalue()))

    code, err = rollout(
        project,
        tmp_path,
        FakeDeployer({"web": state()}),
        "--steps",
        "50,100",
        *FAST,
        clock=ElsewhereClock(project, start_another),
    )

    assert code == 0, err
    located = BackendState.locate(project, "dev")
    assert located is not None
    assert refused[0][0] == 2
    assert f"another rollout holds the lock on this stack ({located.lock_path})" in refused[0][1]
    assert second.calls == []
    assert not (tmp_path / "second-runner" / "dev" / "journal.jsonl").exists()


def test_after_a_rollout_the_backend_lock_is_free_for_the_next_runner(project, tmp_path):
    assert rollout(project, tmp_path, FakeDeployer({"web": state()}), "--steps", "100", *FAST)[0] == 0

    err = io.StringIO()
    code = main(
        ["--stack", "dev", "--service", "web", "--steps", "100", *FAST, "--work-dir", str(project),
         "--state-dir", str(tmp_path / "second-runner")],
        deployer_factory=lambda spec, args: FakeDeployer({"web": state()}), clock=FakeClock(), stdout=io.StringIO(), stderr=err,
    )  # fmt: skip

    assert code == 0, err.getvalue()


def test_a_corrupted_backend_journal_is_exit_two_naming_it(project, tmp_path):
    located = BackendState.locate(project, "dev")
    assert located is not None
    located.directory.mkdir(parents=True)
    located.journal_path.write_bytes(b'{"rec": "begin"}\n\x00\xff garbage\n{"rec": "end"}\n')

    code, _, err = other_machine(project, tmp_path, "history")

    assert code == 2
    assert str(located.journal_path) in err and "Traceback" not in err


def test_a_backend_state_path_that_is_a_file_is_exit_two_before_anything_changes(project, tmp_path):
    located = BackendState.locate(project, "dev")
    assert located is not None
    located.directory.parent.mkdir(parents=True)
    located.directory.write_text("not a directory")
    deployer = FakeDeployer({"web": state()})

    code, err = rollout(project, tmp_path, deployer, "--steps", "100", *FAST)

    assert code == 2
    assert f"{located.directory}: exists and is not a directory" in err
    assert deployer.calls == []


def test_a_request_to_a_rollout_whose_process_died_is_refused_with_the_way_out(project, tmp_path):
    located = BackendState.locate(project, "dev")
    assert located is not None
    located.directory.mkdir(parents=True)
    located.status_path.write_text(json.dumps({"state": "running", "service": "web", "stack": "dev"}))
    located.lock_path.write_text("")  # a rollout ran here and its process is gone: nobody holds the lock

    code, _, err = other_machine(project, tmp_path, "pause")

    assert code == 2
    assert "no rollout process holds" in err and "re-run its command to resume it" in err
    assert not located.control_path.exists()
