"""The real Pulumi engine, offline: the CLI that `make engine` builds, a throwaway `file://` backend, a
passphrase secrets provider and the offline test provider (`rollway.testing.offline_provider`) as plugins.

    engine = RealEngine.locate()                 # .engine/bin/pulumi and .engine/home, or EngineMissing
    with engine.workspace(project_dir, "dev") as ws:
        plan = ws.preview(policy_packs=[...], policy_pack_configs=[...])    # the engine's --json plan
        ws.up()
        ws.set_config("rollway:services.web.canaryWeight", "25", path=True)

A workspace runs the project from a scratch copy (links to the project's files, a copy of the stack file), so
the CLI's writes (stack init's encryption salt, `config set`) never touch the user's tree. Nothing here talks to
a cloud: every resource plugin is the offline test provider.

    python -m rollway.testing.real_engine preview --stack dev [--cwd DIR] [--policy-pack DIR ...]
                                                   [--policy-pack-config FILE ...]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PASSPHRASE = "rollway-offline-test-passphrase"
"""The passphrase of throwaway test stacks (never a real stack's)."""

_REPO = Path(__file__).resolve().parents[2]


_NOT_LINKED = frozenset({"pyproject.toml", "uv.lock", "poetry.lock"})
"""Left out of the scratch copy: with `toolchain: uv` the engine's language host runs `uv sync` wherever it finds a
pyproject.toml, which would reinstall the project into its shared virtualenv from the scratch path."""


class EngineMissing(RuntimeError):
    """The CLI or its offline plugins are not built here (`make engine`)."""


class EngineError(RuntimeError):
    """A CLI command failed; the message has the command and the CLI's output."""

    def __init__(self, command: Sequence[str], returncode: int, stdout: str, stderr: str) -> None:
        self.command, self.returncode, self.stdout, self.stderr = list(command), returncode, stdout, stderr
        super().__init__(f"`{' '.join(command)}` exited {returncode}\n{stderr.strip()}\n{stdout.strip()[-4000:]}")


@dataclass(frozen=True)
class RealEngine:
    bin_dir: Path
    home: Path

    @property
    def pulumi(self) -> Path:
        return self.bin_dir / "pulumi"

    @classmethod
    def locate(cls, root: Path | None = None) -> RealEngine:
        base = Path(os.environ.get("ROLLWAY_ENGINE_DIR") or (root or _REPO) / ".engine")
        engine = cls(bin_dir=base / "bin", home=base / "home")
        missing = [
            str(path)
            for path in (engine.pulumi, engine.bin_dir / "pulumi-language-python", engine.bin_dir / "pulumi-language-python-exec")
            if not path.is_file()
        ]
        if not (engine.home / "plugins").is_dir():
            missing.append(str(engine.home / "plugins"))
        if missing:
            raise EngineMissing(f"the real engine is not built here (missing: {', '.join(missing)}); run `make engine`")
        return engine

    def env(self, backend: Path) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PULUMI_")}
        env.update(
            PATH=os.pathsep.join([str(self.bin_dir), str(Path(sys.executable).parent), env.get("PATH", "")]),
            PULUMI_HOME=str(self.home),
            PULUMI_BACKEND_URL=backend.as_uri(),
            PULUMI_CONFIG_PASSPHRASE=PASSPHRASE,
            PULUMI_SKIP_UPDATE_CHECK="true",
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="true",
            PULUMI_SKIP_CONFIRMATIONS="true",
            PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK="true",
            # Enables `--event-log`, where the engine writes its policy events (its --json omits them).
            PULUMI_DEBUG_COMMANDS="true",
            NO_COLOR="1",
        )
        return env

    @contextlib.contextmanager
    def workspace(self, project: Path, stack: str, *, keep: Path | None = None) -> Iterator[StackWorkspace]:
        """A scratch copy of `project` with stack `stack` initialised in a fresh file:// backend."""
        with tempfile.TemporaryDirectory(prefix="rollway-engine-") as scratch:
            root = Path(keep or scratch)
            ws = StackWorkspace.create(self, project.resolve(), stack, root)
            yield ws


@dataclass
class StackWorkspace:
    engine: RealEngine
    project: Path
    stack: str
    directory: Path
    backend: Path
    env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def create(cls, engine: RealEngine, project: Path, stack: str, root: Path) -> StackWorkspace:
        directory, backend = root / "project", root / "backend"
        directory.mkdir(parents=True)
        backend.mkdir()
        stack_file = f"Pulumi.{stack}.yaml"
        for entry in project.iterdir():
            if entry.name.startswith("Pulumi.") and entry.name != "Pulumi.yaml":
                continue
            if entry.name in _NOT_LINKED:
                continue
            (directory / entry.name).symlink_to(entry)
        if (project / stack_file).is_file():
            shutil.copyfile(project / stack_file, directory / stack_file)
        ws = cls(engine, project, stack, directory, backend, engine.env(backend))
        ws.run("stack", "init", stack, "--secrets-provider", "passphrase")
        return ws

    def run(self, *args: str, check: bool = True, timeout: float = 900) -> subprocess.CompletedProcess[str]:
        command = [str(self.engine.pulumi), *args, "--non-interactive", "--cwd", str(self.directory)]
        if args[:1] != ("stack",) or args[1:2] != ("init",):
            command += ["--stack", self.stack]
        done = subprocess.run(command, env=self.env, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        if check and done.returncode != 0:
            raise EngineError(command, done.returncode, done.stdout, done.stderr)
        return done

    @staticmethod
    def _policy_args(policy_packs: Sequence[Path], policy_pack_configs: Sequence[Path]) -> list[str]:
        args: list[str] = []
        for pack in policy_packs:
            args += ["--policy-pack", str(Path(pack).resolve())]
        for config in policy_pack_configs:
            args += ["--policy-pack-config", str(Path(config).resolve())]
        return args

    def preview(
        self, policy_packs: Sequence[Path] = (), policy_pack_configs: Sequence[Path] = (), check: bool = True
    ) -> dict[str, Any]:
        """`pulumi preview --json`: the engine's own plan (steps, diagnostics), plus `policyEvents`, the policy
        violations from the engine's event log, and `exitCode`."""
        events_file = self.directory.parent / "preview-events.jsonl"
        events_file.unlink(missing_ok=True)
        args = ["preview", "--json", "--event-log", str(events_file), *self._policy_args(policy_packs, policy_pack_configs)]
        done = self.run(*args, check=False)
        try:
            plan: dict[str, Any] = json.loads(done.stdout)
        except ValueError:
            raise EngineError(["pulumi", *args], done.returncode, done.stdout, done.stderr) from None
        plan["exitCode"] = done.returncode
        plan["policyEvents"] = [
            event["policyEvent"] for event in _read_events(events_file) if isinstance(event.get("policyEvent"), dict)
        ]
        if check and done.returncode != 0:
            raise EngineError(["pulumi", *args], done.returncode, done.stdout, done.stderr)
        return plan

    def up(self, policy_packs: Sequence[Path] = (), policy_pack_configs: Sequence[Path] = ()) -> str:
        return self.run("up", "--yes", "--skip-preview", *self._policy_args(policy_packs, policy_pack_configs)).stdout

    def set_config(self, key: str, value: str, *, path: bool = False, secret: bool = False) -> None:
        args = ["config", "set", key, value]
        if path:
            args.append("--path")
        if secret:
            args.append("--secret")
        self.run(*args)

    def export(self) -> dict[str, Any]:
        state: dict[str, Any] = json.loads(self.run("stack", "export").stdout)
        return state

    def resources(self) -> list[dict[str, Any]]:
        """The state's resources (type, urn, parent, inputs, outputs) after an update."""
        return list(self.export().get("deployment", {}).get("resources", []))


def _read_events(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    events = []
    for line in path.read_text(encoding="utf-8").splitlines():
        with contextlib.suppress(ValueError):
            event = json.loads(line)
            if isinstance(event, dict):
                events.append(event)
    return events


def _preview_command(args: argparse.Namespace) -> int:
    try:
        engine = RealEngine.locate()
    except EngineMissing as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    project = Path(args.cwd).resolve()
    if not (project / "Pulumi.yaml").is_file():
        print(f"error: {project} has no Pulumi.yaml", file=sys.stderr)
        return 2
    missing = [str(p) for p in (*args.policy_pack, *args.policy_pack_config) if not Path(p).exists()]
    if missing:
        print(f"error: not found: {', '.join(missing)}", file=sys.stderr)
        return 2
    with engine.workspace(project, args.stack) as ws:
        done = ws.run(
            "preview",
            *StackWorkspace._policy_args([Path(p) for p in args.policy_pack], [Path(p) for p in args.policy_pack_config]),
            check=False,
        )
    sys.stdout.write(done.stdout)
    sys.stderr.write(done.stderr)
    print(
        "\n(real Pulumi engine, offline: a throwaway file:// backend and the offline test provider; no cloud was contacted)",
        file=sys.stderr,
    )
    return done.returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rollway.testing.real_engine")
    commands = parser.add_subparsers(dest="command", required=True)
    preview = commands.add_parser("preview", help="the real `pulumi preview` of a stack against the offline provider")
    preview.add_argument("--stack", required=True)
    preview.add_argument("--cwd", default=".")
    preview.add_argument("--policy-pack", action="append", default=[])
    preview.add_argument("--policy-pack-config", action="append", default=[])
    args = parser.parse_args(argv)
    return _preview_command(args)


if __name__ == "__main__":
    sys.exit(main())
