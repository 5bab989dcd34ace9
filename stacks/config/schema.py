"""JSON Schema of a stack file's `rollway:*` config and the config reference, both generated from the model.

    python -m stacks.config.schema            # rewrite stacks/config/pulumi-stack.schema.json and docs/config-reference.md
    python -m stacks.config.schema --check    # exit 1 when either is out of date (CI, tests)

Each Pulumi.<stack>.yaml names the schema in its first line (`# yaml-language-server: $schema=...`), so
editors with the YAML language server (VS Code's YAML extension, JetBrains, Neovim) validate and complete
the keys, bounds and enums while typing. Keys of other namespaces (`aws:region`, ...) are left alone.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from stacks.config.model import StackConfig

NAMESPACE = "rollway"
ROOT = Path(__file__).resolve().parents[2]
SCHEMA_FILE = Path(__file__).resolve().parent / "pulumi-stack.schema.json"
REFERENCE_FILE = ROOT / "docs" / "config-reference.md"
SCHEMA_ID = "https://rollway.dev/schemas/pulumi-stack.schema.json"
MODELINE = "# yaml-language-server: $schema=stacks/config/pulumi-stack.schema.json"
"""First line of every Pulumi.<stack>.yaml (the path is relative to the stack file, at the project root)."""

_SECURE = {
    "type": "object",
    "properties": {"secure": {"type": "string"}},
    "required": ["secure"],
    "additionalProperties": False,
    "description": "A value encrypted by `pulumi config set --secret`.",
}


def _model_schema() -> dict[str, Any]:
    schema = StackConfig.model_json_schema(by_alias=True, mode="validation", ref_template="#/$defs/{model}")
    _drop_titles(schema)
    return schema


def _drop_titles(node: Any) -> None:
    # Pydantic's generated titles ("Canaryweight") only add noise next to the keys themselves.
    if isinstance(node, dict):
        title = node.get("title")
        if isinstance(title, str) and "properties" not in node:
            del node["title"]
        for value in node.values():
            _drop_titles(value)
    elif isinstance(node, list):
        for value in node:
            _drop_titles(value)


def stack_file_schema() -> dict[str, Any]:
    """The JSON Schema of a whole Pulumi.<stack>.yaml, `rollway:*` keys typed from StackConfig."""
    model = _model_schema()
    keys: dict[str, Any] = {}
    for name, prop in model["properties"].items():
        keys[f"{NAMESPACE}:{name}"] = prop
    secrets = keys.get(f"{NAMESPACE}:secrets")
    if secrets is not None:
        keys[f"{NAMESPACE}:secrets"] = {
            "description": secrets.get("description", ""),
            "type": "object",
            "additionalProperties": {"anyOf": [{"type": "string"}, _SECURE]},
        }
    known = "|".join(sorted(model["properties"]))
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "Pulumi stack file of a Rollway project",
        "description": "Generated from stacks/config/model.py by `python -m stacks.config.schema`; do not edit.",
        "type": "object",
        "properties": {
            "config": {
                "type": "object",
                "properties": keys,
                "required": [f"{NAMESPACE}:{name}" for name in model.get("required", [])],
                # Other namespaces are the providers' and the program's own; an unknown `rollway:` key is a typo.
                "patternProperties": {f"^{NAMESPACE}:(?!({known})$)": False},
            },
            "secretsprovider": {"type": "string"},
            "encryptedkey": {"type": "string"},
            "encryptionsalt": {"type": "string"},
            "environment": {},
        },
        "$defs": model.get("$defs", {}),
    }


def _resolve(schema: Mapping[str, Any], node: Mapping[str, Any]) -> Mapping[str, Any]:
    ref = node.get("$ref")
    if isinstance(ref, str):
        return _resolve(schema, schema["$defs"][ref.rsplit("/", 1)[-1]])
    options = [option for option in node.get("anyOf", []) if option.get("type") != "null"]
    if len(options) == 1 and "$ref" in options[0]:
        merged = {**_resolve(schema, options[0]), **{k: v for k, v in node.items() if k != "anyOf"}}
        return merged
    return node


def _type_of(schema: Mapping[str, Any], node: Mapping[str, Any]) -> str:
    node = _resolve(schema, node)
    if "enum" in node:
        return " \\| ".join(f"`{value}`" for value in node["enum"])
    if "const" in node:
        return f"`{node['const']}`"
    if "anyOf" in node:
        return " or ".join(_type_of(schema, option) for option in node["anyOf"])
    kind = node.get("type", "any")
    if kind == "array":
        return f"list of {_type_of(schema, node.get('items', {}))}"
    if kind == "object" and isinstance(node.get("additionalProperties"), dict) and "properties" not in node:
        return f"map of {_type_of(schema, node['additionalProperties'])}"
    return str(kind)


def _constraints(node: Mapping[str, Any]) -> str:
    parts = []
    if "minimum" in node and "maximum" in node:
        parts.append(f"{node['minimum']:g}..{node['maximum']:g}")
    elif "minimum" in node:
        parts.append(f">= {node['minimum']:g}")
    elif "maximum" in node:
        parts.append(f"<= {node['maximum']:g}")
    if "pattern" in node:
        parts.append(f"pattern `{node['pattern']}`")
    if "minItems" in node:
        parts.append(f"at least {node['minItems']} item(s)")
    if "minProperties" in node:
        parts.append(f"at least {node['minProperties']} entry(ies)")
    return ", ".join(parts)


def _rows(schema: Mapping[str, Any], path: str, node: Mapping[str, Any], required: bool) -> Iterator[tuple[str, ...]]:
    node = _resolve(schema, node)
    default = node.get("default")
    shown_default = "" if default is None and not required else ("required" if required else f"`{json.dumps(default)}`")
    description = " ".join(str(node.get("description", "")).split()).replace("|", "\\|")
    yield (f"`{path}`", _type_of(schema, node), shown_default, _constraints(node), description)
    if "properties" in node:
        for name, child in node["properties"].items():
            yield from _rows(schema, f"{path}.{name}", child, name in node.get("required", []))
    extra = node.get("additionalProperties")
    if isinstance(extra, dict) and "properties" not in node:
        inner = _resolve(schema, extra)
        if "properties" in inner:
            for name, child in inner["properties"].items():
                yield from _rows(schema, f"{path}.<name>.{name}", child, name in inner.get("required", []))
    items = node.get("items")
    if isinstance(items, dict):
        inner = _resolve(schema, items)
        for name, child in inner.get("properties", {}).items():
            yield from _rows(schema, f"{path}[].{name}", child, name in inner.get("required", []))


def config_reference() -> str:
    """Markdown reference of every `rollway:*` key, from the same schema editors use."""
    schema = stack_file_schema()
    config = schema["properties"]["config"]
    lines = [
        "# Stack config reference (`rollway:*`)",
        "",
        "Generated from `stacks/config/model.py` by `python -m stacks.config.schema`; do not edit by hand.",
        "Editors validate stack files against `stacks/config/pulumi-stack.schema.json` (named in the first line",
        "of every `Pulumi.<stack>.yaml`). `<name>` stands for a map key (a service name, a secret name).",
        "Cross-field rules (e.g. an idle image when `canaryWeight` > 0, per-cloud limits) are checked by",
        "`rollway preview` and the program, not by the schema.",
        "",
        "| Key | Type | Default | Bounds | Description |",
        "| --- | --- | --- | --- | --- |",
    ]
    for key, node in config["properties"].items():
        for row in _rows(schema, key, node, key in config["required"]):
            lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines) + "\n"


def _schema_text() -> str:
    return json.dumps(stack_file_schema(), indent=2, sort_keys=False) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stacks.config.schema", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when the shipped files are out of date")
    args = parser.parse_args(argv)
    wanted = {SCHEMA_FILE: _schema_text(), REFERENCE_FILE: config_reference()}
    stale = [path for path, text in wanted.items() if not path.is_file() or path.read_text(encoding="utf-8") != text]
    if args.check:
        for path in stale:
            print(f"{path.relative_to(ROOT)} is out of date: run python -m stacks.config.schema", file=sys.stderr)
        return 1 if stale else 0
    for path in stale:
        path.write_text(wanted[path], encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
