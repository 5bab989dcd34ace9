"""Least privilege, pinned actions, no script injection, no pull-request code with secrets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from workflow_files import (
    SETUP_ACTION,
    Job,
    Step,
    Workflow,
    all_jobs,
    all_steps,
    expressions_in_run,
    pr_head_checkouts,
    runs_script,
    step_env,
    unpinned_uses,
    uses_files,
    workflows,
)

CLOUD_INPUTS = ("aws-role-arn", "gcp-workload-identity-provider", "azure-client-id")
ALLOWED_SCOPES = {"contents": "read", "id-token": "write", "pull-requests": "write", "issues": "write"}


def _synthetic(text: str) -> Workflow:
    return Workflow(Path("synthetic.yml"), yaml.safe_load(text))


def _logs_in_to_a_cloud(job: Job) -> bool:
    return any(step.action == SETUP_ACTION and any(step.with_.get(name) for name in CLOUD_INPUTS) for step in job.steps)


def _comments_on_pull_requests(job: Job) -> bool:
    return any(step.with_.get("comment-on-pr") is True or _comment_script(step) for step in job.steps)


def _comment_script(step: Step) -> bool:
    return runs_script(step, "upsert-pr-comment.sh") or runs_script(step, "pr_comment_section.py")


def _manages_issues(job: Job) -> bool:
    return any(runs_script(step, "report-drift.sh") for step in job.steps)


def _runs_on_pull_requests(job: Job) -> bool:
    flow = next(flow for flow in workflows() if flow.name == job.workflow)
    return bool({"pull_request", "pull_request_target"} & set(flow.triggers))


@pytest.mark.parametrize("flow", workflows(), ids=lambda flow: flow.name)
def test_workflow_grants_no_permissions_by_default(flow: Workflow) -> None:
    assert flow.data.get("permissions") == {}


@pytest.mark.parametrize("job", all_jobs(), ids=lambda job: job.label)
def test_job_declares_its_permissions(job: Job) -> None:
    assert isinstance(job.permissions, dict), f"{job.label} has no `permissions:` mapping"


@pytest.mark.parametrize("job", all_jobs(), ids=lambda job: job.label)
def test_job_permissions_are_only_what_it_uses(job: Job) -> None:
    permissions: dict[str, Any] = job.permissions or {}
    expected = {"contents": "read"}
    if _logs_in_to_a_cloud(job):
        expected["id-token"] = "write"
    if _comments_on_pull_requests(job):
        expected["pull-requests"] = "write"
    if _manages_issues(job):
        expected["issues"] = "write"
    assert set(permissions.items()) <= set(ALLOWED_SCOPES.items()), job.label
    assert permissions == expected, job.label


@pytest.mark.parametrize("job", [job for job in all_jobs() if job.steps], ids=lambda job: job.label)
def test_job_has_a_timeout(job: Job) -> None:
    # The default is six hours of a hung cloud call holding the stack's concurrency group.
    assert isinstance(job.data.get("timeout-minutes"), int), job.label


@pytest.mark.parametrize("job", [job for job in all_jobs() if _logs_in_to_a_cloud(job)], ids=lambda job: job.label)
def test_jobs_with_cloud_credentials_run_in_a_github_environment(job: Job) -> None:
    assert job.environment_name, f"{job.label} signs in to a cloud outside any GitHub environment"


@pytest.mark.parametrize(
    "job", [job for job in all_jobs() if _logs_in_to_a_cloud(job) and _runs_on_pull_requests(job)], ids=lambda job: job.label
)
def test_pull_request_jobs_with_credentials_skip_forks(job: Job) -> None:
    condition = str(job.data.get("if", ""))
    assert "github.event.pull_request.head.repo.full_name == github.repository" in condition, job.label


@pytest.mark.parametrize(
    "job", [job for job in all_jobs() if _logs_in_to_a_cloud(job) and _runs_on_pull_requests(job)], ids=lambda job: job.label
)
def test_pull_request_jobs_never_hold_deploy_environments(job: Job) -> None:
    assert job.environment_name in {"preview", "${{ matrix.stack }}-readonly"}, job.label


@pytest.mark.parametrize("flow", workflows(), ids=lambda flow: flow.name)
def test_pull_request_target_never_checks_out_the_pull_request(flow: Workflow) -> None:
    assert pr_head_checkouts(flow) == []


def test_no_workflow_uses_pull_request_target() -> None:
    assert [flow.name for flow in workflows() if "pull_request_target" in flow.triggers] == []


def test_pr_head_checkout_rule_flags_pull_request_target_with_head_ref() -> None:
    flow = _synthetic(
        """
on: pull_request_target
jobs:
  build:
    steps:
      - uses: actions/checkout@0000000000000000000000000000000000000000 # v1.0.0
        with:
          ref: ${{ github.event.pull_request.head.sha }}
"""
    )
    assert len(pr_head_checkouts(flow)) == 1


def test_no_run_script_contains_an_expression() -> None:
    assert expressions_in_run(all_steps()) == []


def test_expression_rule_flags_an_event_field_in_a_run_script() -> None:
    flow = _synthetic(
        """
on: pull_request
jobs:
  greet:
    steps:
      - run: echo "${{ github.event.pull_request.title }}"
"""
    )
    assert len(expressions_in_run(flow.jobs[0].steps)) == 1


def test_every_external_action_is_pinned_to_a_commit_sha_with_its_release() -> None:
    problems = [problem for path in uses_files() for problem in unpinned_uses(path.read_text(encoding="utf-8"), path.name)]
    assert problems == []


def test_pin_rule_flags_tags_branches_and_missing_release_comments() -> None:
    text = """
      - uses: actions/checkout@v6
      - uses: pulumi/actions@main
      - uses: actions/setup-python@a309ff8b426b58ec0e2a45f0f869d46889d02405
      - uses: actions/setup-python@a309ff8b426b58ec0e2a45f0f869d46889d02405 # v6.2.0
      - uses: ./.github/actions/setup-rollway
"""
    assert len(unpinned_uses(text, "synthetic.yml")) == 3


def test_each_action_is_pinned_to_one_commit_everywhere() -> None:
    refs: dict[str, set[str]] = {}
    for step in all_steps():
        if "@" in step.uses:
            refs.setdefault(step.action, set()).add(step.uses.split("@", 1)[1])
    assert {action: shas for action, shas in refs.items() if len(shas) > 1} == {}


def test_checkouts_leave_no_token_in_the_workspace() -> None:
    checkouts = [step for step in all_steps() if step.action == "actions/checkout"]
    assert checkouts
    assert [step.label for step in checkouts if step.with_.get("persist-credentials") is not False] == []


def test_github_token_reaches_only_the_steps_that_call_the_api() -> None:
    holders = [
        step.label
        for job in all_jobs()
        for step in job.steps
        if "github.token" in str(step_env(job, step).get("GH_TOKEN", ""))
        and not (_comment_script(step) or runs_script(step, "report-drift.sh"))
    ]
    assert holders == []
