"""The Rollway component package: a Pulumi package schema generated from the Args dataclasses, and the
component provider that serves it, so other Pulumi projects (any language) can use the components.

Pulumi's own schema inference (`pulumi.provider.experimental`) is not used: it reads annotations without
resolving the `from __future__ import annotations` strings, and it names types by class name while every cloud
defines the same class names (BlueGreenTargets, Environment, ...). Here every component keeps the type token it
registers, `rollway:<cloud>:<Class>`, so a component made through the package has the same URN as one made in
Python; nested Args types are named `rollway:<module>:<Class>` after the module that defines them (`index` for
the cloud-agnostic contracts in `components/*.py`). Field descriptions are the attribute docstrings.
"""

from __future__ import annotations

import ast
import collections.abc
import dataclasses
import enum
import inspect
import re
import types
import typing
from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi.provider

from rollway import clouds

PACKAGE = "rollway"
PACKAGE_VERSION = "0.1.0"
ANY = {"$ref": "pulumi.json#/Any"}


def component_type_token(cloud: str, family: str) -> str:
    return f"{PACKAGE}:{cloud}:{clouds.FAMILY_CLASSES[family]}"


def components() -> dict[str, tuple[type[Any], type[Any]]]:
    """Type token -> (component class, Args dataclass) for every family of every registered cloud."""
    found: dict[str, tuple[type[Any], type[Any]]] = {}
    for cloud in clouds.all_clouds():
        for family in clouds.FAMILIES:
            component = cloud.family_class(family)
            args_class = type_hints(component.__init__)["args"]
            found[component_type_token(cloud.name, family)] = (component, args_class)
    return found


def type_hints(owner: Any) -> dict[str, Any]:
    """`typing.get_type_hints`, with pulumi's public names available for hints imported only when type checking."""
    try:
        return typing.get_type_hints(owner)
    except NameError:
        return typing.get_type_hints(owner, localns={**vars(typing), **vars(pulumi)})


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def field_docs(cls: type[Any]) -> dict[str, str]:
    """Attribute docstrings (a string literal right after a field) of `cls` and its dataclass bases."""
    docs: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        if not dataclasses.is_dataclass(klass):
            continue
        body = ast.parse(inspect.getsource(klass)).body[0]
        assert isinstance(body, ast.ClassDef)
        for statement, following in zip(body.body, body.body[1:], strict=False):
            if (
                isinstance(statement, ast.AnnAssign)
                and isinstance(statement.target, ast.Name)
                and isinstance(following, ast.Expr)
                and isinstance(following.value, ast.Constant)
                and isinstance(following.value.value, str)
            ):
                docs[statement.target.id] = inspect.cleandoc(following.value.value)
    return docs


def type_token(cls: type[Any]) -> str:
    parts = cls.__module__.split(".")
    module = parts[1] if len(parts) > 2 and parts[0] == "components" else "index"
    return f"{PACKAGE}:{module}:{cls.__name__}"


def _plain_members(arguments: tuple[Any, ...]) -> list[Any]:
    """A union's members without None and without the Output/Awaitable forms `pulumi.Input[T]` adds to T."""
    wrappers = (pulumi.Output, collections.abc.Awaitable)
    return [
        argument
        for argument in arguments
        if argument is not type(None) and typing.get_origin(argument) not in wrappers and argument not in wrappers
    ]


class _SchemaBuilder:
    def __init__(self) -> None:
        self.types: dict[str, dict[str, Any]] = {}

    def type_spec(self, hint: Any) -> dict[str, Any]:
        origin = typing.get_origin(hint)
        arguments = typing.get_args(hint)
        if origin in (typing.Union, types.UnionType):
            present = _plain_members(arguments)
            return self.type_spec(present[0]) if len(present) == 1 else ANY
        if origin is typing.Annotated:
            return self.type_spec(arguments[0])
        if origin is typing.Literal:
            return {"type": "string"} if all(isinstance(value, str) for value in arguments) else ANY
        if origin is not None and arguments and getattr(origin, "__name__", "") in {"Output", "Awaitable"}:
            return self.type_spec(arguments[0])
        if origin in (collections.abc.Mapping, dict, collections.abc.MutableMapping):
            return {"type": "object", "additionalProperties": self.type_spec(arguments[1]) if arguments else ANY}
        if origin in (collections.abc.Sequence, list, tuple, collections.abc.Set, frozenset, set):
            items = arguments[0] if arguments else Any
            return {"type": "array", "items": self.type_spec(items)}
        if hint is bool:
            return {"type": "boolean"}
        if hint is int:
            return {"type": "integer"}
        if hint is float:
            return {"type": "number"}
        if hint is str:
            return {"type": "string"}
        if isinstance(hint, type) and issubclass(hint, enum.Enum):
            return {"type": "string"}
        if isinstance(hint, type) and dataclasses.is_dataclass(hint):
            token = type_token(hint)
            if token not in self.types:
                self.types[token] = {}  # reserve first: recursive types terminate
                self.types[token] = {"type": "object", **self.object_spec(hint)}
            return {"$ref": f"#/types/{token}"}
        return ANY

    def object_spec(self, cls: type[Any]) -> dict[str, Any]:
        hints = type_hints(cls)
        docs = field_docs(cls)
        properties: dict[str, Any] = {}
        required: list[str] = []
        for item in dataclasses.fields(cls):
            prop = dict(self.type_spec(hints[item.name]))
            if item.name in docs:
                prop["description"] = docs[item.name]
            properties[camel(item.name)] = prop
            if item.default is dataclasses.MISSING and item.default_factory is dataclasses.MISSING:
                required.append(camel(item.name))
        spec: dict[str, Any] = {"properties": properties}
        if required:
            spec["required"] = required
        if cls.__doc__ and not cls.__doc__.startswith(f"{cls.__name__}("):
            spec["description"] = inspect.cleandoc(cls.__doc__)
        return spec


def schema() -> dict[str, Any]:
    """The Pulumi package schema of the components (https://www.pulumi.com/docs/iac/extending-pulumi/schema/)."""
    builder = _SchemaBuilder()
    resources: dict[str, Any] = {}
    for token, (component, args_class) in components().items():
        inputs = builder.object_spec(args_class)
        resource: dict[str, Any] = {
            "isComponent": True,
            "description": inspect.cleandoc(component.__doc__ or token),
            "inputProperties": inputs["properties"],
            "properties": {},
        }
        if "required" in inputs:
            resource["requiredInputs"] = inputs["required"]
        resources[token] = resource
    return {
        "name": PACKAGE,
        "displayName": "Rollway",
        "version": PACKAGE_VERSION,
        "description": "Progressive delivery components (environment, blue/green targets, canary route, "
        "autoscaling) for AWS, GCP, Azure and Kubernetes.",
        "meta": {"moduleFormat": "(.*)"},
        "language": {"python": {"respectSchemaVersion": True}},
        "resources": resources,
        "types": dict(sorted(builder.types.items())),
    }


def args_from_inputs(cls: type[Any], inputs: Mapping[str, Any]) -> Any:
    """The Args dataclass `cls` from engine inputs (camelCase keys, nested objects as dicts)."""
    hints = type_hints(cls)
    values: dict[str, Any] = {}
    known = {camel(item.name): item.name for item in dataclasses.fields(cls)}
    unknown = sorted(set(inputs) - set(known))
    if unknown:
        raise ValueError(f"{cls.__name__}: unknown input(s) {', '.join(unknown)}")
    for key, value in inputs.items():
        values[known[key]] = _convert(hints[known[key]], value)
    return cls(**values)


def _convert(hint: Any, value: Any) -> Any:
    origin = typing.get_origin(hint)
    arguments = typing.get_args(hint)
    if value is None:
        return None
    if origin in (typing.Union, types.UnionType):
        present = _plain_members(arguments)
        return _convert(present[0], value) if len(present) == 1 else value
    if isinstance(hint, type) and dataclasses.is_dataclass(hint) and isinstance(value, Mapping):
        return args_from_inputs(hint, value)
    if origin in (collections.abc.Mapping, dict) and arguments and isinstance(value, Mapping):
        return {key: _convert(arguments[1], item) for key, item in value.items()}
    if origin in (collections.abc.Sequence, list, tuple) and arguments and isinstance(value, list | tuple):
        converted = [_convert(arguments[0], item) for item in value]
        return tuple(converted) if origin is tuple else converted
    if hint is int and isinstance(value, float) and value.is_integer():
        return int(value)  # the engine sends every number as a float
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return hint(value)
    return value


class ComponentProvider(pulumi.provider.Provider):
    """Serves `schema()` and constructs the components from engine inputs."""

    def __init__(self) -> None:
        import json

        super().__init__(PACKAGE_VERSION, json.dumps(schema()))

    def construct(
        self,
        name: str,
        resource_type: str,
        inputs: pulumi.Inputs,
        options: pulumi.ResourceOptions | None = None,
    ) -> pulumi.provider.ConstructResult:
        known = components()
        if resource_type not in known:
            raise ValueError(f"unknown component type {resource_type!r}; this package provides {sorted(known)}")
        component, args_class = known[resource_type]
        instance = component(name, args_from_inputs(args_class, inputs), options)
        return pulumi.provider.ConstructResult(urn=instance.urn, state={})
