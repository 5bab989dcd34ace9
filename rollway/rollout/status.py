"""Where a rollout can be seen and steered from outside its own process.

- `StatusSink` turns the event stream into one status document, `<state dir>/<stack>/status.json` (written
  atomically), and hands it to an optional publisher (the stack's tags in the backend, see
  `rollway.rollout.automation.PulumiDeployer.publish_status`), so `rollway rollout status|watch` works from
  another terminal, runner or machine.
- `ControlFile` carries operator requests (`pause`, `resume`, `promote`, `abort`, `approve`, `reject`) to the
  running controller, which consumes each one at its next measurement or approval poll.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, get_args

from rollway.rollout.errors import UsageError
from rollway.rollout.events import Event
from rollway.rollout.journal import ensure_dir

Command = Literal["pause", "resume", "promote", "abort", "approve", "reject"]
COMMANDS: tuple[str, ...] = get_args(Command)
TERMINAL = ("promoted", "rolled-back", "rollback-failed")


def write_json_atomically(path: Path, data: dict[str, Any]) -> None:
    """Readers never see half a file: write a sibling, then rename over."""
    ensure_dir(path.parent)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(data, sort_keys=True, default=str) + "\n", encoding="utf-8")
    os.replace(temporary, path)


def read_json(path: Path, what: str) -> dict[str, Any] | None:
    """The JSON object in `path`, None when absent; UsageError naming the file and the way out when corrupted."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read the {what}: {exc}; delete it (it is rewritten by the next rollout)") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"{path}: the {what} is not valid JSON ({exc}); delete it (it is rewritten by the next rollout)"
        ) from None
    if not isinstance(data, dict):
        raise UsageError(f"{path}: the {what} is not a JSON object; delete it (it is rewritten by the next rollout)")
    return data


class StatusSink:
    """Keeps the rollout's status document current from its events.

    Args:
        path: The status file.
        publish: Also called with each new status (e.g. to mirror it into the stack's tags); errors in it are
            reported once through `on_publish_error` and never stop the rollout.
        on_publish_error: Receives the publisher's first error message.
    """

    def __init__(
        self,
        path: Path,
        publish: Callable[[dict[str, Any]], None] | None = None,
        on_publish_error: Callable[[str], None] | None = None,
    ) -> None:
        self.path = path
        self.publish = publish
        self.on_publish_error = on_publish_error
        self.status: dict[str, Any] = {}
        self._publish_failed = False
        self.mirrors: list[tuple[str, Callable[[dict[str, Any]], None]]] = []
        """More places the status is written to, each (description, writer): e.g. the backend's state object."""
        self._failed_mirrors: set[int] = set()

    def emit(self, event: Event) -> None:
        data = event.data
        status = self.status
        kind = event.kind
        stamp = event.to_json()["time"]
        if kind in ("rollout.started", "rollout.resumed"):
            if kind == "rollout.started" or status.get("rolloutId") != data.get("rolloutId"):
                status.clear()
                status["startedAt"] = stamp
            status.update(
                rolloutId=data.get("rolloutId"),
                stack=data.get("stack"),
                service=data.get("service"),
                strategy=data.get("strategy"),
                cohort=data.get("cohort"),
                stable=data.get("stable"),
                canary=data.get("canary"),
                state="running",
                failures=status.get("failures", 0),
            )
        elif kind == "phase.started":
            status.update(
                phase={"index": data["index"] + 1, "total": data["total"], "type": data["type"], "label": data["label"]}
            )
            status["state"] = "running"
        elif kind == "route.applied":
            status.update(liveColor=data["liveColor"], canaryWeight=data["canaryWeight"])
        elif kind == "analysis.measurement":
            status.update(failures=data["failures"], failureLimit=data["failureLimit"])
            if data["ok"] is False:
                status["lastFailure"] = f"{data['check']}: {data['detail']}"
        elif kind == "gate.waiting":
            status["state"] = "waiting-for-approval"
        elif kind == "gate.approved":
            status["state"] = "running"
        elif kind == "rollout.paused":
            status["state"] = "paused"
        elif kind == "rollout.continued":
            status["state"] = "running"
        elif kind == "rollback.started":
            status.update(state="rolling-back", reason=data["reason"])
        elif kind == "rollback.failed":
            status.update(state="rollback-failed", error=data["error"])
        elif kind == "rollout.rolled_back":
            status.update(state="rolled-back", reason=data["reason"])
        elif kind == "rollout.promoted":
            status.update(state="promoted", liveColor=data["liveColor"])
        else:
            return  # ticks and the rest don't change the status; no write
        status["updatedAt"] = stamp
        write_json_atomically(self.path, status)
        # The publisher is a CLI call (`pulumi stack tag set`, hundreds of ms): not per measurement, so it never sits
        # between a failing measurement and the rollback it triggers. The next state/phase/traffic change carries
        # the failure count to the tags; status.json and the backend mirror get every change.
        if kind != "analysis.measurement" and self.publish is not None and not self._publish_failed:
            try:
                self.publish(dict(status))
            except Exception as exc:  # the backend mirror is a convenience; the rollout goes on
                self._publish_failed = True
                if self.on_publish_error is not None:
                    self.on_publish_error(f"cannot publish the rollout status to the stack: {exc}")
        for index, (where, mirror) in enumerate(self.mirrors):
            if index in self._failed_mirrors:
                continue
            try:
                mirror(dict(status))
            except Exception as exc:  # each mirror fails on its own, once; the rollout goes on
                self._failed_mirrors.add(index)
                if self.on_publish_error is not None:
                    self.on_publish_error(f"cannot publish the rollout status to {where}: {exc}")


class ControlFile:
    """Operator requests to the running rollout of one stack.

    Args:
        path: `<state dir>/<stack>/control.json`.
        clock: Epoch seconds (requests older than the rollout's start are stale and ignored).
    """

    def __init__(self, path: Path, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self.clock = clock

    def request(self, command: str, by: str) -> None:
        if command not in COMMANDS:
            raise UsageError(f"unknown rollout command {command!r}; use one of {', '.join(COMMANDS)}")
        write_json_atomically(self.path, {"command": command, "by": by, "at": self.clock()})

    def take(self, not_before: float = 0.0) -> tuple[str, str] | None:
        """The pending request (consumed), or None. A corrupted or stale request file is removed and ignored."""
        try:
            data = read_json(self.path, "rollout control request")
        except UsageError:
            data = None
            self.path.unlink(missing_ok=True)
        if data is None:
            return None
        self.path.unlink(missing_ok=True)
        command, by, at = data.get("command"), data.get("by"), data.get("at")
        if command not in COMMANDS or not isinstance(at, int | float) or at < not_before - 1:
            return None
        return str(command), str(by or "unknown")
