"""`rollway diff`: the stack's config against another stack, config file or `-c` values, on the `--base` engine."""

from __future__ import annotations

import json
from pathlib import Path

from preflight_support import PROGRAMS


def test_config_change_shows_only_the_resource_it_touches(rollway) -> None:
    run = rollway("diff", "--cwd", PROGRAMS / "k8s-app", "--stack", "dev", "-c", "k8s-app:replicas=3", "--json", "-")
    report = json.loads(run.out)
    assert run.code == 0
    assert [(change["kind"], change["name"]) for change in report["changes"]] == [("update", "web")]
    assert report["changes"][0]["paths"] == [
        {"path": "spec.replicas", "label": "spec.replicas", "old": 2, "new": 3, "forcesReplace": False}
    ]
    assert report["head"] == "dev with -c k8s-app:replicas=3"


def test_human_view_lists_old_and_new_values(rollway) -> None:
    run = rollway("diff", "--cwd", PROGRAMS / "k8s-app", "--stack", "dev", "-c", "k8s-app:replicas=3")
    assert "~  update  kubernetes:apps/v1:Deployment  web\n      spec.replicas: 2 → 3" in run.out
    assert "Resources: 0 to create, 1 to update, 0 to replace, 0 to delete" in run.out


def test_against_a_config_file_counts_created_resources(rollway, tmp_path: Path) -> None:
    other = tmp_path / "Pulumi.bigger.yaml"
    other.write_text(
        "config:\n  main-subdir:flavour: small\n  main-subdir:size: 3\n  main-subdir:settings: {tiers: [{name: web}]}\n"
    )
    run = rollway("diff", "--cwd", PROGRAMS / "main-subdir", "--stack", "dev", "--against", str(other), "--json", "-")
    report = json.loads(run.out)
    assert report["summary"] == {"create": 1, "update": 0, "replace": 0, "delete": 0, "components": 0}
    assert report["changes"][0]["name"] == "small-2"


def test_config_file_flag_is_the_other_side(rollway, tmp_path: Path) -> None:
    other = tmp_path / "Pulumi.bigger.yaml"
    other.write_text(
        "config:\n  main-subdir:flavour: small\n  main-subdir:size: 3\n  main-subdir:settings: {tiers: [{name: web}]}\n"
    )
    run = rollway("diff", "--cwd", PROGRAMS / "main-subdir", "--stack", "dev", "--config-file", other, "--json", "-")
    assert run.code == 0
    assert [change["name"] for change in json.loads(run.out)["changes"]] == ["small-2"]


def test_config_file_and_against_together_is_a_usage_error(rollway, tmp_path: Path) -> None:
    other = tmp_path / "Pulumi.x.yaml"
    other.write_text("config: {}\n")
    run = rollway("diff", "--cwd", PROGRAMS / "k8s-app", "--stack", "dev", "--config-file", other, "--against", "dev")
    assert run.code == 2
    assert "not both" in run.err


def test_missing_config_file_is_a_usage_error(rollway, tmp_path: Path) -> None:
    run = rollway("diff", "--cwd", PROGRAMS / "k8s-app", "--stack", "dev", "--config-file", tmp_path / "nope.yaml")
    assert run.code == 2
    assert "nope.yaml" in run.err and "Traceback" not in run.err


def test_secret_changes_are_shown_masked(rollway, tmp_path: Path) -> None:
    other = tmp_path / "Pulumi.rotated.yaml"
    other.write_text(
        "config:\n  secret-param:dbPassword: rotated-value-xyz\n  secret-param:db: {user: app, password: p4ssw0rd-xyz}\n"
    )
    run = rollway("diff", "--cwd", PROGRAMS / "secret-param", "--stack", "dev", "--against", str(other), "--json", "-")
    assert "rotated-value-xyz" not in run.out and "p4ssw0rd-xyz" not in run.out
    text = rollway("diff", "--cwd", PROGRAMS / "secret-param", "--stack", "dev", "--against", str(other))
    assert "value: [secret] → [secret]" in text.out
    assert "rotated-value-xyz" not in text.out and "p4ssw0rd-xyz" not in text.out


def test_nothing_to_compare_is_a_usage_error(rollway) -> None:
    run = rollway("diff", "--cwd", PROGRAMS / "k8s-app", "--stack", "dev")
    assert run.code == 2
    assert "nothing to compare" in run.err


def test_markdown_leads_with_the_verdict(rollway, tmp_path: Path) -> None:
    comment = tmp_path / "diff.md"
    run = rollway("diff", "--cwd", PROGRAMS / "k8s-app", "--stack", "dev", "-c", "k8s-app:replicas=3", "--markdown", comment)
    lines = comment.read_text(encoding="utf-8").splitlines()
    assert run.code == 0
    assert lines[0] == "### Rollway: `k8s-app/dev` config diff"
    assert lines[2] == "**1 resource change: 1 workload update, no findings**"
