"""Day-2 operations: status, watch, history, pause/resume/promote/abort/approve/reject, retry, notifications."""

from __future__ import annotations

import io
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from pulumi import automation as auto
from rollout_helpers import CliRun, FakeClock, check, spec

from rollway.rollout.automation import PulumiDeployer, status_tag
from rollway.rollout.cli import main
from rollway.rollout.controller import Controller
from rollway.rollout.events import Event, RecordingSink
from rollway.rollout.fake import FakeCall
from rollway.rollout.lock import StackLock
from rollway.rollout.notify import NotifySink, Target, parse_targets, payload
from rollway.rollout.plan import build_plan
from rollway.rollout.status import ControlFile, StatusSink

FAST = ["--step-duration", "1s", "--drain", "1s", "--interval", "1s", "--no-analysis"]


@pytest.fixture
def run(tmp_path: Path) -> CliRun:
    return CliRun(tmp_path)


def _op(run: CliRun, *argv: str) -> int:
    run.stdout, run.stderr = io.StringIO(), io.StringIO()
    return main(
        [argv[0], "--stack", "dev", "--state-dir", str(run.state_dir), *argv[1:]],
        deployer_factory=lambda spec, parsed: run.deployer,
        clock=FakeClock(),
        stdout=run.stdout,
        stderr=run.stderr,
    )


# -- status / history ------------------------------------------------------------------------------


def test_status_after_a_promotion_shows_the_new_live_color(run):
    assert run("--service", "web", "--steps", "50,100", *FAST) == 0

    assert _op(run, "status", "--json") == 0
    status = json.loads(run.stdout.getvalue())
    assert (status["state"], status["liveColor"], status["canaryWeight"], status["service"]) == ("promoted", "green", 0, "web")
    assert status["phase"]["index"] == status["phase"]["total"]


def test_status_after_a_rollback_names_the_reason(run, tmp_path):
    spec_file = tmp_path / "r.yaml"
    spec_file.write_text(
        "service: web\nsteps: [10, 100]\nanalysis:\n  failureLimit: 0\n  checks:\n"
        "    - name: smoke\n      http: {url: 'http://127.0.0.1:9/', retries: 0, timeout: 1s}\n"
    )
    assert run("--spec", str(spec_file), *FAST[:-1]) == 1

    assert _op(run, "status") == 0
    text = run.stdout.getvalue()
    assert "web on dev: rolled-back (analysis failed" in text
    assert "traffic: blue live, 0% canary" in text
    assert "last failure: smoke:" in text


def test_status_without_any_rollout_exits_two(run):
    assert _op(run, "status") == 2
    assert "has no rollout status" in run.stderr.getvalue()


def test_a_corrupted_status_file_exits_two_with_how_to_recover(run):
    (run.state_dir / "dev").mkdir(parents=True)
    (run.state_dir / "dev" / "status.json").write_bytes(b"\xff\x00{")

    assert _op(run, "status") == 2
    assert "delete it (it is rewritten by the next rollout)" in run.stderr.getvalue()


def test_history_lists_each_rollout_with_its_outcome(run):
    assert run("--service", "web", "--steps", "100", *FAST) == 0
    assert run("--service", "web", "--steps", "100", "--image", "app:3", *FAST) == 0

    assert _op(run, "history", "--json") == 0
    rows = [json.loads(line) for line in run.stdout.getvalue().splitlines()]
    assert [(row["service"], row["canary"], row["outcome"]) for row in rows] == [
        ("web", "green", "promoted"),
        ("web", "blue", "promoted"),
    ]


def test_watch_prints_until_the_rollout_ends_and_exits_with_its_outcome(run):
    assert run("--service", "web", "--steps", "100", *FAST) == 0

    assert _op(run, "watch", "--json") == 0
    assert json.loads(run.stdout.getvalue().splitlines()[-1])["state"] == "promoted"


def test_watch_gives_up_after_its_timeout(run):
    StatusSink(run.state_dir / "dev" / "status.json").emit(
        Event("rollout.started", {"rolloutId": "r1", "stack": "dev", "service": "web", "strategy": "canary"})
    )

    assert _op(run, "watch", "--timeout", "0s") == 2
    assert "stopped watching" in run.stderr.getvalue()


# -- requests to a running rollout ---------------------------------------------------------------------


def test_a_request_without_a_running_rollout_exits_two(run):
    assert _op(run, "pause") == 2
    assert "no rollout is running on stack `dev`" in run.stderr.getvalue()


def test_a_request_to_a_running_rollout_is_written_for_it(run):
    with StackLock(run.state_dir / "dev" / "lock", {"service": "web"}):
        assert _op(run, "promote", "--by", "alice") == 0

    request = json.loads((run.state_dir / "dev" / "control.json").read_text())
    assert (request["command"], request["by"]) == ("promote", "alice")


def _controller_with_requests(tmp_path: Path, deployer: Any, requests: dict[int, str], **spec_fields: Any):
    """A controller whose Nth control poll returns the request given for N."""
    clock = FakeClock()
    plan = build_plan(spec(**spec_fields), deployer.read("web"), "dev", str(tmp_path / "approval"))
    sink = RecordingSink()
    from rollway.rollout.journal import Journal

    polls = {"n": 0}

    def control() -> tuple[str, str] | None:
        polls["n"] += 1
        command = requests.get(polls["n"])
        return (command, "op") if command else None

    controller = Controller(deployer, plan, Journal(tmp_path / "j.jsonl"), [check()], sink, clock, control=control)
    return controller, sink, clock


def test_promote_skips_the_remaining_steps(tmp_path, deployer):
    controller, sink, _ = _controller_with_requests(tmp_path, deployer, {1: "promote"})

    assert controller.run().promoted
    assert deployer.routes("web") == [("blue", 10), ("green", 0)]
    assert [event.data["type"] for event in sink.of("phase.skipped")] == ["shift", "shift"]


def test_abort_request_rolls_back_at_once(tmp_path, deployer):
    controller, _sink, _ = _controller_with_requests(tmp_path, deployer, {2: "abort"})

    outcome = controller.run()

    assert not outcome.promoted and outcome.reason == "aborted by op (rollway rollout abort)"
    assert deployer.routes("web") == [("blue", 10), ("blue", 0)]


def test_pause_holds_traffic_and_stops_the_deadline_until_resume(tmp_path, deployer):
    # Three 10 s steps promote at 30 s; a 100 s pause at the first poll would miss the 60 s deadline if it counted.
    requests = {1: "pause", 101: "resume"}
    controller, sink, _ = _controller_with_requests(tmp_path, deployer, requests, deadline="60s")

    assert controller.run().promoted
    assert deployer.routes("web") == [("blue", 10), ("blue", 50), ("blue", 100), ("green", 0)]
    assert sink.kinds().count("rollout.paused") == 1
    assert sink.of("rollout.continued")[0].data["pausedFor"] == pytest.approx(100.0)


def test_approve_and_reject_answer_the_gate(tmp_path, deployer):
    from rollway.rollout.spec import GateSpec

    approved, _, _ = _controller_with_requests(tmp_path, deployer, {7: "approve"}, gate=GateSpec(timeout=3600))
    assert approved.run().promoted

    deployer.services["web"] = deployer.services["web"].__class__("blue", 0, {"blue": "app:1", "green": "app:2"})
    rejected, _, _ = _controller_with_requests(tmp_path / "2", deployer, {7: "reject"}, gate=GateSpec(timeout=3600))
    outcome = rejected.run()
    assert not outcome.promoted and outcome.reason == "rejected by op (rollway rollout reject)"


def test_an_approval_outside_the_gate_is_ignored_with_a_warning(tmp_path, deployer):
    controller, sink, _ = _controller_with_requests(tmp_path, deployer, {1: "approve"})

    assert controller.run().promoted
    assert "approve from op ignored: no approval is pending" in [event.data["message"] for event in sink.of("warning")]


def test_stale_requests_from_before_the_rollout_are_ignored(tmp_path):
    control = ControlFile(tmp_path / "control.json", clock=lambda: 100.0)
    control.request("abort", "me")

    assert control.take(not_before=200.0) is None
    assert not control.path.exists()


def test_abort_with_no_running_process_rolls_the_unfinished_rollout_back(run):
    def crash(call: FakeCall) -> None:
        if call.args == ("blue", 50):
            raise KeyboardInterrupt

    run.deployer.on_call = crash
    assert run("--service", "web", "--steps", "10,50,100", *FAST) == 130
    run.deployer.on_call = None

    assert _op(run, "abort") == 1
    assert run.deployer.routes("web")[-1] == ("blue", 0)


def test_retry_reruns_the_last_rolled_back_rollout_with_its_spec(run):
    run.deployer.fail_on = lambda call: call.args == ("blue", 50)
    assert run("--service", "web", "--steps", "10,50,100", "--image", "app:3", *FAST) == 1
    run.deployer.fail_on = None

    assert _op(run, "retry") == 0
    assert run.deployer.routes("web")[-1] == ("green", 0)
    assert run.deployer.services["web"].images["green"] == "app:3"


def test_retry_after_a_promotion_exits_two(run):
    assert run("--service", "web", "--steps", "100", *FAST) == 0

    assert _op(run, "retry") == 2
    assert "did not roll back (outcome: promoted)" in run.stderr.getvalue()


# -- stack tags ----------------------------------------------------------------------------------


def _tagged_stack() -> mock.MagicMock:
    stack = mock.create_autospec(auto.Stack, instance=True)
    stack.workspace = mock.create_autospec(auto.LocalWorkspace, instance=True)
    stack.name = "dev"
    return stack


def test_status_is_mirrored_into_the_stacks_tags_compactly():
    stack = _tagged_stack()
    deployer = PulumiDeployer("dev", Path("."), stack=stack)

    deployer.publish_status(
        {
            "service": "web",
            "rolloutId": "abc",
            "state": "running",
            "phase": {"index": 3, "total": 7, "type": "shift", "label": "canary 25% to green (2m bake)"},
            "liveColor": "blue",
            "canaryWeight": 25,
            "failures": 0,
            "updatedAt": "2026-12-03T10:00:00.000Z",
        }
    )

    name, key, value = stack.workspace.set_tag.call_args.args
    assert (name, key) == ("dev", "rollway:rollout:web")
    assert json.loads(value) == {
        "id": "abc",
        "state": "running",
        "phase": "3/7 shift",
        "live": "blue",
        "weight": 25,
        "failures": 0,
        "at": "2026-12-03T10:00:00.000Z",
    }
    assert len(value) <= 256


def test_the_published_status_is_read_back_from_the_tags():
    stack = _tagged_stack()
    stack.workspace.get_tag.return_value = '{"state":"paused","weight":10}'

    assert PulumiDeployer("dev", Path("."), stack=stack).read_status_tag("web") == {"state": "paused", "weight": 10}
    assert stack.workspace.get_tag.call_args.args == ("dev", status_tag("web"))


def test_a_backend_without_tags_warns_once_and_the_rollout_goes_on(tmp_path):
    errors: list[str] = []
    calls = {"n": 0}

    def publish(status: dict[str, Any]) -> None:
        calls["n"] += 1
        raise RuntimeError("stack tags are not supported by this backend")

    sink = StatusSink(tmp_path / "status.json", publish, errors.append)
    for kind in ("rollout.started", "rollout.paused", "rollout.continued"):
        sink.emit(Event(kind, {"rolloutId": "r", "stack": "dev", "service": "web", "by": "x"}))

    assert calls["n"] == 1 and len(errors) == 1 and "not supported" in errors[0]
    assert json.loads((tmp_path / "status.json").read_text())["state"] == "running"


def test_measurements_update_the_status_file_but_not_the_stack_tags(tmp_path):
    published: list[dict[str, Any]] = []
    sink = StatusSink(tmp_path / "status.json", published.append)
    base = {"rolloutId": "r", "stack": "dev", "service": "web"}
    sink.emit(Event("rollout.started", base))
    failed = {"check": "request-success-rate", "ok": False, "detail": "0.5 < min 0.99", "failures": 1, "failureLimit": 0}

    sink.emit(Event("analysis.measurement", {**base, **failed}))

    assert json.loads((tmp_path / "status.json").read_text())["failures"] == 1
    assert len(published) == 1  # rollout.started only
    sink.emit(Event("rollback.started", {**base, "reason": "analysis failed"}))
    assert [p["state"] for p in published] == ["running", "rolling-back"] and published[-1]["failures"] == 1


# -- notifications --------------------------------------------------------------------------------


class _Receiver:
    def __init__(self) -> None:
        self.posts: list[tuple[str, dict[str, Any], dict[str, str]]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                receiver.posts.append((self.path, body, dict(self.headers)))
                self.send_response(201)
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture
def receiver():
    server = _Receiver()
    yield server
    server.close()


def test_webhook_slack_and_github_get_the_milestones(run, receiver, monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", "t0k")
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/shop")
    monkeypatch.setenv("GITHUB_API_URL", receiver.url)

    code = run(
        "--service", "web", "--steps", "100", *FAST,
        "--notify", receiver.url + "/hook",
        "--notify", "slack:" + receiver.url + "/slack",
        "--notify", "github", "--github-deployment", "42",
    )  # fmt: skip

    assert code == 0
    hook = [body["event"] for path, body, _ in receiver.posts if path == "/hook"]
    assert hook[0] == "rollout.started" and hook[-1] == "rollout.promoted"
    assert "analysis.tick" not in hook and "route.applied" not in hook
    slack = [body["text"] for path, body, _ in receiver.posts if path == "/slack"]
    assert slack[-1] == "web on dev promoted: live on green"
    github = [(body["state"], headers["Authorization"]) for path, body, headers in receiver.posts if path.startswith("/repos")]
    assert github == [("in_progress", "Bearer t0k"), ("success", "Bearer t0k")]
    assert {path for path, _, _ in receiver.posts if path.startswith("/repos")} == {"/repos/acme/shop/deployments/42/statuses"}


def test_a_failing_receiver_warns_once_and_never_fails_the_rollout(run):
    code = run("--service", "web", "--steps", "50,100", *FAST, "--notify", "http://127.0.0.1:9/hook")

    assert code == 0
    assert run.stderr.getvalue().count("notification to webhook http://127.0.0.1:9/… failed") == 1


def test_a_rolled_back_rollout_is_a_failed_github_deployment():
    target = Target("github", "http://x/statuses")

    body = payload(target, Event("rollout.rolled_back", {"service": "web", "stack": "prod", "reason": "analysis failed"}))

    assert body == {"state": "failure", "description": "web on prod rolled back: analysis failed", "auto_inactive": False}


@pytest.mark.parametrize(
    ("values", "env", "message"),
    [
        (["ftp://x"], {}, "give a URL"),
        (["github"], {"GITHUB_REPOSITORY": "a/b"}, "needs GITHUB_TOKEN, --github-deployment"),
        (["github"], {"GITHUB_TOKEN": "t", "GITHUB_REPOSITORY": "a/b", "ROLLWAY_GITHUB_DEPLOYMENT_ID": "x1"}, "is a number"),
    ],
)
def test_bad_notify_targets_are_usage_errors(values, env, message):
    from rollway.rollout.errors import UsageError

    with pytest.raises(UsageError, match=message):
        parse_targets(values, env, None)


def test_a_slow_receiver_does_not_delay_events():
    started = threading.Event()
    release = threading.Event()

    def post(url: str, body: bytes, headers: dict[str, str]) -> None:
        started.set()
        release.wait(5)

    sink = NotifySink([Target("webhook", "http://x/")], lambda message: None, post)
    sink.emit(Event("rollback.started", {"reason": "r"}))
    assert started.wait(5)
    sink.emit(Event("rollout.rolled_back", {"reason": "r"}))  # returns while the first post still hangs
    release.set()
    sink.close()


def test_status_and_approval_from_another_process(tmp_path):
    """A rollout waits at its gate in this process; `rollway rollout status` and `approve` run as separate processes."""
    import subprocess
    import sys

    from rollout_helpers import state

    from rollway.rollout.fake import FakeDeployer
    from rollway.rollout.sandbox.procs import wait_until

    deployer = FakeDeployer({"web": state()})
    state_dir = tmp_path / "state"
    out, err = io.StringIO(), io.StringIO()
    argv = ["--stack", "dev", "--state-dir", str(state_dir), "--service", "web", "--steps", "100", "--json"]
    argv += ["--step-duration", "0s", "--drain", "0s", "--no-analysis", "--gate", "--interval", "200ms"]
    result: dict[str, int] = {}
    worker = threading.Thread(
        target=lambda: result.setdefault("code", main(argv, deployer_factory=lambda s, a: deployer, stdout=out, stderr=err))
    )
    worker.start()
    status_file = state_dir / "dev" / "status.json"
    wait_until(lambda: status_file.is_file() and "waiting-for-approval" in status_file.read_text(), 20, "the gate")
    cli = [sys.executable, "-m", "rollway.cli", "rollout"]

    shown = subprocess.run(
        [*cli, "status", "--stack", "dev", "--state-dir", str(state_dir), "--json"], capture_output=True, text=True, timeout=60
    )
    approved = subprocess.run(
        [*cli, "approve", "--stack", "dev", "--state-dir", str(state_dir), "--by", "release-manager"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    worker.join(30)

    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["state"] == "waiting-for-approval"
    assert approved.returncode == 0, approved.stderr
    assert result["code"] == 0
    events = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [event["by"] for event in events if event["event"] == "gate.approved"] == ["release-manager"]
    assert deployer.routes("web")[-1] == ("green", 0)
