"""Where a program is evaluated: here, in-process, when its imports are installed; else in its own virtualenv."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import rollway.preview
from rollway.preview.config import StackSettings
from rollway.preview.errors import ProgramError
from rollway.preview.evaluate import Evaluation, MissingModule, entry_file, evaluate
from rollway.preview.project import Project
from rollway.preview.venv import ensure_virtualenv, missing_imports, requirements_file

WORKER_TIMEOUT = 900


class VirtualenvUnavailable(ProgramError):
    """The program's own virtualenv could not be made, or its worker could not start: the program never ran there,
    so this is not the program's error."""


def evaluate_program(project: Project, settings: StackSettings, resolve_outputs: bool) -> Evaluation:
    """Evaluate in-process when possible; otherwise install the program's requirements and evaluate there.

    Args:
        project: The loaded project (program location, runtime options, requirements).
        settings: The stack's config bag; its notes are reported whichever way the program runs.
        resolve_outputs: Fill provider-computed outputs with plausible values instead of leaving them unknown.
    """
    entry_file(project)
    missing = missing_imports(project.program_directory)
    retried: MissingModule | None = None
    if not missing:
        try:
            return evaluate(project, settings, resolve_outputs)
        except MissingModule as error:
            # An import the static scan could not see (dynamic, or under a guard), or an SDK whose installed
            # version the program's pins exclude: same remedy.
            if requirements_file(project) is None:
                raise ProgramError(
                    f"{error}\nhint: module `{error.module}` is not installed and the project lists no requirements"
                ) from None
            missing = [error.module]
            retried = error
    try:
        evaluation = evaluate_in_virtualenv(project, settings, resolve_outputs)
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


def evaluate_in_virtualenv(project: Project, settings: StackSettings, resolve_outputs: bool) -> Evaluation:
    """Install the program's requirements into its own virtualenv and evaluate it there (`python -m rollway.preview.worker`).

    Raises VirtualenvUnavailable when the virtualenv cannot be made or the worker dies before reporting, and
    ProgramError with the program's own error when it fails there.

    Args:
        project: The loaded project.
        settings: The stack's config bag, passed whole to the worker (notes included).
        resolve_outputs: Fill provider-computed outputs with plausible values instead of leaving them unknown.
    """
    from rollway.preview.worker import evaluation_from_json, settings_to_json

    try:
        python = ensure_virtualenv(project)
    except ProgramError as error:
        raise VirtualenvUnavailable(str(error)) from None
    source_root = Path(rollway.preview.__file__).resolve().parents[2]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(source_root), env.get("PYTHONPATH", "")]))
    with tempfile.TemporaryDirectory(prefix="rollway-worker-") as scratch:
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
                env=env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=WORKER_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise ProgramError(f"the program did not finish within {WORKER_TIMEOUT}s in {python}") from None
        # The program's own prints go to our stderr, keeping stdout for --json -.
        sys.stderr.write(done.stdout)
        if not result_file.exists():
            raise VirtualenvUnavailable(
                f"evaluating the program with {python} failed before it could report:\n{done.stderr.strip()[-3000:]}"
            )
        result = json.loads(result_file.read_text(encoding="utf-8"))
    if not result["ok"]:
        raise ProgramError(result["error"])
    return evaluation_from_json(result)
