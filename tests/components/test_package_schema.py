"""The component package schema (components/package.py): its shape, every component of every cloud under the
type token it registers, properties and descriptions from the Args dataclasses, and inputs back to Args."""

from __future__ import annotations

import dataclasses
import inspect
import re
import sys
from typing import Any

import pytest

from components.canary import CanaryArgs
from components.package import args_from_inputs, camel, components, schema
from rollway import clouds

TOKEN = re.compile(r"^rollway:[a-z]+:[A-Z][A-Za-z]+$")
PRIMITIVES = {"string", "integer", "number", "boolean", "array", "object"}


@pytest.fixture(scope="module")
def package() -> dict[str, Any]:
    return schema()


def test_package_shape(package: dict[str, Any]) -> None:
    assert package["name"] == "rollway"
    assert re.fullmatch(r"\d+\.\d+\.\d+", package["version"])
    assert set(package) >= {"name", "version", "resources", "types", "description"}
    for token in [*package["resources"], *package["types"]]:
        assert TOKEN.match(token), token


def test_every_family_of_every_cloud_is_a_component(package: dict[str, Any]) -> None:
    expected = {f"rollway:{cloud}:{cls}" for cloud in clouds.names() for cls in clouds.FAMILY_CLASSES.values()}
    assert set(package["resources"]) == expected
    assert all(resource["isComponent"] is True for resource in package["resources"].values())


def test_type_tokens_are_the_ones_the_components_register() -> None:
    # The URN of a component made through the package equals the one made in Python.
    for token, (component, _) in components().items():
        assert f'"{token}"' in inspect.getsource(sys.modules[component.__module__]), token


def test_inputs_are_the_args_fields_with_their_docstrings(package: dict[str, Any]) -> None:
    for token, (_, args_class) in components().items():
        resource = package["resources"][token]
        fields = dataclasses.fields(args_class)
        assert set(resource["inputProperties"]) == {camel(item.name) for item in fields}, token
        required = {
            camel(item.name)
            for item in fields
            if item.default is dataclasses.MISSING and item.default_factory is dataclasses.MISSING
        }
        assert set(resource.get("requiredInputs", [])) == required, token
        undocumented = [name for name, spec in resource["inputProperties"].items() if not spec.get("description")]
        assert not undocumented, f"{token}: inputs without a description: {undocumented}"


def test_canary_route_inputs_are_typed(package: dict[str, Any]) -> None:
    inputs = package["resources"]["rollway:aws:CanaryRoute"]["inputProperties"]
    assert inputs["canary"]["$ref"] == "#/types/rollway:index:CanaryArgs"
    assert inputs["loadBalancerArn"]["type"] == "string"  # pulumi.Input[str] is a string
    assert inputs["headerRulePriority"]["type"] == "integer"
    assert inputs["tags"] == {
        "type": "object",
        "additionalProperties": {"type": "string"},
        "description": "Tags for every taggable child.",
    }
    assert inputs["headerRulePriority"]["description"].startswith("Priority of the header-pinned rule")


def test_every_reference_resolves_and_every_type_is_known(package: dict[str, Any]) -> None:
    def walk(spec: Any) -> None:
        if isinstance(spec, dict):
            if "$ref" in spec:
                ref = spec["$ref"]
                assert ref == "pulumi.json#/Any" or ref.removeprefix("#/types/") in package["types"], ref
            elif "type" in spec:
                assert spec["type"] in PRIMITIVES, spec
            for value in spec.values():
                walk(value)

    walk(package)


def test_shared_args_type_lists_its_fields(package: dict[str, Any]) -> None:
    canary = package["types"]["rollway:index:CanaryArgs"]
    assert canary["type"] == "object"
    assert set(canary["properties"]) == {camel(item.name) for item in dataclasses.fields(CanaryArgs)}


def test_engine_inputs_become_the_args_dataclass() -> None:
    _, args_class = components()["rollway:aws:CanaryRoute"]
    args = args_from_inputs(
        args_class,
        {
            "canary": {"liveColor": "blue", "canaryWeight": 10.0},
            "loadBalancerArn": "arn:lb",
            "targetGroupArns": {"blue": "b", "green": "g"},
            "headerRulePriority": 20.0,
        },
    )
    assert args.canary == CanaryArgs(live_color="blue", canary_weight=10)
    assert isinstance(args.canary.canary_weight, int)  # the engine sends numbers as floats
    assert args.header_rule_priority == 20 and isinstance(args.header_rule_priority, int)
    assert args.target_group_arns == {"blue": "b", "green": "g"}


def test_unknown_input_is_refused_by_name() -> None:
    _, args_class = components()["rollway:aws:CanaryRoute"]
    with pytest.raises(ValueError, match=r"unknown input\(s\) loadBalancer$"):
        args_from_inputs(args_class, {"loadBalancer": "x"})
