"""Which policy packs a rollout's updates run: the project's own with the environment's config, or the flags'."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rollway.rollout.cli import parser, policy_packs, rollout_policy_configs
from rollway.rollout.errors import UsageError


def _project(root: Path, stacks: tuple[str, ...] = ("prod",), packs: tuple[str, ...] = ("security", "cost")) -> Path:
    for pack in packs:
        (root / "policies" / pack).mkdir(parents=True)
        (root / "policies" / pack / "PulumiPolicy.yaml").write_text("runtime: python\n")
        for stack in stacks:
            (root / "policies" / "config" / stack).mkdir(parents=True, exist_ok=True)
            (root / "policies" / "config" / stack / f"{pack}.json").write_text("{}")
    return root


def _packs(root: Path, *argv: str, stack: str = "prod") -> tuple[list[Path], list[Path]]:
    return policy_packs(parser().parse_args(["--stack", stack, "--work-dir", str(root), *argv]))


def test_the_projects_packs_run_with_the_environments_config(tmp_path):
    root = _project(tmp_path)

    packs, configs = _packs(root)

    assert packs == [root / "policies/security", root / "policies/cost"]
    assert configs == [root / "policies/config/prod/security.json", root / "policies/config/prod/cost.json"]


def test_an_org_qualified_stack_name_uses_its_last_part(tmp_path):
    root = _project(tmp_path)

    _, configs = _packs(root, stack="acme/rollway/prod")

    assert configs[0] == root / "policies/config/prod/security.json"


def test_packs_without_any_config_for_the_stack_run_with_their_defaults(tmp_path):
    root = _project(tmp_path, stacks=())

    packs, configs = _packs(root)

    assert len(packs) == 2 and configs == []


def test_one_config_missing_while_the_other_exists_is_refused(tmp_path):
    root = _project(tmp_path)
    (root / "policies/config/prod/cost.json").unlink()

    with pytest.raises(UsageError, match=r"cost.json: no policy-pack config for stack `prod`"):
        _packs(root)


def test_a_project_without_packs_runs_none(tmp_path):
    assert _packs(tmp_path) == ([], [])


def test_flags_replace_the_discovered_packs(tmp_path):
    root = _project(tmp_path)
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine.json").write_text("{}")

    packs, configs = _packs(root, "--policy-pack", str(tmp_path / "mine"), "--policy-pack-config", str(tmp_path / "mine.json"))

    assert packs == [tmp_path / "mine"] and configs == [tmp_path / "mine.json"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--policy-pack", "nope"], "--policy-pack nope: not a directory"),
        (["--policy-pack-config", "x.json"], "needs the --policy-pack it configures"),
        (["--no-policy-packs", "--policy-pack", "x"], "contradicts"),
    ],
)
def test_bad_policy_flags_are_usage_errors(tmp_path, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)

    with pytest.raises(UsageError, match=message):
        _packs(tmp_path, *argv)


def test_no_policy_packs_runs_none_even_in_a_project_with_packs(tmp_path):
    assert _packs(_project(tmp_path), "--no-policy-packs") == ([], [])


def test_the_cost_packs_config_tells_the_budget_policy_a_rollout_runs(tmp_path):
    root = _project(tmp_path)
    (root / "policies/config/prod/cost.json").write_text(
        json.dumps({"monthly-budget": {"prod": {"monthlyBudgetUsd": 15000}, "capacityBasis": "max"}})
    )
    packs, configs = _packs(root)

    derived = rollout_policy_configs(packs, configs, tmp_path / "out")

    assert [path.name for path in derived] == ["0-security.json", "1-cost.json"]
    assert json.loads(derived[0].read_text()) == {}
    assert json.loads(derived[1].read_text()) == {
        "monthly-budget": {"prod": {"monthlyBudgetUsd": 15000}, "capacityBasis": "max", "duringRollout": True}
    }
    assert json.loads((root / "policies/config/prod/cost.json").read_text())["monthly-budget"].get("duringRollout") is None


def test_a_cost_pack_without_config_still_gets_the_rollout_flag(tmp_path):
    root = _project(tmp_path, stacks=())
    packs, configs = _packs(root)

    derived = rollout_policy_configs(packs, configs, tmp_path / "out")

    assert json.loads(derived[1].read_text()) == {"monthly-budget": {"duringRollout": True}}


def test_an_enforcement_level_shorthand_is_kept(tmp_path):
    root = _project(tmp_path)
    (root / "policies/config/prod/cost.json").write_text(json.dumps({"monthly-budget": "advisory"}))
    packs, configs = _packs(root)

    derived = rollout_policy_configs(packs, configs, tmp_path / "out")

    assert json.loads(derived[1].read_text()) == {"monthly-budget": {"enforcementLevel": "advisory", "duringRollout": True}}


def test_a_config_that_is_not_json_is_a_usage_error(tmp_path):
    root = _project(tmp_path)
    (root / "policies/config/prod/cost.json").write_text("{nope")
    packs, configs = _packs(root)

    with pytest.raises(UsageError, match=r"cost\.json: not a readable JSON policy-pack config"):
        rollout_policy_configs(packs, configs, tmp_path / "out")
