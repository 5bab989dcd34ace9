"""Planning: which phases a spec becomes for the service's current state."""

from __future__ import annotations

import pytest
from rollout_helpers import spec, state

from rollway.rollout.errors import UsageError
from rollway.rollout.plan import Plan, build_plan


def _types(plan: Plan) -> list[str]:
    return [phase.type for phase in plan.phases]


def test_canary_plan_shifts_then_promotes_drains_and_scales_down():
    plan = build_plan(spec(), state(), "dev")

    assert _types(plan) == ["shift", "shift", "shift", "promote", "drain", "scale-down"]
    assert [phase.weight for phase in plan.phases if phase.type == "shift"] == [10, 50, 100]


def test_new_image_adds_a_deploy_phase_first():
    plan = build_plan(spec(image="app:3"), state(), "dev")

    assert plan.phases[0].type == "deploy" and plan.phases[0].image == "app:3"


def test_image_already_on_the_idle_color_needs_no_deploy():
    assert "deploy" not in _types(build_plan(spec(image="app:2"), state(), "dev"))


def test_idle_color_without_an_image_is_refused():
    with pytest.raises(UsageError, match=r"no image for the idle color \(green\); pass --image"):
        build_plan(spec(), state(green=None), "dev")


def test_replacing_the_image_mid_canary_is_refused():
    with pytest.raises(UsageError, match="sending 10% of traffic to green"):
        build_plan(spec(image="app:3"), state(weight=10), "dev")


def test_steps_below_the_current_weight_are_skipped_with_a_note():
    plan = build_plan(spec(steps=[5, 10, 25]), state(weight=10), "dev")

    assert [phase.weight for phase in plan.phases if phase.type == "shift"] == [10, 25]
    assert plan.notes == ["green already has 10% of traffic; steps below that are skipped"]


def test_live_green_releases_to_blue():
    plan = build_plan(spec(), state(live="green", blue="app:3", green="app:2"), "dev")

    assert (plan.stable, plan.canary) == ("green", "blue")


def test_blue_green_plan_smoke_tests_before_the_switch():
    plan = build_plan(spec(strategy="blueGreen", steps=None), state(), "dev")

    assert _types(plan) == ["smoke", "promote", "drain", "scale-down"]


def test_gate_comes_right_before_the_switch():
    plan = build_plan(spec(gate={}), state(), "dev", approval_file="/tmp/a")

    assert _types(plan)[-4:] == ["gate", "promote", "drain", "scale-down"]


def test_no_scale_down_keeps_the_old_color():
    assert "scale-down" not in _types(build_plan(spec(scaleDown=False), state(), "dev"))


def test_plan_survives_the_journal_round_trip():
    plan = build_plan(spec(image="app:3", gate={}), state(), "dev", approval_file="/tmp/a")

    assert Plan.from_json(plan.to_json()) == plan


def test_fingerprint_changes_with_the_spec_not_the_state():
    first = build_plan(spec(), state(), "dev")

    assert build_plan(spec(), state(weight=10), "dev").fingerprint == first.fingerprint
    assert build_plan(spec(steps=[20, 100]), state(), "dev").fingerprint != first.fingerprint
