"""Deep partial matching with CDK-assertions ergonomics: a dict matches when every expected key matches,
lists match element-wise, and `Match` helpers cover the rest. Mismatches carry the path that differs."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rollway.engine.values import UNKNOWN, Secret


@dataclass(frozen=True)
class Mismatch:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path or '<root>'}: {self.message}"


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def _join(path: str, key: Any) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


class Matcher(ABC):
    """Something an actual value can be tested against."""

    @abstractmethod
    def mismatches(self, actual: Any, path: str) -> list[Mismatch]: ...

    def __repr__(self) -> str:
        return self.describe()

    @abstractmethod
    def describe(self) -> str: ...


_ABSENT = object()


def mismatches(expected: Any, actual: Any, path: str = "") -> list[Mismatch]:
    """Every place `actual` fails `expected` (partial for dicts, element-wise for lists)."""
    if isinstance(expected, Matcher):
        return expected.mismatches(actual, path)
    if actual is _ABSENT:
        return [Mismatch(path, f"missing; expected {_show(expected)}")]
    if isinstance(actual, Secret) and not isinstance(expected, Secret):
        return [Mismatch(path, "is a secret; match it with Match.secret(...)")]
    if isinstance(expected, Mapping):
        if not isinstance(actual, Mapping):
            return [Mismatch(path, f"expected an object, got {_show(actual)}")]
        found: list[Mismatch] = []
        for key, value in expected.items():
            found += mismatches(value, actual.get(key, _ABSENT), _join(path, key))
        return found
    if isinstance(expected, (list, tuple)):
        if not isinstance(actual, (list, tuple)):
            return [Mismatch(path, f"expected a list, got {_show(actual)}")]
        if len(actual) != len(expected):
            return [Mismatch(path, f"expected {len(expected)} item(s), got {len(actual)}: {_show(actual)}")]
        found = []
        for index, (want, got) in enumerate(zip(expected, actual, strict=True)):
            found += mismatches(want, got, _join(path, index))
        return found
    if actual is UNKNOWN:
        return [Mismatch(path, f"is known only after apply; expected {_show(expected)}")]
    if expected != actual or isinstance(expected, bool) != isinstance(actual, bool):
        return [Mismatch(path, f"expected {_show(expected)}, got {_show(actual)}")]
    return []


class _AnyValue(Matcher):
    def mismatches(self, actual: Any, path: str) -> list[Mismatch]:
        return [Mismatch(path, "missing; expected any value")] if actual is _ABSENT or actual is None else []

    def describe(self) -> str:
        return "Match.any_value()"


class _Absent(Matcher):
    def mismatches(self, actual: Any, path: str) -> list[Mismatch]:
        return [] if actual is _ABSENT or actual is None else [Mismatch(path, f"expected absent, got {_show(actual)}")]

    def describe(self) -> str:
        return "Match.absent()"


@dataclass(frozen=True, repr=False)
class _ArrayWith(Matcher):
    pattern: tuple[Any, ...]

    def mismatches(self, actual: Any, path: str) -> list[Mismatch]:
        if not isinstance(actual, (list, tuple)):
            return [Mismatch(path, f"expected a list, got {_show(actual)}")]
        position = 0
        for want in self.pattern:
            while position < len(actual) and mismatches(want, actual[position], path):
                position += 1
            if position == len(actual):
                return [Mismatch(path, f"no element (in order) matches {_show(want)}; got {_show(actual)}")]
            position += 1
        return []

    def describe(self) -> str:
        return f"Match.array_with({list(self.pattern)!r})"


@dataclass(frozen=True, repr=False)
class _ObjectEquals(Matcher):
    expected: Mapping[str, Any]

    def mismatches(self, actual: Any, path: str) -> list[Mismatch]:
        if not isinstance(actual, Mapping):
            return [Mismatch(path, f"expected an object, got {_show(actual)}")]
        found = mismatches(dict(self.expected), actual, path)
        extra = sorted(set(actual) - set(self.expected))
        if extra:
            found.append(Mismatch(path, f"unexpected key(s): {', '.join(extra)}"))
        return found

    def describe(self) -> str:
        return f"Match.object_equals({dict(self.expected)!r})"


@dataclass(frozen=True, repr=False)
class _Exact(Matcher):
    expected: Any

    def mismatches(self, actual: Any, path: str) -> list[Mismatch]:
        if actual is _ABSENT:
            return [Mismatch(path, f"missing; expected exactly {_show(self.expected)}")]
        return (
            [] if actual == self.expected else [Mismatch(path, f"expected exactly {_show(self.expected)}, got {_show(actual)}")]
        )

    def describe(self) -> str:
        return f"Match.exact({self.expected!r})"


@dataclass(frozen=True, repr=False)
class _Regexp(Matcher):
    pattern: str

    def mismatches(self, actual: Any, path: str) -> list[Mismatch]:
        if not isinstance(actual, str) or re.search(self.pattern, actual) is None:
            return [
                Mismatch(path, f"expected a string matching /{self.pattern}/, got {_show(None if actual is _ABSENT else actual)}")
            ]
        return []

    def describe(self) -> str:
        return f"Match.string_like_regexp({self.pattern!r})"


@dataclass(frozen=True, repr=False)
class _Not(Matcher):
    inner: Any

    def mismatches(self, actual: Any, path: str) -> list[Mismatch]:
        if actual is not _ABSENT and not mismatches(self.inner, actual, path):
            return [Mismatch(path, f"expected not {_show(self.inner)}, got {_show(actual)}")]
        return []

    def describe(self) -> str:
        return f"Match.not_({self.inner!r})"


@dataclass(frozen=True, repr=False)
class _Secret(Matcher):
    inner: Any

    def mismatches(self, actual: Any, path: str) -> list[Mismatch]:
        if not isinstance(actual, Secret):
            return [Mismatch(path, f"expected a secret, got plain {_show(None if actual is _ABSENT else actual)}")]
        return mismatches(self.inner, actual.value, path) if self.inner is not None else []

    def describe(self) -> str:
        return "Match.secret()" if self.inner is None else "Match.secret(...)"


class _Unknown(Matcher):
    def mismatches(self, actual: Any, path: str) -> list[Mismatch]:
        return [] if actual is UNKNOWN else [Mismatch(path, f"expected a value known only after apply, got {_show(actual)}")]

    def describe(self) -> str:
        return "Match.unknown()"


class Match:
    """Matchers for `has_resource_properties` and friends (named after AWS CDK's assertions)."""

    @staticmethod
    def any_value() -> Matcher:
        """Present and not None."""
        return _AnyValue()

    @staticmethod
    def absent() -> Matcher:
        """Missing or None."""
        return _Absent()

    @staticmethod
    def array_with(pattern: list[Any]) -> Matcher:
        """A list containing elements matching each of `pattern`, in that order (others may sit between)."""
        return _ArrayWith(tuple(pattern))

    @staticmethod
    def object_equals(expected: Mapping[str, Any]) -> Matcher:
        """An object with exactly these keys (values matched as usual)."""
        return _ObjectEquals(expected)

    @staticmethod
    def exact(expected: Any) -> Matcher:
        """Deep equality, no partial matching."""
        return _Exact(expected)

    @staticmethod
    def string_like_regexp(pattern: str) -> Matcher:
        """A string in which `pattern` is found (re.search)."""
        return _Regexp(pattern)

    @staticmethod
    def not_(inner: Any) -> Matcher:
        """Anything that does not match `inner`."""
        return _Not(inner)

    @staticmethod
    def secret(inner: Any = None) -> Matcher:
        """A secret value (whose plaintext matches `inner`, when given)."""
        return _Secret(inner)

    @staticmethod
    def unknown() -> Matcher:
        """A value known only after apply (preview mode)."""
        return _Unknown()
