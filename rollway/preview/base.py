"""The base of a comparison: the program and stack config at a git ref, or a saved `--resolve-outputs --json` report.

A git base is exported (`git archive`, tracked files only) into a temporary directory and evaluated there by the
working tree's evaluation process once that has imported the provider SDKs, while this process runs the policy
analysis of the working tree (`preview_beside`), so a comparison costs one preview plus one program run. A base where the project or the stack file does not exist yet is an empty stack: every resource
is a create.
"""

from __future__ import annotations

import json
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from rollway.engine.values import from_wire
from rollway.preview.config import StackSettings, load_stack_settings
from rollway.preview.errors import UsageError
from rollway.preview.evaluate import Evaluation
from rollway.preview.project import PROJECT_FILES, Project, load_project
from rollway.preview.report import SECRET_TEXT, UNKNOWN_TEXT, secret_plaintexts
from rollway.testing import RecordedResource, Secret


@dataclass
class BaseSide:
    """What the base looked like: its resources and (for a git base) its stack config."""

    label: str
    """How the base is named in reports: `main (1a2b3c4)` or the JSON file's name."""
    resources: list[RecordedResource]
    """The base's resources (URNs under the stack's name)."""
    values: dict[str, Any] | None = None
    """The base's stack config by full key; None when unknown (a saved report carries no config)."""
    stack: str | None = None
    """The stack name the base's URNs are written with (None: the change's)."""
    plain: bool = False
    """True when inputs are JSON-plain (secrets as "[secret]"): the change side is then compared in that form."""
    notes: list[str] = field(default_factory=list)
    """How the base was read, when that is not the obvious way."""
    secret_texts: set[str] = field(default_factory=set)
    """Secret plaintexts seen in the base, scrubbed from printed text."""


def _git(directory: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", "-C", str(directory), *args], capture_output=True, check=False, timeout=300)
    except FileNotFoundError:
        raise UsageError("--base REF needs git on PATH") from None


def evaluated_side(evaluation: Evaluation, settings: StackSettings, label: str) -> BaseSide:
    """The base as its evaluation (with filled-in values) recorded it."""
    secrets = secret_plaintexts([resource.inputs for resource in evaluation.recording.resources])
    secrets |= secret_plaintexts([Secret(settings.values[key]) for key in settings.secret_keys if key in settings.values])
    return BaseSide(
        label,
        list(evaluation.recording.resources),
        values=dict(settings.values),
        stack=settings.stack,
        secret_texts={text for text in secrets if len(text) >= 4},
    )


class GitBase:
    """A context manager: exports REF and reads its stack config on enter (`target`: what to evaluate, None when
    the base is empty); `side()` makes the base of its evaluation; exit removes the export."""

    def __init__(self, cwd: Path, ref: str, stack: str) -> None:
        self.cwd = cwd.resolve()
        self.ref = ref
        self.stack = stack
        self._scratch: tempfile.TemporaryDirectory[str] | None = None
        self.target: tuple[Project, StackSettings] | None = None
        self._empty_reason = ""
        self.label = ref

    def __enter__(self) -> GitBase:
        top = _git(self.cwd, "rev-parse", "--show-toplevel")
        if top.returncode != 0:
            raise UsageError(f"--base {self.ref}: {self.cwd} is not inside a git repository")
        root = Path(top.stdout.decode().strip()).resolve()
        commit = _git(self.cwd, "rev-parse", "--verify", "--quiet", f"{self.ref}^{{commit}}")
        if commit.returncode != 0:
            raise UsageError(
                f"--base {self.ref}: not a commit in {root} (a branch, tag or commit; in CI fetch it first, "
                "e.g. `git fetch origin main` and `--base origin/main`), nor a saved --json report"
            )
        sha = commit.stdout.decode().strip()
        self.label = f"{self.ref} ({sha[:7]})"
        self._scratch = tempfile.TemporaryDirectory(prefix="rollway-base-")
        tree = Path(self._scratch.name, "tree")
        tree.mkdir()
        self._export(root, sha, tree)
        project_dir = tree / self.cwd.relative_to(root)
        if not any((project_dir / name).exists() for name in PROJECT_FILES):
            self._empty_reason = f"the project does not exist at {self.label}"
            return self
        try:
            project = load_project(project_dir)
            if not project.stack_file(self.stack).exists():
                self._empty_reason = f"{project.stack_file(self.stack).name} does not exist at {self.label}"
                return self
            settings = load_stack_settings(project, self.stack)
        except UsageError as error:
            self._scratch.cleanup()
            raise UsageError(f"at --base {self.label}: {str(error).replace(str(tree) + '/', '')}") from None
        self.target = (project, settings)
        return self

    def _export(self, root: Path, sha: str, tree: Path) -> None:
        archive = tree.parent / "base.tar"
        with archive.open("wb") as sink:
            done = subprocess.run(["git", "-C", str(root), "archive", "--format=tar", sha], stdout=sink, stderr=subprocess.PIPE)
        if done.returncode != 0:
            raise UsageError(f"--base {self.ref}: git archive failed: {done.stderr.decode(errors='replace').strip()}")
        with tarfile.open(archive) as bundle:
            bundle.extractall(tree, filter="data")
        archive.unlink()

    def side(self, evaluation: Evaluation | None) -> BaseSide:
        """The base: `evaluation` of `target`, or an empty stack when there was nothing to evaluate."""
        if self.target is None or evaluation is None:
            return BaseSide(self.label, [], values={}, notes=[f"base is empty: {self._empty_reason}; every resource is a create"])
        return evaluated_side(evaluation, self.target[1], self.label)

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        if self._scratch is not None:
            self._scratch.cleanup()


def load_json_base(path: Path, stack: str) -> BaseSide:
    """A saved `rollway preview --resolve-outputs --json` report as the base."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise UsageError(f"--base {path}: cannot read: {error.strerror or error}") from None
    except json.JSONDecodeError as error:
        raise UsageError(f"--base {path}: not JSON (line {error.lineno}): {error.msg}") from None
    if not isinstance(data, dict) or data.get("schemaVersion") != 1 or not isinstance(data.get("resources"), list):
        raise UsageError(f"--base {path}: not a `rollway preview --json` report (schemaVersion 1 with `resources`)")
    if data.get("mode") != "resolve-outputs":
        raise UsageError(
            f"--base {path}: the report was made without --resolve-outputs (mode `{data.get('mode')}`); "
            "make it with `rollway preview --resolve-outputs --json FILE` so references compare as values"
        )
    if data.get("stack") != stack:
        raise UsageError(f"--base {path}: the report is for stack `{data.get('stack')}`, not `{stack}`")
    resources = []
    for index, item in enumerate(data["resources"]):
        if not isinstance(item, dict) or not all(isinstance(item.get(key), str) for key in ("urn", "type", "name")):
            raise UsageError(f"--base {path}: resources[{index}] needs string `urn`, `type` and `name`")
        resources.append(
            RecordedResource(
                type=item["type"],
                name=item["name"],
                urn=item["urn"],
                parent=item.get("parent"),
                custom=bool(item.get("custom", True)),
                inputs=from_wire(item.get("inputs") or {}),
                dependencies=[str(urn) for urn in item.get("dependencies") or []],
            )
        )
    return BaseSide(
        path.name,
        resources,
        values=None,
        plain=True,
        notes=[
            f"base {path.name} is a saved report: it holds no stack config, so no release step is named; "
            f"values shown as {SECRET_TEXT!r} or {UNKNOWN_TEXT!r} there compare as text"
        ],
    )
