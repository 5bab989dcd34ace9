"""The controller against a fake stack: promotion, rollback triggers, failure budget, gate, resume."""

from __future__ import annotations

from pathlib import Path

import pytest
from rollout_helpers import FakeClock, Scripted, check, ok, spec, state

from rollway.rollout.analysis import Reading
from rollway.rollout.controller import Controller
from rollway.rollout.events import RecordingSink
from rollway.rollout.fake import FakeCall, FakeDeployer
from rollway.rollout.journal import Journal
from rollway.rollout.plan import build_plan
from rollway.rollout.spec import GateSpec


def test_healthy_canary_walks_every_step_then_switches_live(make_controller, deployer):
    controller, _ = make_controller(checks=[check()])

    outcome = controller.run()

    assert outcome.promoted
    assert deployer.routes("web") == [("blue", 10), ("blue", 50), ("blue", 100), ("green", 0)]


def test_promotion_scales_the_old_color_down_after_the_drain(make_controller, deployer):
    controller, sink = make_controller(checks=[check()])

    controller.run()

    assert deployer.calls[-1] == FakeCall("deploy", "web", ("blue", None))
    kinds = [event.data.get("type") for event in sink.of("phase.started")]
    assert kinds[-2:] == ["drain", "scale-down"]


def test_failed_check_rolls_back_to_stable_with_weight_zero_in_one_update(make_controller, deployer):
    failing = Scripted([ok(0.0), Reading(0.4, "5xx share")])
    controller, sink = make_controller(checks=[check(provider=failing)])

    outcome = controller.run()

    assert not outcome.promoted
    assert deployer.routes("web")[-1] == ("blue", 0)
    assert len(sink.of("rollback.started")) == 1
    assert "error-rate: 0.4 > max 0.05" in (outcome.reason or "")


def test_rollback_is_issued_within_one_second_of_the_failing_check(make_controller):
    controller, sink = make_controller(checks=[check(provider=Scripted([Reading(1.0, "all 5xx")]))])

    controller.run()

    assert sink.of("rollback.started")[0].data["decisionLatencyMs"] < 1000


def test_failure_budget_tolerates_failure_limit_failures(make_controller, deployer):
    # failureLimit 1 with steps of two measurements each: one failure is absorbed, the second rolls back.
    flaky = Scripted([Reading(1.0, "blip"), ok(), ok(), ok(), ok(), ok(), ok(), ok()])
    controller, _ = make_controller(spec(analysis={"interval": "5s", "failureLimit": 1}), checks=[check(provider=flaky)])

    assert controller.run().promoted


def test_failure_beyond_the_budget_rolls_back(make_controller):
    flaky = Scripted([Reading(1.0, "blip"), ok(), Reading(1.0, "again")])
    controller, _ = make_controller(spec(analysis={"interval": "5s", "failureLimit": 1}), checks=[check(provider=flaky)])

    outcome = controller.run()

    assert not outcome.promoted
    assert "2 failed measurement(s), limit 1" in (outcome.reason or "")


def test_a_provider_error_counts_as_a_failed_measurement(make_controller):
    controller, sink = make_controller(checks=[check(provider=Scripted([ConnectionError("prometheus down")]))])

    outcome = controller.run()

    assert not outcome.promoted
    assert sink.of("analysis.measurement")[0].data["detail"] == "error: prometheus down"


def test_no_data_fails_by_default(make_controller):
    controller, _ = make_controller(checks=[check(provider=Scripted([Reading(None, "empty result")]))])

    assert not controller.run().promoted


def test_no_data_skip_neither_passes_nor_fails(make_controller):
    controller, sink = make_controller(checks=[check(provider=Scripted([Reading(None, "empty")]), noData="skip")])

    assert controller.run().promoted
    assert {event.data["ok"] for event in sink.of("analysis.measurement")} == {None}


def test_min_threshold_fails_values_below_it(make_controller):
    controller, _ = make_controller(checks=[check(name="success-rate", provider=Scripted([ok(0.5)]), max=None, min=0.99)])

    outcome = controller.run()

    assert "0.5 < min 0.99" in (outcome.reason or "")


def test_check_runs_only_in_its_phases(make_controller):
    drain_only = Scripted([ok()])
    controller, _ = make_controller(checks=[check(provider=drain_only, during=["drain"])])

    controller.run()

    assert drain_only.calls == 1  # one measurement in the 5 s drain at a 5 s interval


def test_queries_see_canary_and_stable_colors(make_controller):
    provider = Scripted([ok()])
    controller, _ = make_controller(checks=[check(provider=provider)])

    controller.run()

    assert (provider.contexts[0].canary, provider.contexts[0].stable, provider.contexts[0].service) == ("green", "blue", "web")


def test_failure_during_drain_flips_live_back(make_controller, deployer):
    during_drain = Scripted([Reading(1.0, "5xx after switch")])
    controller, _ = make_controller(checks=[check(provider=during_drain, during=["drain"])])

    outcome = controller.run()

    assert not outcome.promoted
    assert deployer.routes("web")[-2:] == [("green", 0), ("blue", 0)]
    assert deployer.services["web"].images["blue"] == "app:1"  # never scaled down


def test_missed_deadline_rolls_back(make_controller, deployer):
    controller, _ = make_controller(spec(deadline="15s"), checks=[check()])

    outcome = controller.run()

    assert outcome.reason == "deadline missed: not promoted within 15s"
    assert deployer.routes("web")[-1] == ("blue", 0)


def test_failed_update_rolls_back(make_controller, deployer):
    deployer.fail_on = lambda call: call.args == ("blue", 50)
    controller, _ = make_controller()

    outcome = controller.run()

    assert "canary 50% to green" in (outcome.reason or "")
    assert deployer.routes("web")[-1] == ("blue", 0)


def test_failed_scale_down_still_promotes_with_a_warning(make_controller, deployer):
    deployer.fail_on = lambda call: call.method == "deploy"
    controller, sink = make_controller()

    assert controller.run().promoted
    assert "scale-down of blue failed" in sink.of("warning")[0].data["message"]


def test_failed_rollback_is_reported_and_left_pending(make_controller, deployer, journal):
    deployer.fail_on = lambda call: call.args in (("blue", 50), ("blue", 0))
    controller, sink = make_controller()

    outcome = controller.run()

    assert outcome.rollback_failed
    assert journal.unfinished() is not None
    assert sink.of("rollback.failed")


def test_new_image_is_deployed_to_the_idle_color_before_traffic_moves(make_controller, deployer):
    controller, _ = make_controller(spec(image="app:3"))

    controller.run()

    assert deployer.calls[0] == FakeCall("deploy", "web", ("green", "app:3"))
    assert deployer.calls[1].method == "route"


def test_blue_green_smoke_tests_then_switches_at_once(make_controller, deployer):
    smoke = Scripted([ok()])
    controller, _ = make_controller(
        spec(strategy="blueGreen", steps=None, smokeDuration="10s"), checks=[check(provider=smoke, during=["smoke"])]
    )

    assert controller.run().promoted
    assert deployer.routes("web") == [("green", 0)]
    assert smoke.calls == 2


def test_blue_green_failed_smoke_test_never_switches(make_controller, deployer):
    controller, _ = make_controller(
        spec(strategy="blueGreen", steps=None), checks=[check(provider=Scripted([Reading(1.0, "bad")]), during=["smoke"])]
    )

    assert not controller.run().promoted
    assert ("green", 0) not in deployer.routes("web")


def _gated(tmp_path: Path, **plan_args):
    approval = tmp_path / "web.approval"
    return spec(gate=GateSpec(timeout=30.0)), approval, {"approval_file": str(approval), **plan_args}


def test_gate_waits_for_the_approval_file(make_controller, deployer, clock, tmp_path):
    rollout, approval, plan_args = _gated(tmp_path)
    original_sleep = clock.sleep

    def approve_after_a_while(seconds: float) -> None:
        original_sleep(seconds)
        if len(clock.slept) == 20:
            approval.write_text("approve")

    clock.sleep = approve_after_a_while
    controller, sink = make_controller(rollout, **plan_args)

    assert controller.run().promoted
    assert sink.of("gate.approved")[0].data["by"] == str(approval)
    assert not approval.exists()  # consumed


def test_gate_rejection_rolls_back(make_controller, deployer, tmp_path):
    rollout, approval, plan_args = _gated(tmp_path)
    approval.write_text("reject: error budget burned")
    controller, _ = make_controller(rollout, **plan_args)

    outcome = controller.run()

    assert outcome.reason == f"rejected by approver ({approval})"
    assert ("green", 0) not in deployer.routes("web")


def test_gate_timeout_rolls_back(make_controller, tmp_path):
    rollout, _, plan_args = _gated(tmp_path)
    controller, _ = make_controller(rollout, **plan_args)

    assert (controller.run().reason or "").startswith("approval not given within 30s")


def test_approve_flag_passes_the_gate_at_once(make_controller, tmp_path):
    rollout, _, plan_args = _gated(tmp_path, pre_approved=True)
    controller, sink = make_controller(rollout, **plan_args)

    assert controller.run().promoted
    assert sink.of("gate.approved")[0].data["by"] == "--approve"


class Crash(BaseException):
    """Stands in for the process dying (not an Exception, so nothing catches it)."""


def test_resume_after_a_crash_continues_at_the_interrupted_phase(tmp_path):
    journal = Journal(tmp_path / "journal.jsonl")
    crashing = FakeDeployer({"web": state()})
    crashing.on_call = lambda call: (_ for _ in ()).throw(Crash()) if call.args == ("blue", 50) else None
    plan = build_plan(spec(), crashing.read("web"), "dev")
    with pytest.raises(Crash):
        Controller(crashing, plan, journal, [], RecordingSink(), FakeClock()).run()

    progress = journal.unfinished()
    assert progress is not None and progress.next_phase == 1
    restarted = FakeDeployer({"web": crashing.services["web"]})
    outcome = Controller(restarted, progress.plan, journal, [], RecordingSink(), FakeClock(), progress).run()

    assert outcome.promoted
    assert restarted.routes("web") == [("blue", 50), ("blue", 100), ("green", 0)]
    assert journal.unfinished() is None


def test_resume_finishes_a_rollback_that_was_cut_short(tmp_path):
    journal = Journal(tmp_path / "journal.jsonl")
    crashing = FakeDeployer({"web": state()})
    crashing.on_call = lambda call: (_ for _ in ()).throw(Crash()) if call.args == ("blue", 0) else None
    plan = build_plan(spec(), crashing.read("web"), "dev")
    failing = [check(provider=Scripted([Reading(1.0, "bad")]))]
    with pytest.raises(Crash):
        Controller(crashing, plan, journal, failing, RecordingSink(), FakeClock()).run()

    progress = journal.unfinished()
    assert progress is not None and progress.rollback_reason is not None
    restarted = FakeDeployer({"web": crashing.services["web"]})
    outcome = Controller(restarted, progress.plan, journal, [], RecordingSink(), FakeClock(), progress).run()

    assert not outcome.promoted
    assert restarted.routes("web") == [("blue", 0)]


def test_resume_keeps_the_spent_failure_budget(tmp_path):
    journal = Journal(tmp_path / "journal.jsonl")
    crashing = FakeDeployer({"web": state()})
    crashing.on_call = lambda call: (_ for _ in ()).throw(Crash()) if call.args == ("blue", 50) else None
    plan = build_plan(spec(analysis={"interval": "5s", "failureLimit": 1}), crashing.read("web"), "dev")
    with pytest.raises(Crash):
        Controller(
            crashing, plan, journal, [check(provider=Scripted([Reading(1.0, "blip"), ok()]))], RecordingSink(), FakeClock()
        ).run()

    progress = journal.unfinished()
    assert progress is not None and progress.failures == 1


def _no_data() -> Reading:
    return Reading(None, "empty result")


def test_no_data_wait_fails_a_step_that_never_got_a_value(make_controller, deployer):
    # 10s steps, 5s interval: two measurements per step, both empty.
    controller, sink = make_controller(checks=[check(provider=Scripted([_no_data()]), noData="wait")])

    outcome = controller.run()

    assert not outcome.promoted
    assert deployer.routes("web") == [("blue", 10), ("blue", 0)]
    failed = [event.data for event in sink.of("analysis.measurement") if event.data["ok"] is False]
    assert [entry["detail"] for entry in failed] == ["no data during the whole canary phase"]


def test_no_data_wait_passes_a_step_with_one_value(make_controller, deployer):
    # Each canary step: first measurement empty, second has data (the drain gets the repeated last value).
    provider = Scripted([_no_data(), ok(), _no_data(), ok(), _no_data(), ok()])
    controller, _ = make_controller(checks=[check(provider=provider, noData="wait")])

    assert controller.run().promoted


def test_no_data_skip_never_fails_even_a_whole_step(make_controller):
    controller, _ = make_controller(checks=[check(provider=Scripted([_no_data()]), noData="skip")])

    assert controller.run().promoted
