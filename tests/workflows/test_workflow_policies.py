"""Every preview and update runs Rollway's security and cost packs with the stack's environment config."""

from __future__ import annotations

import re

import pytest
from workflow_files import (
    POLICY_PACKS,
    REPO,
    Job,
    Step,
    all_jobs,
    environment_of,
    expand_matrix,
    iter_strings,
    lines,
    pulumi_steps,
    runs_script,
    stack_of,
    step_env,
    workflow,
)

POLICY_PATH = re.compile(r"policies/(?:[A-Za-z0-9_.\-/]|\$\{\{\s*matrix\.[A-Za-z0-9_-]+\s*\}\})+")


def _policy_references() -> dict[str, list[str]]:
    """Each policy path the workflows use (matrix expanded) -> the steps that use it."""
    references: dict[str, set[str]] = {}
    for job in all_jobs():
        for step in job.steps:
            for text in iter_strings(dict(step.data)):
                for match in POLICY_PATH.finditer(text):
                    for combination in job.matrix_combinations():
                        path = expand_matrix(match.group(0), combination).rstrip("/")
                        references.setdefault(path, set()).add(step.label)
    return {path: sorted(steps) for path, steps in sorted(references.items())}


POLICY_REFERENCES = _policy_references()


def _expected_configs(environment: str) -> list[str]:
    return [f"policies/config/{environment}/security.json", f"policies/config/{environment}/cost.json"]


def _preflight_steps() -> list[tuple[Job, Step]]:
    return [(job, step) for job in all_jobs() for step in job.steps if runs_script(step, "preflight.sh")]


def test_workflows_reference_both_packs_and_every_environment_config() -> None:
    paths = set(POLICY_REFERENCES)
    environments = {"dev", "staging", "prod", "preview"}
    assert set(POLICY_PACKS) | {config for env in environments for config in _expected_configs(env)} <= paths


@pytest.mark.parametrize("path", sorted(POLICY_REFERENCES))
def test_referenced_policy_path_exists(path: str) -> None:
    where = "\n  ".join(POLICY_REFERENCES[path])
    assert (REPO / path).exists(), f"{path} does not exist; referenced by:\n  {where}"


@pytest.mark.parametrize("command", ["preview", "up"])
def test_every_pulumi_run_enforces_both_packs_with_its_environment_config(command: str) -> None:
    checked = 0
    for job in all_jobs():
        for step in pulumi_steps(job, {command}):
            for combination in job.matrix_combinations():
                stack = stack_of(expand_matrix(str(step.with_["stack-name"]), combination))
                packs = [expand_matrix(line, combination) for line in lines(step.with_.get("policyPacks"))]
                configs = [expand_matrix(line, combination) for line in lines(step.with_.get("policyPackConfigs"))]
                assert packs == list(POLICY_PACKS), f"{step.label} [{stack}] packs {packs}"
                assert configs == _expected_configs(environment_of(stack)), f"{step.label} [{stack}] configs {configs}"
                checked += 1
    assert checked, f"no pulumi/actions `{command}` step found"


def test_every_preflight_pairs_both_packs_with_its_stack_environment_config() -> None:
    assert _preflight_steps()
    for job, step in _preflight_steps():
        env = step_env(job, step)
        for combination in job.matrix_combinations():
            expanded = {key: expand_matrix(value, combination) for key, value in env.items()}
            stack = stack_of(expanded["STACK"])
            assert [expanded["SECURITY_PACK"], expanded["COST_PACK"]] == list(POLICY_PACKS), step.label
            configs = [expanded["SECURITY_CONFIG"], expanded["COST_CONFIG"]]
            assert configs == _expected_configs(environment_of(stack)), f"{step.label} [{stack}]"


def test_every_stack_update_is_preceded_by_the_preflight() -> None:
    for job in all_jobs():
        for update in pulumi_steps(job, {"up"}):
            earlier = job.steps[: update.index]
            assert any(runs_script(step, "preflight.sh") for step in earlier), job.label


def test_drift_preview_expects_no_changes() -> None:
    (step,) = pulumi_steps(workflow("drift.yml").job("drift"), {"preview"})
    assert step.with_.get("expect-no-changes") is True


def test_drift_refresh_only_previews() -> None:
    refresh = next(step for step in workflow("drift.yml").job("drift").steps if step.data.get("id") == "refresh")
    assert "pulumi refresh" in refresh.run
    assert "--preview-only" in refresh.run and "--expect-no-changes" in refresh.run


def test_pull_request_previews_comment_on_the_pull_request() -> None:
    (step,) = pulumi_steps(workflow("pull-request.yml").job("preview"), {"preview"})
    assert step.with_.get("comment-on-pr") is True


def test_preview_stack_is_destroyed_and_removed_on_close() -> None:
    (step,) = pulumi_steps(workflow("pr-stack.yml").job("destroy"), {"destroy"})
    assert step.with_.get("remove") is True
    assert workflow("pr-stack.yml").triggers["pull_request"]["types"] == ["opened", "synchronize", "reopened", "closed"]
