"""What changes between two recordings of the same program: added, removed and changed resources with
the input paths that differ (old -> new). The basis of blast-radius tests and `rollway diff`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from rollway.engine.run import RecordedResource
from rollway.engine.values import Secret

ChangeKind = Literal["added", "removed", "changed"]
_MISSING = object()


@dataclass(frozen=True)
class PathChange:
    path: str
    old: Any
    new: Any


@dataclass(frozen=True)
class ResourceChange:
    kind: ChangeKind
    urn: str
    type: str
    name: str
    changes: tuple[PathChange, ...] = field(default_factory=tuple)


def diff_resources(old: Iterable[RecordedResource], new: Iterable[RecordedResource]) -> list[ResourceChange]:
    """Resources added, removed, or whose inputs or options changed, keyed by URN."""
    before = {r.urn: r for r in old if not r.is_provider}
    after = {r.urn: r for r in new if not r.is_provider}
    result: list[ResourceChange] = []
    for urn, resource in after.items():
        previous = before.get(urn)
        if previous is None:
            result.append(ResourceChange("added", urn, resource.type, resource.name))
            continue
        changes = tuple(_walk(previous.inputs, resource.inputs, "")) + tuple(_walk(previous.options, resource.options, "options"))
        if changes:
            result.append(ResourceChange("changed", urn, resource.type, resource.name, changes))
    for urn, resource in before.items():
        if urn not in after:
            result.append(ResourceChange("removed", urn, resource.type, resource.name))
    return result


def _walk(old: Any, new: Any, path: str) -> list[PathChange]:
    if isinstance(old, Secret) and isinstance(new, Secret):
        # Secret values are compared but never revealed.
        return [] if old.value == new.value else [PathChange(path, old, new)]
    if isinstance(old, dict) and isinstance(new, dict):
        changes: list[PathChange] = []
        for key in sorted(set(old) | set(new), key=str):
            sub = f"{path}.{key}" if path else str(key)
            changes += _walk(old.get(key, _MISSING), new.get(key, _MISSING), sub)
        return changes
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        changes = []
        for index, (a, b) in enumerate(zip(old, new, strict=True)):
            changes += _walk(a, b, f"{path}[{index}]")
        return changes
    if old is _MISSING:
        return [PathChange(path, None, new)]
    if new is _MISSING:
        return [PathChange(path, old, None)]
    return [] if old == new else [PathChange(path, old, new)]
