"""What `run_program` changes in the process while a program runs, and that it puts everything back."""

from __future__ import annotations

import gc
from typing import Any

import pulumi
import pulumi.runtime.resource as runtime_resource
import pulumi_aws as aws
import pytest

from rollway.engine.mocks import PlausibleMocks
from rollway.engine.run import RecordingMonitor, run_program


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


def test_the_sdk_stack_trace_is_back_after_a_run() -> None:
    original = runtime_resource._get_stack_trace
    run_program(two_buckets)
    assert runtime_resource._get_stack_trace is original


def test_the_sdk_stack_trace_is_back_after_a_failing_run() -> None:
    original = runtime_resource._get_stack_trace

    def failing() -> None:
        two_buckets()
        raise ValueError("program bug")

    with pytest.raises(ValueError, match="program bug"):
        run_program(failing)
    assert runtime_resource._get_stack_trace is original


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
