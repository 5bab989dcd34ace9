"""Reads the YAML files a preview depends on (Pulumi.yaml, stack files) strictly, as config a gate trusts.

Plain YAML loading accepts things that silently change what a stack means or that crash later: a key
written twice (the last one wins; the Pulumi CLI refuses it), anchors that expand to billions of nodes,
nesting deep enough to exhaust the stack, bytes that are not UTF-8, and tagged values (`!!binary`, `!!set`)
that no config value can be. Each is a UsageError naming the file and the line; dates stay the text
written (the Pulumi CLI hands config values to programs as strings).
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from rollway.preview.errors import UsageError

MAX_NODES = 100_000
"""Nodes a file may expand to once anchors are followed: far above any stack file, far below a billion laughs."""
MAX_DEPTH = 64
"""Nesting a value may have: config is a few levels deep; thousands would exhaust the interpreter's stack."""
MAX_BYTES = 10_000_000
"""Largest YAML file read (10 MB)."""

_PLAIN_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:seq",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:timestamp",
}


class _TooDeep(Exception):
    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that keeps timestamps as the text written (the shared SafeLoader is not modified) and stops
    composing below MAX_DEPTH."""

    _depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        # Stop at the first node deeper than `_check_nodes` allows instead of reading on: PyYAML's scanner does
        # work in proportion to the open flow collections for every token, so reaching the end of a 5,000-deep
        # `[[[...` took seconds before the depth could be checked.
        if self._depth > MAX_DEPTH:
            raise _TooDeep(int(self.peek_event().start_mark.line) + 1)
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _timestamp_as_text(loader: _StrictLoader, node: Node) -> Any:
    return loader.construct_scalar(node)


_StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_text)

# Booleans as the Pulumi CLI reads them (YAML 1.2, go-yaml v3): only true/false. YAML 1.1's yes/no/on/off
# stay the text written, so `default: off` under `type: string` is the string "off", as `pulumi` accepts it.
_StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_StrictLoader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def read_yaml_file(path: Path, what: str) -> Any:
    """Parse one YAML document from `path`; raises UsageError naming the file (and line) on any problem."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise UsageError(f"cannot read {what} {path}: {error.strerror or error}") from None
    if len(raw) > MAX_BYTES:
        raise UsageError(f"{path}: {what} is {len(raw):,} bytes; the limit is {MAX_BYTES:,}")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise UsageError(
            f"{path} (line {line}): {what} is not UTF-8 text (byte 0x{raw[error.start]:02x}); save it as UTF-8"
        ) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return parse_yaml(text, str(path))


def parse_yaml(text: str, where: str) -> Any:
    """Parse YAML text strictly (see the module docstring); `where` names it in errors."""
    try:
        loader = _StrictLoader(text)
    except yaml.YAMLError as error:
        raise UsageError(f"{where}{_at(error)}: malformed YAML: {_problem(error)}") from None
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_nodes(node, where)
        return loader.construct_document(node)
    except yaml.YAMLError as error:
        raise UsageError(f"{where}{_at(error)}: malformed YAML: {_problem(error)}") from None
    except _TooDeep as error:
        raise UsageError(f"{where} (line {error.line}): YAML nested too deeply (more than {MAX_DEPTH} levels)") from None
    except RecursionError:
        raise UsageError(f"{where}: YAML nested too deeply (more than {MAX_DEPTH} levels)") from None
    finally:
        loader.dispose()


def _at(error: yaml.YAMLError) -> str:
    mark = getattr(error, "problem_mark", None)
    if mark is None and isinstance(error, yaml.reader.ReaderError):
        return f" (character {int(error.position) + 1})"
    return f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""


def _problem(error: yaml.YAMLError) -> str:
    if isinstance(error, yaml.reader.ReaderError):
        return f"character #x{int(error.character):04x} is not allowed in YAML text (is this a binary file?)"
    return str(getattr(error, "problem", None) or error)


def _line(node: Node) -> int:
    return int(node.start_mark.line) + 1


def _check_nodes(root: Node, where: str) -> None:
    """Refuse duplicate keys, foreign tags, non-finite numbers, deep nesting and alias bombs, before constructing."""
    sizes: dict[int, int] = {}
    problems: list[str] = []

    def visit(node: Node, depth: int) -> int:
        if depth > MAX_DEPTH:
            raise UsageError(f"{where} (line {_line(node)}): YAML nested too deeply (more than {MAX_DEPTH} levels)")
        known = sizes.get(id(node))
        if known is not None:
            # An alias: the node is shared, but every use expands it again.
            return known
        if node.tag not in _PLAIN_TAGS:
            problems.append(f"{where} (line {_line(node)}): YAML tag {node.tag} is not a config value; remove it")
        size = 1
        if isinstance(node, MappingNode):
            first_line: dict[Any, int] = {}
            for key, value in node.value:
                if key.tag == "tag:yaml.org,2002:merge":
                    size += visit(value, depth + 1)
                    continue
                if isinstance(key, ScalarNode):
                    seen = first_line.get(key.value)
                    if seen is not None:
                        problems.append(
                            f"{where} (line {_line(key)}): duplicate key `{key.value}` (first at line {seen}); "
                            "a key may appear once in a mapping"
                        )
                    else:
                        first_line[key.value] = _line(key)
                else:
                    problems.append(f"{where} (line {_line(key)}): mapping keys must be plain scalars")
                size += visit(key, depth + 1) + visit(value, depth + 1)
        elif isinstance(node, SequenceNode):
            for item in node.value:
                size += visit(item, depth + 1)
        elif node.tag == "tag:yaml.org,2002:float" and not math.isfinite(_float(node.value)):
            problems.append(f"{where} (line {_line(node)}): `{node.value}` is not a finite number; write a number or quote it")
        sizes[id(node)] = size
        if size > MAX_NODES:
            raise UsageError(f"{where}: YAML expands to more than {MAX_NODES:,} values (anchors and aliases); refused")
        return size

    visit(root, 0)
    if problems:
        raise UsageError("\n".join(problems))


def _float(text: str) -> float:
    try:
        return float(text.replace("_", ""))
    except ValueError:
        lowered = text.lower()
        if lowered in (".nan",):
            return math.nan
        if lowered.lstrip("+-") == ".inf":
            return math.inf
        return 0.0
