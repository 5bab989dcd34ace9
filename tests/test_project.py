"""The Pulumi project file is what the real CLI expects."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT.parent / "shared" / "schemas" / "pulumi-project.schema.json"


@pytest.mark.skipif(not SCHEMA.is_file(), reason=f"Pulumi's project schema is not beside the repo ({SCHEMA})")
def test_pulumi_yaml_validates_against_pulumis_project_schema() -> None:
    schema = json.loads(SCHEMA.read_text())
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    jsonschema.validate(project, schema)


def test_project_is_rollway_on_python_with_the_repo_virtualenv() -> None:
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    assert project["name"] == "rollway"
    assert project["runtime"]["name"] == "python"
    assert project["runtime"]["options"]["virtualenv"] == ".venv"
    assert project["runtime"]["options"]["toolchain"] in ("pip", "uv")


@pytest.mark.parametrize("stack", ["dev", "staging", "prod", "preview"])
def test_every_stack_file_sits_next_to_pulumi_yaml(stack: str) -> None:
    document = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())
    assert document["config"]["rollway:environment"] == stack
