"""Defensive reading of resource properties.

The engine hands a policy its resource inputs wrapped in pulumi_policy proxies that raise on access to a value
unknown during preview. Policies here never touch those proxies directly: `plain()` copies the tree once into
ordinary dicts and lists, with every unknown value replaced by an `Unknown` marker, and the readers below turn
anything missing, None, unknown or of the wrong type into None (or the marker) instead of raising.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy.proxy import (
    UNKNOWN_ARCHIVE_VALUE,
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_ASSET_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
    UnknownValueError,
    _DictProxy,
    _ListProxy,
)

UNKNOWN_SENTINELS = frozenset(
    {
        UNKNOWN_BOOLEAN_VALUE,
        UNKNOWN_NUMBER_VALUE,
        UNKNOWN_STRING_VALUE,
        UNKNOWN_ARRAY_VALUE,
        UNKNOWN_ASSET_VALUE,
        UNKNOWN_ARCHIVE_VALUE,
        UNKNOWN_OBJECT_VALUE,
    }
)

_SDK_PROXIES = (_DictProxy, _ListProxy)

_MAX_DEPTH = 64
"""Deeper trees are cut off (a real resource never nests this deep; a hostile one must not recurse forever)."""


class Unknown:
    """A value the engine cannot know yet (preview). Keeps the engine's sentinel so the type can be reported."""

    __slots__ = ("sentinel",)

    def __init__(self, sentinel: str = UNKNOWN_STRING_VALUE) -> None:
        self.sentinel = sentinel

    def __repr__(self) -> str:
        return "<unknown>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Unknown)

    def __hash__(self) -> int:
        return hash(Unknown)


def is_unknown(value: Any) -> bool:
    return isinstance(value, Unknown) or (isinstance(value, str) and value in UNKNOWN_SENTINELS)


def plain(value: Any, _depth: int = 0) -> Any:
    """Deep copy of a (possibly proxied) property tree into dicts/lists, unknowns replaced by `Unknown`."""
    if _depth > _MAX_DEPTH:
        return None
    if type(value) in _SDK_PROXIES:
        # Reading through the SDK's unknown-checking proxy raises (and we catch) an exception per unknown value;
        # its target holds the same values, unknowns as sentinel strings, which become the same `Unknown` below.
        value = value["__target"]
    if isinstance(value, str):
        return Unknown(value) if value in UNKNOWN_SENTINELS else value
    if isinstance(value, Mapping):
        result: dict[str, Any] = {}
        for key in list(value):
            if not isinstance(key, str):
                continue
            try:
                item = value[key]
            except UnknownValueError as error:
                item = Unknown(error.unknown_type_sentinel)
            except Exception:  # a proxy that cannot produce the value is the same as an absent value
                continue
            result[key] = plain(item, _depth + 1)
        return result
    if isinstance(value, Sequence) and not isinstance(value, (bytes, bytearray)):
        items: list[Any] = []
        for index in range(len(value)):
            try:
                item = value[index]
            except UnknownValueError as error:
                item = Unknown(error.unknown_type_sentinel)
            except Exception:
                continue
            items.append(plain(item, _depth + 1))
        return items
    if value is None or isinstance(value, (bool, int, float, Unknown)):
        return value
    # Assets, archives and anything exotic: policies only reason about JSON-like data.
    return None


def get(tree: Any, *path: str | int) -> Any:
    """Value at `path` inside a plain tree; None when any step is missing or of the wrong shape.

    An unknown value part-way down the path is returned as that `Unknown` (the rest can't be known either).
    """
    current = tree
    for step in path:
        if isinstance(current, Unknown):
            return current
        if isinstance(step, str):
            if not isinstance(current, dict):
                return None
            current = current.get(step)
        else:
            if not isinstance(current, list) or not -len(current) <= step < len(current):
                return None
            current = current[step]
    return current


def text(value: Any) -> str | None:
    """A string value, else None (unknowns included: check `is_unknown` first where it matters)."""
    return value if isinstance(value, str) else None


def flag(value: Any) -> bool | None:
    """A boolean, accepting the strings "true"/"false" some providers use (EC2 launch templates); else None."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def number(value: Any) -> float | None:
    """A finite number (numeric strings accepted, booleans not); else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        result = float(value)
    elif isinstance(value, str):
        try:
            result = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    if result != result or result in (float("inf"), float("-inf")):
        return None
    return result


def items(value: Any) -> list[Any]:
    """List elements (a single non-list value is not a list: empty)."""
    return value if isinstance(value, list) else []


def mapping(value: Any) -> dict[str, Any]:
    """A dict, else empty."""
    return value if isinstance(value, dict) else {}


def strings(value: Any) -> list[str]:
    """String elements of a list, or the value itself when it is a single string."""
    if isinstance(value, str) and not is_unknown(value):
        return [value]
    return [item for item in items(value) if isinstance(item, str)]


def json_document(value: Any) -> Any:
    """A JSON policy/definition document given as a string or already as an object; None when unparsable."""
    if isinstance(value, (dict, list)):
        return value
    if isinstance(value, str) and value.strip()[:1] in ("{", "["):
        try:
            return plain(json.loads(value))
        except (ValueError, RecursionError):
            return None
    return None


def set_value(props: dict[str, Any], key: str, value: Any) -> bool:
    """Remediation helper: set `props[key]` to `value`; returns whether that changed anything."""
    if props.get(key) == value:
        return False
    props[key] = value
    return True


def walk(tree: Any, path: tuple[str | int, ...] = (), _depth: int = 0) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    """Every (path, leaf-or-node) pair of a plain tree, depth first."""
    yield path, tree
    if _depth > _MAX_DEPTH:
        return
    if isinstance(tree, dict):
        for key, value in tree.items():
            yield from walk(value, (*path, key), _depth + 1)
    elif isinstance(tree, list):
        for index, value in enumerate(tree):
            yield from walk(value, (*path, index), _depth + 1)


def dotted(path: tuple[str | int, ...]) -> str:
    """`a.b[0].c` form of a property path, as shown in messages."""
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else step)
    return out
