"""A program evaluated in its own virtualenv (`python -m rollway.preview.worker`) reports what the in-process path
reports, and a retry in that virtualenv that cannot install keeps the program's own error first.

Everything runs offline: the "own virtualenv" of a program is a virtualenv made here without pip that reaches
Rollway's site-packages plus one module Rollway's process cannot import, and failing installs point uv and pip
at an index that does not exist.
"""

from __future__ import annotations

import json
import site
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from rollway.preview import runner
from rollway.preview.config import StackSettings, load_stack_settings
from rollway.preview.errors import ProgramError
from rollway.preview.preview import PreviewOptions, run_preview
from rollway.preview.project import load_project
from rollway.preview.worker import main as worker_main
from rollway.preview.worker import settings_from_json, settings_to_json

DEPENDENCY = "rollway_worker_fixture_dep"
"""A module only the program's own virtualenv has, so the program needs the worker."""

NEW_STACK = "stack `dev` evaluated as a new stack"
ABSENT_PACKAGE = "rollway-fixture-package-that-cannot-exist==1.0"


def write_project(directory: Path, source: str, requirements: str = f"{ABSENT_PACKAGE}\n") -> Path:
    """A project without stack files (so config loading leaves a note), with the given program and requirements."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "Pulumi.yaml").write_text(f"name: {directory.name}\nruntime: python\n", encoding="utf-8")
    (directory / "requirements.txt").write_text(requirements, encoding="utf-8")
    (directory / "__main__.py").write_text(source, encoding="utf-8")
    return directory


USES_DEPENDENCY = f"import pulumi\nimport {DEPENDENCY}\n\npulumi.export('greeting', {DEPENDENCY}.GREETING)\n"


@pytest.fixture(scope="module")
def dependency_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("dependency")
    (folder / f"{DEPENDENCY}.py").write_text("GREETING = 'hello from the own virtualenv'\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def own_virtualenv_python(tmp_path_factory: pytest.TempPathFactory, dependency_dir: Path) -> Path:
    """A real virtualenv (no pip, so no network) seeing Rollway's packages and DEPENDENCY; made once for this
    module (nothing writes to it: the worker only imports there)."""
    venv = tmp_path_factory.mktemp("own") / "own-venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, capture_output=True)
    python = venv / "bin" / "python"
    packages = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    (packages / "rollway.pth").write_text("\n".join([*site.getsitepackages(), str(dependency_dir)]) + "\n")
    return python


@pytest.fixture
def own_virtualenv(own_virtualenv_python: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The virtualenv above used as every program's own virtualenv: the worker really runs there, only the
    install step is skipped."""
    monkeypatch.setattr(runner, "ensure_virtualenv", lambda project: own_virtualenv_python)
    yield own_virtualenv_python
    sys.modules.pop(DEPENDENCY, None)


def _offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("UV_EXTRA_INDEX_URL", "UV_FIND_LINKS", "UV_INDEX", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ROLLWAY_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "uv-cache"))
    monkeypatch.setenv("UV_NO_CONFIG", "1")
    monkeypatch.setenv("UV_OFFLINE", "1")
    monkeypatch.setenv("UV_INDEX_URL", "file:///nonexistent")
    monkeypatch.setenv("UV_DEFAULT_INDEX", "file:///nonexistent")
    monkeypatch.setenv("PIP_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("PIP_INDEX_URL", "file:///nonexistent")
    monkeypatch.setenv("PIP_NO_INDEX", "1")


@pytest.fixture
def offline_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Installs fail at once: uv and pip see only an index that does not exist, and no user configuration."""
    _offline(monkeypatch, tmp_path)


def preview_warnings(directory: Path) -> list[str]:
    return run_preview(PreviewOptions(cwd=directory, stack="dev")).warnings


# ---------------------------------------------------------------- notes carried through the worker
@dataclass(frozen=True)
class WorkerRun:
    project_dir: Path
    report: Any


@pytest.fixture(scope="module")
def worker_run(tmp_path_factory: pytest.TempPathFactory, own_virtualenv_python: Path) -> Iterator[WorkerRun]:
    """One preview of USES_DEPENDENCY through the worker in its own virtualenv; the tests below each read
    another part of its report."""
    project_dir = write_project(tmp_path_factory.mktemp("worker") / "worker-notes", USES_DEPENDENCY)
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(runner, "ensure_virtualenv", lambda project: own_virtualenv_python)
        report = run_preview(PreviewOptions(cwd=project_dir, stack="dev"))
    yield WorkerRun(project_dir, report)
    sys.modules.pop(DEPENDENCY, None)


def test_worker_evaluation_keeps_the_config_loading_note(worker_run: WorkerRun) -> None:
    assert [warning for warning in worker_run.report.warnings if NEW_STACK in warning] != []


def test_worker_evaluation_warns_like_the_in_process_one_plus_where_it_ran(
    worker_run: WorkerRun, dependency_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(dependency_dir))

    in_process = preview_warnings(worker_run.project_dir)

    assert worker_run.report.warnings == [
        *in_process,
        f"evaluated in the program's own virtualenv ({DEPENDENCY} not installed where rollway runs)",
    ]


def test_worker_evaluation_still_reports_the_program_exports(worker_run: WorkerRun) -> None:
    assert worker_run.report.outputs == {"greeting": "hello from the own virtualenv"}


def test_worker_result_returns_the_evaluation_notes(tmp_path: Path) -> None:
    project = load_project(write_project(tmp_path / "worker-main", "import pulumi\n\npulumi.export('n', 1)\n"))
    settings = load_stack_settings(project, "dev")
    request, result = tmp_path / "request.json", tmp_path / "result.json"
    request.write_text(
        json.dumps({"directory": str(project.directory), "settings": settings_to_json(settings), "resolve_outputs": False})
    )

    assert worker_main([str(request), str(result)]) == 0
    assert json.loads(result.read_text())["notes"] == settings.notes


def test_settings_survive_the_trip_to_the_worker_whole() -> None:
    settings = StackSettings(
        project="p",
        stack="dev",
        values={"p:size": 3, "p:tags": {"team": "a"}},
        secret_keys={"p:token"},
        source="Pulumi.dev.yaml",
        environments=["team/dev"],
        notes=["a note"],
    )

    assert settings_from_json(json.loads(json.dumps(settings_to_json(settings)))) == settings


# ---------------------------------------------------------------- a retry that cannot install
DRIFTED = "import pulumi\n\npulumi.rollway_renamed_function()\n"
"""Fails with an AttributeError (API drift) while requirements.txt pins what is not installed here: retried."""


@pytest.fixture(scope="module")
def drifted_error(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The error of one preview of DRIFTED whose retry cannot install; the tests below each read another part."""
    tmp_path = tmp_path_factory.mktemp("drifted")
    with pytest.MonkeyPatch.context() as monkeypatch:
        _offline(monkeypatch, tmp_path)
        with pytest.raises(ProgramError) as raised:
            run_preview(PreviewOptions(cwd=write_project(tmp_path / "drifted", DRIFTED), stack="dev"))
    return str(raised.value)


def test_failed_pinned_retry_shows_the_program_error_before_the_install_error(drifted_error: str) -> None:
    own_error = drifted_error.index("AttributeError: module 'pulumi' has no attribute 'rollway_renamed_function'")
    assert (
        own_error < drifted_error.index("the retry could not run") < drifted_error.index("installing the program's requirements")
    )


def test_failed_pinned_retry_keeps_the_program_frames(drifted_error: str) -> None:
    assert "  at __main__.py:3 in <module>" in drifted_error


def test_failed_pinned_retry_names_the_unsatisfied_pin(drifted_error: str) -> None:
    assert f"retried in its own virtualenv (for {ABSENT_PACKAGE} (not installed here))" in drifted_error


def test_failed_retry_after_a_dynamic_import_shows_the_import_error_first(tmp_path: Path, offline_index: None) -> None:
    source = "import importlib\n\nimportlib.import_module('rollway_fixture_absent_module')\n"
    project_dir = write_project(tmp_path / "dynamic", source, f"{ABSENT_PACKAGE}\n")

    with pytest.raises(ProgramError) as raised:
        run_preview(PreviewOptions(cwd=project_dir, stack="dev"))

    message = str(raised.value)
    assert message.index("No module named 'rollway_fixture_absent_module'") < message.index("installing the program's")


def test_failed_pinned_retry_exits_1_with_both_errors_on_stderr(tmp_path: Path, offline_index: None, rollway: Any) -> None:
    run = rollway("preview", "--cwd", write_project(tmp_path / "drifted-cli", DRIFTED), "--stack", "dev")

    assert run.code == 1
    assert run.err.startswith("error: program failed: AttributeError")
    assert "installing the program's requirements" in run.err


def test_missing_import_whose_install_fails_reports_the_install_error(tmp_path: Path, offline_index: None) -> None:
    # The program never ran here (its import is missing before it starts), so there is no error of its own to show.
    project_dir = write_project(tmp_path / "never-ran", "import rollway_fixture_absent_module\n")

    with pytest.raises(ProgramError) as raised:
        run_preview(PreviewOptions(cwd=project_dir, stack="dev"))

    assert str(raised.value).startswith("installing the program's requirements from ")


# ---------------------------------------------------------------- what the worker's path adds
def test_worker_path_holds_only_the_rollway_package(tmp_path: Path) -> None:
    folder = runner.worker_path(tmp_path)

    assert [entry.name for entry in folder.iterdir()] == ["rollway"]
    assert (folder / "rollway").resolve() == Path(runner.rollway.preview.__file__).resolve().parents[1]


def test_worker_path_does_not_expose_the_folders_next_to_rollway(tmp_path: Path) -> None:
    # `-S`: no site-packages, so only PYTHONPATH can provide `rollway` or the checkout's `components` package.
    probe = (
        "import rollway.preview.errors as e; print(e.__name__)\ntry:\n import components\nexcept ImportError: print('hidden')\n"
    )
    env = {"PYTHONPATH": str(runner.worker_path(tmp_path)), "PATH": "/usr/bin:/bin"}

    done = subprocess.run([sys.executable, "-S", "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True, check=False)

    assert done.stdout.split() == ["rollway.preview.errors", "hidden"], done.stderr


# ---------------------------------------------------------------- requirements installed by fallback
FALLBACK = "requirements.txt cannot be resolved (a conflict); installed pulumi==3.0.0 instead"


def test_a_fallback_install_is_a_warning_of_the_evaluation(
    tmp_path: Path, own_virtualenv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner, "fallback_note", lambda project: FALLBACK)

    warnings = preview_warnings(write_project(tmp_path / "fallback-ok", USES_DEPENDENCY))

    assert FALLBACK in warnings


def test_a_program_error_after_a_fallback_install_says_what_was_installed(
    tmp_path: Path, own_virtualenv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner, "fallback_note", lambda project: FALLBACK)
    source = USES_DEPENDENCY + "raise ValueError('boom')\n"

    with pytest.raises(ProgramError) as raised:
        run_preview(PreviewOptions(cwd=write_project(tmp_path / "fallback-fails", source), stack="dev"))

    message = str(raised.value)
    assert message.index("ValueError: boom") < message.index(f"note: {FALLBACK}")


# ---------------------------------------------------------------- where the worker runs
def test_worker_ignores_a_rollway_folder_in_the_callers_working_directory(
    tmp_path: Path, own_virtualenv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    decoy = tmp_path / "caller"
    (decoy / "rollway").mkdir(parents=True)
    (decoy / "rollway" / "__init__.py").write_text("raise ImportError('the decoy rollway in the working directory')\n")
    project_dir = write_project(tmp_path / "decoy-cwd", USES_DEPENDENCY)
    monkeypatch.chdir(decoy)

    report = run_preview(PreviewOptions(cwd=project_dir, stack="dev"))

    assert report.outputs == {"greeting": "hello from the own virtualenv"}


def test_worker_sees_a_relative_config_file_as_the_caller_named_it(
    tmp_path: Path, own_virtualenv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = USES_DEPENDENCY + "import os\n\npulumi.export('stack_file', os.environ['ROLLWAY_STACK_FILE'])\n"
    project_dir = write_project(tmp_path / "relative-config", source)
    (project_dir / "other.yaml").write_text("config: {}\n")
    monkeypatch.chdir(project_dir)

    report = run_preview(PreviewOptions(cwd=project_dir, stack="dev", config_file=Path("other.yaml")))

    assert report.outputs["stack_file"] == str(project_dir / "other.yaml")
