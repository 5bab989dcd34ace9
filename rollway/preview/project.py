"""Reads a Pulumi project the way the CLI does: Pulumi.yaml, then the stack's Pulumi.<stack>.yaml.

Only the parts that decide what a preview evaluates are read: the project name, `main`, the runtime
options (`virtualenv`, `toolchain`), project-level config (values and typed declarations with defaults)
and `stackConfigDir`. Every problem is a UsageError naming the file and the key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from rollway.preview.errors import UsageError
from rollway.preview.yamlfile import read_yaml_file

PROJECT_FILES = ("Pulumi.yaml", "Pulumi.yml")
_DECLARATION_KEYS = {"type", "description", "items", "secret", "default", "value"}
_CONFIG_TYPES = {"string", "integer", "boolean", "array", "object"}
_MISSING = object()


@dataclass(frozen=True)
class ConfigDeclaration:
    """A project-level config key: its declared type and default, as written in Pulumi.yaml."""

    key: str
    """Full key (`<namespace>:<name>`); bare names get the project name as namespace."""
    type: str | None = None
    """Declared type (string, integer, boolean, array, object) or None when not declared."""
    default: Any = _MISSING
    """Value used when the stack sets none; absent when the key is required."""
    secret: bool = False
    """Whether the declaration asks for the value to be kept secret."""

    @property
    def has_default(self) -> bool:
        return self.default is not _MISSING


@dataclass(frozen=True)
class Project:
    """A Pulumi project directory, as far as a preview needs it."""

    name: str
    """Project name from Pulumi.yaml (the default config namespace and part of every URN)."""
    directory: Path
    """Directory holding Pulumi.yaml."""
    file: Path
    """The Pulumi.yaml (or Pulumi.yml) that was read."""
    runtime: str
    """Runtime name; only `python` can be evaluated."""
    runtime_options: Mapping[str, Any] = field(default_factory=dict)
    """`runtime.options` (e.g. `virtualenv`, `toolchain`)."""
    main: str | None = None
    """`main:` from Pulumi.yaml, relative to the directory (a file or a folder), or None."""
    config: Mapping[str, ConfigDeclaration] = field(default_factory=dict)
    """Project-level config by full key."""
    stack_config_dir: Path | None = None
    """Where stack files live when `stackConfigDir` is set; else the project directory."""

    @property
    def program_path(self) -> Path:
        """The program's entry: a `.py` file or a folder run by its `__main__.py`."""
        return (self.directory / self.main).resolve() if self.main else self.directory

    @property
    def program_directory(self) -> Path:
        path = self.program_path
        return path.parent if path.suffix == ".py" else path

    def stack_file(self, stack: str) -> Path:
        folder = self.stack_config_dir or self.directory
        for suffix in (".yaml", ".yml"):
            candidate = folder / f"Pulumi.{stack}{suffix}"
            if candidate.exists():
                return candidate
        return folder / f"Pulumi.{stack}.yaml"

    def known_stacks(self) -> list[str]:
        folder = self.stack_config_dir or self.directory
        names = {path.name[len("Pulumi.") :].rsplit(".", 1)[0] for path in folder.glob("Pulumi.*.y*ml")}
        return sorted(names)

    def full_key(self, key: str) -> str:
        return key if ":" in key else f"{self.name}:{key}"


def read_yaml_mapping(path: Path, what: str) -> dict[str, Any]:
    """Parse a YAML file that must hold a mapping (strictly: see rollway.preview.yamlfile); empty is an empty mapping."""
    data = read_yaml_file(path, what)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UsageError(f"{path}: expected a mapping at the top level, found {type(data).__name__}")
    return data


def load_project(directory: Path) -> Project:
    """Read DIR/Pulumi.yaml; raises UsageError naming the file and key on any problem."""
    directory = directory.resolve()
    if not directory.is_dir():
        raise UsageError(f"--cwd {directory}: not a directory")
    file = next((directory / name for name in PROJECT_FILES if (directory / name).exists()), None)
    if file is None:
        raise UsageError(f"no Pulumi.yaml in {directory} (is --cwd the project directory?)")
    data = read_yaml_mapping(file, "project file")

    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise UsageError(f"{file}: `name` is required and must be a non-empty string")
    runtime, options = _runtime(file, data.get("runtime"))
    if runtime != "python":
        raise UsageError(f"{file}: runtime `{runtime}` is not supported; rollway evaluates Python programs only")

    main = data.get("main")
    if main is not None and not isinstance(main, str):
        raise UsageError(f"{file}: `main` must be a path string, found {type(main).__name__}")
    if main and not (directory / main).exists():
        raise UsageError(f"{file}: `main: {main}` does not exist under {directory}")

    config_dir = data.get("stackConfigDir")
    if config_dir is not None and not isinstance(config_dir, str):
        raise UsageError(f"{file}: `stackConfigDir` must be a path string")

    project = Project(
        name=name,
        directory=directory,
        file=file,
        runtime=runtime,
        runtime_options=options,
        main=main or None,
        stack_config_dir=(directory / config_dir) if config_dir else None,
    )
    declarations = _declarations(project, data.get("config"))
    return replace(project, config=declarations)


def _runtime(file: Path, raw: Any) -> tuple[str, dict[str, Any]]:
    if isinstance(raw, str) and raw:
        return raw, {}
    if isinstance(raw, dict) and isinstance(raw.get("name"), str):
        options = raw.get("options") or {}
        if not isinstance(options, dict):
            raise UsageError(f"{file}: `runtime.options` must be a mapping")
        return raw["name"], options
    raise UsageError(f"{file}: `runtime` is required: `runtime: python` or `runtime: {{name: python, options: ...}}`")


def _declarations(project: Project, raw: Any) -> dict[str, ConfigDeclaration]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise UsageError(f"{project.file}: `config` must be a mapping of keys to values or declarations")
    declarations: dict[str, ConfigDeclaration] = {}
    for key, value in raw.items():
        full = project.full_key(str(key))
        if isinstance(value, dict):
            unknown = set(value) - _DECLARATION_KEYS
            if unknown:
                raise UsageError(
                    f"{project.file}: config `{key}`: unknown field(s) {sorted(unknown)}; "
                    f"a declaration has {sorted(_DECLARATION_KEYS)}"
                )
            declared_type = value.get("type")
            if declared_type is not None and declared_type not in _CONFIG_TYPES:
                raise UsageError(f"{project.file}: config `{key}`: type `{declared_type}` is not one of {sorted(_CONFIG_TYPES)}")
            default = value.get("value", value.get("default", _MISSING))
            if default is not _MISSING and declared_type is not None:
                problem = type_problem(default, declared_type)
                if problem:
                    raise UsageError(f"{project.file}: config `{key}`: default {problem}")
            declarations[full] = ConfigDeclaration(full, declared_type, default, bool(value.get("secret", False)))
        else:
            declarations[full] = ConfigDeclaration(full, None, value)
    return declarations


def type_problem(value: Any, declared: str) -> str | None:
    """Why `value` does not fit the declared config type, or None when it fits."""
    fits = {
        "string": isinstance(value, str),
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "boolean": isinstance(value, bool),
        "array": isinstance(value, list),
        "object": isinstance(value, dict),
    }[declared]
    if fits:
        return None
    # The CLI accepts scalars written as strings on the command line for typed keys.
    if isinstance(value, str) and declared == "integer" and value.lstrip("-").isdigit():
        return None
    if isinstance(value, str) and declared == "boolean" and value in ("true", "false"):
        return None
    return f"{value!r} is not of declared type {declared}"
