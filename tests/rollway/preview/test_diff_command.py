"""`rollway diff`: resources added, removed and changed between two configurations, with changed paths."""

from __future__ import annotations

import json
from pathlib import Path

from preflight_support import PROGRAMS


def test_config_change_shows_only_the_resource_it_touches(rollway) -> None:
    run = rollway("diff", "--cwd", PROGRAMS / "k8s-app", "--stack", "dev", "-c", "k8s-app:replicas=3", "--json", "-")
    report = json.loads(run.out)
    assert run.code == 0
    assert [(change["kind"], change["name"]) for change in report["changes"]] == [("changed", "web")]
    assert report["changes"][0]["paths"] == [{"path": "spec.replicas", "old": 2, "new": 3}]


def test_human_view_lists_old_and_new_values(rollway) -> None:
    run = rollway("diff", "--cwd", PROGRAMS / "k8s-app", "--stack", "dev", "-c", "k8s-app:replicas=3")
    assert "~ kubernetes:apps/v1:Deployment  web\n      spec.replicas: 2 -> 3" in run.out
    assert run.out.rstrip().endswith("Resources: 0 to add, 0 to remove, 1 to change")


def test_against_a_config_file_counts_added_resources(rollway, tmp_path: Path) -> None:
    other = tmp_path / "Pulumi.bigger.yaml"
    other.write_text(
        "config:\n  main-subdir:flavour: small\n  main-subdir:size: 3\n  main-subdir:settings: {tiers: [{name: web}]}\n"
    )
    run = rollway("diff", "--cwd", PROGRAMS / "main-subdir", "--stack", "dev", "--against", str(other), "--json", "-")
    report = json.loads(run.out)
    assert report["summary"] == {"added": 1, "removed": 0, "changed": 0}
    assert report["changes"][0]["name"] == "small-2"


def test_secret_changes_are_shown_masked(rollway, tmp_path: Path) -> None:
    other = tmp_path / "Pulumi.rotated.yaml"
    other.write_text(
        "config:\n  secret-param:dbPassword: rotated-value-xyz\n  secret-param:db: {user: app, password: p4ssw0rd-xyz}\n"
    )
    run = rollway("diff", "--cwd", PROGRAMS / "secret-param", "--stack", "dev", "--against", str(other))
    assert "rotated-value-xyz" not in run.out and "p4ssw0rd-xyz" not in run.out
    assert "value: '[secret]' -> '[secret]'" in run.out


def test_nothing_to_compare_is_a_usage_error(rollway) -> None:
    run = rollway("diff", "--cwd", PROGRAMS / "k8s-app", "--stack", "dev")
    assert run.code == 2
    assert "nothing to compare" in run.err
