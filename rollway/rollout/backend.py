"""Rollout state in the stack's own backend, so anyone who can reach the backend can see and steer a rollout.

A self-managed `file://` backend (a directory: local, NFS, a mounted volume shared by runners) gets a state
object beside Pulumi's own: `<backend>/.pulumi/rollway/<project>/<stack>/` holds

- `status.json`: the status document (rewritten atomically on each phase, traffic change, failure, outcome);
- `journal.jsonl`: a copy of the rollout journal as of the last status change (for `history`);
- `lock`: held by the running rollout (an exclusive flock), so two runners that share only the backend never
  release on the same stack at once;
- `control.json`: an operator request (`pause`, `resume`, `promote`, `abort`, `approve`, `reject`) that the running
  rollout consumes at its next measurement, exactly as the local `control.json`.

The backend is the one the Pulumi CLI uses: `PULUMI_BACKEND_URL`, else `backend.url` in Pulumi.yaml. Pulumi Cloud
gets the status in the stack's tags instead (`PulumiDeployer.publish_status`); cloud-bucket backends (`s3://`,
`gs://`, `azblob://`) are not written to yet (tags only, where the backend has them).
"""

from __future__ import annotations

import os
import shutil
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import yaml

from rollway.rollout.errors import UsageError
from rollway.rollout.journal import ensure_dir
from rollway.rollout.status import write_json_atomically

STATE_PREFIX = (".pulumi", "rollway")
"""Where in a file:// backend the rollout state lives (Pulumi's own state is under `.pulumi/stacks`)."""


def _project(work_dir: Path) -> dict[str, Any]:
    path = work_dir / "Pulumi.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{work_dir}: no Pulumi.yaml here; pass --work-dir with the project directory") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise UsageError(f"{path}: cannot read the project file: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("name"), str):
        raise UsageError(f"{path}: not a Pulumi project file (no `name:`)")
    return data


def backend_url(work_dir: Path, environ: dict[str, str] | None = None) -> str | None:
    """The backend the Pulumi CLI would use for the project in `work_dir` (None: the CLI's login default)."""
    env = os.environ if environ is None else environ
    if env.get("PULUMI_BACKEND_URL"):
        return env["PULUMI_BACKEND_URL"]
    backend = _project(work_dir).get("backend")
    url = backend.get("url") if isinstance(backend, dict) else None
    return url if isinstance(url, str) and url else None


def file_backend_root(url: str) -> Path | None:
    """The directory of a `file://` backend URL (`file://~` is the home directory); None for any other scheme."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "file":
        return None
    # Pulumi accepts file://~, file:///abs and file://relative (relative to the working directory).
    raw = urllib.request.url2pathname(parts.netloc + parts.path)
    if raw.startswith("~"):
        return Path(raw).expanduser()
    return Path(raw)


class BackendState:
    """The state object of one stack's rollouts in a file:// backend.

    Args:
        root: The backend directory.
        project: Pulumi project name.
        stack: Stack name (`dev`, or `org/project/dev`: its last part is used, as the file backend does).
    """

    def __init__(self, root: Path, project: str, stack: str) -> None:
        self.root = root
        self.directory = root.joinpath(*STATE_PREFIX, project, stack.rsplit("/", 1)[-1])

    @classmethod
    def locate(
        cls, work_dir: Path, stack: str, environ: dict[str, str] | None = None, required: bool = False
    ) -> BackendState | None:
        """The stack's backend state when its backend is a file:// directory; None otherwise (UsageError if `required`)."""
        url = backend_url(work_dir, environ)
        root = file_backend_root(url) if url else None
        if root is None:
            if required:
                where = url or "the CLI's logged-in backend (neither PULUMI_BACKEND_URL nor backend.url in Pulumi.yaml is set)"
                raise UsageError(
                    f"--from-backend reads rollout state beside a file:// backend; the stack's backend is {where}. "
                    f"For Pulumi Cloud use `status --from-stack` (stack tags); otherwise share --state-dir"
                )
            return None
        if not root.is_dir():
            if required:
                raise UsageError(f"the stack's backend directory {root} does not exist (PULUMI_BACKEND_URL / backend.url)")
            return None
        return cls(root, str(_project(work_dir)["name"]), stack)

    @property
    def status_path(self) -> Path:
        return self.directory / "status.json"

    @property
    def control_path(self) -> Path:
        return self.directory / "control.json"

    @property
    def lock_path(self) -> Path:
        """Held (flock) by the running rollout, so a second runner sharing the backend is refused."""
        return self.directory / "lock"

    @property
    def journal_path(self) -> Path:
        return self.directory / "journal.jsonl"

    def publish(self, status: dict[str, Any], journal: Path | None = None) -> None:
        """Write the status (and a copy of the journal) beside the backend's state."""
        ensure_dir(self.directory)
        write_json_atomically(self.status_path, status)
        if journal is not None and journal.is_file():
            temporary = self.journal_path.with_name(f".{self.journal_path.name}.{os.getpid()}.tmp")
            shutil.copyfile(journal, temporary)
            os.replace(temporary, self.journal_path)
