"""Evaluate a Pulumi Python program in-process under the test kit's recording mocks, as `pulumi preview` would.

The program runs as the Python language host runs it: `main` (a file, or a folder's `__main__.py`) is
executed as `__main__` with its directory current and first on `sys.path`, with the stack's config in
PULUMI_CONFIG. Global state it touches (cwd, sys.path, sys.argv, environment, the program's own modules)
is restored afterwards, so one process can evaluate several programs (tests, `rollway diff`).
"""

from __future__ import annotations

import importlib.metadata
import json
import logging
import os
import runpy
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout, suppress
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType, TracebackType
from typing import Any

import pulumi

from rollway.engine.mocks import CloudContext, PlausibleMocks
from rollway.engine.run import Recording, run_program
from rollway.preview.config import StackSettings
from rollway.preview.errors import ProgramError, UsageError
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
    secrets: set[str] = field(default_factory=set)
    """Plaintexts the program handled as secrets (`Output.secret`, `require_secret`, secret outputs), to mask."""

    @property
    def errors(self) -> list[str]:
        return [message for level, message in self.logs if level == "error"]


class MissingModule(ProgramError):
    """The program imports a module that is not installed here (the caller may retry in its virtualenv)."""

    def __init__(self, module: str, message: str) -> None:
        super().__init__(message)
        self.module = module


class ConfigInvalid(UsageError):
    """The program refused its stack config (it raised an error carrying `config_problems`): a config error, exit 2."""


def config_problems_of(error: BaseException) -> list[Any] | None:
    """The problems of a program's config error, or None for any other error.

    A program reports config problems in a form the preview can attribute to where each value came from by
    raising an exception with `config_problems`: a list of items with `key` (`ns:a.b[0]`) and `render(source)`.
    """
    problems = getattr(error, "config_problems", None)
    if not isinstance(problems, list) or not problems:
        return None
    if not all(isinstance(getattr(item, "key", None), str) and callable(getattr(item, "render", None)) for item in problems):
        return None
    return problems


def render_config_problems(problems: list[Any], settings: StackSettings) -> str:
    """Every problem, each attributed to the stack file or the `-c` item its value came from."""
    lines = [str(item.render(settings.origin_of(item.key))) for item in problems]
    count = f"{len(lines)} problem{'s' if len(lines) != 1 else ''}"
    return f"invalid stack config for stack `{settings.stack}` ({count}):\n" + "\n".join(lines)


def entry_file(project: Project) -> Path:
    path = project.program_path
    entry = path if path.suffix == ".py" else path / "__main__.py"
    if not entry.exists():
        raise ProgramError(f"no program to run: {entry} does not exist (set `main:` in {project.file.name}?)")
    return entry


def evaluate(
    project: Project, settings: StackSettings, resolve_outputs: bool = False, secret_sink: set[str] | None = None
) -> Evaluation:
    """Run the project's program under mocks; raises ProgramError with the program's own error and where,
    every secret the program handled masked in it.

    Args:
        project: The loaded project (program location, name).
        settings: The stack's config bag (values and secret keys).
        resolve_outputs: Fill provider-computed outputs with plausible values instead of leaving them unknown.
        secret_sink: Collects the plaintexts of secrets the program handled (also returned on the evaluation).
    """
    seen = secret_sink if secret_sink is not None else set()
    seen |= secret_config_texts(settings)
    try:
        with collect_secrets(seen):
            evaluation = _evaluate(project, settings, resolve_outputs)
    except MissingModule as error:
        raise MissingModule(error.module, mask(str(error), seen)) from None
    except (ConfigInvalid, ProgramError) as error:
        raise type(error)(mask(str(error), seen)) from None
    evaluation.secrets = set(seen)
    return evaluation


MIN_MASKED_CHARS = 4
"""Shorter secret texts are not masked: replacing every `no` or `1` would garble messages and reveal nothing."""


def secret_config_texts(settings: StackSettings) -> set[str]:
    """Plaintexts of the stack's secret config values (each leaf of a structured value)."""
    texts: set[str] = set()
    for key in settings.secret_keys:
        if key in settings.values:
            texts |= leaf_texts(settings.values[key])
    return texts


def leaf_texts(value: Any) -> set[str]:
    """Every string or number inside a value, as text, long enough to be worth masking."""
    if isinstance(value, dict):
        return set().union(*(leaf_texts(item) for item in value.values())) if value else set()
    if isinstance(value, list | tuple):
        return set().union(*(leaf_texts(item) for item in value)) if value else set()
    if isinstance(value, bool) or value is None:
        return set()
    text = str(value)
    texts = {text} if len(text) >= MIN_MASKED_CHARS else set()
    if isinstance(value, str) and value[:1] in "[{":
        # Structured config reaches programs as JSON text; its leaves are secrets too.
        with suppress(ValueError):
            texts |= leaf_texts(json.loads(value))
    return texts


def mask(text: str, secrets: set[str]) -> str:
    """`text` with every secret plaintext replaced by `[secret]`, longest first (one may contain another)."""
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "[secret]")
    return text


@contextmanager
def collect_secrets(sink: set[str]) -> Iterator[None]:
    """Record the plaintext of every secret Output the program creates or looks into.

    `Output.secret(value)` is recorded directly; any other secret (secret config, a resource's secret outputs,
    a value derived from a secret) is recorded when the program applies a function to it, which is the only way
    a program can put its plaintext into a message.
    """
    original_secret = pulumi.Output.secret
    original_apply = pulumi.Output.apply

    def secret(val: Any) -> Any:
        if not isinstance(val, pulumi.Output):
            sink.update(leaf_texts(val))
        return original_secret(val)

    def apply(self: Any, func: Any, run_with_unknowns: bool = False) -> Any:
        def recording(value: Any) -> Any:
            if _is_secret_now(self):
                sink.update(leaf_texts(value))
            return func(value)

        return original_apply(self, recording, run_with_unknowns)

    pulumi.Output.secret = staticmethod(secret)  # type: ignore[method-assign]
    pulumi.Output.apply = apply  # type: ignore[method-assign]
    try:
        yield
    finally:
        pulumi.Output.secret = staticmethod(original_secret)  # type: ignore[method-assign]
        pulumi.Output.apply = original_apply  # type: ignore[method-assign]


def _is_secret_now(output: Any) -> bool:
    """Whether an Output whose value is being applied is secret (its data has resolved by then)."""
    data = getattr(output, "_data", None)
    if data is None or not data.done() or data.cancelled() or data.exception() is not None:
        return False
    return bool(data.result().is_secret)


def _evaluate(project: Project, settings: StackSettings, resolve_outputs: bool) -> Evaluation:
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
            problems = config_problems_of(error)
            if problems is not None:
                raise ConfigInvalid(render_config_problems(problems, settings)) from None
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
    env_keys = (
        "PULUMI_CONFIG",
        "PULUMI_CONFIG_SECRET_KEYS",
        "PULUMI_PROJECT",
        "PULUMI_STACK",
        "PULUMI_DRY_RUN",
        "ROLLWAY_STACK_FILE",
    )
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
            # The stack file read (`--config-file` may name another): a program may check how values are written.
            "ROLLWAY_STACK_FILE": str(Path(settings.source).resolve()) if settings.source else "",
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
