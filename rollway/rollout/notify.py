"""Notifications: rollout milestones to a generic JSON webhook, a Slack-compatible webhook, GitHub deployment statuses.

`--notify` takes `URL` (the event's JSON, as on the JSON-lines stream), `slack:URL` (`{"text": ...}`) or
`github` (a deployment status on the deployment named by `--github-deployment` / ROLLWAY_GITHUB_DEPLOYMENT_ID,
with GITHUB_TOKEN and GITHUB_REPOSITORY from the Actions environment; GITHUB_API_URL for GitHub Enterprise).

Posting happens on a background thread, so a slow receiver never delays a rollback; a failed post is reported
once (a warning on stderr) and never stops the rollout.
"""

from __future__ import annotations

import json
import os
import queue
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from rollway.rollout.errors import UsageError
from rollway.rollout.events import Event

NOTABLE = (
    "rollout.started",
    "rollout.resumed",
    "gate.waiting",
    "gate.approved",
    "rollout.paused",
    "rollout.continued",
    "rollback.started",
    "rollback.failed",
    "rollout.promoted",
    "rollout.rolled_back",
    "warning",
)
"""Events sent to webhooks (measurements and ticks stay on the JSON-lines stream)."""

GITHUB_STATES = {
    "rollout.started": "in_progress",
    "rollout.resumed": "in_progress",
    "gate.waiting": "in_progress",
    "rollout.promoted": "success",
    "rollout.rolled_back": "failure",
    "rollback.failed": "error",
}
"""Rollout event -> GitHub deployment status state."""

POST_TIMEOUT = 5.0


@dataclass(frozen=True)
class Target:
    """One place notifications go."""

    kind: str
    """webhook, slack or github."""
    url: str
    """Where to POST (github: the deployment's statuses URL)."""
    headers: tuple[tuple[str, str], ...] = ()
    """Extra request headers (github: authorization)."""


def parse_targets(values: list[str], env: Mapping[str, str], deployment: str | None) -> list[Target]:
    """`--notify` values into targets; UsageError naming the bad value or the missing GitHub setting."""
    targets = []
    for value in values:
        if value == "github":
            token, repo = env.get("GITHUB_TOKEN"), env.get("GITHUB_REPOSITORY")
            deployment = deployment or env.get("ROLLWAY_GITHUB_DEPLOYMENT_ID")
            missing = [name for name, found in (("GITHUB_TOKEN", token), ("GITHUB_REPOSITORY", repo)) if not found]
            if not deployment:
                missing.append("--github-deployment (or ROLLWAY_GITHUB_DEPLOYMENT_ID)")
            if missing:
                raise UsageError(f"--notify github: needs {', '.join(missing)}")
            if not str(deployment).isdigit():
                raise UsageError(f"--github-deployment {deployment!r}: a deployment id is a number")
            api = env.get("GITHUB_API_URL", "https://api.github.com").rstrip("/")
            headers = (("Authorization", f"Bearer {token}"), ("Accept", "application/vnd.github+json"))
            targets.append(Target("github", f"{api}/repos/{repo}/deployments/{deployment}/statuses", headers))
            continue
        kind, url = ("slack", value.removeprefix("slack:")) if value.startswith("slack:") else ("webhook", value)
        if not url.startswith(("http://", "https://")):
            raise UsageError(f"--notify {value!r}: give a URL (http:// or https://), slack:<URL> or github")
        targets.append(Target(kind, url))
    return targets


def payload(target: Target, event: Event) -> dict[str, Any] | None:
    """What `target` receives for `event`; None: nothing."""
    if event.kind not in NOTABLE:
        return None
    if target.kind == "webhook":
        return event.to_json()
    if target.kind == "slack":
        return {"text": describe(event)}
    state = GITHUB_STATES.get(event.kind)
    if state is None:
        return None
    return {"state": state, "description": describe(event)[:140], "auto_inactive": state == "success"}


def describe(event: Event) -> str:
    """One line a person reads in a chat channel."""
    data = event.data
    who = f"{data.get('service')} on {data.get('stack')}"
    texts = {
        "rollout.started": f"rollout of {who} started: {data.get('stable')} -> {data.get('canary')} ({data.get('strategy')})",
        "rollout.resumed": f"rollout of {who} resumed",
        "gate.waiting": f"rollout of {who} waits for approval: `rollway rollout approve --stack {data.get('stack')}`",
        "gate.approved": f"rollout of {who} approved by {data.get('by')}",
        "rollout.paused": f"rollout of {who} paused by {data.get('by')}",
        "rollout.continued": f"rollout of {who} continued by {data.get('by')}",
        "rollback.started": f"rolling back {who}: {data.get('reason')}",
        "rollback.failed": f"ROLLBACK FAILED for {who}: {data.get('error')}",
        "rollout.promoted": f"{who} promoted: live on {data.get('liveColor')}",
        "rollout.rolled_back": f"{who} rolled back: {data.get('reason')}",
        "warning": f"rollout of {who}: warning: {data.get('message')}",
    }
    return texts.get(event.kind, f"{event.kind} {who}")


class NotifySink:
    """An EventSink posting notable events to targets from a background thread.

    Args:
        targets: Where to post.
        on_error: Receives the first failure per target (a warning line); later ones are dropped silently.
        post: The HTTP POST (tests may replace it): (url, body, headers) -> None, raising on failure.
    """

    def __init__(
        self,
        targets: list[Target],
        on_error: Callable[[str], None],
        post: Callable[[str, bytes, dict[str, str]], None] | None = None,
    ) -> None:
        self.targets = targets
        self.on_error = on_error
        self.post = post or _post
        self.failed: set[str] = set()
        self._queue: queue.Queue[tuple[Target, dict[str, Any]] | None] = queue.Queue()
        self._worker = threading.Thread(target=self._run, name="rollway-notify", daemon=True)
        self._worker.start()

    def emit(self, event: Event) -> None:
        for target in self.targets:
            body = payload(target, event)
            if body is not None:
                self._queue.put((target, body))

    def close(self, timeout: float = 10.0) -> None:
        """Deliver what is queued (up to `timeout` seconds), then stop."""
        self._queue.put(None)
        self._worker.join(timeout)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            target, body = item
            try:
                self.post(
                    target.url,
                    json.dumps(body, default=str).encode(),
                    {"Content-Type": "application/json", **dict(target.headers)},
                )
            except Exception as exc:  # a notification must never stop a rollout
                if target.url not in self.failed:
                    self.failed.add(target.url)
                    self.on_error(f"notification to {target.kind} {_redact(target.url)} failed: {exc}")


def _post(url: str, body: bytes, headers: dict[str, str]) -> None:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=POST_TIMEOUT) as response:
        response.read()


def _redact(url: str) -> str:
    """Webhook URLs carry their secret in the path: show scheme and host only."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}/…"


def environment() -> Mapping[str, str]:
    return os.environ
