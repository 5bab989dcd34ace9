"""Queries and assertions over a recorded stack, in the spirit of AWS CDK's assertions library.

Failures explain themselves: the closest candidate of the type and every path where it differs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from rollway.engine.diff import ResourceChange, diff_resources
from rollway.engine.run import RecordedResource, Recording
from rollway.engine.values import UNKNOWN, Secret
from rollway.testing.matchers import Mismatch, mismatches


class StackAssertionError(AssertionError):
    """An assertion about a synthesized stack failed; the message says where and why."""


ResourceRef = RecordedResource | str


class SynthesizedStack:
    """Everything a program registered, with CDK-style queries and assertions."""

    def __init__(self, recording: Recording) -> None:
        self.recording = recording
        self.resources: list[RecordedResource] = [r for r in recording.resources if not r.is_provider]
        self.providers: list[RecordedResource] = [r for r in recording.resources if r.is_provider]
        self._by_urn = {r.urn: r for r in recording.resources}

    # ------------------------------------------------------------ queries
    @property
    def outputs(self) -> dict[str, Any]:
        """The stack's exports."""
        return self.recording.exports

    @property
    def unanswered_invokes(self) -> list[str]:
        return self.recording.unanswered_invokes

    def types(self) -> Counter[str]:
        return Counter(r.type for r in self.resources)

    def of_type(self, type_: str) -> list[RecordedResource]:
        return [r for r in self.resources if r.type == type_]

    def find(self, type_: str, props: Any = None, *, name: str | None = None) -> list[RecordedResource]:
        """Resources of `type_` (and `name`) whose inputs match `props` (deep partial match)."""
        found = [r for r in self.of_type(type_) if name is None or r.name == name]
        if props is None:
            return found
        return [r for r in found if not mismatches(props, r.inputs)]

    def get(self, type_: str, name: str) -> RecordedResource:
        """The one resource of `type_` with logical name `name`."""
        found = self.find(type_, name=name)
        if not found:
            names = ", ".join(sorted(r.name for r in self.of_type(type_))) or "none"
            raise StackAssertionError(f"no {type_} named {name!r}; names of that type: {names}")
        if len(found) > 1:
            raise StackAssertionError(f"{len(found)} resources of {type_} are named {name!r}: {[r.urn for r in found]}")
        return found[0]

    def resource(self, ref: ResourceRef) -> RecordedResource:
        if isinstance(ref, RecordedResource):
            return ref
        if ref in self._by_urn:
            return self._by_urn[ref]
        named = [r for r in self.resources if r.name == ref]
        if len(named) == 1:
            return named[0]
        raise StackAssertionError(f"no single resource with URN or name {ref!r} ({len(named)} named so)")

    def parent_of(self, ref: ResourceRef) -> RecordedResource | None:
        parent = self.resource(ref).parent
        return self._by_urn.get(parent) if parent else None

    def children_of(self, ref: ResourceRef) -> list[RecordedResource]:
        urn = self.resource(ref).urn
        return [r for r in self.resources if r.parent == urn]

    def descendants_of(self, ref: ResourceRef) -> list[RecordedResource]:
        found: list[RecordedResource] = []
        frontier = [self.resource(ref).urn]
        while frontier:
            urn = frontier.pop()
            for child in self.resources:
                if child.parent == urn:
                    found.append(child)
                    frontier.append(child.urn)
        return found

    def top_level(self) -> list[RecordedResource]:
        return [r for r in self.resources if r.parent in (None, self.recording.stack_urn)]

    def changes_from(self, before: SynthesizedStack) -> list[ResourceChange]:
        """What changed going from `before` to this stack (added, removed, changed inputs/options)."""
        return diff_resources(before.resources, self.resources)

    def plaintext_paths(self, text: str) -> list[str]:
        """Every input/output path (outside a secret) whose value contains `text`; empty means no leak."""
        leaks: list[str] = []
        for resource in self.resources:
            leaks += [f"{resource.urn} inputs.{p}" for p in _plain_paths(resource.inputs, text, "")]
            leaks += [f"{resource.urn} outputs.{p}" for p in _plain_paths(resource.outputs, text, "")]
        leaks += [f"stack outputs.{p}" for p in _plain_paths(self.outputs, text, "")]
        return leaks

    # ------------------------------------------------------------ assertions
    def resource_count_is(self, type_: str, count: int, props: Any = None) -> None:
        found = self.find(type_, props)
        if len(found) != count:
            names = ", ".join(sorted(r.name for r in found)) or "none"
            qualifier = " matching the given properties" if props is not None else ""
            raise StackAssertionError(f"expected {count} {type_}{qualifier}, found {len(found)}: {names}")

    def has_resource_properties(self, type_: str, props: Any, *, name: str | None = None) -> RecordedResource:
        """At least one resource of `type_` (named `name`) has inputs matching `props`; returns the first."""
        candidates = [r for r in self.of_type(type_) if name is None or r.name == name]
        if not candidates:
            raise StackAssertionError(self._no_such_type(type_, name))
        scored = [(mismatches(props, r.inputs), r) for r in candidates]
        for found, resource in scored:
            if not found:
                return resource
        best_mismatches, best = min(scored, key=lambda pair: len(pair[0]))
        raise StackAssertionError(
            f"no {type_}{f' named {name!r}' if name else ''} has the expected properties "
            f"({len(candidates)} candidate(s)).\nClosest: {best.name!r} ({best.urn}) differs at:\n" + _render(best_mismatches)
        )

    def has_resource(
        self,
        type_: str,
        *,
        name: str | None = None,
        parent: ResourceRef | None = None,
        props: Any = None,
        options: Any = None,
    ) -> RecordedResource:
        """A resource of `type_` exists with this name, parent, inputs and options."""
        parent_urn = self.resource(parent).urn if parent is not None else None
        candidates = [r for r in self.of_type(type_) if name is None or r.name == name]
        if not candidates:
            raise StackAssertionError(self._no_such_type(type_, name))
        scored: list[tuple[list[Mismatch], RecordedResource]] = []
        for resource in candidates:
            found: list[Mismatch] = []
            if parent_urn is not None and resource.parent != parent_urn:
                found.append(Mismatch("parent", f"expected {parent_urn}, got {resource.parent}"))
            if props is not None:
                found += mismatches(props, resource.inputs, "inputs")
            if options is not None:
                found += mismatches(options, resource.options, "options")
            if not found:
                return resource
            scored.append((found, resource))
        best_mismatches, best = min(scored, key=lambda pair: len(pair[0]))
        raise StackAssertionError(
            f"no matching {type_}. Closest: {best.name!r} ({best.urn}) differs at:\n" + _render(best_mismatches)
        )

    def all_resources_have(self, type_prefix: str, props: Any, *, where: Any = None) -> None:
        """Every resource whose type starts with `type_prefix` (optionally filtered) has inputs matching `props`."""
        failures: list[str] = []
        checked = 0
        for resource in self.resources:
            if not resource.custom or not resource.type.startswith(type_prefix):
                continue
            if where is not None and not where(resource):
                continue
            checked += 1
            found = mismatches(props, resource.inputs)
            if found:
                failures.append(f"{resource.type} {resource.name!r}:\n" + _render(found, indent="    "))
        if checked == 0:
            raise StackAssertionError(
                f"no custom resource of a type starting with {type_prefix!r} to check (an assertion over nothing)"
            )
        if failures:
            raise StackAssertionError(f"{len(failures)} resource(s) lack the expected properties:\n" + "\n".join(failures))

    def _no_such_type(self, type_: str, name: str | None) -> str:
        present = ", ".join(sorted(self.types())) or "none"
        if name is not None and self.of_type(type_):
            names = ", ".join(sorted(r.name for r in self.of_type(type_)))
            return f"no {type_} named {name!r}; names of that type: {names}"
        return f"no resource of type {type_}; types present: {present}"


def _render(found: Iterable[Mismatch], indent: str = "  ") -> str:
    return "\n".join(f"{indent}{m}" for m in found)


def _plain_paths(value: Any, text: str, path: str) -> list[str]:
    if isinstance(value, Secret) or value is UNKNOWN:
        return []
    if isinstance(value, str):
        return [path or "<root>"] if text in value else []
    if isinstance(value, dict):
        found: list[str] = []
        for key, item in value.items():
            found += _plain_paths(item, text, f"{path}.{key}" if path else str(key))
        return found
    if isinstance(value, list):
        found = []
        for index, item in enumerate(value):
            found += _plain_paths(item, text, f"{path}[{index}]")
        return found
    return []
