"""The time-to-capacity model: worst case from a load step to the first scale-out action, per scaling loop."""

from __future__ import annotations

import pytest

from components.time_to_capacity import ScalingLoop, first_action_seconds, time_to_capacity


def loop(**changes: object) -> ScalingLoop:
    values: dict[str, object] = {
        "mechanism": "test scaler",
        "metric_period_seconds": 60,
        "evaluation_periods": 3,
        "evaluation_interval_seconds": 60,
    }
    values.update(changes)
    return ScalingLoop(**values)  # type: ignore[arg-type]


def test_detection_is_whole_samples_after_the_step_plus_one_look() -> None:
    assert first_action_seconds(loop()) == 3 * 60 + 60


@pytest.mark.parametrize(("cooldown", "seconds"), [(239, 240), (240, 240), (241, 241)])
def test_a_cooldown_overlaps_detection_and_only_counts_when_longer(cooldown: int, seconds: int) -> None:
    assert first_action_seconds(loop(cooldown_seconds=cooldown)) == seconds


def test_stabilization_adds_to_detection() -> None:
    assert first_action_seconds(loop(stabilization_seconds=45, cooldown_seconds=30)) == 240 + 45


@pytest.mark.parametrize(("target", "exceeds"), [(239, True), (240, False), (241, False)])
def test_exceeding_the_target_means_strictly_above_it(target: int, exceeds: bool) -> None:
    assert time_to_capacity(loop(), target).exceeds_target is exceeds


def test_ready_time_adds_the_warm_up_when_there_is_one() -> None:
    assert time_to_capacity(loop(warmup_seconds=90), 120).ready_seconds == 330
    assert time_to_capacity(loop(), 120).ready_seconds is None
    assert time_to_capacity(loop(warmup_seconds=0), 120).ready_seconds == 240


def test_the_warning_names_the_remedy_for_the_dominant_term() -> None:
    pipeline = time_to_capacity(loop(), 120).warning("web", "aws")
    assert "the cloud's metric pipeline sets this floor" in pipeline
    assert pipeline.endswith("or relax rollway:services.web.autoscaling.timeToCapacityTargetSeconds")
    assert "shorten autoscaling.scaleOutCooldownSeconds" in time_to_capacity(loop(cooldown_seconds=600), 120).warning(
        "web", "aws"
    )


@pytest.mark.parametrize(
    "changes",
    [{"metric_period_seconds": 0}, {"evaluation_periods": 0}, {"cooldown_seconds": -1}, {"warmup_seconds": -1}],
)
def test_an_impossible_loop_is_refused(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        loop(**changes)
