"""Rollout spec validation: durations, presets, steps, checks; every problem named with its key path."""

from __future__ import annotations

import pytest

from rollway.rollout.durations import format_duration, parse_duration
from rollway.rollout.errors import UsageError
from rollway.rollout.spec import build_spec, parse_preset


@pytest.mark.parametrize(("text", "seconds"), [("500ms", 0.5), ("30s", 30), ("2m", 120), ("1h", 3600), ("1m30s", 90), ("45", 45)])
def test_durations_accept_units_and_bare_seconds(text, seconds):
    assert parse_duration(text) == seconds


def test_a_bad_duration_names_the_accepted_forms():
    with pytest.raises(ValueError, match=r"use e\.g\. 500ms, 30s, 2m, 1h or 1m30s"):
        parse_duration("2 fortnights")


def test_format_duration_is_short():
    assert [format_duration(s) for s in (0.25, 4.5, 42, 245, 3720)] == ["250ms", "4.5s", "42s", "4m05s", "1h02m"]


def test_canary_then_all_preset_is_two_steps():
    assert parse_preset("canary-10%-then-all", 60) == [(10, 60), (100, 60)]


def test_linear_preset_steps_every_interval_up_to_all():
    steps = parse_preset("linear-10%-every-2m", 60)

    assert [weight for weight, _ in steps] == [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]
    assert {bake for _, bake in steps} == {120}


def test_linear_preset_accepts_spelled_out_minutes():
    assert parse_preset("linear-25%-every-3-minutes", 60) == [(25, 180), (50, 180), (75, 180), (100, 180)]


def test_unknown_preset_lists_the_known_forms():
    with pytest.raises(ValueError, match="canary-<N>%-then-all or linear-<N>%-every-<duration>"):
        parse_preset("all-at-once", 60)


def test_steps_must_increase():
    with pytest.raises(UsageError, match=r"command line: step weights must strictly increase, got \[10, 5\]"):
        build_spec({"service": "web", "steps": [10, 5]}, "command line")


def test_step_weights_stay_within_percent():
    with pytest.raises(UsageError, match="step weight 140 is out of range"):
        build_spec({"service": "web", "steps": [10, 140]}, "x")


def test_typo_is_reported_with_file_and_key_path():
    with pytest.raises(UsageError) as error:
        build_spec(
            {
                "service": "web",
                "analysis": {"checks": [{"name": "e", "max": 1, "prometheus": {"url": "http://p", "qeury": "up"}}]},
            },
            "rollout.yaml",
        )

    assert "rollout.yaml: analysis.checks[0].prometheus.qeury: is not a known key" in str(error.value)


def test_check_needs_exactly_one_provider():
    with pytest.raises(UsageError, match="check `e` needs exactly one provider"):
        build_spec({"service": "web", "analysis": {"checks": [{"name": "e", "max": 1}]}}, "x")


def test_metric_check_needs_a_threshold():
    with pytest.raises(UsageError, match="check `e` needs a threshold"):
        build_spec(
            {"service": "web", "analysis": {"checks": [{"name": "e", "prometheus": {"url": "http://p", "query": "up"}}]}}, "x"
        )


def test_check_names_are_unique():
    probe = {"name": "smoke", "http": {"url": "http://a"}}
    with pytest.raises(UsageError, match="check name `smoke` is used twice"):
        build_spec({"service": "web", "analysis": {"checks": [probe, probe]}}, "x")


def test_blue_green_takes_no_steps():
    with pytest.raises(UsageError, match="blueGreen switches all traffic at once"):
        build_spec({"service": "web", "strategy": "blueGreen", "steps": [10]}, "x")


def test_missing_service_is_required():
    with pytest.raises(UsageError, match="x: service: is required"):
        build_spec({}, "x")


def test_cloudwatch_needs_metric_or_expression():
    with pytest.raises(UsageError, match="give exactly one of `metric` or `expression`"):
        build_spec({"service": "web", "analysis": {"checks": [{"name": "c", "max": 1, "cloudwatch": {}}]}}, "x")


def test_http_probe_rejects_a_bad_body_pattern():
    with pytest.raises(UsageError, match="bodyMatches is not a valid regular expression"):
        build_spec(
            {"service": "web", "analysis": {"checks": [{"name": "s", "http": {"url": "http://a", "bodyMatches": "("}}]}}, "x"
        )


def test_prometheus_takes_one_token_source():
    prometheus = {"url": "http://p", "query": "up", "bearerTokenEnv": "T", "bearerTokenCommand": ["gcloud"]}

    with pytest.raises(UsageError, match="give bearerTokenEnv or bearerTokenCommand, not both"):
        build_spec({"service": "web", "analysis": {"checks": [{"name": "e", "max": 1, "prometheus": prometheus}]}}, "x")
