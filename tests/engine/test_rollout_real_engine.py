"""`rollway rollout` through the Automation API against the real Pulumi CLI and the offline test provider.

One `up` and one rollout per module (the machine is slow): the dev stack is applied with canaryWeight 0, then a
two-step canary with a new image runs to promotion as a separate process; the tests read what the engine recorded.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from rollway.rollout.routing import routing_urns
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
