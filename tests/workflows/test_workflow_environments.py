"""GitHub environments and concurrency: who may deploy where, and never two updates on one stack."""

from __future__ import annotations

import pytest
from workflow_files import PROMOTION_ORDER, all_jobs, pulumi_steps, unprefixed, workflow


def test_prod_deploy_runs_in_the_prod_environment() -> None:
    assert workflow("deploy.yml").job("prod").environment_name == "prod"


@pytest.mark.parametrize("stack", PROMOTION_ORDER)
def test_each_deploy_job_runs_in_its_stack_environment(stack: str) -> None:
    assert workflow("deploy.yml").job(stack).environment_name == stack


@pytest.mark.parametrize("stack", PROMOTION_ORDER)
def test_deploy_jobs_only_run_from_main(stack: str) -> None:
    assert workflow("deploy.yml").job(stack).data.get("if") == "github.ref == 'refs/heads/main'"


def test_deploy_triggers_on_pushes_to_main_only() -> None:
    triggers = workflow("deploy.yml").triggers
    assert set(triggers) == {"push", "workflow_dispatch"}
    assert triggers["push"] == {"branches": ["main"]}


def test_every_stack_update_holds_its_stack_concurrency_group_without_cancelling() -> None:
    updates = [(job, step) for job in all_jobs() for step in pulumi_steps(job, {"up", "destroy"})]
    assert updates
    for job, step in updates:
        stack = unprefixed(str(step.with_["stack-name"]))
        assert job.data.get("concurrency") == {"group": f"pulumi-stack-{stack}", "cancel-in-progress": False}, job.label


def test_preview_stack_up_and_destroy_share_one_group() -> None:
    jobs = workflow("pr-stack.yml")
    assert jobs.job("up").data["concurrency"] == jobs.job("destroy").data["concurrency"]


def test_preview_stacks_deploy_in_the_preview_environment() -> None:
    flow = workflow("pr-stack.yml")
    assert [flow.job("up").environment_name, flow.job("destroy").environment_name] == ["preview", "preview"]


def test_pull_request_previews_use_read_only_environments() -> None:
    assert workflow("pull-request.yml").job("preview").environment_name == "${{ matrix.stack }}-readonly"


def test_drift_detection_uses_read_only_environments() -> None:
    assert workflow("drift.yml").job("drift").environment_name == "${{ matrix.stack }}-readonly"


def test_drift_never_shares_a_deploy_concurrency_group() -> None:
    group = workflow("drift.yml").job("drift").data["concurrency"]["group"]
    assert not group.startswith("pulumi-stack-")


def test_read_only_environments_create_no_deployment_records() -> None:
    for job in (workflow("pull-request.yml").job("preview"), workflow("drift.yml").job("drift")):
        assert job.data["environment"]["deployment"] is False, job.label


def test_drift_runs_on_a_schedule_and_on_demand() -> None:
    triggers = workflow("drift.yml").triggers
    assert set(triggers) == {"schedule", "workflow_dispatch"}
    assert triggers["schedule"][0]["cron"]
