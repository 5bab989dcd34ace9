"""Renders the stack file of a per-pull-request preview stack (`pr-<number>`) from the preview template.

The template (`Pulumi.preview.yaml`) is an ordinary stack file with `rollway:environment: preview`. Each
pull request gets a copy with the values that must differ between concurrent preview stacks made unique:
its own Kubernetes namespace, hostnames under `pr-<number>.`, and a `pull-request` tag for cost reports
and orphan clean-up. Names the program derives from the stack (auto-naming) need nothing here.

Encrypted values cannot be copied: a `secure:` value is bound to the stack that encrypted it. Secrets of
preview stacks come from a Pulumi ESC environment imported by the template (`environment:` key).

    python .github/scripts/pr_stack_config.py --template Pulumi.preview.yaml --pr 123

writes Pulumi.pr-123.yaml next to the template and prints its path. Exit status 2 with one message per
problem when the template cannot serve as a preview template.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

PREVIEW_ENVIRONMENT = "preview"
SECRET_STATE_KEYS = ("encryptionsalt", "encryptedkey", "secretsprovider")
DNS_LABEL_MAX = 63
DEFAULT_NAMESPACE = "rollway-preview"


class TemplateError(Exception):
    """The template cannot be rendered; `problems` lists every reason, each naming the file and key."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__("\n".join(f"{source}: {problem}" for problem in problems))


@dataclass(frozen=True)
class Override:
    """One per-pull-request change to a nested `rollway:<block>` setting."""

    block: str
    """Top-level config key holding the settings, e.g. `rollway:kubernetes`."""
    key: str
    """Setting inside the block, e.g. `namespace`."""
    value: Callable[[Any, int], Any]
    """Computes the new value from the template's value (None when unset) and the pull request number."""
    only_if_set: bool
    """Leave the setting alone when the template does not set it (the program's default is fine)."""


def namespace_for(template_value: Any, pr: int) -> str:
    """`<template namespace>-pr-<n>`, cut so the whole stays a DNS label."""
    suffix = f"-pr-{pr}"
    base = str(template_value) if template_value else DEFAULT_NAMESPACE
    return base[: DNS_LABEL_MAX - len(suffix)].rstrip("-") + suffix


def hostname_for(template_value: Any, pr: int) -> str:
    return f"pr-{pr}.{template_value}"


OVERRIDES: tuple[Override, ...] = (
    Override("rollway:kubernetes", "namespace", namespace_for, only_if_set=False),
    Override("rollway:kubernetes", "hostname", hostname_for, only_if_set=True),
    Override("rollway:gcp", "domain", hostname_for, only_if_set=True),
)


def _secure_paths(value: Any, path: str) -> Iterator[str]:
    if isinstance(value, Mapping):
        if set(value) == {"secure"}:
            yield path
            return
        for key, child in value.items():
            yield from _secure_paths(child, f"{path}.{key}")
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _secure_paths(child, f"{path}[{index}]")


def template_problems(document: Any) -> list[str]:
    """Everything that stops the template from serving every pull request."""
    if not isinstance(document, Mapping):
        return ["must be a YAML mapping with a `config:` key"]
    problems = [
        f"`{key}` binds encrypted values to the template's own stack; remove it and keep secrets in an ESC environment"
        for key in SECRET_STATE_KEYS
        if key in document
    ]
    config = document.get("config")
    if not isinstance(config, Mapping):
        problems.append("`config` must be a mapping of config keys")
        return problems
    environment = config.get("rollway:environment")
    if environment != PREVIEW_ENVIRONMENT:
        problems.append(
            f"`config.rollway:environment` is {environment!r}; it must be `preview` so the preview policy config and cost limits apply"
        )
    for key, value in config.items():
        for path in _secure_paths(value, f"config.{key}"):
            problems.append(
                f"`{path}` is an encrypted (`secure:`) value, which only its own stack can decrypt; import it from an ESC environment"
            )
    for override in OVERRIDES:
        block = config.get(override.block)
        if block is not None and not isinstance(block, Mapping):
            problems.append(f"`config.{override.block}` must be a mapping")
    return problems


def _clouds(config: Mapping[str, Any]) -> set[str]:
    clouds = config.get("rollway:clouds")
    return {str(cloud) for cloud in clouds} if isinstance(clouds, list) else set()


def render(document: Mapping[str, Any], pr: int, source: str = "template") -> dict[str, Any]:
    """A copy of the template with the per-pull-request values; raises TemplateError listing every problem."""
    if pr < 1:
        raise TemplateError(source, [f"pull request number must be a positive integer, got {pr}"])
    problems = template_problems(document)
    if problems:
        raise TemplateError(source, problems)
    rendered = dict(document)
    config: dict[str, Any] = dict(document["config"])
    clouds = _clouds(config)
    for override in OVERRIDES:
        cloud = override.block.removeprefix("rollway:")
        if cloud not in clouds:
            continue
        block = dict(config.get(override.block) or {})
        current = block.get(override.key)
        if current is None and override.only_if_set:
            continue
        block[override.key] = override.value(current, pr)
        config[override.block] = block
    tags = dict(config.get("rollway:tags") or {})
    tags["pull-request"] = str(pr)
    config["rollway:tags"] = tags
    rendered["config"] = config
    return rendered


def stack_file_for(template: Path, pr: int) -> Path:
    return template.with_name(f"Pulumi.pr-{pr}.yaml")


def write_stack_file(template: Path, pr: int, output: Path | None = None) -> Path:
    """Render `template` for pull request `pr` into `output` (default: Pulumi.pr-<pr>.yaml beside it)."""
    source = str(template)
    try:
        document = yaml.safe_load(template.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TemplateError(source, ["not found; the preview template stack file must exist to create preview stacks"]) from None
    except yaml.YAMLError as exc:
        raise TemplateError(source, [f"is not valid YAML: {exc}"]) from None
    rendered = render(document, pr, source)
    target = output or stack_file_for(template, pr)
    header = f"# Generated from {template.name} for pull request #{pr} by .github/scripts/pr_stack_config.py; do not edit.\n"
    target.write_text(header + yaml.safe_dump(rendered, sort_keys=False), encoding="utf-8")
    return target


def _positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a pull request number, got {text!r}")
    return int(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Render Pulumi.pr-<number>.yaml from the preview template.")
    parser.add_argument("--template", type=Path, default=Path("Pulumi.preview.yaml"), help="preview template stack file")
    parser.add_argument("--pr", type=_positive_int, required=True, help="pull request number")
    parser.add_argument("--output", type=Path, help="stack file to write (default: Pulumi.pr-<number>.yaml beside the template)")
    args = parser.parse_args(argv)
    try:
        target = write_stack_file(args.template, args.pr, args.output)
    except TemplateError as exc:
        for problem in exc.problems:
            print(f"error: {exc.source}: {problem}", file=sys.stderr)
        return 2
    print(target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
