"""synth_once: one run per distinct input, never a stack synthesized from other inputs."""

from __future__ import annotations

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
