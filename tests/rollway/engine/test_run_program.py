"""What `run_program` changes in the process while a program runs, and that it puts everything back."""

from __future__ import annotations

import gc
import typing
from typing import Any

import pulumi
import pulumi._types as sdk_types
import pulumi.runtime.resource as runtime_resource
import pulumi_aws as aws
import pytest

from rollway.engine.mocks import PlausibleMocks
from rollway.engine.run import _UNWRAP_OPTIONAL_TYPE, _UNWRAP_TYPE, RecordingMonitor, run_program


class FramesSeen(RecordingMonitor):
    """Keeps how many stack frames each registration carried."""

    def __init__(self) -> None:
        super().__init__(PlausibleMocks())
        self.frames: dict[str, int] = {}

    def RegisterResource(self, request: Any) -> Any:
        self.frames[request.name] = len(request.stackTrace.frames)
        return super().RegisterResource(request)


def two_buckets() -> None:
    aws.s3.BucketV2("logs")
    aws.s3.BucketV2("assets")


def test_registrations_carry_no_stack_trace() -> None:
    monitor = FramesSeen()
    recording = run_program(two_buckets, monitor=monitor)
    assert sorted(resource.name for resource in recording.resources) == ["assets", "logs"]
    assert monitor.frames["logs"] == monitor.frames["assets"] == 0


def sdk_functions() -> tuple[Any, ...]:
    return runtime_resource._get_stack_trace, sdk_types.unwrap_type, sdk_types.unwrap_optional_type


def test_the_sdk_functions_are_back_after_a_run() -> None:
    original = sdk_functions()
    run_program(two_buckets)
    assert sdk_functions() == original


def test_the_sdk_functions_are_back_after_a_failing_run() -> None:
    original = sdk_functions()

    def failing() -> None:
        two_buckets()
        raise ValueError("program bug")

    with pytest.raises(ValueError, match="program bug"):
        run_program(failing)
    assert sdk_functions() == original


def test_outputs_come_back_as_their_annotated_classes_run_after_run() -> None:
    seen: list[str] = []

    def program() -> None:
        group = aws.ec2.SecurityGroup(
            "web", ingress=[{"protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_blocks": ["10.0.0.0/8"]}]
        )
        group.ingress.apply(lambda rules: seen.append(f"{type(rules[0]).__name__}:{rules[0].from_port}"))

    run_program(program)
    run_program(program)  # the second run answers type questions from the first run's cache
    assert seen == ["SecurityGroupIngress:443", "SecurityGroupIngress:443"]


@pytest.mark.parametrize(
    "annotation",
    [
        typing.Optional[int],  # noqa: UP045 - the SDK's annotations spell it this way
        pulumi.Input[str],
        pulumi.Output[typing.Optional[typing.Sequence[str]]],  # noqa: UP045
        typing.Annotated[typing.Optional[int], ["unhashable"]],  # noqa: UP045 - cannot be a cache key
        str,
    ],
)
def test_cached_type_unwrapping_answers_as_the_sdk_does(annotation: Any) -> None:
    assert _UNWRAP_TYPE(annotation) == sdk_types.unwrap_type(annotation)
    assert _UNWRAP_OPTIONAL_TYPE(annotation) == sdk_types.unwrap_optional_type(annotation)


def test_cyclic_collection_is_off_during_the_run_and_on_after() -> None:
    seen: list[bool] = []

    def program() -> None:
        seen.append(gc.isenabled())
        pulumi.export("ok", 1)

    assert gc.isenabled()
    run_program(program)
    assert seen == [False]
    assert gc.isenabled()


def test_cyclic_collection_stays_off_when_it_was_off() -> None:
    gc.disable()
    try:
        run_program(two_buckets)
        assert not gc.isenabled()
    finally:
        gc.enable()
