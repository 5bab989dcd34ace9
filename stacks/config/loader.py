"""Reads `rollway:*` keys from Pulumi config and validates them into a StackConfig.

Structure, types and single values (cron syntax and time zones in stacks/config/schedules.py, canary
headers, CIDRs) are checked by the pydantic models; relations between values (ranges, min <= max, images
for colors that receive traffic, at least two scheduled windows, overlapping networks, secrets) are checked
here, so every problem is reported with the stack file, the key path, the value and what is allowed.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Mapping
from typing import Any

import pulumi
import pulumi.runtime.config as runtime_config
from pydantic import BaseModel, ValidationError

from stacks.config.base import ConfigModel, overlapping_ranges
from stacks.config.model import CLOUDS, ENV_VAR_NAME, MIN_SCHEDULED_WINDOWS, SERVICE_NAME, StackConfig
from stacks.config.problems import ConfigError, ConfigProblem

NAMESPACE = "rollway"
SECRET_KEY = f"{NAMESPACE}:secrets"
SECRET_LOOKING_NAMES = ("PASSWORD", "PASSWD", "SECRET", "TOKEN", "API_KEY", "APIKEY", "PRIVATE_KEY", "CREDENTIAL")

# Provider config keys a cloud's settings fall back to when the `rollway:<cloud>` block leaves them out.
PROVIDER_DEFAULTS: dict[str, dict[str, str]] = {
    "aws": {"region": "aws:region"},
    "gcp": {"project": "gcp:project", "region": "gcp:region"},
    "azure": {"location": "azure-native:location"},
}


class _Lookup:
    """Reads the whole config bag, whether set in-process (mocks, Automation API) or by the engine."""

    def __init__(self, values: Mapping[str, Any] | None = None, secret_keys: Iterable[str] | None = None) -> None:
        if values is None:
            merged: dict[str, Any] = dict(runtime_config.get_config_env())
            merged.update(runtime_config.CONFIG.get())
            values = merged
        self.values = dict(values)
        self._secret_keys = set(secret_keys) if secret_keys is not None else None

    def is_secret(self, key: str) -> bool:
        if self._secret_keys is not None:
            return key in self._secret_keys
        return runtime_config.is_config_secret(key)


def stack_file_name() -> str:
    return f"Pulumi.{pulumi.get_stack()}.yaml"


def load_stack_config(
    values: Mapping[str, Any] | None = None,
    secret_keys: Iterable[str] | None = None,
    source: str | None = None,
) -> StackConfig:
    """Validate the stack's `rollway:*` config; raises ConfigError listing every problem.

    With no arguments it reads the running program's config; `values`/`secret_keys` let tools and
    tests validate a config bag directly (keys as the engine passes them, e.g. `rollway:services`).
    """
    lookup = _Lookup(values, secret_keys)
    source = source or stack_file_name()
    raw, problems = _raw_rollway_config(lookup)
    if problems:
        raise ConfigError(source, problems)
    try:
        config = StackConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(source, [_problem_from_error(error) for error in exc.errors()]) from None
    problems = semantic_problems(config, lookup)
    if problems:
        raise ConfigError(source, problems)
    return config


def _raw_rollway_config(lookup: _Lookup) -> tuple[dict[str, Any], list[ConfigProblem]]:
    raw: dict[str, Any] = {}
    problems: list[ConfigProblem] = []
    prefix = f"{NAMESPACE}:"
    for key, value in lookup.values.items():
        if not key.startswith(prefix):
            continue
        name = key[len(prefix) :]
        if isinstance(value, str) and value[:1] in "[{":
            try:
                value = json.loads(value)
            except json.JSONDecodeError:
                problems.append(
                    ConfigProblem(key, "is not valid structured config (JSON); set it with `pulumi config set --path`")
                )
                continue
        raw[name] = value
    for cloud, defaults in PROVIDER_DEFAULTS.items():
        block = raw.get(cloud)
        targeted = cloud in _as_list(raw.get("clouds"))
        if block is None and targeted:
            block = raw[cloud] = {}
        if isinstance(block, dict):
            for field, provider_key in defaults.items():
                if field not in block and provider_key in lookup.values:
                    block[field] = lookup.values[provider_key]
    return raw, problems


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _key(loc: tuple[Any, ...]) -> str:
    text = NAMESPACE + ":"
    first = True
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += part if first else f".{part}"
        first = False
    return text


def _all_aliases() -> list[str]:
    names: set[str] = set()
    seen: set[type[BaseModel]] = set()
    stack: list[type[BaseModel]] = [StackConfig]
    while stack:
        model = stack.pop()
        if model in seen:
            continue
        seen.add(model)
        for name, field in model.model_fields.items():
            names.add(field.alias or name)
        for sub in ConfigModel.__subclasses__():
            stack.append(sub)
            stack.extend(sub.__subclasses__())
    return sorted(names)


def _problem_from_error(error: Mapping[str, Any]) -> ConfigProblem:
    loc = tuple(part for part in error["loc"] if not (isinstance(part, str) and part.startswith("function-")))
    key = _key(loc)
    kind = error["type"]
    value = error.get("input")
    secret = bool(loc) and loc[0] == "secrets"
    ctx = error.get("ctx") or {}

    if kind == "missing":
        return ConfigProblem(key, "is required")
    if kind == "extra_forbidden":
        name = str(loc[-1]) if loc else ""
        close = difflib.get_close_matches(name, _all_aliases(), n=1, cutoff=0.75)
        hint = f"; did you mean `{close[0]}`?" if close else ""
        return ConfigProblem(key, f"is not a known key{hint}")
    if kind in ("literal_error", "enum"):
        message = f"must be one of: {ctx.get('expected', '')}".replace("'", "")
    elif kind in ("model_type", "model_attributes_type", "dict_type"):
        message = "must be an object (a map of keys to values)"
    elif kind == "list_type":
        message = "must be a list"
    elif kind in ("int_type", "int_parsing", "int_from_float"):
        message = "must be a whole number"
    elif kind in ("float_type", "float_parsing"):
        message = "must be a number"
    elif kind in ("string_type",):
        message = "must be a string"
    elif kind in ("bool_type", "bool_parsing"):
        message = "must be true or false"
    elif kind == "greater_than_equal":
        message = f"must be at least {ctx.get('ge')}"
    elif kind == "less_than_equal":
        message = f"must be at most {ctx.get('le')}"
    elif kind == "too_short":
        message = f"must have at least {ctx.get('min_length')} item(s)"
    elif kind == "value_error":
        message = str(ctx.get("error", error.get("msg", "")))
    else:
        message = str(error.get("msg", "is invalid")).lower()
    if secret:
        return ConfigProblem(key, message)
    return ConfigProblem(key, message, value)


def semantic_problems(config: StackConfig, lookup: _Lookup | None = None) -> list[ConfigProblem]:
    """Checks that relate values to each other; empty when the config is valid."""
    lookup = lookup or _Lookup()
    problems: list[ConfigProblem] = []
    problems += _cloud_problems(config)
    problems += _tag_problems(config)
    problems += _service_problems(config)
    problems += _secret_problems(config, lookup)
    return problems


def _cloud_problems(config: StackConfig) -> list[ConfigProblem]:
    problems: list[ConfigProblem] = []
    seen: set[str] = set()
    for index, cloud in enumerate(config.clouds):
        if cloud in seen:
            problems.append(ConfigProblem(f"{NAMESPACE}:clouds[{index}]", "is listed twice", cloud))
        seen.add(cloud)
    ranges: dict[str, str] = {}
    for cloud in CLOUDS:
        if cloud not in seen:
            continue
        settings = config.settings(cloud)
        prefix = f"{NAMESPACE}:{cloud}"
        for field, provider_key in PROVIDER_DEFAULTS.get(cloud, {}).items():
            if getattr(settings, field, None) is None:
                problems.append(
                    ConfigProblem(f"{prefix}.{field}", f"is required when {cloud} is targeted (or set {provider_key})")
                )
        problems += settings.problems(prefix, config.environment)
        problems += settings.service_problems(prefix, config.services)
        for key, cidr in settings.network_ranges().items():
            ranges[f"{prefix}.{key}"] = cidr
    problems += overlapping_ranges(ranges)
    return problems


def _tag_problems(config: StackConfig) -> list[ConfigProblem]:
    problems: list[ConfigProblem] = []
    for required in ("cost-center", "owner"):
        value = config.tags.get(required)
        if value is None:
            problems.append(ConfigProblem(f"{NAMESPACE}:tags.{required}", "is required (every taggable resource carries it)"))
        elif not value.strip():
            problems.append(ConfigProblem(f"{NAMESPACE}:tags.{required}", "must not be empty", value))
    env_tag = config.tags.get("environment")
    if env_tag is not None and env_tag != config.environment:
        problems.append(
            ConfigProblem(
                f"{NAMESPACE}:tags.environment", f"must match rollway:environment ({config.environment}) or be left out", env_tag
            )
        )
    return problems


def _service_problems(config: StackConfig) -> list[ConfigProblem]:
    problems: list[ConfigProblem] = []
    by_lower: dict[str, str] = {}
    for name, service in config.services.items():
        prefix = f"{NAMESPACE}:services.{name}"
        if not SERVICE_NAME.match(name):
            problems.append(
                ConfigProblem(
                    f"{NAMESPACE}:services", "service names must be 2-32 letters, digits or '-', starting with a letter", name
                )
            )
        previous = by_lower.get(name.lower())
        if previous is not None:
            problems.append(
                ConfigProblem(
                    prefix, f"duplicates service `{previous}` (names differ only in case; resource names are lowercase)", name
                )
            )
        by_lower[name.lower()] = name
        if not service.health_check_path.startswith("/"):
            problems.append(
                ConfigProblem(f"{prefix}.healthCheckPath", "must be an absolute path starting with /", service.health_check_path)
            )
        live_image = service.image.for_color(service.live_color)
        if not live_image:
            problems.append(
                ConfigProblem(f"{prefix}.image.{service.live_color}", f"is required: {service.live_color} is the live color")
            )
        idle_image = service.image.for_color(service.idle_color)
        if service.canary_weight > 0 and not idle_image:
            problems.append(
                ConfigProblem(
                    f"{prefix}.canaryWeight",
                    f"must be 0 while the idle color ({service.idle_color}) has no image; set image.{service.idle_color} first",
                    service.canary_weight,
                )
            )
        for color, image in (("blue", service.image.blue), ("green", service.image.green)):
            if image is not None and (not image.strip() or any(ch.isspace() for ch in image)):
                problems.append(
                    ConfigProblem(f"{prefix}.image.{color}", "must be a container image reference without spaces", image)
                )
        scaling = service.autoscaling
        if scaling.min > scaling.max:
            problems.append(
                ConfigProblem(f"{prefix}.autoscaling.min", f"must not exceed autoscaling.max ({scaling.max})", scaling.min)
            )
        if 0 < len(scaling.schedules) < MIN_SCHEDULED_WINDOWS:
            problems.append(
                ConfigProblem(
                    f"{prefix}.autoscaling.schedules",
                    f"needs at least {MIN_SCHEDULED_WINDOWS} windows: a window lasts until the next one fires, so a lone "
                    "window would never end; add one that restores the usual bounds (e.g. `evening` at 20:00)",
                    [window.name for window in scaling.schedules],
                )
            )
        window_names: set[str] = set()
        for index, window in enumerate(scaling.schedules):
            window_key = f"{prefix}.autoscaling.schedules[{index}]"
            if window.name in window_names:
                problems.append(
                    ConfigProblem(
                        f"{window_key}.name", "is used by another window of this service; names must be unique", window.name
                    )
                )
            window_names.add(window.name)
            if window.max > scaling.max:
                problems.append(
                    ConfigProblem(
                        f"{window_key}.max",
                        f"must not exceed autoscaling.max ({scaling.max}), the service's capacity (and cost) ceiling",
                        window.max,
                    )
                )
            if window.min > window.max:
                problems.append(
                    ConfigProblem(
                        f"{prefix}.autoscaling.schedules[{index}].min",
                        f"must not exceed that window's max ({window.max})",
                        window.min,
                    )
                )
        for var in list(service.environment) + list(service.secrets):
            if not ENV_VAR_NAME.match(var):
                problems.append(
                    ConfigProblem(f"{prefix}.environment", "environment variable names must be UPPER_SNAKE_CASE", var)
                )
        for var in service.environment:
            if any(marker in var.upper() for marker in SECRET_LOOKING_NAMES):
                problems.append(
                    ConfigProblem(
                        f"{prefix}.environment.{var}",
                        "looks like a secret; store it with `pulumi config set --secret --path rollway:secrets.<name>` "
                        "and reference it from the service's `secrets`",
                    )
                )
    return problems


def _secret_problems(config: StackConfig, lookup: _Lookup) -> list[ConfigProblem]:
    problems: list[ConfigProblem] = []
    available = set(config.secrets or {})
    if config.secrets is not None and not lookup.is_secret(SECRET_KEY):
        problems.append(
            ConfigProblem(
                SECRET_KEY,
                "must be set with `pulumi config set --secret --path rollway:secrets.<name> <value>`; plain-text secrets are refused",
            )
        )
    for name, service in config.services.items():
        for var, secret_name in service.secrets.items():
            if secret_name not in available:
                known = ", ".join(sorted(available)) or "none are set"
                problems.append(
                    ConfigProblem(
                        f"{NAMESPACE}:services.{name}.secrets.{var}",
                        f"names no secret in rollway:secrets (available: {known})",
                        secret_name,
                    )
                )
    return problems
