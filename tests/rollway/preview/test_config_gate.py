"""Config a gate can trust: odd YAML, duplicate keys, encodings and bad values are config errors (exit 2) that
name the file, the line or key, and where a value came from, all at once; never a traceback."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from preflight_support import REPO

from tests.rollway.preview.test_preview_programs import write_program

RECORDS = "import pulumi\n\npulumi.export('config', pulumi.Config().get_object('settings'))\n"


def stack(tmp_path: Path, text: str, source: str = RECORDS) -> Path:
    return write_program(tmp_path, source, text)


def test_duplicate_top_level_key_names_both_lines(rollway, tmp_path: Path) -> None:
    folder = stack(tmp_path, "config:\n  scratch:env: dev\nconfig:\n  scratch:env: prod\n")
    run = rollway("preview", "--cwd", folder, "--stack", "dev")
    assert run.code == 2
    assert "Pulumi.dev.yaml (line 3): duplicate key `config` (first at line 1)" in run.err


def test_every_duplicate_config_key_is_reported_at_once(rollway, tmp_path: Path) -> None:
    text = "config:\n  scratch:env: dev\n  scratch:size: 1\n  scratch:env: prod\n  scratch:size: 2\n"
    run = rollway("preview", "--cwd", stack(tmp_path, text), "--stack", "dev")
    assert run.code == 2
    assert "(line 4): duplicate key `scratch:env` (first at line 2)" in run.err
    assert "(line 5): duplicate key `scratch:size` (first at line 3)" in run.err


def test_duplicate_key_nested_in_a_value_is_refused(rollway, tmp_path: Path) -> None:
    text = "config:\n  scratch:settings:\n    tier: web\n    tier: db\n"
    run = rollway("preview", "--cwd", stack(tmp_path, text), "--stack", "dev")
    assert run.code == 2
    assert "(line 4): duplicate key `tier` (first at line 3)" in run.err


def test_duplicate_key_in_the_project_file_is_refused(rollway, tmp_path: Path) -> None:
    folder = write_program(tmp_path, "")
    (folder / "Pulumi.yaml").write_text("name: scratch\nruntime: python\nname: other\n")
    run = rollway("preview", "--cwd", folder, "--stack", "dev")
    assert run.code == 2
    assert "Pulumi.yaml (line 3): duplicate key `name` (first at line 1)" in run.err


def test_merge_keys_are_not_duplicates(rollway, tmp_path: Path) -> None:
    text = "base: &base {tier: web}\nconfig:\n  scratch:settings:\n    <<: *base\n    replicas: 2\n"
    run = rollway("preview", "--cwd", stack(tmp_path, text), "--stack", "dev", "--json", "-")
    assert run.code == 0, run.err
    assert '"tier": "web"' in run.out


def test_dates_reach_the_program_as_the_text_written(rollway, tmp_path: Path) -> None:
    text = "config:\n  scratch:settings:\n    since: 2024-01-31\n"
    run = rollway("preview", "--cwd", stack(tmp_path, text), "--stack", "dev", "--json", "-")
    assert run.code == 0, run.err
    assert '"since": "2024-01-31"' in run.out


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("!!binary aGVsbG8=", "YAML tag tag:yaml.org,2002:binary is not a config value"),
        ("!!set {a}", "YAML tag tag:yaml.org,2002:set is not a config value"),
        ("!!python/object:os.system {}", "YAML tag tag:yaml.org,2002:python/object:os.system is not a config value"),
        (".nan", "`.nan` is not a finite number"),
        ("-.inf", "`-.inf` is not a finite number"),
        (".Inf", "`.Inf` is not a finite number"),
    ],
)
def test_values_no_config_can_hold_are_config_errors(rollway, tmp_path: Path, value: str, expected: str) -> None:
    run = rollway("preview", "--cwd", stack(tmp_path, f"config:\n  scratch:settings: {value}\n"), "--stack", "dev")
    assert run.code == 2
    assert "Pulumi.dev.yaml (line 2" in run.err
    assert expected in run.err
    assert "Traceback" not in run.err


def test_largest_finite_float_is_a_value(rollway, tmp_path: Path) -> None:
    run = rollway("preview", "--cwd", stack(tmp_path, "config:\n  scratch:settings: 1.7e308\n"), "--stack", "dev")
    assert run.code == 0, run.err


@pytest.mark.parametrize("depth", [64, 65, 5000])
def test_nesting_is_bounded(rollway, tmp_path: Path, depth: int) -> None:
    # The document is level 0 and `config` level 1, so n nested lists reach level n + 1.
    value = "[" * (depth - 1) + "]" * (depth - 1)
    run = rollway("preview", "--cwd", stack(tmp_path, f"config:\n  scratch:settings: {value}\n"), "--stack", "dev")
    assert "Traceback" not in run.err
    if depth <= 64:
        assert run.code == 0, run.err
    else:
        assert run.code == 2
        assert "Pulumi.dev.yaml (line 2): YAML nested too deeply (more than 64 levels)" in run.err


def test_alias_expansion_is_bounded(rollway, tmp_path: Path) -> None:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for index, name in enumerate("bcdefghi"):
        previous = "abcdefghi"[index]
        lines.append(f"{name}: &{name} [{', '.join([f'*{previous}'] * 10)}]")
    lines.append("config:\n  scratch:settings: *i")
    started = time.monotonic()
    run = rollway("preview", "--cwd", stack(tmp_path, "\n".join(lines) + "\n"), "--stack", "dev")
    assert time.monotonic() - started < 20
    assert run.code == 2
    assert "expands to more than 100,000 values" in run.err


def test_stack_file_that_is_not_utf8_names_the_line(rollway, tmp_path: Path) -> None:
    folder = stack(tmp_path, "")
    (folder / "Pulumi.dev.yaml").write_bytes(b"config:\n  scratch:name: caf\xe9\n")
    run = rollway("preview", "--cwd", folder, "--stack", "dev")
    assert run.code == 2
    assert "Pulumi.dev.yaml (line 2): stack file is not UTF-8 text (byte 0xe9)" in run.err


def test_binary_project_file_is_a_config_error(rollway, tmp_path: Path) -> None:
    folder = stack(tmp_path, "")
    (folder / "Pulumi.yaml").write_bytes(b"name: scratch\x00\x01\x02\nruntime: python\n")
    run = rollway("preview", "--cwd", folder, "--stack", "dev")
    assert run.code == 2
    assert "Pulumi.yaml" in run.err
    assert "is not allowed in YAML text" in run.err


def test_utf8_bom_is_accepted(rollway, tmp_path: Path) -> None:
    folder = stack(tmp_path, "")
    (folder / "Pulumi.dev.yaml").write_bytes("\ufeffconfig:\n  scratch:settings: {a: 1}\n".encode())
    assert rollway("preview", "--cwd", folder, "--stack", "dev").code == 0


@pytest.fixture
def repo_copy(tmp_path: Path) -> Path:
    """Rollway's own project with a stack file the test may edit (the program is the real one)."""
    for name in ("Pulumi.yaml", "__main__.py", "Pulumi.dev.yaml"):
        shutil.copy(REPO / name, tmp_path / name)
    for folder in ("stacks", "components"):
        (tmp_path / folder).symlink_to(REPO / folder)
    return tmp_path


def test_program_config_errors_exit_2_and_name_their_source(rollway, repo_copy: Path) -> None:
    text = (repo_copy / "Pulumi.dev.yaml").read_text().replace("canaryWeight: 10", "canaryWeight: 101", 1)
    (repo_copy / "Pulumi.dev.yaml").write_text(text)
    run = rollway(
        "preview", "--cwd", repo_copy, "--stack", "dev", "--path", "-c", "rollway:services.web.memory=64",
    )  # fmt: skip
    assert run.code == 2, run.err
    assert "Pulumi.dev.yaml: rollway:services.web.canaryWeight = 101: must be between 0 and 100" in run.err
    assert "-c: rollway:services.web.memory = 64: must be between 128 and 122880 MiB" in run.err
    assert "Traceback" not in run.err


def test_structure_and_json_problems_are_reported_together(rollway, repo_copy: Path) -> None:
    run = rollway(
        "preview", "--cwd", repo_copy, "--stack", "dev", "-c", "rollway:tags={not json", "-c", "rollway:environment=QA Env",
    )  # fmt: skip
    assert run.code == 2, run.err
    assert "-c: rollway:tags: is not valid structured config (JSON)" in run.err
    assert '-c: rollway:environment = "QA Env": must be a lowercase name' in run.err


def test_plain_text_secret_beside_a_secure_one_is_refused(rollway, repo_copy: Path) -> None:
    text = (repo_copy / "Pulumi.dev.yaml").read_text()
    assert "rollway:secrets" not in text
    text += "  rollway:secrets:\n    apiKey:\n      secure: v1:AAAA\n    dbPassword: plain-text-password\n"
    (repo_copy / "Pulumi.dev.yaml").write_text(text)
    run = rollway("preview", "--cwd", repo_copy, "--stack", "dev")
    assert run.code == 2, run.err
    assert "rollway:secrets.dbPassword: is plain text in the stack file" in run.err
    assert "rollway:secrets.apiKey" not in run.err
    assert "plain-text-password" not in run.err


def test_all_secure_secrets_are_accepted(rollway, repo_copy: Path) -> None:
    text = (repo_copy / "Pulumi.dev.yaml").read_text()
    text += "  rollway:secrets:\n    apiKey:\n      secure: v1:AAAA\n"
    (repo_copy / "Pulumi.dev.yaml").write_text(text)
    run = rollway("preview", "--cwd", repo_copy, "--stack", "dev")
    assert run.code == 0, run.err


@pytest.mark.parametrize(
    "image",
    ["HTTP://Ghcr.io/UPPER/Web:::@@sha256:zz", "ghcr.io/Acme/web:1", "ghcr.io/acme/web@sha256:abc", "web:"],
)
def test_malformed_images_are_config_errors(rollway, repo_copy: Path, image: str) -> None:
    run = rollway("preview", "--cwd", repo_copy, "--stack", "dev", "--path", "-c", f"rollway:services.web.image.green={image}")
    assert run.code == 2, run.err
    assert "-c: rollway:services.web.image.green" in run.err
