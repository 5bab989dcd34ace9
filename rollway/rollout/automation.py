"""The real Deployer: a Pulumi stack driven through the Automation API (needs the `pulumi` CLI on PATH).

Per decision it sets `rollway:services.<service>.*` with `path=True` (exactly what
`pulumi config set --path` writes, integers stored as numbers) and runs `up`:
- route(): `up(target=[routing URNs])` so only the routing resources change (the blast-radius contract);
- deploy(): an untargeted `up`, because a new or removed image changes the color's workload.
"""

from __future__ import annotations

import importlib
import json
import re
import shutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from pulumi import automation as auto

from rollway.rollout.deployer import Color, ServiceState
from rollway.rollout.errors import DeployError, UsageError
from rollway.rollout.routing import Matcher, routing_urns

CONFIG_MODEL = "stacks.config"
"""Module of the project's config model, imported from the project directory when a rollout runs (the tool
never imports the project at import time): it has `load_stack_config(values, secret_keys, source=...)` and
`ConfigError` (with `render()`)."""

ROUTING_PHASES = frozenset({"cohort", "shift", "promote", "rollback"})
"""Phases whose only update is the targeted routing update (a rollback is one too)."""

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def project_config_model(work_dir: Path) -> ModuleType:
    """The project's own config model (`CONFIG_MODEL`), imported with the project directory first on sys.path."""
    root = str(work_dir.resolve())
    if root not in sys.path:
        sys.path.insert(0, root)
    try:
        return importlib.import_module(CONFIG_MODEL)
    except ImportError as exc:
        raise UsageError(
            f"{work_dir}: cannot import the project's config model `{CONFIG_MODEL}` ({exc}); "
            "pass --work-dir with the directory of a Rollway project"
        ) from None


def service_key(service: str, field: str) -> str:
    """Config path of a service field; names with '-' need the bracket form (`services["web-admin"]`)."""
    part = f".{service}" if _IDENTIFIER.match(service) else f'["{service}"]'
    return f"rollway:services{part}.{field}"


class PulumiDeployer:
    """Drives one stack of a Pulumi project directory.

    Args:
        stack_name: Stack to select (e.g. `dev`, or `org/project/dev`).
        work_dir: Project directory (holds Pulumi.yaml).
        matchers: Routing-resource rules (default: rollway.rollout.routing.ROUTING_TYPES).
        on_output: Receives the engine's output lines (progress view / logs).
        stack: An already selected stack (tests pass an autospec of `automation.Stack`).
        policy_packs: Policy pack directories every `preview`/`up` runs (the engine enforces them).
        policy_pack_configs: Their policy-pack config files, paired by position (empty: the packs' defaults).
    """

    def __init__(
        self,
        stack_name: str,
        work_dir: Path,
        matchers: Sequence[Matcher] | None = None,
        on_output: Callable[[str], None] | None = None,
        stack: Any = None,
        policy_packs: Sequence[str] = (),
        policy_pack_configs: Sequence[str] = (),
    ) -> None:
        if policy_pack_configs and len(policy_pack_configs) != len(policy_packs):
            raise UsageError(
                f"--policy-pack-config is paired with --policy-pack by position: got {len(policy_pack_configs)} "
                f"config file(s) for {len(policy_packs)} pack(s)"
            )
        self.policy: dict[str, list[str]] = {}
        if policy_packs:
            self.policy["policy_packs"] = list(policy_packs)
        if policy_pack_configs:
            self.policy["policy_pack_configs"] = list(policy_pack_configs)
        self._checked_pending = False
        self._resumed_in: str | None = None
        self._resumed_since: float | None = None
        self._updated = False
        """This run has started an update (routing known from the start-of-run preview no longer holds)."""
        self._routing_applied: dict[str, tuple[Color, int]] = {}
        """Service -> (live color, weight) its routing resources are known to serve: the config when this run's
        pending-changes preview found nothing to change, before any update of this run."""
        self.stack_name = stack_name
        self.source = f"Pulumi.{stack_name.rsplit('/', 1)[-1]}.yaml"
        self._matchers = matchers
        self._on_output = on_output
        self._services: list[str] = []
        self._urns: dict[str, list[str]] = {}
        if stack is None:
            if shutil.which("pulumi") is None:
                raise UsageError(
                    "the Pulumi CLI is not on PATH; `rollway rollout` drives stacks through the Automation API, "
                    "which runs the CLI (install it: https://www.pulumi.com/docs/iac/download-install/)"
                )
            if not (work_dir / "Pulumi.yaml").is_file():
                raise UsageError(f"{work_dir}: no Pulumi.yaml here; pass --work-dir with the project directory")
            try:
                stack = auto.select_stack(stack_name=stack_name, work_dir=str(work_dir))
            except auto.errors.StackNotFoundError:
                raise UsageError(f"stack `{stack_name}` does not exist in {work_dir} (see `pulumi stack ls`)") from None
            except auto.errors.CommandError as exc:
                raise UsageError(f"cannot select stack `{stack_name}`: {_first_line(exc)}") from None
        self._stack = stack
        self._model = project_config_model(work_dir)

    def read(self, service: str) -> ServiceState:
        try:
            config_map = self._stack.get_all_config()
        except auto.errors.CommandError as exc:
            raise UsageError(f"cannot read the config of stack `{self.stack_name}`: {_first_line(exc)}") from None
        values = {key: value.value for key, value in config_map.items()}
        secret_keys = {key for key, value in config_map.items() if value.secret}
        try:
            config = self._model.load_stack_config(values, secret_keys, source=self.source)
        except self._model.ConfigError as exc:
            raise UsageError(exc.render()) from None
        self._services = list(config.services)
        found = config.services.get(service)
        if found is None:
            raise UsageError(
                f"{self.source}: rollway:services has no service `{service}` (known: {', '.join(sorted(config.services))})"
            )
        # Resolve the targets now, so a stack without routing resources fails before anything changes.
        self.routing_urns(service)
        self._refuse_pending_changes(service)
        if self._resumed_in is None and not self._updated:
            # The preview just showed no pending change, routing resources included: they serve what the config says.
            self._routing_applied[service] = (found.live_color, found.canary_weight)
        header = found.canary_header
        return ServiceState(
            found.live_color,
            found.canary_weight,
            {"blue": found.image.blue, "green": found.image.green},
            canary_header=(header.name, header.value) if header is not None else None,
            clouds=tuple(config.clouds),
        )

    def route(self, service: str, live_color: Color, canary_weight: int) -> None:
        urns = self.routing_urns(service)
        try:
            self._stack.set_all_config(
                {
                    service_key(service, "liveColor"): auto.ConfigValue(live_color),
                    service_key(service, "canaryWeight"): auto.ConfigValue(str(canary_weight)),
                },
                path=True,
            )
            message = _message(service, live_color, canary_weight)
            if self._routing_applied.get(service) == (live_color, canary_weight):
                if self._on_output is not None:
                    self._on_output(
                        f"rollway: the stack already routes {service} live={live_color} canaryWeight={canary_weight}; no update"
                    )
                return
            if self._last_update_was(message):
                return
            self._updated = True
            self._routing_applied.clear()
            self._stack.up(target=urns, color="never", on_output=self._on_output, message=message, **self.policy)
        except auto.errors.CommandError as exc:
            self._raise_if_locked(exc)
            raise DeployError(f"targeted update of {len(urns)} routing resource(s) failed: {_first_line(exc)}") from None

    def deploy(self, service: str, color: Color, image: str | None) -> None:
        key = service_key(service, f"image.{color}")
        try:
            if image is None:
                self._stack.remove_config(key, path=True)
            else:
                self._stack.set_config(key, auto.ConfigValue(image), path=True)
            message = f"rollway rollout: {service} {color} image -> {image or '(removed)'}"
            if self._last_update_was(message):
                return
            self._updated = True
            self._routing_applied.clear()
            self._stack.up(color="never", on_output=self._on_output, message=message, **self.policy)
        except auto.errors.CommandError as exc:
            self._raise_if_locked(exc)
            raise DeployError(f"update of {service}'s {color} workload failed: {_first_line(exc)}") from None

    def check_release(self, service: str, color: Color, image: str) -> None:
        """Preview `image` on `color` with the policy packs before the rollout changes anything.

        The engine evaluates policies as it applies each resource, so a mandatory violation found by the deploy
        phase's `up` would come after the stack's config had changed and a (failed) update had been recorded.
        A preview applies nothing: refused here, the config is put back and the stack's version is unchanged.
        Raises UsageError naming the violated policies.
        """
        if not self.policy:
            return
        key = service_key(service, f"image.{color}")
        try:
            previous: str | None = self._stack.get_config(key, path=True).value
        except auto.errors.CommandError:
            previous = None  # the color has no image yet
        lines: list[str] = []
        try:
            self._stack.set_config(key, auto.ConfigValue(image), path=True)
            self._stack.preview(color="never", on_output=lines.append, **self.policy)
        except auto.errors.CommandError as exc:
            self._raise_if_locked(exc)
            violations = policy_violations("\n".join([*lines, str(exc)]))
            reason = "; ".join(violations) if violations else _first_line(exc)
            raise UsageError(
                f"{service} {image} on {color}: refused by the policy packs before anything was applied "
                f"(stack `{self.stack_name}` unchanged): {reason}"
            ) from None
        finally:
            try:
                if previous is None:
                    self._stack.remove_config(key, path=True)
                else:
                    self._stack.set_config(key, auto.ConfigValue(previous), path=True)
            except auto.errors.CommandError as exc:
                raise UsageError(
                    f"could not restore {key} in {self.source} after the policy preview: {_first_line(exc)}; "
                    f"set it back with `pulumi config set --path {key} ...`"
                ) from None

    def _raise_if_locked(self, exc: auto.errors.CommandError) -> None:
        """The backend refused the update because the stack is locked: another update runs, or one was cut short
        (its runner killed) and left its lock behind. Rolling back would hit the same lock, so stop here with the
        journal unfinished (UsageError, exit 2) and say how to clear it.
        """
        text = str(exc)
        if "currently locked" not in text:
            return
        holder = next((line.strip() for line in text.splitlines() if "created by" in line), "")
        raise UsageError(
            f"stack `{self.stack_name}` is locked by another Pulumi update{f' ({holder})' if holder else ''}; nothing "
            f"was changed by this run. If no update is running (a runner was killed mid-update), clear the lock with "
            f"`pulumi cancel --stack {self.stack_name}`, then re-run this command to resume the rollout"
        )

    def _last_update_was(self, message: str) -> bool:
        """The stack's newest update is this very change, succeeded: the state already has it, so another `up`
        would only add a duplicate entry to the engine's history (a rollout resumed after `kill -9` re-runs
        the phase it was in; its config was set and its update finished before the process died).
        """
        if self._resumed_since is None:
            return False  # a fresh run: nothing of this rollout can be in the history yet
        try:
            newest = self._stack.history(page_size=1, page=1)
        except auto.errors.CommandError:
            return False
        if not newest or newest[0].kind != "update" or newest[0].result != "succeeded" or newest[0].message != message:
            return False
        started = newest[0].start_time
        # An equal message from before this rollout (an earlier rollback to the same color, say) says nothing about
        # the resources now: an update cut short since then leaves no history entry but may have changed them.
        # History times have whole seconds, hence the second of slack.
        if started is None or started.timestamp() < self._resumed_since - 1:
            return False
        if self._on_output is not None:
            self._on_output(f"rollway: the stack's last update is already `{message}` (succeeded); not repeated")
        return True

    def resume_after(self, phase_type: str, since: float) -> None:
        """This run resumes a rollout that began at `since` (epoch seconds) and stopped inside a `phase_type` phase
        (`rollback`: inside its rollback).

        Only then may a phase's update be skipped as already applied (the newest update in the stack's history has
        its message, succeeded, and started after `since`).

        That phase may have set the stack's config and died before (or during) its update, so its own change can
        be pending: a routing phase's change is confined to the service's routing resources, which the pending
        check then leaves out (the phase re-applies them with a targeted update). An image phase (`deploy`,
        `scale-down`) re-runs its untargeted update without a preview, as it did when first run; the check runs
        in full before the next routing update.
        """
        self._resumed_in = phase_type
        self._resumed_since = since

    def _refuse_pending_changes(self, service: str) -> None:
        """A rollout must not ship unrelated changes: its untargeted updates (new image, scale-down) would.

        So before anything changes, a preview of the stack as it is (with the policy packs) must show no change.
        """
        if self._checked_pending:
            return
        exclude: list[str] = []
        if self._resumed_in in ROUTING_PHASES:
            exclude = self._urns.get(service, [])
        try:
            result = self._stack.preview(color="never", exclude=exclude or None, **self.policy)
        except auto.errors.CommandError as exc:
            self._raise_if_locked(exc)
            raise UsageError(f"preview of stack `{self.stack_name}` failed before the rollout: {_first_line(exc)}") from None
        pending = {_op_name(op): count for op, count in (result.change_summary or {}).items() if count and _op_name(op) != "same"}
        if pending:
            summary = ", ".join(f"{count} to {op}" for op, count in sorted(pending.items()))
            raise UsageError(
                f"stack `{self.stack_name}` has pending changes unrelated to this rollout ({summary}); a rollout's updates "
                f"would ship them. Deploy them first (`pulumi up --stack {self.stack_name}` or the deploy workflow), then re-run"
            )
        self._checked_pending = True

    def publish_status(self, status: dict[str, Any]) -> None:
        """Mirror the rollout status into the stack's tags, so anyone with the backend sees it
        (`pulumi stack tag get rollway:rollout:<service>`, or `rollway rollout status --from-stack`).

        Tag values are short (Pulumi Cloud allows 256 characters): state, phase, traffic, failures, rollout id.
        A backend without stack tags raises; the caller reports that once and the rollout goes on.
        """
        phase = status.get("phase") or {}
        compact = {
            "id": status.get("rolloutId"),
            "state": status.get("state"),
            "phase": f"{phase.get('index')}/{phase.get('total')} {phase.get('type')}" if phase else None,
            "live": status.get("liveColor"),
            "weight": status.get("canaryWeight"),
            "failures": status.get("failures"),
            "at": status.get("updatedAt"),
        }
        value = json.dumps({key: item for key, item in compact.items() if item is not None}, separators=(",", ":"))
        self._stack.workspace.set_tag(self._stack.name, status_tag(str(status.get("service"))), value[:256])

    def read_status_tag(self, service: str) -> dict[str, Any] | None:
        """The status another runner published into the stack's tags (None: no rollout published one)."""
        try:
            value = self._stack.workspace.get_tag(self._stack.name, status_tag(service))
        except auto.errors.CommandError:
            return None
        try:
            data = json.loads(value)
        except (TypeError, json.JSONDecodeError):
            raise UsageError(f"stack `{self.stack_name}`: tag {status_tag(service)} is not rollway's JSON: {value!r}") from None
        return data if isinstance(data, dict) else None

    def history(self, limit: int = 50) -> list[dict[str, Any]]:
        """The engine's update history of this stack, newest first: the updates a rollout made carry its message."""
        try:
            updates = self._stack.history(page_size=limit, page=1)
        except auto.errors.CommandError as exc:
            raise UsageError(f"cannot read the history of stack `{self.stack_name}`: {_first_line(exc)}") from None
        return [
            {
                "version": update.version,
                "kind": update.kind,
                "result": update.result,
                "message": update.message,
                "startTime": update.start_time.isoformat() if update.start_time else None,
            }
            for update in updates
        ]

    def routing_urns(self, service: str) -> list[str]:
        """URNs to target for `service`, looked up once per run from the exported state."""
        if service not in self._urns:
            if not self._services:
                self.read(service)
            try:
                exported = self._stack.export_stack()
            except auto.errors.CommandError as exc:
                raise UsageError(f"cannot export the state of stack `{self.stack_name}`: {_first_line(exc)}") from None
            deployment = exported.deployment if exported is not None else None
            self._urns[service] = routing_urns(deployment, service, self._services, self._matchers)
        return self._urns[service]


def status_tag(service: str) -> str:
    return f"rollway:rollout:{service}"


def _op_name(op: object) -> str:
    return str(getattr(op, "value", op))


_VIOLATION = re.compile(r"\[mandatory\](?:\s+\[[^\]]*\])*\s+(\S+)\s+\(([^)]*)\)")
"""A line of the engine's `Policies:` summary: `- [mandatory] [severity: high]  <policy>  (<type>: <name>)`."""


def policy_violations(output: str) -> list[str]:
    """`policy (resource)` for each mandatory violation the engine printed, in order, without repeats."""
    found: list[str] = []
    for match in _VIOLATION.finditer(output):
        entry = f"{match.group(1)} ({match.group(2).strip()})"
        if entry not in found:
            found.append(entry)
    return found


def _message(service: str, live_color: str, weight: int) -> str:
    return f"rollway rollout: {service} live={live_color} canaryWeight={weight}"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    # CommandError's text embeds the whole stderr; its last non-empty line is usually the engine's error.
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for line in reversed(lines):
        if line.startswith("error:"):
            return line
    return json.dumps(lines[-1])[1:-1] if lines else type(exc).__name__
