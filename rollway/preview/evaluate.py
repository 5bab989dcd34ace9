"""Evaluate a Pulumi Python program in-process under the test kit's recording mocks, as `pulumi preview` would.

The program runs as the Python language host runs it: `main` (a file, or a folder's `__main__.py`) is
executed as `__main__` with its directory current and first on `sys.path`, with the stack's config in
PULUMI_CONFIG. Global state it touches (cwd, sys.path, sys.argv, environment, the program's own modules)
is restored afterwards, so one process can evaluate several programs (tests, `rollway diff`).
"""

from __future__ import annotations

import importlib.metadata
import logging
import os
import runpy
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType, TracebackType
from typing import Any

import pulumi

from rollway.engine.mocks import CloudContext, PlausibleMocks
from rollway.engine.run import Recording, run_program
from rollway.preview.config import StackSettings
from rollway.preview.errors import ProgramError
from rollway.preview.project import Project
from rollway.preview.venv import in_own_virtualenv, incompatible_sdk_pin, requirements_file, unsatisfied_requirements


@dataclass
class Evaluation:
    """A program's recording plus what it logged through pulumi.log."""

    recording: Recording
    """Resources, exports and invokes (from the test kit)."""
    logs: list[tuple[str, str]] = field(default_factory=list)
    """(level, message) pairs: info, warning, error."""
    notes: list[str] = field(default_factory=list)
    """How the program was evaluated, when that is not the obvious way (e.g. in its own virtualenv)."""

    @property
    def errors(self) -> list[str]:
        return [message for level, message in self.logs if level == "error"]


class MissingModule(ProgramError):
    """The program imports a module that is not installed here (the caller may retry in its virtualenv)."""

    def __init__(self, module: str, message: str) -> None:
        super().__init__(message)
        self.module = module


def entry_file(project: Project) -> Path:
    path = project.program_path
    entry = path if path.suffix == ".py" else path / "__main__.py"
    if not entry.exists():
        raise ProgramError(f"no program to run: {entry} does not exist (set `main:` in {project.file.name}?)")
    return entry


def evaluate(project: Project, settings: StackSettings, resolve_outputs: bool = False) -> Evaluation:
    """Run the project's program under mocks; raises ProgramError with the program's own error and where.

    Args:
        project: The loaded project (program location, name).
        settings: The stack's config bag (values and secret keys).
        resolve_outputs: Fill provider-computed outputs with plausible values instead of leaving them unknown.
    """
    entry = entry_file(project)
    config = settings.engine_config()
    mocks = PlausibleMocks(resolve_outputs=resolve_outputs, context=CloudContext.from_config(config))
    logs: list[tuple[str, str]] = []

    def program() -> None:
        runpy.run_path(str(entry), run_name="__main__")

    # The program's own prints go to stderr, keeping stdout for `--json -`.
    with _program_environment(project, entry, settings, config), _capture_logs(logs), redirect_stdout(sys.stderr):
        try:
            recording = run_program(
                program,
                project=project.name,
                stack=settings.stack,
                config=config,
                secret_keys=sorted(settings.secret_keys),
                preview=True,
                mocks=mocks,
            )
        except ModuleNotFoundError as error:
            description = _describe_failure(error, project, mocks.unanswered_invokes)
            if error.name and not _is_local_module(project.program_directory, error.name):
                _raise_if_sdk_pinned_elsewhere(project, description)
                raise MissingModule(error.name, description) from None
            raise ProgramError(description) from None
        except SystemExit as error:
            if error.code in (None, 0):
                raise ProgramError(
                    f"program exited (sys.exit) before finishing; {entry.name} registered no more resources"
                ) from None
            raise ProgramError(f"program exited with status {error.code} (sys.exit)") from None
        except Exception as error:
            description = _describe_failure(error, project, mocks.unanswered_invokes)
            _raise_if_versions_differ(error, project, description)
            raise ProgramError(description) from None
    return Evaluation(recording, logs, notes=list(settings.notes))


# Errors a program raises when its SDKs are not the versions it was written for (a renamed module, class or
# argument); its own failures (pulumi.RunError, KeyError over its config, ...) are not retried.
_API_DRIFT = (ImportError, AttributeError, TypeError)


def _raise_if_versions_differ(error: Exception, project: Project, description: str) -> None:
    """Raise MissingModule (so the caller retries in the program's virtualenv) when the program failed with an
    API-drift error and the distributions installed here do not satisfy its declared requirements."""
    if isinstance(error, pulumi.RunError) or not isinstance(error, _API_DRIFT):
        return
    problems = _unsatisfied(project)
    if problems:
        _raise_if_sdk_pinned_elsewhere(project, description)
        raise MissingModule(", ".join(problems), description)


def _unsatisfied(project: Project) -> list[str]:
    requirements = requirements_file(project)
    if requirements is None or in_own_virtualenv(project):
        return []
    return unsatisfied_requirements(requirements)


def _raise_if_sdk_pinned_elsewhere(project: Project, description: str) -> None:
    """The recording mocks need the Pulumi SDK rollway runs with: a program pinned to another one (SDK 2)
    cannot be hosted in its own virtualenv, so its error here is final, with the pin named."""
    requirements = requirements_file(project)
    if requirements is None or in_own_virtualenv(project):
        return
    pin = incompatible_sdk_pin(requirements)
    if pin:
        raise ProgramError(
            f"{description}\nnote: {requirements.name} asks for {pin}; rollway evaluates programs with the "
            f"Pulumi SDK it runs with ({importlib.metadata.version('pulumi')})"
        ) from None


def _is_local_module(directory: Path, name: str) -> bool:
    top = name.split(".", 1)[0]
    return (directory / f"{top}.py").exists() or (directory / top).is_dir()


def _describe_failure(error: BaseException, project: Project, unanswered: list[str]) -> str:
    """The program's error and the program frames it came through, without the framework's frames."""
    if isinstance(error, pulumi.RunError):
        # The language host prints a RunError's message alone; so do we.
        text = f"program failed: {error}"
    else:
        text = f"program failed: {type(error).__name__}: {error}"
        frames = _program_frames(error.__traceback__, project.directory)
        if frames:
            text += "\n" + "\n".join(frames)
    if unanswered:
        names = ", ".join(sorted(set(unanswered)))
        text += f"\nnote: these invokes have no offline answer and returned empty results: {names}"
    return text


_FRAMEWORK = (str(Path(__file__).resolve().parents[1]),)


def _is_program_file(filename: str, root: str) -> bool:
    """A file of the program itself: under its project, not a framework, virtualenv or frozen module."""
    if filename.startswith("<") or not filename.startswith(root + os.sep):
        return False
    return not ("site-packages" in filename or any(filename.startswith(folder + os.sep) for folder in _FRAMEWORK))


def _program_frames(tb: TracebackType | None, directory: Path) -> list[str]:
    lines: list[str] = []
    root = str(directory.resolve())
    for frame in traceback.extract_tb(tb):
        if frame.filename.startswith("<"):
            continue
        filename = os.path.abspath(frame.filename)
        if not _is_program_file(filename, root):
            continue
        lines.append(f"  at {os.path.relpath(filename, root)}:{frame.lineno} in {frame.name}")
        if frame.line:
            lines.append(f"      {frame.line.strip()}")
    return lines


class _LogCollector(logging.Handler):
    """Collects what the program logs through pulumi.log (the mock engine forwards it to the root logger)."""

    def __init__(self, sink: list[tuple[str, str]]) -> None:
        super().__init__(level=logging.INFO)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        if record.funcName != "Log" or not record.pathname.endswith(os.path.join("runtime", "mocks.py")):
            return
        level = "error" if record.levelno >= logging.ERROR else "warning" if record.levelno >= logging.WARNING else "info"
        self.sink.append((level, record.getMessage()))


@contextmanager
def _capture_logs(sink: list[tuple[str, str]]) -> Iterator[None]:
    root = logging.getLogger()
    handler = _LogCollector(sink)
    # Silence the root logger's own handlers for the run: messages are shown in the report instead.
    saved_handlers, saved_level = root.handlers[:], root.level
    root.handlers = [handler]
    root.setLevel(logging.INFO)
    try:
        yield
    finally:
        root.handlers = saved_handlers
        root.setLevel(saved_level)


def _local_module_names(directory: Path) -> set[str]:
    names = set()
    for path in directory.iterdir():
        if path.suffix == ".py":
            names.add(path.stem)
        elif path.is_dir() and path.name.isidentifier():
            names.add(path.name)
    return names


@contextmanager
def _program_environment(project: Project, entry: Path, settings: StackSettings, config: dict[str, str]) -> Iterator[None]:
    """cwd, sys.path, argv, environment and module table as the language host would set them; restored after."""
    import json

    directory = entry.parent
    saved_cwd = os.getcwd()
    saved_path = sys.path[:]
    saved_argv = sys.argv[:]
    env_keys = ("PULUMI_CONFIG", "PULUMI_CONFIG_SECRET_KEYS", "PULUMI_PROJECT", "PULUMI_STACK", "PULUMI_DRY_RUN")
    saved_env = {key: os.environ.get(key) for key in env_keys}
    before = set(sys.modules)

    # Modules already imported from elsewhere under a name the program uses for its own (e.g. a program's
    # `components` package) are set aside so the program imports its own, then put back.
    local = _local_module_names(directory)
    shadowed: dict[str, ModuleType] = {}
    for name, module in list(sys.modules.items()):
        if name.split(".", 1)[0] in local and not _module_under(module, directory):
            shadowed[name] = sys.modules.pop(name)

    os.chdir(directory)
    sys.path.insert(0, str(directory))
    sys.argv = [str(entry)]
    os.environ.update(
        {
            "PULUMI_CONFIG": json.dumps(config),
            "PULUMI_CONFIG_SECRET_KEYS": json.dumps(sorted(settings.secret_keys)),
            "PULUMI_PROJECT": project.name,
            "PULUMI_STACK": settings.stack,
            "PULUMI_DRY_RUN": "true",
        }
    )
    try:
        yield
    finally:
        os.chdir(saved_cwd)
        sys.path[:] = saved_path
        sys.argv = saved_argv
        for key, value in saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        for name in set(sys.modules) - before:
            if _module_under(sys.modules[name], directory):
                del sys.modules[name]
        sys.modules.update(shadowed)


def _module_under(module: Any, directory: Path) -> bool:
    """Whether a module is the program's own (under its directory, not in a virtualenv there)."""
    root = str(directory)
    file = getattr(module, "__file__", None)
    paths = [file] if file else list(getattr(module, "__path__", None) or [])
    return any(_is_program_file(os.path.abspath(path), root) for path in paths if isinstance(path, str))
