"""`rollway rollout` through the Automation API against the real Pulumi CLI and the offline test provider.

One `up` and one rollout per module (the machine is slow): the dev stack is applied with canaryWeight 0, then a
two-step canary with a new image runs to promotion as a separate process; the tests read what the engine recorded.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from rollway.rollout.routing import routing_urns
from rollway.rollout.sandbox.steered import SteeredMetrics
from rollway.testing.real_engine import RealEngine, StackWorkspace

ROOT = Path(__file__).resolve().parents[2]
ROLLWAY = str(Path(sys.executable).parent / "rollway")
NEW_IMAGE = "ghcr.io/rollway/web:1.6.0"


@dataclass
class Released:
    ws: StackWorkspace
    result: subprocess.CompletedProcess[str]
    journal: list[dict[str, Any]]
    history: list[dict[str, Any]]  # oldest first
    before: dict[str, Any]
    after: dict[str, Any]


def _resources(ws: StackWorkspace) -> dict[str, Any]:
    return {r["urn"]: r for r in ws.export()["deployment"]["resources"]}


@pytest.fixture(scope="module")
def released(engine: RealEngine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Released]:
    state = tmp_path_factory.mktemp("rollout-state")
    with engine.workspace(ROOT, "dev") as ws:
        ws.set_config("rollway:services.web.canaryWeight", "0", path=True)
        ws.up()
        before = _resources(ws)
        result = subprocess.run(
            [ROLLWAY, "rollout", "--stack", "dev", "--service", "web", "--image", NEW_IMAGE, "--steps", "50,100",
             "--step-duration", "0s", "--drain", "0s", "--no-analysis", "--no-policy-packs",
             "--work-dir", str(ws.directory), "--state-dir", str(state)],
            env=ws.env, capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        journal = [json.loads(line) for line in (state / "dev" / "journal.jsonl").read_text().splitlines() if line.strip()]
        history = list(reversed(json.loads(ws.run("stack", "history", "--json", "--stack", "dev").stdout)))
        yield Released(ws, result, journal, history, before, _resources(ws))


def test_rollout_promotes_through_the_real_engine(released: Released) -> None:
    assert released.result.returncode == 0, released.result.stderr
    assert "promoted: web now live on green" in released.result.stdout


def test_each_phase_is_one_engine_update_whose_message_names_it(released: Released) -> None:
    rollout_updates = [u for u in released.history if str(u.get("message", "")).startswith("rollway rollout:")]
    assert [u["message"] for u in rollout_updates] == [
        f"rollway rollout: web green image -> {NEW_IMAGE}",
        "rollway rollout: web live=blue canaryWeight=50",
        "rollway rollout: web live=blue canaryWeight=100",
        "rollway rollout: web live=green canaryWeight=0",
        "rollway rollout: web blue image -> (removed)",
    ]
    assert all(u["result"] == "succeeded" for u in rollout_updates)
    # The journal's finished phases are the engine's updates, one for one and in order.
    plan = next(r for r in released.journal if r["rec"] == "begin")["plan"]
    done = [r["index"] for r in released.journal if r["rec"] == "phase" and r["status"] == "done"]
    assert done == list(range(len(plan["phases"]))) == list(range(len(rollout_updates)))


def test_routing_steps_touch_only_routing_resources(released: Released) -> None:
    deployment = released.ws.export()["deployment"]
    routing = set(routing_urns(deployment, "web", ["web", "api"]))  # Pulumi.dev.yaml's services
    assert routing
    routing_updates = [u for u in released.history if "canaryWeight=" in str(u.get("message", ""))]
    assert len(routing_updates) == 3
    for update in routing_updates:
        changes = update["resourceChanges"]
        assert set(changes) <= {"same", "update"}, update
        assert 0 < changes.get("update", 0) <= len(routing), update
    # Every resource outside the routing set that changed did so in a deploy phase: its inputs moved with the image.
    changed = {
        u for u in released.before if u in released.after and released.before[u].get("inputs") != released.after[u].get("inputs")
    }
    assert routing & changed


# -- guarded and recoverable: refusal, rollback with the policy packs, resume after kill -9 ----------------------


@dataclass
class Guarded:
    ws: StackWorkspace
    state: Path
    policy_refused: subprocess.CompletedProcess[str]
    versions_before_policy: int
    versions_after_policy: int
    green_image_after_policy: str | None
    refused: subprocess.CompletedProcess[str]
    versions_before_refusal: int
    versions_after_refusal: int
    rolled_back: subprocess.CompletedProcess[str]
    rollback_log: str
    killed_after: list[dict[str, Any]]  # events of the process killed with SIGKILL
    locked: subprocess.CompletedProcess[str]  # the same command while the killed update's lock remains
    versions_before_locked: int
    versions_after_locked: int
    resumed: subprocess.CompletedProcess[str]
    web_after_resume: dict[str, Any]  # rollway:services.web in the stack's config right after the resumed run
    ab: subprocess.CompletedProcess[str]
    elsewhere: list[subprocess.CompletedProcess[str]]  # status, history --from-backend
    history: list[dict[str, Any]]  # oldest first, whole stack
    journal: list[dict[str, Any]]
    routing: set[str]


BAD_IMAGE = "docker.io/someone/web:1.6.0"
"""Outside policies/config/dev/security.json's allowedRegistries: `container-allowed-registries` (mandatory) refuses it."""


def _web(ws: StackWorkspace) -> dict[str, Any]:
    config = json.loads(ws.run("config", "--json").stdout)
    web: dict[str, Any] = json.loads(config["rollway:services"]["value"])["web"]
    return web


def _locks(ws: StackWorkspace) -> list[Path]:
    """The file backend's update locks: present while an engine update of the stack runs (or after one was killed)."""
    return list((ws.backend / ".pulumi" / "locks").rglob("*.json"))


def _history(ws: StackWorkspace) -> list[dict[str, Any]]:
    return list(reversed(json.loads(ws.run("stack", "history", "--json").stdout)))


def _rollout(ws: StackWorkspace, state: Path, *flags: str) -> list[str]:
    return [
        ROLLWAY,
        "rollout",
        "--stack",
        "dev",
        "--service",
        "web",
        "--work-dir",
        str(ws.directory),
        "--state-dir",
        str(state),
        *flags,
    ]


def _events(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip().endswith("}")]


@pytest.fixture(scope="module")
def guarded(engine: RealEngine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Guarded]:
    state = tmp_path_factory.mktemp("guarded-state")
    metrics = SteeredMetrics()
    analysis = ["--metrics-url", metrics.url, "--interval", "1s", "--failure-limit", "0"]
    try:
        with engine.workspace(ROOT, "dev") as ws:
            ws.set_config("rollway:services.web.canaryWeight", "0", path=True)
            ws.up()

            # 0. An image from a registry the security pack does not allow (mandatory in every environment).
            versions = len(_history(ws))
            policy_refused = subprocess.run(
                _rollout(ws, state, "--image", BAD_IMAGE, "--steps", "50,100", "--step-duration", "1s", *analysis),
                env=ws.env, capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL,
            )  # fmt: skip
            versions_after_policy = len(_history(ws))
            green_after_policy = _web(ws)["image"].get("green")

            # 1. An unrelated pending change (api's port) in the stack: the rollout refuses before any update.
            before = len(_history(ws))
            ws.set_config("rollway:services.api.port", "9001", path=True)
            refused = subprocess.run(
                _rollout(ws, state, "--steps", "50,100", "--step-duration", "1s", "--no-policy-packs", *analysis),
                env=ws.env, capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL,
            )  # fmt: skip
            after = len(_history(ws))
            ws.set_config("rollway:services.api.port", "9000", path=True)

            # 2. A canary whose success rate is 50%: rolled back, every update with the project's policy packs.
            metrics.success_rate = 0.5
            rolled_back = subprocess.run(
                _rollout(ws, state, "--steps", "50,100", "--step-duration", "5s", *analysis),
                env=ws.env, capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL,
            )  # fmt: skip
            log = (state / "dev" / "pulumi.log").read_text(encoding="utf-8")

            # 3. A healthy canary whose runner dies (SIGKILL to its whole process group: the rollout, the pulumi CLI
            #    and its plugins) while the engine applies its first step. The step's config is set, its update cut
            #    short, and the backend keeps that update's lock: the same command again stops (exit 2) naming
            #    `pulumi cancel`; after it, the same command resumes and promotes.
            metrics.success_rate = 1.0
            events = state / "resume-events.jsonl"
            command = _rollout(
                ws, state, "--steps", "50,100", "--step-duration", "10s", "--drain", "0s", "--no-scale-down",
                "--no-policy-packs", "--events", str(events), *analysis,
            )  # fmt: skip
            process = subprocess.Popen(
                command, env=ws.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                start_new_session=True,
            )  # fmt: skip
            deadline = time.monotonic() + 600
            while not (any(e["event"] == "phase.started" and e.get("type") == "shift" for e in _events(events)) and _locks(ws)):
                assert process.poll() is None, "the rollout ended before the engine applied its first step"
                assert time.monotonic() < deadline, "the engine did not start the first step within 10 minutes"
                time.sleep(0.2)
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
            killed_after = _events(events)
            versions_before_locked = len(_history(ws))
            locked = subprocess.run(command, env=ws.env, capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL)
            versions_after_locked = len(_history(ws))
            ws.run("cancel", "--yes")
            resumed = subprocess.run(command, env=ws.env, capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL)
            web_after_resume = _web(ws)

            # 4. An A/B test back to blue: only the service's canaryHeader reaches blue during the cohort phase.
            ab = subprocess.run(
                _rollout(
                    ws, state, "--cohort-header", "x-rollway-canary=always", "--cohort-duration", "3s", "--drain", "0s",
                    "--no-scale-down", "--no-policy-packs", "--json", *analysis,
                ),
                env=ws.env, capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL,
            )  # fmt: skip

            # 5. Another machine: nothing shared but the file:// backend (its own, empty state directory).
            other = [
                "--stack",
                "dev",
                "--from-backend",
                "--json",
                "--work-dir",
                str(ws.directory),
                "--state-dir",
                str(state.parent / "elsewhere"),
            ]
            elsewhere = [
                subprocess.run([ROLLWAY, "rollout", command, *other], env=ws.env, capture_output=True, text=True, timeout=120)
                for command in ("status", "history")
            ]

            journal = [json.loads(line) for line in (state / "dev" / "journal.jsonl").read_text().splitlines() if line.strip()]
            routing = set(routing_urns(ws.export()["deployment"], "web", ["web", "api"]))
            yield Guarded(
                ws,
                state,
                policy_refused,
                versions,
                versions_after_policy,
                green_after_policy,
                refused,
                before,
                after,
                rolled_back,
                log,
                killed_after,
                locked,
                versions_before_locked,
                versions_after_locked,
                resumed,
                web_after_resume,
                ab,
                elsewhere,
                _history(ws),
                journal,
                routing,
            )
    finally:
        metrics.close()


def _rollout_messages(history: list[dict[str, Any]]) -> list[str]:
    return [u["message"] for u in history if str(u.get("message", "")).startswith("rollway rollout:")]


def test_a_release_refused_by_a_mandatory_policy_applies_nothing(guarded: Guarded) -> None:
    assert guarded.policy_refused.returncode == 2, guarded.policy_refused.stderr
    assert "refused by the policy packs before anything was applied" in guarded.policy_refused.stderr
    assert "container-allowed-registries" in guarded.policy_refused.stderr
    assert guarded.versions_after_policy == guarded.versions_before_policy
    assert guarded.green_image_after_policy == "ghcr.io/rollway/web:1.5.0"  # Pulumi.dev.yaml's, put back
    assert not any(r["rec"] == "begin" and BAD_IMAGE in json.dumps(r) for r in guarded.journal)


def test_an_unrelated_pending_change_is_refused_before_any_update(guarded: Guarded) -> None:
    assert guarded.refused.returncode == 2, guarded.refused.stderr
    assert "pending changes unrelated to this rollout" in guarded.refused.stderr
    assert guarded.versions_after_refusal == guarded.versions_before_refusal


def test_a_failing_canary_is_rolled_back_on_the_real_engine_with_the_policy_packs(guarded: Guarded) -> None:
    assert guarded.rolled_back.returncode == 1, guarded.rolled_back.stderr
    assert "request-success-rate" in guarded.rolled_back.stdout
    first_rollout = _rollout_messages(guarded.history)[:2]
    assert first_rollout == ["rollway rollout: web live=blue canaryWeight=50", "rollway rollout: web live=blue canaryWeight=0"]
    # The engine ran both packs on each of the rollout's updates (its own output names them).
    assert guarded.rollback_log.count("rollway-security") >= 2 and guarded.rollback_log.count("rollway-cost") >= 2, (
        guarded.rollback_log[-3000:]
    )


def test_a_rollout_killed_inside_a_step_update_resumes_and_promotes_without_repeating_an_update(guarded: Guarded) -> None:
    # The kill landed inside the step (its update never reported), and nothing was promoted.
    assert not any(e["event"] in ("route.applied", "rollout.promoted") for e in guarded.killed_after), guarded.killed_after
    # The killed update's lock stops the same command before it changes anything, with the way out.
    assert guarded.locked.returncode == 2, guarded.locked.stderr
    assert "pulumi cancel --stack dev" in guarded.locked.stderr and "Traceback" not in guarded.locked.stderr
    assert guarded.versions_after_locked == guarded.versions_before_locked
    assert guarded.resumed.returncode == 0, guarded.resumed.stderr
    assert "resuming web on stack dev" in guarded.resumed.stdout
    # The killed update left no history entry; the resumed run applied each phase once.
    assert _rollout_messages(guarded.history)[2:5] == [
        "rollway rollout: web live=blue canaryWeight=50",
        "rollway rollout: web live=blue canaryWeight=100",
        "rollway rollout: web live=green canaryWeight=0",
    ]
    web = guarded.web_after_resume
    assert (web["liveColor"], web["canaryWeight"]) == ("green", 0)
    # The journal: one rollout rolled back, one promoted, nothing unfinished.
    ends = [r["outcome"] for r in guarded.journal if r["rec"] == "end"]
    assert ends[:2] == ["rolled-back", "promoted"]


def test_an_ab_test_measures_the_cohort_and_switches_on_the_real_engine(guarded: Guarded) -> None:
    assert guarded.ab.returncode == 0, guarded.ab.stderr
    events = [json.loads(line) for line in guarded.ab.stdout.splitlines()]
    cohort = [e for e in events if e["event"] == "analysis.measurement" and e.get("cohort")]
    assert cohort and {e["cohort"] for e in cohort} == {"header x-rollway-canary=always"}
    # The cohort phase's routing (green live at weight 0) is what the stack already serves, which the run's
    # pending-changes preview proved: no update for it. Then the switch to blue.
    assert _rollout_messages(guarded.history)[5:] == ["rollway rollout: web live=blue canaryWeight=0"]


def test_status_and_history_are_read_from_the_backend_by_another_machine(guarded: Guarded) -> None:
    status, history = guarded.elsewhere
    assert status.returncode == 0, status.stderr
    assert (json.loads(status.stdout)["state"], json.loads(status.stdout)["strategy"]) == ("promoted", "abTest")
    assert history.returncode == 0, history.stderr
    assert [json.loads(line)["outcome"] for line in history.stdout.splitlines()] == ["rolled-back", "promoted", "promoted"]


def test_every_rollout_update_changes_only_routing_resources(guarded: Guarded) -> None:
    updates = [u for u in guarded.history if "canaryWeight=" in str(u.get("message", ""))]
    assert len(updates) == 6
    for update in updates:
        assert update["result"] == "succeeded", update
        assert set(update["resourceChanges"]) <= {"same", "update"}, update
        assert 0 < update["resourceChanges"].get("update", 0) <= len(guarded.routing), update
