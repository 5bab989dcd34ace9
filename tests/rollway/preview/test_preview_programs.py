"""`rollway preview` on small programs: one per cloud, secrets, computed outputs, failures and exit codes."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import pytest
from preflight_support import PACKS, PROGRAMS

from rollway.preview.config import SECRET_PLACEHOLDER


def preview_json(rollway, program: Path | str, *extra: str) -> tuple[int, dict]:
    run = rollway("preview", "--cwd", program, "--stack", "dev", "--json", "-", *extra)
    return run.code, json.loads(run.out)


def types_of(report: dict) -> set[str]:
    return {resource["type"] for resource in report["resources"]}


@pytest.mark.parametrize(
    ("program", "expected"),
    [
        ("aws-bucket", {"aws:s3/bucketV2:BucketV2", "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"}),
        ("fargate-default-vpc", {"aws:ecs/service:Service", "aws:lb/listener:Listener", "aws:ec2/securityGroup:SecurityGroup"}),
        ("gcp-network", {"gcp:compute/network:Network", "gcp:compute/subnetwork:Subnetwork", "gcp:compute/firewall:Firewall"}),
        ("azure-storage", {"azure-native:resources:ResourceGroup", "azure-native:storage:StorageAccount"}),
        ("k8s-app", {"kubernetes:core/v1:Namespace", "kubernetes:apps/v1:Deployment", "kubernetes:core/v1:Service"}),
    ],
)
def test_each_cloud_program_previews_cleanly(rollway, program: str, expected: set[str]) -> None:
    code, report = preview_json(rollway, PROGRAMS / program)
    assert code == 0
    assert expected <= types_of(report)


def test_common_invokes_are_answered(rollway) -> None:
    _, report = preview_json(rollway, PROGRAMS / "gcp-network")
    assert report["outputs"]["zones"] == ["europe-west1-a", "europe-west1-b", "europe-west1-c"]
    assert report["summary"]["unansweredInvokes"] == []


def test_default_vpc_lookups_feed_resource_inputs(rollway) -> None:
    _, report = preview_json(rollway, PROGRAMS / "fargate-default-vpc")
    [service] = [resource for resource in report["resources"] if resource["type"] == "aws:ecs/service:Service"]
    assert service["inputs"]["networkConfiguration"]["subnets"] == ["subnet-0default00000000a", "subnet-0default00000000b"]
    assert any(urn.endswith("aws:lb/listener:Listener::web") for urn in service["dependencies"])


def test_stack_config_reaches_the_program(rollway) -> None:
    _, report = preview_json(rollway, PROGRAMS / "k8s-app")
    [deployment] = [resource for resource in report["resources"] if resource["type"] == "kubernetes:apps/v1:Deployment"]
    assert deployment["inputs"]["spec"]["replicas"] == 2


def test_main_folder_and_project_defaults_are_honoured(rollway) -> None:
    code, report = preview_json(rollway, PROGRAMS / "main-subdir")
    assert code == 0
    assert sorted(resource["name"] for resource in report["resources"] if resource["type"] == "aws:sqs/queue:Queue") == [
        "small-0",
        "small-1",
    ]
    assert report["outputs"]["region"] == "us-west-2"


def test_secrets_are_marked_and_never_printed(rollway) -> None:
    run = rollway("preview", "--cwd", PROGRAMS / "secret-param", "--stack", "dev", "--json", "-")
    report = json.loads(run.out)
    [password] = [resource for resource in report["resources"] if resource["name"] == "db-password"]
    assert password["inputs"]["value"] == "[secret]"
    assert SECRET_PLACEHOLDER not in run.out + run.err


def test_inputs_built_from_computed_outputs_are_known_after_apply(rollway) -> None:
    _, report = preview_json(rollway, PROGRAMS / "apply-outputs")
    [policy] = [resource for resource in report["resources"] if resource["name"] == "uploads-read"]
    assert policy["inputs"]["policy"] == "<known after apply>"
    assert policy["inputs"]["bucket"] == "<known after apply>"


def test_resolve_outputs_runs_apply_over_plausible_values(rollway) -> None:
    _, report = preview_json(rollway, PROGRAMS / "apply-outputs", "--resolve-outputs")
    [policy] = [resource for resource in report["resources"] if resource["name"] == "uploads-read"]
    assert json.loads(policy["inputs"]["policy"])["Statement"][0]["Resource"].startswith("arn:aws:s3:::uploads")
    assert report["mode"] == "resolve-outputs"


def test_program_error_shows_its_own_frames_without_a_traceback(rollway) -> None:
    run = rollway("preview", "--cwd", PROGRAMS / "raises", "--stack", "dev")
    assert run.code == 1
    assert "error: program failed: ValueError: no sizing for environment 'dev'" in run.err
    assert "at __main__.py:4 in <module>" in run.err
    assert "at sizing.py:4 in instance_count" in run.err
    assert "Traceback" not in run.err and "site-packages" not in run.err


def write_program(folder: Path, source: str, stack_config: str = "config: {}\n") -> Path:
    (folder / "Pulumi.yaml").write_text("name: scratch\nruntime: python\n")
    (folder / "Pulumi.dev.yaml").write_text(stack_config)
    (folder / "__main__.py").write_text(source)
    return folder


def test_unanswered_invoke_is_reported_by_name(rollway, tmp_path: Path) -> None:
    source = "import pulumi_aws as aws\n\naws.ec2.get_vpc_endpoint_service(service='s3')\naws.s3.BucketV2('b')\n"
    run = rollway("preview", "--cwd", write_program(tmp_path, source), "--stack", "dev")
    assert run.code == 0
    assert "invoke aws:ec2/getVpcEndpointService:getVpcEndpointService has no offline answer" in run.out


def test_error_logged_by_the_program_fails_the_preview(rollway, tmp_path: Path) -> None:
    source = "import pulumi\n\npulumi.log.error('quota exceeded for this account')\n"
    run = rollway("preview", "--cwd", write_program(tmp_path, source), "--stack", "dev")
    assert run.code == 1
    assert "program logged error: quota exceeded for this account" in run.out


def test_json_on_stdout_stays_parseable_when_the_program_prints(rollway, tmp_path: Path) -> None:
    run = rollway(
        "preview", "--cwd", write_program(tmp_path, "print('hello from the program')\n"), "--stack", "dev", "--json", "-"
    )
    assert json.loads(run.out)["summary"]["resources"] == 0
    assert "hello from the program" in run.err


def test_malformed_project_file_exits_2(rollway, tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: [unclosed\n")
    run = rollway("preview", "--cwd", tmp_path, "--stack", "dev")
    assert run.code == 2
    assert "malformed YAML" in run.err and "Traceback" not in run.err


def test_unknown_stack_exits_2(rollway) -> None:
    run = rollway("preview", "--cwd", PROGRAMS / "aws-bucket", "--stack", "qa")
    assert (run.code, run.err.strip()) == (
        2,
        f"error: unknown stack `qa`: no Pulumi.qa.yaml in {PROGRAMS / 'aws-bucket'} (stacks with a file here: dev)",
    )


def test_missing_config_file_exits_2(rollway) -> None:
    run = rollway("preview", "--cwd", PROGRAMS / "aws-bucket", "--stack", "dev", "--config-file", "nowhere.yaml")
    assert run.code == 2
    assert "--config-file nowhere.yaml: no such file" in run.err


def test_unpaired_policy_pack_configs_exit_2_before_anything_runs(rollway) -> None:
    guardrails, config = PACKS / "guardrails", PACKS / "guardrails-config.json"
    run = rollway(
        "preview",
        "--cwd",
        PROGRAMS / "aws-bucket",
        "--stack",
        "dev",
        "--policy-pack",
        guardrails,
        "--policy-pack",
        guardrails,
        "--policy-pack-config",
        config,
    )
    assert run.code == 2
    assert "got 1 config file(s) for 2 pack(s)" in run.err


def test_unknown_flag_exits_2(rollway) -> None:
    assert rollway("preview", "--no-such-flag").code == 2


def test_rollout_is_dispatched_to_the_rollout_package(rollway, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[list[str]] = []
    fake = types.ModuleType("rollway.rollout.cli")
    fake.main = lambda argv: seen.append(argv) or 0  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "rollway.rollout.cli", fake)
    assert rollway("rollout", "start", "--stack", "dev").code == 0
    assert seen == [["start", "--stack", "dev"]]


def test_rollout_without_the_package_is_a_clear_usage_error(rollway, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "rollway.rollout.cli", None)
    run = rollway("rollout", "status")
    assert run.code == 2
    assert "needs the rollout package" in run.err


@pytest.fixture(scope="module")
def venv_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One virtualenv cache for this module's tests: the second run reuses the virtualenv the first made."""
    return tmp_path_factory.mktemp("rollway-cache")


def test_program_with_uninstalled_requirements_runs_in_its_own_virtualenv(
    rollway, venv_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ROLLWAY_CACHE_DIR", str(venv_cache))
    run = rollway("preview", "--cwd", PROGRAMS / "needs-requirements", "--stack", "dev")
    assert run.code == 0
    assert "evaluated in the program's own virtualenv (text_unidecode not installed where rollway runs)" in run.out
    assert [path.name.startswith("needs-requirements-") for path in (venv_cache / "venvs").iterdir()] == [True]


def test_program_in_its_own_virtualenv_reports_its_exports(rollway, venv_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROLLWAY_CACHE_DIR", str(venv_cache))
    _, report = preview_json(rollway, PROGRAMS / "needs-requirements")
    assert report["outputs"]["slug"] == "zurich-sud"


def test_secret_quoted_in_a_program_error_is_masked(rollway, tmp_path: Path) -> None:
    source = "import pulumi\n\nraise ValueError('bad password ' + pulumi.Config().require('token'))\n"
    stack = "config:\n  scratch:token:\n    secure: AAABAMmFrZQ==\n"
    run = rollway("preview", "--cwd", write_program(tmp_path, source, stack), "--stack", "dev")
    assert run.code == 1
    assert "bad password [secret]" in run.err
    assert SECRET_PLACEHOLDER not in run.err


def test_stack_is_required_when_several_stack_files_exist(rollway, tmp_path: Path) -> None:
    write_program(tmp_path, "")
    (tmp_path / "Pulumi.prod.yaml").write_text("config: {}\n")
    run = rollway("preview", "--cwd", tmp_path)
    assert run.code == 2
    assert "--stack is required" in run.err and "dev, prod" in run.err
