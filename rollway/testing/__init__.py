"""Rollway's test kit: run Pulumi programs under recording mocks and assert on what they register.

    from rollway.testing import Match, synth

    stack = synth(lambda: BlueGreenTargets("web", args), config={"aws:region": "us-east-1"})
    stack.resource_count_is("aws:lb/targetGroup:TargetGroup", 2)
    stack.has_resource_properties(
        "aws:lb/listener:Listener",
        {"defaultActions": [{"forward": {"targetGroups": [{"weight": 90}, {"weight": 10}]}}]},
    )

Inputs are recorded as the engine sees them (camelCase), with secrets as `Secret(...)` and values known
only after apply as `UNKNOWN`. Mock outputs are plausible and deterministic (see `mocks`).
"""

from __future__ import annotations

import copy
import functools
import hashlib
import itertools
import json
import os
import pickle
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml

from rollway.engine.diff import PathChange, ResourceChange, diff_resources
from rollway.engine.mocks import DEFAULT_INVOKES, CloudContext, InvokeHandler, OutputsHandler, PlausibleMocks
from rollway.engine.run import RecordedResource, Recording, RecordingMonitor, run_program
from rollway.engine.values import UNKNOWN, Secret, UnknownValue
from rollway.testing.assertions import StackAssertionError, SynthesizedStack
from rollway.testing.matchers import Match, Matcher, Mismatch, mismatches

__all__ = [
    "DEFAULT_INVOKES",
    "UNKNOWN",
    "CloudContext",
    "InvokeHandler",
    "Match",
    "Matcher",
    "Mismatch",
    "OutputsHandler",
    "PathChange",
    "PlausibleMocks",
    "RecordedResource",
    "Recording",
    "RecordingMonitor",
    "ResourceChange",
    "Secret",
    "StackAssertionError",
    "SynthesizedStack",
    "UnknownValue",
    "diff_resources",
    "mismatches",
    "project_name",
    "project_root",
    "run_program",
    "set_path",
    "share_synths",
    "stack_config",
    "synth",
    "synth_once",
]


def synth(
    program: Callable[[], Any],
    *,
    config: Mapping[str, Any] | None = None,
    secrets: Mapping[str, Any] | None = None,
    stack: str = "test",
    project: str | None = None,
    preview: bool = False,
    invokes: Mapping[str, InvokeHandler] | None = None,
    resource_outputs: Mapping[str, OutputsHandler] | None = None,
) -> SynthesizedStack:
    """Run `program` under recording mocks and return the stack it registered.

    config: config keys (`rollway:services`, `aws:region`, ...) with plain Python values.
    secrets: config keys whose values are secret (merged into config, marked secret as `--secret` would).
    project: the Pulumi project name, which `pulumi.Config()` without a namespace reads; default: the `name`
        in the nearest Pulumi.yaml at or above the working directory (the program under test's own project),
        or `test` when there is none.
    preview: like `pulumi preview` — provider-computed outputs stay unknown and `apply` over them does not run.
    invokes / resource_outputs: extra mock answers by token / resource type.
    The program's own exceptions (e.g. pulumi.RunError) propagate.
    """
    merged: dict[str, Any] = {**(config or {}), **(secrets or {})}
    context = CloudContext.from_config({k: v for k, v in merged.items() if isinstance(v, str)})
    mocks = PlausibleMocks(
        resolve_outputs=not preview,
        context=context,
        invokes=dict(invokes or {}),
        resource_outputs=dict(resource_outputs or {}),
    )
    recording = run_program(
        program,
        project=project if project is not None else project_name(),
        stack=stack,
        config=merged,
        secret_keys=list(secrets or {}),
        preview=preview,
        mocks=mocks,
    )
    return SynthesizedStack(recording)


_SYNTHESIZED: dict[tuple[Any, ...], SynthesizedStack] = {}
_SHARED_WITH: Path | None = None


def share_synths(directory: str | os.PathLike[str] | None) -> None:
    """Let `synth_once` share its stacks with the other processes of one test run through `directory`.

    For pytest-xdist: each worker is a process of its own, so without this every worker synthesizes the same
    shipped stacks again. With it, the first worker to ask for a stack runs the program while the others wait
    for it, and they all load what it stored. Give a directory that lives for one run only (the run's shared
    temporary directory, e.g. `tmp_path_factory.getbasetemp().parent` in a worker): what is stored there was
    synthesized by the code of that run. Only programs that are module-level functions are shared (a closure
    or lambda is another object in every process); the others, and every program on a platform without
    `fcntl` locks, run once per process as before. `None` turns sharing off.
    """
    global _SHARED_WITH
    _SHARED_WITH = None if directory is None else Path(directory)
    if _SHARED_WITH is not None:
        _SHARED_WITH.mkdir(parents=True, exist_ok=True)


def synth_once(
    program: Callable[[], Any],
    *,
    config: Mapping[str, Any] | None = None,
    secrets: Mapping[str, Any] | None = None,
    stack: str = "test",
    project: str | None = None,
    preview: bool = False,
) -> SynthesizedStack:
    """`synth`, run once per process for each distinct input; later calls return the same stack.

    For a costly program that many test modules assert on (a whole shipped stack): the first caller pays for
    the run, the others share it. The key is the program object and every other argument, config and secrets
    compared by value, so a caller never gets a stack synthesized from other inputs. The stack is shared:
    treat it as read-only. Custom `invokes` / `resource_outputs` are functions, not comparable by value: use
    `synth` (with your own cache) for those. A program that raises is not cached (the next call runs again).
    """
    resolved_project = project if project is not None else project_name()
    key = (program, _canonical(config, "config"), _canonical(secrets, "secrets"), stack, resolved_project, preview)
    found = _SYNTHESIZED.get(key)
    if found is None:

        def run() -> SynthesizedStack:
            return synth(program, config=config, secrets=secrets, stack=stack, project=resolved_project, preview=preview)

        found = _SYNTHESIZED[key] = _shared(key, run) if _SHARED_WITH is not None else run()
    return found


def _shared(key: tuple[Any, ...], run: Callable[[], SynthesizedStack]) -> SynthesizedStack:
    """`run()`'s stack, or the one another process of the run stored under the same inputs (see share_synths)."""
    directory = _SHARED_WITH
    program = key[0]
    module, qualname = getattr(program, "__module__", None), getattr(program, "__qualname__", "")
    try:
        import fcntl
    except ImportError:  # no advisory locks on this platform: run here
        return run()
    if directory is None or not module or "<" in qualname:
        return run()
    name = hashlib.sha256(json.dumps([module, qualname, *key[1:]]).encode()).hexdigest()
    stored = directory / f"{name}.pickle"
    with open(directory / f"{name}.lock", "ab") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes; a second process waits for the first
        if stored.exists():
            loaded: SynthesizedStack = pickle.loads(stored.read_bytes())
            return loaded
        result = run()  # a program that raises stores nothing: the next process runs it again
        try:
            data = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, TypeError, AttributeError):
            return result  # outputs this process cannot hand over: the others synthesize it themselves
        partial = directory / f"{name}.{os.getpid()}.partial"
        partial.write_bytes(data)
        os.replace(partial, stored)
        return result


def _canonical(values: Mapping[str, Any] | None, what: str) -> str:
    try:
        return json.dumps(dict(values or {}), sort_keys=True, separators=(",", ":"))
    except (TypeError, ValueError) as error:
        raise TypeError(f"synth_once: {what} must hold plain JSON-like values to be compared: {error}") from None


DEFAULT_PROJECT = "test"
"""Project name `synth` uses when no Pulumi.yaml is found."""


def find_project_root(start: Path | None = None) -> Path | None:
    """The nearest directory at or above `start` (default: the working directory) holding Pulumi.yaml, if any."""
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / "Pulumi.yaml").is_file():
            return candidate
    return None


def project_root(start: Path | None = None) -> Path:
    """Like `find_project_root`, but a missing Pulumi.yaml is an error naming where the search started."""
    found = find_project_root(start)
    if found is None:
        raise FileNotFoundError(f"no Pulumi.yaml at or above {(start or Path.cwd()).resolve()}; run from a Pulumi project")
    return found


def project_name(start: Path | None = None) -> str:
    """`name` of the nearest Pulumi.yaml (see `find_project_root`), or DEFAULT_PROJECT when there is none."""
    root = find_project_root(start)
    if root is None:
        return DEFAULT_PROJECT
    document = _yaml_file(root / "Pulumi.yaml") or {}
    name = document.get("name") if isinstance(document, dict) else None
    if not isinstance(name, str) or not name:
        raise ValueError(f"{root / 'Pulumi.yaml'}: `name` must be the project name, a non-empty string")
    return name


def stack_config(stack: str, root: Path | None = None) -> dict[str, Any]:
    """The `config:` of Pulumi.<stack>.yaml as plain Python values (pass to `synth(config=...)`).

    Secure values are not decryptable here; they are refused so a test never runs on a placeholder unawares.
    """
    path = (root or project_root()) / f"Pulumi.{stack}.yaml"
    document = _yaml_file(path) or {}
    config = dict(document.get("config") or {})
    secure = [key for key, value in config.items() if _has_secure(value)]
    if secure:
        raise ValueError(f"{path.name}: {', '.join(secure)} hold secure values; pass test values with synth(secrets=...)")
    return config


def _yaml_file(path: Path) -> Any:
    """The YAML document in `path`, a copy of its own for the caller. Parsed once per distinct content: every
    synth reads Pulumi.yaml and tests read stack files over and over (a stack file's parse is ~10 ms)."""
    return copy.deepcopy(_parsed_yaml(path.read_text(encoding="utf-8")))


@functools.lru_cache(maxsize=64)
def _parsed_yaml(text: str) -> Any:
    return yaml.safe_load(text)


def _has_secure(value: Any) -> bool:
    if isinstance(value, dict):
        return ("secure" in value and len(value) == 1) or any(_has_secure(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_secure(v) for v in value)
    return False


_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def set_path(config: Mapping[str, Any], key: str, value: Any) -> dict[str, Any]:
    """A deep copy of `config` with `key` set, `pulumi config set --path` style:
    `set_path(cfg, "rollway:services.web.canaryWeight", 20)`."""
    namespace, _, rest = key.partition(":")
    parts: list[str | int] = []
    for name, index in _PATH_PART.findall(rest):
        parts.append(int(index) if index else name)
    if not parts:
        raise ValueError(f"not a config key: {key!r}")
    result = copy.deepcopy(dict(config))
    top = f"{namespace}:{parts[0]}"
    if len(parts) == 1:
        result[top] = value
        return result
    container = result.setdefault(top, {} if isinstance(parts[1], str) else [])
    if isinstance(container, str):
        container = result[top] = json.loads(container)
    for part, following in itertools.pairwise(parts[1:]):
        fresh: Any = {} if isinstance(following, str) else []
        if isinstance(container, list) and isinstance(part, int) and part == len(container):
            container.append(fresh)
        container = container.setdefault(part, fresh) if isinstance(container, dict) else container[part]
    last = parts[-1]
    if isinstance(container, list) and isinstance(last, int) and last == len(container):
        container.append(value)
    else:
        container[last] = value
    return result
