"""The program's own virtualenv, for programs whose imports are not installed where `rollway` runs.

Like the Pulumi CLI: the project's runtime options decide where the virtualenv lives (`virtualenv:` in
Pulumi.yaml; `.venv` for `toolchain: uv`); without either, a cached one under ROLLWAY_CACHE_DIR
(default ~/.cache/rollway/venvs) keyed by the requirements' content. Requirements come from
requirements.txt or pyproject.toml and are installed with uv when available (else pip). A stamp file
records what was installed so later runs start at once.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

from preflight.errors import ProgramError
from preflight.project import Project

REQUIREMENT_FILES = ("requirements.txt", "pyproject.toml")
_SKIP_DIRS = {"venv", ".venv", "node_modules", "__pycache__", "build", "dist", "tests", "test"}
_STAMP = ".rollway-requirements"
INSTALL_TIMEOUT = 900


def cache_dir() -> Path:
    return Path(os.environ.get("ROLLWAY_CACHE_DIR") or Path.home() / ".cache" / "rollway") / "venvs"


def _program_files(directory: Path) -> list[Path]:
    files = []
    for root, dirs, names in os.walk(directory):
        dirs[:] = [name for name in dirs if name not in _SKIP_DIRS and not name.startswith(".")]
        files += [Path(root, name) for name in names if name.endswith(".py")]
    return files


def _local_names(directory: Path) -> set[str]:
    return {path.stem for path in directory.glob("*.py")} | {path.name for path in directory.iterdir() if path.is_dir()}


def missing_imports(directory: Path) -> list[str]:
    """Top-level modules the program imports unconditionally that are neither local, stdlib nor installed here."""
    local = _local_names(directory)
    wanted: set[str] = set()
    for file in _program_files(directory):
        try:
            tree = ast.parse(file.read_text(encoding="utf-8", errors="replace"), str(file))
        except SyntaxError:
            continue  # the run reports it with the program's own error
        guarded = {id(node) for guard in ast.walk(tree) if isinstance(guard, ast.Try) for node in ast.walk(guard)}
        for node in ast.walk(tree):
            if id(node) in guarded:
                continue  # `try: import x except ImportError` is the program's own fallback
            if isinstance(node, ast.Import):
                wanted |= {alias.name.split(".", 1)[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                wanted.add(node.module.split(".", 1)[0])
    missing = []
    for name in sorted(wanted - local - set(sys.stdlib_module_names) - {"__future__"}):
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            missing.append(name)
    return missing


def requirements_file(project: Project) -> Path | None:
    for folder in dict.fromkeys((project.program_directory, project.directory)):
        for name in REQUIREMENT_FILES:
            if (folder / name).is_file():
                return folder / name
    return None


def virtualenv_dir(project: Project, requirements: Path) -> Path:
    options = project.runtime_options
    declared = options.get("virtualenv")
    if isinstance(declared, str) and declared:
        return (project.directory / declared).resolve()
    if options.get("toolchain") == "uv":
        return project.directory / ".venv"
    return cache_dir() / f"{project.name}-{_digest(requirements)[:16]}"


def _digest(requirements: Path) -> str:
    content = requirements.read_bytes() + f"\n{sys.version_info[:2]}".encode()
    return hashlib.sha256(content).hexdigest()


def _python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _uv() -> list[str] | None:
    if importlib.util.find_spec("uv") is not None:
        return [sys.executable, "-m", "uv"]
    found = shutil.which("uv")
    return [found] if found else None


def ensure_virtualenv(project: Project) -> Path:
    """The Python of the project's virtualenv, created and filled from its requirements when needed."""
    requirements = requirements_file(project)
    if requirements is None:
        raise ProgramError(
            f"the program's imports are not installed here and {project.directory} has no requirements.txt or pyproject.toml to install them from"
        )
    venv = virtualenv_dir(project, requirements)
    python = _python(venv)
    stamp = venv / _STAMP
    digest = _digest(requirements)
    if python.exists() and stamp.exists() and stamp.read_text().strip() == digest:
        return python

    uv = _uv()
    install_args = ["-r", str(requirements)] if requirements.name == "requirements.txt" else [str(requirements.parent)]
    if uv is not None:
        steps = []
        if not python.exists():
            steps.append([*uv, "venv", "--quiet", "--python", sys.executable, str(venv)])
        steps.append([*uv, "pip", "install", "--quiet", "--python", str(python), *install_args])
    else:
        steps = []
        if not python.exists():
            steps.append([sys.executable, "-m", "venv", str(venv)])
        steps.append([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *install_args])
    for step in steps:
        try:
            done = subprocess.run(
                step, cwd=project.directory, capture_output=True, text=True, timeout=INSTALL_TIMEOUT, check=False
            )
        except subprocess.TimeoutExpired:
            raise ProgramError(f"installing {requirements} into {venv} took longer than {INSTALL_TIMEOUT}s") from None
        if done.returncode != 0:
            output = (done.stderr or done.stdout).strip()[-3000:]
            raise ProgramError(f"installing the program's requirements from {requirements} into {venv} failed:\n{output}")
    stamp.write_text(digest + "\n")
    return python
