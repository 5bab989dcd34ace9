"""The JSON Schema for stack files and the config reference: generated from the model, shipped, named by
every stack file, and strict where the model is (bounds, enums, unknown `rollway:` keys)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from stacks.config import schema as config_schema

ROOT = Path(__file__).resolve().parents[2]
STACK_FILES = sorted(ROOT.glob("Pulumi.*.yaml"))
VALIDATOR = jsonschema.Draft202012Validator(config_schema.stack_file_schema())


def errors(document: dict[str, Any]) -> list[str]:
    return [error.message for error in VALIDATOR.iter_errors(document)]


def test_shipped_schema_and_reference_are_up_to_date() -> None:
    assert config_schema.main(["--check"]) == 0, "run: python -m stacks.config.schema"


def test_the_schema_is_a_valid_json_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(config_schema.stack_file_schema())


@pytest.mark.parametrize("path", STACK_FILES, ids=lambda p: p.name)
def test_every_stack_file_names_the_schema_and_validates(path: Path) -> None:
    text = path.read_text()
    assert text.splitlines()[0] == config_schema.MODELINE
    assert errors(yaml.safe_load(text)) == []


@pytest.fixture
def dev() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())


def first_service(document: dict[str, Any]) -> dict[str, Any]:
    return next(iter(document["config"]["rollway:services"].values()))


@pytest.mark.parametrize(("value", "valid"), [(-1, False), (0, True), (100, True), (101, False), ("10", False)])
def test_canary_weight_bounds_reach_the_editor(dev: dict[str, Any], value: Any, valid: bool) -> None:
    document = copy.deepcopy(dev)
    first_service(document)["canaryWeight"] = value
    assert (errors(document) == []) is valid


def test_a_misspelt_rollway_key_is_flagged_and_other_namespaces_are_not(dev: dict[str, Any]) -> None:
    document = copy.deepcopy(dev)
    document["config"]["rollway:service"] = {}
    document["config"]["shop:anything"] = {"goes": True}
    assert len(errors(document)) == 1


def test_an_unknown_service_key_is_flagged(dev: dict[str, Any]) -> None:
    document = copy.deepcopy(dev)
    first_service(document)["canaryWieght"] = 10
    assert errors(document)


def test_open_environment_names_validate(dev: dict[str, Any]) -> None:
    document = copy.deepcopy(dev)
    document["config"]["rollway:environment"] = "qa"
    assert errors(document) == []
    document["config"]["rollway:environment"] = "QA"
    assert errors(document)


def test_secrets_may_be_secure_values(dev: dict[str, Any]) -> None:
    document = copy.deepcopy(dev)
    document["config"]["rollway:secrets"] = {"db": {"secure": "AAAB..."}}
    assert errors(document) == []
    document["config"]["rollway:secrets"] = {"db": {"secure": 3}}
    assert errors(document)


def test_the_reference_documents_every_service_field() -> None:
    reference = config_schema.config_reference()
    assert "| `rollway:services.<name>.canaryWeight` | integer | `0` | 0..100 |" in reference
    assert "`rollway:services.<name>.autoscaling.schedules[].timezone`" in reference
