"""Where a program is evaluated: here, in-process, when its imports are installed; else in its own virtualenv."""

from __future__ import annotations

import contextlib
import functools
import gc
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import rollway.preview
from rollway.preview.config import StackSettings
from rollway.preview.errors import PreflightError, ProgramError
from rollway.preview.evaluate import ConfigInvalid, Evaluation, MissingModule, entry_file, mask, secret_config_texts
from rollway.preview.project import Project, load_project
from rollway.preview.venv import ensure_virtualenv, fallback_note, missing_imports, requirements_file

DEFAULT_PROGRAM_TIMEOUT = 600.0
"""Seconds a program may take to evaluate (`--program-timeout`); a hung program fails the gate."""


class VirtualenvUnavailable(ProgramError):
    """The program's own virtualenv could not be made, or its worker could not start: the program never ran there,
    so this is not the program's error."""


def evaluate_program(
    project: Project, settings: StackSettings, resolve_outputs: bool, timeout: float = DEFAULT_PROGRAM_TIMEOUT
) -> Evaluation:
    """Evaluate in a forked child when the program's imports are installed here; otherwise install the program's
    requirements and evaluate in its own virtualenv. Either way the program runs in a process of its own, so a
    program that exits early, hangs or leaves threads behind fails the gate instead of ending it.

    Args:
        project: The loaded project (program location, runtime options, requirements).
        settings: The stack's config bag; its notes are reported whichever way the program runs.
        resolve_outputs: Fill provider-computed outputs with plausible values instead of leaving them unknown.
        timeout: Seconds the program may take (`--program-timeout`).
    """
    with start_evaluation(project, settings, resolve_outputs, timeout) as pending:
        return pending.result()


def start_evaluation(
    project: Project, settings: StackSettings, resolve_outputs: bool, timeout: float = DEFAULT_PROGRAM_TIMEOUT
) -> PendingEvaluation:
    """Start evaluating now in a forked child (see ForkedChild); `result()` waits for it."""
    return PendingEvaluation(project, settings, resolve_outputs, timeout)


class PendingEvaluation:
    """A program being evaluated in a forked child; a context manager so the child and its group always end."""

    def __init__(self, project: Project, settings: StackSettings, resolve_outputs: bool, timeout: float) -> None:
        self.project, self.settings, self.resolve_outputs, self.timeout = project, settings, resolve_outputs, timeout
        entry_file(project)
        # The child starts before the scan of the program's imports (a parse of every file on the first scan, ~0.15
        # CPU-s for this repository; files seen before in this process cost a hash) so the two overlap; a program
        # whose imports are not installed here ends that child unread.
        self.child: ForkedChild | None = ForkedChild(project, settings, resolve_outputs, timeout)
        try:
            self.missing = missing_imports(project.program_directory)
        except BaseException:
            self.close()
            raise
        if self.missing:
            self.close()
            self.child = None

    def __enter__(self) -> PendingEvaluation:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        if self.child is not None:
            self.child.close()

    def result(self) -> Evaluation:
        return _evaluate_or_fall_back(self)

    def submit(self, project: Project, settings: StackSettings, resolve_outputs: bool) -> Ticket:
        """Ask for a further evaluation (after `result()`): of this program with other settings (the re-run on
        filled-in values, the other side of `rollway diff`) or of another copy of it (a git base). The warm
        child, whose provider SDKs are imported by then, starts on it at once while the caller goes on (e.g.
        with the policy analysis); `collect` waits for it. Raises ProgramError when the child is gone."""
        child = self.child
        if child is None:
            return Ticket(project, settings, resolve_outputs, None)
        directory = None if project.directory == self.project.directory else project.directory
        return Ticket(project, settings, resolve_outputs, child.submit(settings, resolve_outputs, directory))

    def collect(self, ticket: Ticket) -> Evaluation:
        """The evaluation `submit` asked for; evaluated now, as `evaluate_program` does, when there is no warm child
        (the program runs in its own virtualenv) or that copy of the program imports what is not installed here."""
        if ticket.index is not None and self.child is not None:
            try:
                return self.child.result(ticket.index)
            except MissingModule:
                pass
        return evaluate_program(ticket.project, ticket.settings, ticket.resolve_outputs, self.timeout)

    def again(self, settings: StackSettings, resolve_outputs: bool) -> Evaluation:
        """Evaluate the program once more with `settings` and wait for it (`submit` + `collect`)."""
        return self.collect(self.submit(self.project, settings, resolve_outputs))


@dataclass(frozen=True)
class Ticket:
    """A further evaluation asked of a PendingEvaluation (see `submit`)."""

    project: Project
    settings: StackSettings
    resolve_outputs: bool
    index: int | None
    """The warm child's request number; None when the evaluation runs on `collect`."""


def _evaluate_or_fall_back(pending: PendingEvaluation) -> Evaluation:
    project, settings, resolve_outputs = pending.project, pending.settings, pending.resolve_outputs
    missing = pending.missing
    retried: MissingModule | None = None
    if pending.child is not None:
        try:
            return pending.child.result()
        except MissingModule as error:
            # An import the static scan could not see (dynamic, or under a guard), or an SDK whose installed
            # version the program's pins exclude: same remedy.
            if requirements_file(project) is None:
                raise ProgramError(
                    f"{error}\nhint: module `{error.module}` is not installed and the project lists no requirements"
                ) from None
            missing = [error.module]
            retried = error
            # The program's own virtualenv serves it from now on, further evaluations included.
            pending.close()
            pending.child = None
    try:
        evaluation = evaluate_in_virtualenv(project, settings, resolve_outputs, pending.timeout)
    except VirtualenvUnavailable as unavailable:
        if retried is None:
            raise
        # The program did run here and failed; that error is what the user must see first, the failed retry second.
        raise ProgramError(
            f"{retried}\nnote: the program was retried in its own virtualenv (for {retried.module}), "
            f"but the retry could not run: {unavailable}"
        ) from None
    evaluation.notes.append(f"evaluated in the program's own virtualenv ({', '.join(missing)} not installed where rollway runs)")
    return evaluation


def evaluate_in_virtualenv(
    project: Project, settings: StackSettings, resolve_outputs: bool, timeout: float = DEFAULT_PROGRAM_TIMEOUT
) -> Evaluation:
    """Install the program's requirements into its own virtualenv and evaluate it there (`python -m rollway.preview.worker`).

    Raises VirtualenvUnavailable when the virtualenv cannot be made or the worker dies before reporting, and
    ProgramError with the program's own error when it fails there.

    Args:
        project: The loaded project.
        settings: The stack's config bag, passed whole to the worker (notes included).
        resolve_outputs: Fill provider-computed outputs with plausible values instead of leaving them unknown.
        timeout: Seconds the program may take there (`--program-timeout`; installing requirements is not counted).
    """
    from rollway.preview.worker import evaluation_from_json, settings_to_json

    try:
        python = ensure_virtualenv(project)
    except ProgramError as error:
        raise VirtualenvUnavailable(str(error)) from None
    with tempfile.TemporaryDirectory(prefix="rollway-worker-") as scratch:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(worker_path(Path(scratch))), env.get("PYTHONPATH", "")]))
        request_file, result_file = Path(scratch, "request.json"), Path(scratch, "result.json")
        request_file.write_text(
            json.dumps(
                {
                    "directory": str(project.directory),
                    "settings": settings_to_json(settings),
                    "resolve_outputs": resolve_outputs,
                }
            ),
            encoding="utf-8",
        )
        try:
            done = subprocess.run(
                [str(python), "-m", "rollway.preview.worker", str(request_file), str(result_file)],
                # `-m` puts the working directory first on sys.path: the scratch folder holds no module, whereas
                # the caller's folder may hold a `rollway` checkout or a `yaml.py` the worker would import.
                cwd=scratch,
                env=env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise ProgramError(
                f"the program did not finish within {timeout:g}s in {python} (raise --program-timeout if it is only slow)"
            ) from None
        # The program's own prints go to our stderr, keeping stdout for --json -.
        sys.stderr.write(done.stdout)
        if not result_file.exists():
            raise VirtualenvUnavailable(
                f"evaluating the program with {python} failed before it could report:\n{done.stderr.strip()[-3000:]}"
            )
        result = json.loads(result_file.read_text(encoding="utf-8"))
    note = fallback_note(project)
    if note and not result["ok"]:
        result["error"] += f"\nnote: {note}"
    _raise_if_failed(result)
    evaluation = evaluation_from_json(result)
    if note:
        evaluation.notes.append(note)
    return evaluation


def worker_path(scratch: Path) -> Path:
    """A folder holding only the `rollway` package (a link), for the worker's PYTHONPATH.

    Putting the folder rollway is installed in on the path instead would put everything next to it ahead of
    the program's own virtualenv: the other packages of rollway's site-packages (its provider SDKs, shadowing
    the versions the program pinned), or, in a source checkout, the repository's top-level folders.
    """
    folder = scratch / "rollway-only"  # not a valid module name: the folder itself cannot be imported
    folder.mkdir(exist_ok=True)
    link = folder / "rollway"
    if not link.exists():
        link.symlink_to(Path(rollway.preview.__file__).resolve().parents[1], target_is_directory=True)
    return folder


def _raise_if_failed(result: dict[str, Any]) -> None:
    """Raise the error a child or worker reported, as the same kind of error."""
    if result["ok"]:
        return
    if "missing_module" in result:
        raise MissingModule(result["missing_module"], result["error"])
    if result.get("usage"):
        raise ConfigInvalid(result["error"])
    raise ProgramError(result["error"])


class ForkedChild:
    """The program evaluated in a forked copy of this process, in its own process group; a warm worker after that.

    The child evaluates the first request at once. Each request's result goes to a file of its own, then a
    handshake (a random token only this run knows) to another; the parent trusts a result only with its handshake.
    A program that calls `os._exit`, is killed, or outlives the timeout never writes it, so the gate fails.
    After reporting, the child waits for further requests (`submit`, e.g. the re-run on filled-in values) and
    evaluates them in the same process, whose provider SDKs are imported by then: a re-run costs the program's
    own run, not the SDKs' import again. `close()` kills the child's whole process group, which also ends
    threads and subprocesses the program left running.
    """

    def __init__(self, project: Project, settings: StackSettings, resolve_outputs: bool, timeout: float) -> None:
        self.timeout = timeout
        self.scratch = tempfile.TemporaryDirectory(prefix="rollway-eval-")
        self.token = secrets.token_hex(16)
        self.config_secrets = [secret_config_texts(settings)]
        """Per request: the secret config values its program may quote in what it prints."""
        self.status: int | None = None
        reader, self.writer = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        self.pid = os.fork()
        if self.pid == 0:  # pragma: no cover - runs in the child; its effects are what the tests check
            os.close(self.writer)
            # This process only lives for this run's evaluations: the cyclic collector's passes over the SDKs'
            # objects (imported after the fork) cost ~1 CPU-s on the dev stack and would free next to nothing.
            gc.disable()
            self._run_child(project, settings, resolve_outputs, reader)
        os.close(reader)
        self.submitted = [time.monotonic()]
        self.finished: dict[int, float] = {}
        """When the parent saw each request's handshake: the next request's clock starts then (see `_wait`)."""

    def _files(self, index: int) -> tuple[Path, Path, Path]:
        """Result, handshake and output files of request `index`."""
        folder = Path(self.scratch.name)
        return folder / f"result-{index}.json", folder / f"done-{index}", folder / f"output-{index}.txt"

    def _run_child(
        self, project: Project, settings: StackSettings, resolve_outputs: bool, reader: int
    ) -> None:  # pragma: no cover
        code = 0
        try:
            os.setpgid(0, 0)
            self._serve(0, lambda: _child_result(project, settings, resolve_outputs))
            with open(reader, encoding="utf-8") as requests:
                for index, line in enumerate(requests, start=1):
                    request = json.loads(line)
                    self._serve(index, functools.partial(_request_result, request, project))
        except BaseException:
            code = 70
        finally:
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            finally:
                os._exit(code)

    def _serve(self, index: int, evaluate_request: Callable[[], dict[str, Any]]) -> None:  # pragma: no cover
        result_file, done_file, output_file = self._files(index)
        # Everything the program prints (from Python or its subprocesses) goes to a file the parent relays
        # to its stderr, however the child ends; stdout stays clean for `--json -`.
        sys.stdout.flush()
        sys.stderr.flush()
        output = os.open(output_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(output, 1)
        os.dup2(output, 2)
        os.close(output)
        sys.stdout = sys.stderr = open(1, "w", encoding="utf-8", errors="replace", buffering=1, closefd=False)  # noqa: SIM115
        payload = json.dumps(evaluate_request())
        result_file.write_text(payload, encoding="utf-8")
        sys.stdout.flush()
        done_file.write_text(self.token, encoding="utf-8")

    def submit(self, settings: StackSettings, resolve_outputs: bool, directory: Path | None = None) -> int:
        """Ask the (warm) child for another evaluation, of the program in `directory` when given (else the first
        request's); returns its index for `result`. Requests are served in order. Raises ProgramError when the
        child is no longer there to ask."""
        from rollway.preview.worker import settings_to_json

        request: dict[str, Any] = {"settings": settings_to_json(settings), "resolve_outputs": resolve_outputs}
        if directory is not None:
            request["directory"] = str(directory)
        line = json.dumps(request) + "\n"
        try:
            os.write(self.writer, line.encode("utf-8"))
        except OSError:
            with contextlib.suppress(ChildProcessError):
                _, self.status = os.waitpid(self.pid, 0)
            raise ProgramError(f"the evaluation process is gone ({self._how_it_ended()}); nothing was checked") from None
        self.submitted.append(time.monotonic())
        self.config_secrets.append(secret_config_texts(settings))
        return len(self.submitted) - 1

    def result(self, index: int = 0) -> Evaluation:
        from rollway.preview.worker import evaluation_from_json

        result_file, done_file, _ = self._files(index)
        config_secrets = self.config_secrets[index]
        try:
            for earlier in range(index + 1):
                self._wait(earlier)
        except ProgramError:
            self._relay_output(index, config_secrets)
            raise
        try:
            handshake = done_file.read_text(encoding="utf-8")
        except OSError:
            handshake = ""
        if handshake != self.token:
            self._relay_output(index, config_secrets)
            raise ProgramError(f"the program ended before the evaluation finished ({self._how_it_ended()}); nothing was checked")
        result = json.loads(result_file.read_text(encoding="utf-8"))
        seen = set(result.get("secrets", [])) | config_secrets
        self._relay_output(index, seen)
        _raise_if_failed(result)
        evaluation = evaluation_from_json(result)
        evaluation.secrets = seen
        return evaluation

    def _wait(self, index: int) -> None:
        """Until request `index` has reported or the child has ended; ProgramError at the timeout, which counts from
        when the child could start on the request: its submission, or the previous request's end if that was later
        (callers wait for earlier requests first, see `result`)."""
        if index in self.finished:
            return
        done_file = self._files(index)[1]
        deadline = max(self.submitted[index], self.finished.get(index - 1, 0.0)) + self.timeout
        while self.status is None:
            if done_file.exists() and done_file.stat().st_size == len(self.token):
                self.finished[index] = time.monotonic()
                return
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid == self.pid:
                self.status = status
                self._kill_group()
                return
            if time.monotonic() >= deadline:
                self._kill_group()
                _, self.status = os.waitpid(self.pid, 0)
                raise ProgramError(
                    f"the program did not finish within {self.timeout:g}s (--program-timeout); it was stopped and nothing was checked"
                )
            time.sleep(0.01)

    def _relay_output(self, index: int, secrets: set[str]) -> None:
        try:
            printed = self._files(index)[2].read_text(encoding="utf-8", errors="replace")
        except OSError:
            return
        if printed:
            sys.stderr.write(mask(printed, secrets))
            sys.stderr.flush()

    def _how_it_ended(self) -> str:
        status = self.status or 0
        if os.WIFSIGNALED(status):
            signum = os.WTERMSIG(status)
            return f"killed by signal {signal.Signals(signum).name}"
        return f"it exited with status {os.WEXITSTATUS(status)} without reporting, e.g. through os._exit"

    def _kill_group(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)

    def close(self) -> None:
        """Kill and reap the child (if still running) and remove its scratch files; safe to call twice."""
        with contextlib.suppress(OSError):
            os.close(self.writer)
        if self.status is None:
            self._kill_group()
            try:
                os.kill(self.pid, signal.SIGKILL)
                _, self.status = os.waitpid(self.pid, 0)
            except ChildProcessError:
                self.status = 0
            except ProcessLookupError:
                self.status = 0
        else:
            # The child has ended; what it left in its process group has not.
            self._kill_group()
        self.scratch.cleanup()


def _request_result(request: dict[str, Any], project: Project) -> dict[str, Any]:  # pragma: no cover
    """A further request's result (see ForkedChild.submit): `project`, or the copy of it in the request's directory."""
    from rollway.preview.worker import settings_from_json

    directory = request.get("directory")
    if directory:
        try:
            project = load_project(Path(directory))
        except PreflightError as error:
            return {"ok": False, "error": str(error), "secrets": []}
    return _child_result(project, settings_from_json(request["settings"]), request["resolve_outputs"])


def _child_result(project: Project, settings: StackSettings, resolve_outputs: bool) -> dict[str, Any]:  # pragma: no cover
    from rollway.preview.worker import evaluation_result

    return evaluation_result(project, settings, resolve_outputs)
