"""The program's own virtualenv, for programs whose imports are not installed where `rollway` runs.

Like the Pulumi CLI: the project's runtime options decide where the virtualenv lives (`virtualenv:` in
Pulumi.yaml; `.venv` for `toolchain: uv`); without either, a cached one under ROLLWAY_CACHE_DIR
(default ~/.cache/rollway/venvs) keyed by the requirements' content. Requirements come from
requirements.txt or pyproject.toml and are installed with uv when available (else pip). A stamp file
records what was installed so later runs start at once.

A project with no requirements file whose only missing imports are Pulumi packages (`pulumi_azure`)
gets those packages, named from the imports, in a cached virtualenv: such programs were run by their
authors with whatever was installed, and a Pulumi package's distribution name follows from its module.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import importlib.metadata
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import tomllib

from rollway.preview.errors import ProgramError
from rollway.preview.project import Project

REQUIREMENT_FILES = ("requirements.txt", "pyproject.toml")
_SKIP_DIRS = {"venv", ".venv", "node_modules", "__pycache__", "build", "dist", "tests", "test"}
_STAMP = ".rollway-requirements"
INSTALL_TIMEOUT = 900
# The CLI makes virtualenvs with `python -m venv`, which on Python 3.11 seeds setuptools; older provider
# SDKs import `pkg_resources` from it, which setuptools dropped after 80.
_SEED = ("setuptools<81",)
_RECIPE = "seed=setuptools<81"
"""Part of every stamp: changing how virtualenvs are made rebuilds the cached ones."""


def cache_dir() -> Path:
    return Path(os.environ.get("ROLLWAY_CACHE_DIR") or Path.home() / ".cache" / "rollway") / "venvs"


def _all_program_files(directory: Path) -> list[Path]:
    files = []
    for root, dirs, names in os.walk(directory):
        dirs[:] = [name for name in dirs if name not in _SKIP_DIRS and not name.startswith(".")]
        files += [Path(root, name) for name in names if name.endswith(".py")]
    return files


def _local_names(directory: Path) -> set[str]:
    return {path.stem for path in directory.glob("*.py")} | {path.name for path in directory.iterdir() if path.is_dir()}


@dataclass(frozen=True)
class _Import:
    """One unguarded import statement of a file, as much of it as the scans below read."""

    names: tuple[str, ...]
    """`import a.b, c`: the dotted names; `from m import x, y`: the names `x`, `y`."""
    module: str | None
    """`from m import ...`: `m` (None for `import ...` and for `from . import x`)."""
    level: int
    """Leading dots of a `from` import; 0 for absolute imports. -1 marks a plain `import` statement."""


_IMPORTS_CACHE: dict[bytes, tuple[_Import, ...] | None] = {}
"""A file's unguarded imports by the digest of its content, for a process that scans more than once (a tool or
test suite calling `run_preview` repeatedly, a further evaluation that falls back to `evaluate_program`): only
changed files are parsed again. Keyed on content, not mtime (two writes within one clock tick keep the mtime),
so an entry cannot go stale; a hit costs a read and a hash."""

_IMPORTS_CACHE_LIMIT = 20_000


def _imports(file: Path) -> tuple[_Import, ...] | None:
    """The file's unguarded imports; None when it cannot be read as Python (the run reports it with the program's
    own error)."""
    try:
        source = file.read_bytes()
    except OSError:
        return None
    key = hashlib.blake2b(source, digest_size=20).digest()
    try:
        return _IMPORTS_CACHE[key]
    except KeyError:
        pass
    try:
        tree = ast.parse(source.decode("utf-8", errors="replace"), str(file))
    except (SyntaxError, ValueError):
        found = None
    else:
        found = tuple(
            _Import(tuple(alias.name for alias in node.names), None, -1)
            if isinstance(node, ast.Import)
            else _Import(tuple(alias.name for alias in node.names), node.module, node.level)
            for node in _unguarded_imports(tree)
        )
    if len(_IMPORTS_CACHE) >= _IMPORTS_CACHE_LIMIT:
        _IMPORTS_CACHE.clear()
    _IMPORTS_CACHE[key] = found
    return found


def _unguarded_imports(tree: ast.Module) -> Iterator[ast.Import | ast.ImportFrom]:
    guarded = {id(node) for guard in ast.walk(tree) if isinstance(guard, ast.Try) for node in ast.walk(guard)}
    for node in ast.walk(tree):
        # `try: import x except ImportError` is the program's own fallback.
        if isinstance(node, ast.Import | ast.ImportFrom) and id(node) not in guarded:
            yield node


def _module_file(directory: Path, dotted: str) -> Path | None:
    """The program's own file for a dotted module name, when it has one (package `__init__` or module)."""
    path = directory.joinpath(*dotted.split("."))
    for candidate in (path.with_suffix(".py"), path / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def program_files(directory: Path) -> list[Path]:
    """The program's Python files that `__main__.py` reaches through its own imports.

    Folders the program only ships (function code zipped into an archive, container sources) are left
    out: their imports are the function's, not the program's. Without a `__main__.py` every file counts.
    """
    entry = directory / "__main__.py"
    if not entry.is_file():
        return _all_program_files(directory)
    seen: dict[Path, None] = {}
    queue = [entry]
    # Per scan (files come and go between scans): every file imports the same few names many times over.
    module_file = functools.cache(_module_file)
    while queue:
        file = queue.pop()
        if file in seen:
            continue
        seen[file] = None
        imports = _imports(file)
        if imports is None:
            continue
        package = file.parent
        for node in imports:
            names: list[str] = []
            if node.level < 0:
                names = list(node.names)
            elif node.level == 0 and node.module:
                names = [node.module] + [f"{node.module}.{name}" for name in node.names]
            else:
                base = package
                for _ in range(node.level - 1):
                    base = base.parent
                prefix = f"{node.module}." if node.module else ""
                names = [node.module or ""] + [f"{prefix}{name}" for name in node.names]
                for name in filter(None, names):
                    found = module_file(base, name)
                    if found is not None:
                        queue.append(found)
                continue
            for name in names:
                parts = name.split(".")
                # `import a.b.c` runs a/__init__.py, a/b/__init__.py and a/b/c.py.
                for depth in range(1, len(parts) + 1):
                    found = module_file(directory, ".".join(parts[:depth]))
                    if found is not None:
                        queue.append(found)
    return list(seen)


def missing_imports(directory: Path) -> list[str]:
    """Top-level modules the program imports unconditionally that are neither local, stdlib nor installed here."""
    local = _local_names(directory)
    wanted: set[str] = set()
    for file in program_files(directory):
        imports = _imports(file)
        if imports is None:
            continue
        for node in imports:
            if node.level < 0:
                wanted |= {name.split(".", 1)[0] for name in node.names}
            elif node.level == 0 and node.module:
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


# ---------------------------------------------------------------- declared requirements
_REQUIREMENT_LINE = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*([^;#]*?)\s*(?:;.*)?(?:#.*)?$")


def declared_requirements(requirements: Path) -> list[tuple[str, str]]:
    """(distribution, version specifier) pairs a requirements.txt or PEP 621 pyproject.toml declares.

    Options (`-r`, `--index-url`), editable installs and URLs are skipped: what they pin cannot be read
    from the file alone. Poetry's own dependency table is not read either.
    """
    if requirements.name == "pyproject.toml":
        try:
            data = tomllib.loads(requirements.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError):
            return []
        project = data.get("project")
        lines = project.get("dependencies", []) if isinstance(project, dict) else []
        lines = [line for line in lines if isinstance(line, str)]
    else:
        lines = requirements.read_text(encoding="utf-8", errors="replace").splitlines()
    pairs = []
    for line in lines:
        text = line.strip()
        if not text or text.startswith(("#", "-")) or "://" in text or " @ " in text:
            continue
        match = _REQUIREMENT_LINE.match(text)
        if match:
            pairs.append((match.group(1), match.group(3).replace(" ", "")))
    return pairs


def unsatisfied_requirements(requirements: Path) -> list[str]:
    """Declared requirements the distributions installed here do not satisfy, e.g. `pulumi-aws==6.0.2 (here: 7.51.1)`."""
    try:
        from packaging.specifiers import InvalidSpecifier, SpecifierSet
        from packaging.version import InvalidVersion, Version
    except ImportError:  # not every program's virtualenv has packaging; nothing to compare with then
        return []
    problems = []
    for name, spec in declared_requirements(requirements):
        try:
            installed = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            problems.append(f"{name}{spec} (not installed here)")
            continue
        try:
            fits = SpecifierSet(spec).contains(Version(installed), prereleases=True) if spec else True
        except (InvalidSpecifier, InvalidVersion):
            continue
        if not fits:
            problems.append(f"{name}{spec} (here: {installed})")
    return problems


def incompatible_sdk_pin(requirements: Path) -> str | None:
    """The declared `pulumi` requirement when it admits no release of the Pulumi SDK major installed here
    (`pulumi>=2.0.0,<3.0.0` next to SDK 3), else None. A pin to another 3.x release is compatible."""
    try:
        from packaging.specifiers import InvalidSpecifier, SpecifierSet
        from packaging.version import InvalidVersion, Version
    except ImportError:
        return None
    installed = Version(importlib.metadata.version("pulumi"))
    for name, spec in declared_requirements(requirements):
        if name.lower() != "pulumi" or not spec:
            continue
        try:
            specifiers = SpecifierSet(spec)
            # Releases of the installed major near each version the specifier names, e.g. 3.5.1 for `>3.5.0`.
            candidates = {installed}
            for specifier in specifiers:
                major, minor, patch = ([*Version(specifier.version.rstrip(".*")).release, 0, 0])[:3]
                if major == installed.major:
                    for release in ((minor, patch), (minor, patch + 1), (minor + 1, 0), (max(minor - 1, 0), 0), (0, 0)):
                        candidates.add(Version(f"{major}.{release[0]}.{release[1]}"))
            if not any(specifiers.contains(candidate, prereleases=True) for candidate in candidates):
                return f"pulumi{spec}"
        except (InvalidSpecifier, InvalidVersion):
            continue
    return None


def in_own_virtualenv(project: Project) -> bool:
    """Whether this interpreter is the project's own virtualenv (the worker runs there)."""
    requirements = requirements_file(project)
    if requirements is None:
        return False
    return Path(sys.prefix).resolve() == virtualenv_dir(project, requirements).resolve()


# ---------------------------------------------------------------- requirements named from imports
def inferred_requirements(project: Project) -> list[str]:
    """Distributions for a project without a requirements file, named from its missing `pulumi_*` imports.

    Raises ProgramError naming the imports that cannot be mapped to a distribution.
    """
    missing = missing_imports(project.program_directory)
    unknown = [name for name in missing if not name.startswith("pulumi_")]
    if unknown:
        raise ProgramError(
            f"the program imports {', '.join(unknown)}, which is not installed here, and {project.directory} "
            "has no requirements.txt or pyproject.toml to install it from"
        )
    return [name.replace("_", "-") for name in missing]


def _inferred_file(project: Project, packages: list[str]) -> Path:
    # The pulumi SDK Rollway runs with, so the program's packages resolve against a compatible one.
    lines = [f"pulumi=={importlib.metadata.version('pulumi')}", *packages]
    text = "\n".join(lines) + "\n"
    folder = cache_dir() / "inferred"
    folder.mkdir(parents=True, exist_ok=True)
    file = folder / f"{project.name}-{hashlib.sha256(text.encode()).hexdigest()[:16]}.txt"
    if not file.exists() or file.read_text(encoding="utf-8") != text:
        file.write_text(text, encoding="utf-8")
    return file


# ---------------------------------------------------------------- the virtualenv
def virtualenv_dir(project: Project, requirements: Path) -> Path:
    options = project.runtime_options
    declared = options.get("virtualenv")
    if isinstance(declared, str) and declared:
        return (project.directory / declared).resolve()
    if options.get("toolchain") == "uv":
        return project.directory / ".venv"
    return cache_dir() / f"{project.name}-{_digest(requirements)[:16]}"


def _digest(requirements: Path) -> str:
    content = requirements.read_bytes() + f"\n{sys.version_info[:2]}\n{_RECIPE}".encode()
    return hashlib.sha256(content).hexdigest()


def _python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _uv() -> list[str] | None:
    if importlib.util.find_spec("uv") is not None:
        return [sys.executable, "-m", "uv"]
    found = shutil.which("uv")
    return [found] if found else None


def ensure_virtualenv(project: Project) -> Path:
    """The Python of the project's virtualenv, created and filled from its requirements when needed.

    When the declared requirements cannot be resolved together (`pulumi-aws>=7` next to a `pulumi-awsx<3` that
    needs `pulumi-aws<7`), the versions installed where rollway runs are used instead: each declared
    distribution installed here at that version, the others at whatever version resolves. `fallback_note`
    then says so.
    """
    requirements = requirements_file(project) or _inferred_file(project, inferred_requirements(project))
    venv = virtualenv_dir(project, requirements)
    python = _python(venv)
    stamp = venv / _STAMP
    digest = _digest(requirements)
    if python.exists() and stamp.exists() and stamp.read_text().strip() == digest:
        return python

    uv = _uv()
    if uv is not None:
        if not python.exists():
            _run_step([*uv, "venv", "--quiet", "--python", sys.executable, str(venv)], project, requirements, venv)
        install = [*uv, "pip", "install", "--quiet", "--python", str(python)]
    else:
        if not python.exists():
            _run_step([sys.executable, "-m", "venv", str(venv)], project, requirements, venv)
        install = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    _run_step([*install, *_SEED], project, requirements, venv)
    install_args = ["-r", str(requirements)] if requirements.suffix == ".txt" else [str(requirements.parent)]
    note_file = venv / _FALLBACK_NOTE
    note_file.unlink(missing_ok=True)
    try:
        _run_step([*install, *install_args], project, requirements, venv)
    except ProgramError as failure:
        relaxed = relaxed_requirements(requirements)
        if not relaxed or not _UNRESOLVABLE.search(str(failure)) or _ABSENT.search(str(failure)):
            raise
        try:
            _run_step([*install, *relaxed], project, requirements, venv)
        except ProgramError as second:
            raise ProgramError(f"{failure}\nnote: installing {' '.join(relaxed)} instead failed too:\n{second}") from None
        note_file.write_text(
            f"{requirements.name} cannot be resolved ({_first_cause(str(failure))}); "
            f"installed {', '.join(relaxed)} instead (the versions installed where rollway runs, where it has them)\n",
            encoding="utf-8",
        )
    stamp.write_text(digest + "\n")
    return python


_FALLBACK_NOTE = ".rollway-fallback"
_UNRESOLVABLE = re.compile(r"No solution found|ResolutionImpossible|conflicting dependencies|unsatisfiable", re.IGNORECASE)
# A distribution or version that does not exist (a typo, an offline index) is not a conflict: other versions of
# the same names would not help, so the install error stands.
_ABSENT = re.compile(
    r"not found in the package registry|not found in the provided package locations|No matching distribution found",
    re.IGNORECASE,
)


def fallback_note(project: Project) -> str | None:
    """What was installed instead of the declared requirements, when they could not be resolved (else None)."""
    requirements = requirements_file(project)
    if requirements is None:
        return None
    note = virtualenv_dir(project, requirements) / _FALLBACK_NOTE
    return note.read_text(encoding="utf-8").strip() if note.is_file() else None


def relaxed_requirements(requirements: Path) -> list[str]:
    """The declared distributions with the versions installed here (`pulumi-aws==7.51.1`), unpinned when not
    installed here (`pulumi-awsx`): what to install when the declared versions conflict."""
    relaxed = []
    for name, _spec in declared_requirements(requirements):
        try:
            relaxed.append(f"{name}=={importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            relaxed.append(name)
    return relaxed


def _first_cause(output: str) -> str:
    """The resolver's conclusion: uv's line naming what you require (its last step), else its first cause, else
    pip's "Cannot install" line."""
    lines = [line.strip().removeprefix("cause:").strip() for line in output.splitlines()]
    for wanted in ("you require", "Because", "ERROR: Cannot install"):
        found = next((line for line in lines if wanted in line), None)
        if found is not None:
            return found[:400]
    return "no set of versions satisfies them"


def _run_step(step: list[str], project: Project, requirements: Path, venv: Path) -> None:
    try:
        done = subprocess.run(step, cwd=project.directory, capture_output=True, text=True, timeout=INSTALL_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        raise ProgramError(f"installing {requirements} into {venv} took longer than {INSTALL_TIMEOUT}s") from None
    if done.returncode != 0:
        output = (done.stderr or done.stdout).strip()[-3000:]
        raise ProgramError(f"installing the program's requirements from {requirements} into {venv} failed:\n{output}")
