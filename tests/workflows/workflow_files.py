"""Reads the repository's GitHub Actions workflows and composite actions for the workflow tests.

Also holds the rules the security tests apply (each a function from a parsed document to its findings),
so the tests can show a rule catching a bad workflow as well as passing the real ones.
"""

from __future__ import annotations

import itertools
import json
import re
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
GITHUB_DIR = REPO / ".github"
WORKFLOW_DIR = GITHUB_DIR / "workflows"
ACTIONS_DIR = GITHUB_DIR / "actions"
SCRIPTS_DIR = GITHUB_DIR / "scripts"
DOCS = REPO / "docs" / "ci.md"

PULUMI_ACTION = "pulumi/actions"
SETUP_ACTION = "./.github/actions/setup-rollway"
# Stack files that are templates for other stacks rather than deployed stacks.
TEMPLATE_STACKS = frozenset({"preview"})
# Stack files rendered in CI for per-pull-request stacks; never committed.
GENERATED_STACK = re.compile(r"^pr-\d+$")
PROMOTION_ORDER = ("dev", "staging", "prod")
POLICY_PACKS = ("policies/security", "policies/cost")

EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)
MATRIX_EXPRESSION = re.compile(r"\$\{\{\s*matrix\.([A-Za-z0-9_-]+)\s*\}\}")
STACK_PREFIX_EXPRESSION = re.compile(r"\$\{\{\s*vars\.PULUMI_STACK_PREFIX\s*\}\}")
STACKS_OUTPUT_EXPRESSION = re.compile(r"\$\{\{\s*fromJSON\(needs\.stacks\.outputs\.(?P<output>[a-z]+)\)\s*\}\}")
PR_NUMBER_EXPRESSION = re.compile(r"\$\{\{\s*github\.event\.pull_request\.number\s*\}\}")


@dataclass(frozen=True)
class Step:
    """One step of a workflow job or of a composite action."""

    source: str
    """`<file>:<job>` (or `<file>` for a composite action), for failure messages."""
    index: int
    data: Mapping[str, Any]

    @property
    def label(self) -> str:
        return f"{self.source} step {self.index + 1} ({self.data.get('name', self.uses or 'run')})"

    @property
    def uses(self) -> str:
        return str(self.data.get("uses", ""))

    @property
    def action(self) -> str:
        """`owner/repo` (or the local path) without the ref."""
        return self.uses.split("@", 1)[0]

    @property
    def run(self) -> str:
        return str(self.data.get("run", ""))

    @property
    def with_(self) -> Mapping[str, Any]:
        return self.data.get("with") or {}

    @property
    def env(self) -> Mapping[str, Any]:
        return self.data.get("env") or {}


@dataclass(frozen=True)
class Job:
    workflow: str
    id: str
    data: Mapping[str, Any]

    @property
    def label(self) -> str:
        return f"{self.workflow}:{self.id}"

    @property
    def steps(self) -> list[Step]:
        return [Step(self.label, index, step) for index, step in enumerate(self.data.get("steps") or [])]

    @property
    def permissions(self) -> Any:
        return self.data.get("permissions")

    @property
    def env(self) -> Mapping[str, Any]:
        return self.data.get("env") or {}

    @property
    def environment_name(self) -> str | None:
        environment = self.data.get("environment")
        if isinstance(environment, Mapping):
            return str(environment.get("name"))
        return None if environment is None else str(environment)

    def matrix(self, root: Path = REPO) -> dict[str, list[str]]:
        """The job's matrix axes (values as strings); `include`/`exclude` are not used by our workflows.

        An axis `${{ fromJSON(needs.stacks.outputs.<list>) }}` is resolved by running the stacks job's
        script (.github/scripts/list_stacks.py) on `root`, as CI does on the checked-out repository.
        """
        matrix = (self.data.get("strategy") or {}).get("matrix") or {}
        axes: dict[str, list[str]] = {}
        for key, values in matrix.items():
            if isinstance(values, list):
                axes[key] = [str(value) for value in values]
            elif isinstance(values, str) and (listed := STACKS_OUTPUT_EXPRESSION.fullmatch(values.strip())):
                axes[key] = listed_stacks(root)[listed["output"]]
        return axes

    def matrix_combinations(self) -> list[dict[str, str]]:
        axes = self.matrix()
        if not axes:
            return [{}]
        keys = sorted(axes)
        return [dict(zip(keys, values, strict=True)) for values in itertools.product(*(axes[key] for key in keys))]


@dataclass(frozen=True)
class Workflow:
    path: Path
    data: Mapping[Any, Any]

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def triggers(self) -> Mapping[str, Any]:
        # YAML 1.1 reads the bare key `on` as the boolean true.
        raw = self.data.get("on", self.data.get(True))
        if isinstance(raw, str):
            return {raw: None}
        if isinstance(raw, list):
            return dict.fromkeys(raw)
        return raw or {}

    @property
    def jobs(self) -> list[Job]:
        return [Job(self.name, job_id, job) for job_id, job in (self.data.get("jobs") or {}).items()]

    def job(self, job_id: str) -> Job:
        for job in self.jobs:
            if job.id == job_id:
                return job
        raise AssertionError(f"{self.name} has no job `{job_id}`; jobs: {[job.id for job in self.jobs]}")


def _load(path: Path) -> Mapping[str, Any]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(document, Mapping), f"{path} is not a YAML mapping"
    return document


@cache
def workflows() -> tuple[Workflow, ...]:
    paths = sorted([*WORKFLOW_DIR.glob("*.yml"), *WORKFLOW_DIR.glob("*.yaml")])
    return tuple(Workflow(path, _load(path)) for path in paths)


def workflow(name: str) -> Workflow:
    for candidate in workflows():
        if candidate.name == name:
            return candidate
    raise AssertionError(f"no workflow {name} in {WORKFLOW_DIR}")


@cache
def composite_actions() -> tuple[tuple[Path, Mapping[str, Any]], ...]:
    return tuple((path, _load(path)) for path in sorted(ACTIONS_DIR.glob("*/action.y*ml")))


def all_jobs() -> list[Job]:
    return [job for flow in workflows() for job in flow.jobs]


def composite_steps() -> list[Step]:
    steps: list[Step] = []
    for path, action in composite_actions():
        source = str(path.relative_to(REPO))
        steps.extend(Step(source, index, step) for index, step in enumerate((action.get("runs") or {}).get("steps") or []))
    return steps


def all_steps() -> list[Step]:
    return [step for job in all_jobs() for step in job.steps] + composite_steps()


def uses_files() -> list[Path]:
    """Every file whose steps can `uses:` an action."""
    return [flow.path for flow in workflows()] + [path for path, _ in composite_actions()]


def stack_files() -> set[str]:
    """Stack names of the committed Pulumi.<stack>.yaml files (templates included, generated ones not)."""
    names = {path.name[len("Pulumi.") : -len(".yaml")] for path in REPO.glob("Pulumi.*.yaml")}
    return {name for name in names if not GENERATED_STACK.match(name)}


def deployed_stacks() -> set[str]:
    return stack_files() - TEMPLATE_STACKS


def expand_matrix(text: str, combination: Mapping[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in combination:
            raise AssertionError(f"`{match.group(0)}` names no matrix axis of the job (axes: {sorted(combination)})")
        return combination[key]

    return MATRIX_EXPRESSION.sub(value, text)


def unprefixed(stack_name: str) -> str:
    """A `stack-name` without the optional org prefix variable."""
    return STACK_PREFIX_EXPRESSION.sub("", stack_name)


def stack_of(stack_name: str) -> str:
    """The stack a `stack-name` refers to, without the org prefix; a PR number stands as `pr-1`."""
    return PR_NUMBER_EXPRESSION.sub("1", unprefixed(stack_name))


def environment_of(stack: str) -> str:
    """Policy config environment for a stack: per-PR stacks use the preview config."""
    return "preview" if GENERATED_STACK.match(stack) else stack


def lines(value: Any) -> list[str]:
    return [line.strip() for line in str(value or "").splitlines() if line.strip()]


def pulumi_steps(job: Job, commands: set[str]) -> list[Step]:
    return [step for step in job.steps if step.action == PULUMI_ACTION and step.with_.get("command") in commands]


def step_env(job: Job, step: Step) -> dict[str, str]:
    """Environment a `run:` step sees from the workflow file (job env overlaid by step env)."""
    return {**{k: str(v) for k, v in job.env.items()}, **{k: str(v) for k, v in step.env.items()}}


def runs_script(step: Step, script: str) -> bool:
    return f".github/scripts/{script}" in step.run


# ---- rules -------------------------------------------------------------------------------------------


def expressions_in_run(steps: list[Step]) -> list[str]:
    """Steps whose `run:` script contains a `${{ }}` expression (to be passed through `env:` instead)."""
    return [f"{step.label}: {match.group(0)}" for step in steps for match in EXPRESSION.finditer(step.run)]


def pr_head_checkouts(flow: Workflow) -> list[str]:
    """Checkouts of the pull request's head in a workflow triggered by pull_request_target."""
    if "pull_request_target" not in flow.triggers:
        return []
    found = []
    for job in flow.jobs:
        for step in job.steps:
            if step.action != "actions/checkout":
                continue
            ref = str(step.with_.get("ref", "")) + str(step.with_.get("repository", ""))
            if re.search(r"head|merge|github\.event\.pull_request\.number", ref):
                found.append(f"{step.label}: ref {ref!r}")
    return found


PINNED_USES = re.compile(r"^\s*(?:-\s*)?uses:\s*(?P<ref>[^\s#]+)\s*(?:#\s*(?P<comment>\S+))?\s*$")
FULL_SHA = re.compile(r"^[0-9a-f]{40}$")
RELEASE_TAG = re.compile(r"^v\d+\.\d+\.\d+$")


def unpinned_uses(text: str, source: str) -> list[str]:
    """`uses:` lines that are not a local action or `owner/repo@<40-hex sha> # vX.Y.Z`."""
    problems = []
    for number, line in enumerate(text.splitlines(), start=1):
        match = PINNED_USES.match(line)
        if not match:
            continue
        ref = match.group("ref")
        if ref.startswith("./"):
            continue
        _, _, version = ref.partition("@")
        comment = match.group("comment") or ""
        if not FULL_SHA.match(version) or not RELEASE_TAG.match(comment):
            problems.append(f"{source}:{number}: {line.strip()}")
    return problems


def iter_strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for child in value.values():
            yield from iter_strings(child)
    elif isinstance(value, list):
        for child in value:
            yield from iter_strings(child)


def listed_stacks(root: Path = REPO) -> dict[str, list[str]]:
    """The outputs of .github/scripts/list_stacks.py run on `root` (`all`, `deployed`)."""
    if root == REPO:  # the checked-out repository does not change during a run: one listing serves every matrix
        return {name: list(stacks) for name, stacks in _repository_stacks().items()}
    return _run_list_stacks(root)


@cache
def _repository_stacks() -> dict[str, list[str]]:
    return _run_list_stacks(REPO)


def _run_list_stacks(root: Path) -> dict[str, list[str]]:
    done = subprocess.run(
        [sys.executable, str(SCRIPTS_DIR / "list_stacks.py"), "--root", str(root)],
        capture_output=True,
        text=True,
        check=True,
    )
    outputs = dict(line.split("=", 1) for line in done.stdout.splitlines())
    return {name: [str(stack) for stack in json.loads(value)] for name, value in outputs.items()}
