"""Open environments: any name, policy config inherited along `extends` (e.g. qa extends staging)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from policies.common import envconfig
from policies.common.environment import normalize
from policies.common.framework import EnvironmentLimits

VCPUS = {"dev": 2, "preview": 2, "staging": 4, "prod": 16}
LIMITS = EnvironmentLimits(
    properties={"maxVcpus": {"type": "integer"}, "allowedFamilies": {"type": "array", "items": {"type": "string"}}},
    defaults={name: {"maxVcpus": vcpus, "allowedFamilies": [name]} for name, vcpus in VCPUS.items()},
)


def write(config_dir: Path, environment: str, name: str, document: object) -> None:
    (config_dir / environment).mkdir(parents=True, exist_ok=True)
    (config_dir / environment / name).write_text(json.dumps(document))


def test_the_shipped_qa_extends_staging() -> None:
    assert envconfig.chain("qa") == ("staging", "qa")
    assert normalize("qa") == "qa"
    assert normalize("acme/qa") == "qa"


def test_built_in_environments_are_their_own_chain() -> None:
    assert envconfig.chain("prod") == ("prod",)


def test_chains_follow_several_steps(tmp_path: Path) -> None:
    write(tmp_path, "qa", "environment.json", {"extends": "staging"})
    write(tmp_path, "qa-eu", "environment.json", {"extends": "qa"})
    assert envconfig.chain("qa-eu", tmp_path) == ("staging", "qa", "qa-eu")


def test_a_circle_is_refused_naming_it(tmp_path: Path) -> None:
    write(tmp_path, "a", "environment.json", {"extends": "b"})
    write(tmp_path, "b", "environment.json", {"extends": "a"})
    with pytest.raises(envconfig.EnvironmentConfigError, match="a -> b -> a"):
        envconfig.chain("a", tmp_path)


@pytest.mark.parametrize(
    ("document", "problem"),
    [({"extend": "staging"}, "must be exactly"), ({"extends": 3}, "must be exactly"), ([], "must be exactly")],
)
def test_malformed_environment_files_are_refused(tmp_path: Path, document: object, problem: str) -> None:
    write(tmp_path, "qa", "environment.json", document)
    with pytest.raises(envconfig.EnvironmentConfigError, match=problem):
        envconfig.chain("qa", tmp_path)


def test_an_unknown_environment_names_the_file_to_create(tmp_path: Path) -> None:
    with pytest.raises(envconfig.EnvironmentConfigError, match=r"qa/environment\.json does not exist"):
        envconfig.chain("qa", tmp_path)
    assert normalize("nightly") is None  # not configured: the resource falls back (to dev, the strictest)


def test_limits_take_the_parents_defaults_then_each_block_along_the_chain() -> None:
    config = {"staging": {"allowedFamilies": ["t3", "m6i"]}, "qa": {"maxVcpus": 2}}
    assert LIMITS.for_environment(config, "qa") == {"maxVcpus": 2, "allowedFamilies": ["t3", "m6i"]}
    assert LIMITS.for_environment(config, "staging") == {"maxVcpus": 4, "allowedFamilies": ["t3", "m6i"]}


def test_limits_of_a_broken_environment_are_the_fallbacks() -> None:
    assert LIMITS.for_environment({}, "nightly") == {"maxVcpus": 2, "allowedFamilies": ["dev"]}


def test_pack_config_merges_the_chain_later_files_winning(tmp_path: Path) -> None:
    write(tmp_path, "staging", "cost.json", {"p": {"staging": {"maxVcpus": 4}, "enforcementLevel": "mandatory"}, "q": "advisory"})
    write(tmp_path, "qa", "environment.json", {"extends": "staging"})
    write(tmp_path, "qa", "cost.json", {"p": {"qa": {"maxVcpus": 2}}, "q": "disabled"})
    assert envconfig.pack_config("qa", "cost", tmp_path) == {
        "p": {"staging": {"maxVcpus": 4}, "qa": {"maxVcpus": 2}, "enforcementLevel": "mandatory"},
        "q": "disabled",
    }
    assert envconfig.pack_config("qa", "security", tmp_path) == {}


def test_the_command_writes_merged_files(tmp_path: Path) -> None:
    assert envconfig.main(["qa", "--out", str(tmp_path)]) == 0
    cost = json.loads((tmp_path / "qa" / "cost.json").read_text())
    assert cost["ec2-instance-type-allowed"]["qa"] == {"maxVcpus": 2}
    assert cost["ec2-instance-type-allowed"]["staging"]["maxVcpus"] == 4
    assert (tmp_path / "qa" / "security.json").is_file()


def test_the_command_exits_2_on_an_unknown_environment(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert envconfig.main(["nightly", "--out", str(tmp_path)]) == 2
    assert "nightly" in capsys.readouterr().err
    assert not (tmp_path / "nightly").exists()


def test_configured_environments_are_the_built_in_ones_then_valid_extensions(tmp_path: Path) -> None:
    write(tmp_path, "qa", "environment.json", {"extends": "staging"})
    write(tmp_path, "broken", "environment.json", {"extends": "nowhere"})
    assert envconfig.configured(tmp_path) == ("dev", "staging", "prod", "preview", "qa")


def test_policy_config_schema_accepts_a_block_for_an_extending_environment() -> None:
    schema = LIMITS.schema()
    assert schema["qa"]["default"] == {"maxVcpus": 4, "allowedFamilies": ["staging"]}
    assert schema["qa"]["properties"] == LIMITS.properties


def test_a_qa_stack_previews_with_the_config_it_inherits_from_staging(tmp_path: Path) -> None:
    # End to end: a stack file naming `qa`, the packs, and the merged qa config (staging's plus qa's own).
    from rollway.cli import main

    root = Path(__file__).resolve().parents[2]
    stack_file = tmp_path / "Pulumi.qa.yaml"
    stack_file.write_text(
        (root / "Pulumi.staging.yaml").read_text().replace("rollway:environment: staging", "rollway:environment: qa")
    )
    assert envconfig.main(["qa", "--out", str(tmp_path)]) == 0
    code = main(
        [
            "preview", "--cwd", str(root), "--stack", "qa", "--config-file", str(stack_file), "--json", str(tmp_path / "r.json"),
            "--policy-pack", str(root / "policies" / "cost"), "--policy-pack-config", str(tmp_path / "qa" / "cost.json"),
        ]
    )  # fmt: skip
    assert code == 0
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["summary"]["resources"] > 0
