"""The stack's config bag, assembled as `pulumi preview` assembles it.

Order (later wins): project-level defaults in Pulumi.yaml, the stack file (or `--config-file`), then each
`-c KEY=VALUE`. Secure values cannot be decrypted offline, so they become a placeholder string that is
still marked secret: programs that `require_secret` them run, and nothing prints the placeholder.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rollway.preview.errors import UsageError
from rollway.preview.project import Project, read_yaml_mapping, type_problem

SECRET_PLACEHOLDER = "rollway-placeholder-secret"
"""What a `secure:` value evaluates to offline (ciphertext cannot be decrypted without the stack's key)."""

_PATH_TOKEN = re.compile(r'\.([^.\[\]]+)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]')


@dataclass
class StackSettings:
    """Everything the program and the policy packs are told about the stack being previewed."""

    project: str
    """Project name."""
    stack: str
    """Stack name."""
    values: dict[str, Any] = field(default_factory=dict)
    """Config by full key, as YAML gives it (strings, numbers, booleans, lists, mappings)."""
    secret_keys: set[str] = field(default_factory=set)
    """Keys whose value is (or contains) a secret."""
    source: str = ""
    """Where the stack config came from, for messages."""
    environments: list[str] = field(default_factory=list)
    """ESC environments the stack file imports (not resolvable offline; reported as a warning)."""
    notes: list[str] = field(default_factory=list)
    """How the config was assembled when that is not the obvious way (reported as warnings)."""
    overrides: dict[str, str] = field(default_factory=dict)
    """Key (or `--path` path) set by `-c` -> the `-c` item that set it, so problems name the flag, not the file."""

    def origin_of(self, key: str) -> str:
        """Where the value at `key` (a key or a path into one, `ns:a.b[0]`) came from: `-c` or the stack file's name."""
        for path in sorted(self.overrides, key=len, reverse=True):
            if key == path or key.startswith((path + ".", path + "[")):
                return "-c"
        return Path(self.source).name if self.source else "stack config"

    def engine_config(self) -> dict[str, str]:
        """Config as the engine hands it to a program or a policy pack: every value a string, structures as JSON."""
        return {key: engine_value(value) for key, value in sorted(self.values.items())}


def engine_value(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, separators=(",", ":"))


def load_stack_settings(
    project: Project,
    stack: str,
    config_file: Path | None = None,
    overrides: Iterable[str] = (),
    path_keys: bool = False,
) -> StackSettings:
    """Build the config bag for `stack`; raises UsageError naming the file and key on any problem.

    Args:
        project: The loaded Pulumi.yaml.
        stack: Stack name (its Pulumi.<stack>.yaml is read unless `config_file` is given).
        config_file: `--config-file`: read this file instead of the stack's own.
        overrides: `-c KEY=VALUE` items, applied last in order.
        path_keys: `--path`: treat `-c` keys as paths into structured values (`ns:a.b[0]`).
    """
    settings = StackSettings(project=project.name, stack=stack)
    for declaration in project.config.values():
        if declaration.has_default:
            settings.values[declaration.key] = copy.deepcopy(declaration.default)
        if declaration.secret:
            settings.secret_keys.add(declaration.key)

    file = config_file or project.stack_file(stack)
    settings.source = str(file)
    if file.exists():
        _merge_stack_file(project, settings, file)
    elif config_file is not None:
        raise UsageError(f"--config-file {file}: no such file")
    elif project.known_stacks():
        known = ", ".join(project.known_stacks())
        raise UsageError(f"unknown stack `{stack}`: no {file.name} in {file.parent} (stacks with a file here: {known})")
    else:
        # A freshly cloned project ships no stack files: like a stack just made with `pulumi stack init`, its
        # config is the project defaults plus `-c`. With other stack files present, a missing one is a typo.
        settings.notes.append(
            f"no {file.name} in {file.parent}: stack `{stack}` evaluated as a new stack (project defaults and -c values only)"
        )

    for item in overrides:
        _apply_override(project, settings, item, path_keys)

    _check_declarations(project, settings)
    return settings


def _merge_stack_file(project: Project, settings: StackSettings, file: Path) -> None:
    data = read_yaml_mapping(file, "stack file")
    environment = data.get("environment")
    if isinstance(environment, list):
        settings.environments = [str(name) for name in environment]
    elif isinstance(environment, dict) and isinstance(environment.get("imports"), list):
        settings.environments = [str(name) for name in environment["imports"]]
    config = data.get("config")
    if config is None:
        return
    if not isinstance(config, dict):
        raise UsageError(f"{file}: `config` must be a mapping of `<namespace>:<name>` keys to values")
    for key, value in config.items():
        key = str(key)
        if ":" not in key:
            raise UsageError(f"{file}: config key `{key}` has no namespace; write `{project.name}:{key}`")
        plain, secret = _reveal_secure(value, f"{file}: config `{key}`")
        settings.values[key] = plain
        if secret:
            settings.secret_keys.add(key)
        else:
            settings.secret_keys.discard(key)


def _reveal_secure(value: Any, where: str) -> tuple[Any, bool]:
    """Replace `{secure: ...}` leaves by the placeholder; report whether any were found."""
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            if not isinstance(value["secure"], str):
                raise UsageError(f"{where}: `secure` must hold the ciphertext string")
            return SECRET_PLACEHOLDER, True
        found = False
        result: dict[str, Any] = {}
        for key, item in value.items():
            result[str(key)], secret = _reveal_secure(item, where)
            found = found or secret
        return result, found
    if isinstance(value, list):
        items = [_reveal_secure(item, where) for item in value]
        return [item for item, _ in items], any(secret for _, secret in items)
    return value, False


def _apply_override(project: Project, settings: StackSettings, item: str, path_keys: bool) -> None:
    key, sep, value = item.partition("=")
    if not sep or not key:
        raise UsageError(f"-c {item!r}: expected KEY=VALUE")
    full = project.full_key(key)
    settings.overrides[full] = item
    if not path_keys:
        settings.values[full] = value
        return
    root, path = split_path(full)
    settings.values[root] = set_path(settings.values.get(root), path, _scalar(value), f"-c {key}")


def split_path(key: str) -> tuple[str, list[str | int]]:
    """Split `ns:name.a[0]["b.c"]` into the root key `ns:name` and its path `["a", 0, "b.c"]`."""
    namespace, _, rest = key.partition(":")
    match = re.match(r"[^.\[\]]+", rest)
    if not namespace or match is None:
        raise UsageError(f"config key {key!r}: expected `<namespace>:<name>` optionally followed by a path")
    root = f"{namespace}:{match.group(0)}"
    path: list[str | int] = []
    position = match.end()
    while position < len(rest):
        token = _PATH_TOKEN.match(rest, position)
        if token is None:
            raise UsageError(f"config key {key!r}: cannot parse the path at {rest[position:]!r}")
        name, index, quoted = token.groups()
        path.append(int(index) if index is not None else (name if name is not None else quoted.replace('\\"', '"')))
        position = token.end()
    return root, path


def set_path(current: Any, path: list[str | int], value: Any, where: str) -> Any:
    """Return `current` with `value` placed at `path`, creating mappings and lists on the way."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(head, int):
        items = list(current) if isinstance(current, list) else []
        if current is not None and not isinstance(current, list):
            raise UsageError(f"{where}: index [{head}] into a {type(current).__name__}")
        if head > len(items):
            raise UsageError(f"{where}: index [{head}] is past the end of a list of {len(items)}")
        if head == len(items):
            items.append(None)
        items[head] = set_path(items[head], rest, value, where)
        return items
    if current is not None and not isinstance(current, dict):
        raise UsageError(f"{where}: field `{head}` inside a {type(current).__name__}")
    mapping = dict(current or {})
    mapping[head] = set_path(mapping.get(head), rest, value, where)
    return mapping


def _scalar(text: str) -> Any:
    # `pulumi config set --path` stores true/false and integers as YAML scalars, anything else as text.
    if text in ("true", "false"):
        return text == "true"
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    return text


def _check_declarations(project: Project, settings: StackSettings) -> None:
    for declaration in project.config.values():
        if declaration.key not in settings.values:
            raise UsageError(
                f"stack `{settings.stack}` is missing required config `{declaration.key}` "
                f"(declared in {project.file.name}); set it in {Path(settings.source).name} or with -c {declaration.key}=VALUE"
            )
        if declaration.type is not None:
            problem = type_problem(settings.values[declaration.key], declaration.type)
            if problem:
                raise UsageError(f"{settings.source}: config `{declaration.key}`: {problem} (declared in {project.file.name})")
