"""synth_once: one run per distinct input, never a stack synthesized from other inputs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from rollway.testing import synth_once

RUNS: list[str] = []


def program() -> None:
    config = pulumi.Config("kit")
    RUNS.append(config.require("bucket"))
    aws.s3.Bucket(config.require("bucket"), tags=config.get_object("tags"))
    pulumi.export("secret", config.get_secret("token"))


def other_program() -> None:
    RUNS.append("other")
    aws.s3.Bucket("other")


@pytest.fixture
def bucket(request: pytest.FixtureRequest) -> str:
    """A bucket name no other test uses: the cache lives as long as the process."""
    RUNS.clear()
    return "b" + str(abs(hash(request.node.nodeid)))


def test_equal_inputs_share_one_run(bucket: str) -> None:
    first = synth_once(program, config={"kit:bucket": bucket, "kit:tags": {"x": "1", "y": "2"}})
    # Equal by value, written in another order: the same stack, from the same single run.
    again = synth_once(program, config={"kit:tags": {"y": "2", "x": "1"}, "kit:bucket": bucket})
    assert again is first
    assert [bucket] == RUNS
    first.has_resource_properties("aws:s3/bucket:Bucket", {"tags": {"x": "1", "y": "2"}}, name=bucket)


@pytest.mark.parametrize(
    ("change", "value"),
    [
        ("config", {"kit:bucket": "a", "kit:tags": {"x": "2"}}),
        ("secrets", {"kit:token": "t"}),
        ("stack", "prod"),
        ("project", "elsewhere"),
        ("preview", True),
    ],
)
def test_any_other_input_runs_again(bucket: str, change: str, value: Any) -> None:
    base: dict[str, Any] = {"config": {"kit:bucket": bucket, "kit:tags": {"x": "1"}}}
    if change == "config":
        value = {**value, "kit:bucket": bucket}
    first = synth_once(program, **base)
    other = synth_once(program, **{**base, change: value})
    assert other is not first
    assert [bucket, bucket] == RUNS
    assert other.recording.stack == (value if change == "stack" else "test")
    assert other.recording.project == (value if change == "project" else first.recording.project)


def test_another_program_runs_again(bucket: str) -> None:
    synth_once(program, config={"kit:bucket": bucket})
    other = synth_once(other_program, config={"kit:bucket": bucket})
    assert [bucket, "other"] == RUNS
    other.resource_count_is("aws:s3/bucket:Bucket", 1)
    assert other.get("aws:s3/bucket:Bucket", "other")


def test_preview_is_part_of_the_key(bucket: str) -> None:
    applied = synth_once(program, config={"kit:bucket": bucket})
    previewed = synth_once(program, config={"kit:bucket": bucket}, preview=True)
    # Only an applied stack has the provider-computed outputs.
    assert applied.get("aws:s3/bucket:Bucket", bucket).outputs["arn"].startswith("arn:aws:s3:::")
    assert "arn" not in previewed.get("aws:s3/bucket:Bucket", bucket).outputs


def test_a_failing_program_is_not_cached(bucket: str) -> None:
    def failing() -> None:
        RUNS.append("failing")
        raise pulumi.RunError(f"boom {bucket}")

    for _ in range(2):
        with pytest.raises(pulumi.RunError, match="boom"):
            synth_once(failing)
    assert RUNS == ["failing", "failing"]


def test_config_that_cannot_be_compared_by_value_is_refused(bucket: str) -> None:
    with pytest.raises(TypeError, match="synth_once: config must hold plain JSON-like values"):
        synth_once(program, config={"kit:bucket": object()})


# -- share_synths: the processes of one run (pytest-xdist workers) share each stack ---------------------------

SHARED_PROGRAM = """
import os
import time

import pulumi


def program():
    with open(os.environ["RUNS_FILE"], "a", encoding="utf-8") as runs:
        runs.write(f"{os.getpid()}\\n")
    time.sleep(float(os.environ.get("PROGRAM_SECONDS", "0")))
    if os.environ.get("PROGRAM_FAILS"):
        raise RuntimeError("program failed")
    pulumi.export("bucket", pulumi.Config("kit").require("bucket"))
"""

# One process of a run: synth_once through the shared directory; prints the stack's exports.
WORKER = """
import json
import sys

sys.path.insert(0, sys.argv[1])
import shared_program

from rollway.testing import share_synths, synth_once

share_synths(sys.argv[2])
program = shared_program.program if sys.argv[3] == "module" else (lambda: shared_program.program())
stack = synth_once(program, config={"kit:bucket": "logs"}, project="kit")
print(json.dumps(stack.outputs))
"""


def start_worker(tmp_path: Path, form: str = "module", **env: str) -> subprocess.Popen[str]:
    (tmp_path / "shared_program.py").write_text(SHARED_PROGRAM, encoding="utf-8")
    return subprocess.Popen(
        [sys.executable, "-c", WORKER, str(tmp_path), str(tmp_path / "shared"), form],
        env={**os.environ, "RUNS_FILE": str(tmp_path / "runs.txt"), **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(worker: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = worker.communicate(timeout=120)
    return worker.returncode, out, err


def runs(tmp_path: Path) -> list[str]:
    return (tmp_path / "runs.txt").read_text(encoding="utf-8").split()


def test_processes_of_one_run_synthesize_a_stack_once(tmp_path: Path) -> None:
    # Started together: the second waits for the first one's run instead of running the program too.
    first, second = (start_worker(tmp_path, PROGRAM_SECONDS="0.5") for _ in range(2))
    results = [finish(first), finish(second)]
    assert [code for code, _, _ in results] == [0, 0], results
    assert [json.loads(out) for _, out, _ in results] == [{"bucket": "logs"}, {"bucket": "logs"}]
    assert len(runs(tmp_path)) == 1


def test_a_program_that_failed_is_run_again_by_the_next_process(tmp_path: Path) -> None:
    code, _, err = finish(start_worker(tmp_path, PROGRAM_FAILS="1"))
    assert code != 0 and "program failed" in err
    code, out, _ = finish(start_worker(tmp_path))
    assert (code, json.loads(out)) == (0, {"bucket": "logs"})
    assert len(runs(tmp_path)) == 2


def test_a_closure_is_run_in_every_process(tmp_path: Path) -> None:
    for _ in range(2):
        code, out, err = finish(start_worker(tmp_path, form="closure"))
        assert (code, json.loads(out)) == (0, {"bucket": "logs"}), err
    assert len(runs(tmp_path)) == 2
