"""Every stack file is previewed, deployed and watched for drift; nothing in the workflows names a missing stack."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from workflow_files import (
    PROMOTION_ORDER,
    PULUMI_ACTION,
    REPO,
    deployed_stacks,
    listed_stacks,
    pulumi_steps,
    stack_files,
    stack_of,
    workflow,
)


def test_the_repository_has_stack_files() -> None:
    assert deployed_stacks(), f"no Pulumi.<stack>.yaml found in {REPO}"


def test_every_stack_file_has_a_preflight_leg() -> None:
    matrix = set(workflow("pull-request.yml").job("preflight").matrix()["stack"])
    assert stack_files() <= matrix, f"stack files without a preflight leg: {sorted(stack_files() - matrix)}"


def test_every_preflight_leg_has_a_stack_file() -> None:
    matrix = set(workflow("pull-request.yml").job("preflight").matrix()["stack"])
    assert matrix <= stack_files(), f"preflight legs without a Pulumi.<stack>.yaml: {sorted(matrix - stack_files())}"


def test_cloud_preview_matrix_is_exactly_the_deployed_stacks() -> None:
    matrix = set(workflow("pull-request.yml").job("preview").matrix()["stack"])
    assert matrix == deployed_stacks()


def test_drift_matrix_is_exactly_the_deployed_stacks() -> None:
    matrix = set(workflow("drift.yml").job("drift").matrix()["stack"])
    assert matrix == deployed_stacks()


def test_deploy_runs_pulumi_up_once_per_promoted_stack() -> None:
    # deploy.yml promotes a fixed chain (each link its own GitHub environment and reviewers); a stack file outside
    # the chain is previewed and drift-checked but deployed by hand (docs/ci.md).
    updated = [
        stack_of(str(step.with_["stack-name"])) for job in workflow("deploy.yml").jobs for step in pulumi_steps(job, {"up"})
    ]
    assert sorted(updated) == sorted(PROMOTION_ORDER)


def test_deploy_promotes_dev_then_staging_then_prod() -> None:
    deploy = workflow("deploy.yml")
    needs = [deploy.job(stack).data.get("needs") for stack in PROMOTION_ORDER]
    assert needs == ["checks", *PROMOTION_ORDER[:-1]]


def test_every_promoted_stack_has_a_stack_file() -> None:
    assert set(PROMOTION_ORDER) <= deployed_stacks(), f"promoted without a stack file: {set(PROMOTION_ORDER) - deployed_stacks()}"


def test_a_new_stack_file_gets_preflight_preview_and_drift_legs_without_workflow_edits(tmp_path: Path) -> None:
    for path in REPO.glob("Pulumi.*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    (tmp_path / "Pulumi.qa.yaml").write_text("config:\n  rollway:environment: qa\n")
    (tmp_path / "Pulumi.pr-7.yaml").write_text("config: {}\n")  # rendered per-PR stacks are not listed
    pull_request = workflow("pull-request.yml")
    assert set(pull_request.job("preflight").matrix(tmp_path)["stack"]) == stack_files() | {"qa"}
    assert set(pull_request.job("preview").matrix(tmp_path)["stack"]) == deployed_stacks() | {"qa"}
    assert set(workflow("drift.yml").job("drift").matrix(tmp_path)["stack"]) == deployed_stacks() | {"qa"}


def test_stack_matrices_come_from_the_stacks_job() -> None:
    for name, job in (("pull-request.yml", "preflight"), ("pull-request.yml", "preview"), ("drift.yml", "drift")):
        needs = workflow(name).job(job).data.get("needs")
        assert "stacks" in ([needs] if isinstance(needs, str) else needs), f"{name} {job} does not need the stacks job"


def test_stack_listing_fails_closed_without_stack_files(tmp_path: Path) -> None:
    with pytest.raises(subprocess.CalledProcessError) as failure:
        listed_stacks(tmp_path)
    assert failure.value.returncode == 2
    assert "no Pulumi.<stack>.yaml" in failure.value.stderr


def test_preview_stacks_are_rendered_from_the_shipped_template() -> None:
    renders = [step.run for job in workflow("pr-stack.yml").jobs for step in job.steps if "pr_stack_config.py" in step.run]
    assert renders and all("--template Pulumi.preview.yaml" in run for run in renders)
    assert (REPO / "Pulumi.preview.yaml").is_file(), "the preview template stack file Pulumi.preview.yaml is missing"


def test_preview_stack_is_named_after_the_pull_request() -> None:
    names = {
        stack_of(str(step.with_["stack-name"]))
        for job in workflow("pr-stack.yml").jobs
        for step in job.steps
        if step.action == PULUMI_ACTION and "stack-name" in step.with_
    }
    assert names == {"pr-1"}
