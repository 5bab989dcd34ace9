"""Project and stack config loading, as `pulumi preview` reads them."""

from __future__ import annotations

from pathlib import Path

import pytest
from preflight_support import PROGRAMS

from rollway.preview.config import SECRET_PLACEHOLDER, load_stack_settings, split_path
from rollway.preview.errors import UsageError
from rollway.preview.project import load_project


def write_project(tmp_path: Path, pulumi_yaml: str, stacks: dict[str, str] | None = None) -> Path:
    (tmp_path / "Pulumi.yaml").write_text(pulumi_yaml)
    (tmp_path / "__main__.py").write_text("import pulumi\n")
    for name, text in (stacks or {}).items():
        (tmp_path / f"Pulumi.{name}.yaml").write_text(text)
    return tmp_path


def test_project_defaults_apply_and_stack_values_override_them() -> None:
    project = load_project(PROGRAMS / "main-subdir")
    settings = load_stack_settings(project, "dev")
    assert settings.values["main-subdir:size"] == 2
    assert settings.values["aws:region"] == "us-west-2"
    assert settings.values["main-subdir:flavour"] == "small"


def test_structured_values_reach_the_program_as_json() -> None:
    settings = load_stack_settings(load_project(PROGRAMS / "main-subdir"), "dev")
    assert settings.engine_config()["main-subdir:settings"] == '{"tiers":[{"name":"web","replicas":1}]}'
    assert settings.engine_config()["main-subdir:size"] == "2"


def test_secure_values_become_placeholder_secrets() -> None:
    settings = load_stack_settings(load_project(PROGRAMS / "secret-param"), "dev")
    assert settings.values["secret-param:dbPassword"] == SECRET_PLACEHOLDER
    assert settings.values["secret-param:db"] == {"user": "app", "password": SECRET_PLACEHOLDER}
    assert settings.secret_keys == {"secret-param:dbPassword", "secret-param:db"}


def test_config_flag_sets_a_plain_key_with_the_project_namespace() -> None:
    settings = load_stack_settings(load_project(PROGRAMS / "main-subdir"), "dev", overrides=["flavour=large"])
    assert settings.values["main-subdir:flavour"] == "large"


def test_path_flag_sets_a_nested_value_with_a_typed_scalar() -> None:
    settings = load_stack_settings(
        load_project(PROGRAMS / "main-subdir"),
        "dev",
        overrides=["settings.tiers[0].replicas=3", "settings.tiers[1].name=api"],
        path_keys=True,
    )
    assert settings.values["main-subdir:settings"]["tiers"] == [{"name": "web", "replicas": 3}, {"name": "api"}]


def test_split_path_reads_quoted_segments() -> None:
    assert split_path('rollway:services["web.v2"].canaryWeight') == ("rollway:services", ["web.v2", "canaryWeight"])


def test_config_file_replaces_the_stack_file(tmp_path: Path) -> None:
    other = tmp_path / "alt.yaml"
    other.write_text("config:\n  main-subdir:flavour: tiny\n  main-subdir:settings: {tiers: []}\n")
    settings = load_stack_settings(load_project(PROGRAMS / "main-subdir"), "dev", config_file=other)
    assert settings.values["main-subdir:flavour"] == "tiny"
    assert settings.source == str(other)


def test_malformed_project_file_names_the_line(tmp_path: Path) -> None:
    write_project(tmp_path, "name: broken\nruntime: python\nconfig:\n  a: [1, 2\n")
    with pytest.raises(UsageError, match=r"Pulumi.yaml \(line \d+, column \d+\): malformed YAML"):
        load_project(tmp_path)


def test_project_without_runtime_is_refused(tmp_path: Path) -> None:
    write_project(tmp_path, "name: nort\n")
    with pytest.raises(UsageError, match="`runtime` is required"):
        load_project(tmp_path)


def test_non_python_runtime_is_refused(tmp_path: Path) -> None:
    write_project(tmp_path, "name: node\nruntime: nodejs\n")
    with pytest.raises(UsageError, match="runtime `nodejs` is not supported"):
        load_project(tmp_path)


def test_missing_project_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"no Pulumi\.yaml"):
        load_project(tmp_path)


def test_unknown_stack_lists_the_stacks_that_exist(tmp_path: Path) -> None:
    project = load_project(write_project(tmp_path, "name: p\nruntime: python\n", {"dev": "config: {}\n", "prod": "config: {}\n"}))
    with pytest.raises(UsageError, match=r"unknown stack `qa`: no Pulumi.qa.yaml .*stacks with a file here: dev, prod"):
        load_stack_settings(project, "qa")


def test_missing_required_config_names_the_key(tmp_path: Path) -> None:
    project = load_project(
        write_project(tmp_path, "name: p\nruntime: python\nconfig:\n  size:\n    type: integer\n", {"dev": "config: {}\n"})
    )
    with pytest.raises(UsageError, match="missing required config `p:size`"):
        load_stack_settings(project, "dev")


def test_value_of_the_wrong_declared_type_is_refused(tmp_path: Path) -> None:
    project = load_project(
        write_project(
            tmp_path, "name: p\nruntime: python\nconfig:\n  size:\n    type: integer\n", {"dev": "config:\n  p:size: big\n"}
        )
    )
    with pytest.raises(UsageError, match=r"config `p:size`: 'big' is not of declared type integer"):
        load_stack_settings(project, "dev")


def test_stack_key_without_namespace_is_refused(tmp_path: Path) -> None:
    project = load_project(write_project(tmp_path, "name: p\nruntime: python\n", {"dev": "config:\n  size: 3\n"}))
    with pytest.raises(UsageError, match="config key `size` has no namespace; write `p:size`"):
        load_stack_settings(project, "dev")


def test_config_flag_without_equals_is_refused() -> None:
    with pytest.raises(UsageError, match="expected KEY=VALUE"):
        load_stack_settings(load_project(PROGRAMS / "main-subdir"), "dev", overrides=["flavour"])
