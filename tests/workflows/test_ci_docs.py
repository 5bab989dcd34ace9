"""docs/ci.md documents every variable, secret and environment the workflows use."""

from __future__ import annotations

import re

import pytest
import yaml
from workflow_files import DOCS, GITHUB_DIR, all_jobs, uses_files

VARIABLE = re.compile(r"\bvars\.([A-Z0-9_]+)")
SECRET = re.compile(r"\bsecrets\.([A-Z0-9_]+)")


def _used(pattern: re.Pattern[str]) -> set[str]:
    return {name for path in uses_files() for name in pattern.findall(path.read_text(encoding="utf-8"))}


def _environments() -> set[str]:
    names = set()
    for job in all_jobs():
        name = job.environment_name
        if not name:
            continue
        for combination in job.matrix_combinations():
            names.add(re.sub(r"\$\{\{\s*matrix\.stack\s*\}\}", combination.get("stack", ""), name))
    return names


DOC_TEXT = DOCS.read_text(encoding="utf-8") if DOCS.is_file() else ""


def test_ci_doc_exists() -> None:
    assert DOCS.is_file()


@pytest.mark.parametrize("name", sorted(_used(VARIABLE)))
def test_variable_is_documented(name: str) -> None:
    assert f"`{name}`" in DOC_TEXT


@pytest.mark.parametrize("name", sorted(_used(SECRET)))
def test_secret_is_documented(name: str) -> None:
    assert f"`{name}`" in DOC_TEXT


@pytest.mark.parametrize("name", sorted(_environments()))
def test_environment_is_documented(name: str) -> None:
    assert f"`{name}`" in DOC_TEXT


def test_actionlint_declares_exactly_the_variables_in_use() -> None:
    config = yaml.safe_load((GITHUB_DIR / "actionlint.yaml").read_text(encoding="utf-8"))
    assert sorted(config["config-variables"]) == sorted(_used(VARIABLE))


def test_workflows_use_the_documented_environments() -> None:
    assert _environments() == {"dev", "staging", "prod", "preview", "dev-readonly", "staging-readonly", "prod-readonly"}


def test_no_workflow_reads_a_long_lived_cloud_key() -> None:
    forbidden = re.compile(
        r"AWS_SECRET_ACCESS_KEY|AWS_ACCESS_KEY_ID|AZURE_CLIENT_SECRET|ARM_CLIENT_SECRET|credentials_json|creds:"
    )
    found = [path.name for path in uses_files() if forbidden.search(path.read_text(encoding="utf-8"))]
    assert found == []
