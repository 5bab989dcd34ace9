"""A/B tests: a cohort (by header) reaches the new color alone, analysed on its own, then the switch; cohorts the
stack's routing cannot select are refused before anything changes, naming the cloud."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from rollout_helpers import CliRun, FakeClock, Scripted, check, ok, spec

from rollway.rollout.analysis import Reading
from rollway.rollout.cli import main
from rollway.rollout.controller import Controller
from rollway.rollout.deployer import ServiceState
from rollway.rollout.errors import UsageError
from rollway.rollout.events import RecordingSink
from rollway.rollout.fake import FakeDeployer
from rollway.rollout.journal import Journal
from rollway.rollout.plan import build_plan
from rollway.rollout.routing import COHORT_MATCHES, cohort_unsupported

HEADER = ("x-rollway-canary", "always")
ALL_CLOUDS = ("aws", "kubernetes", "gcp", "azure")


def ab_state(
    weight: int = 0, header: tuple[str, str] | None = HEADER, clouds: tuple[str, ...] = ALL_CLOUDS, green: str | None = "app:2"
) -> ServiceState:
    return ServiceState("blue", weight, {"blue": "app:1", "green": green}, canary_header=header, clouds=clouds)


def ab_spec(**fields: Any):
    base: dict[str, Any] = {
        "strategy": "abTest",
        "cohort": {"header": "X-Rollway-Canary", "value": "always"},
        "cohortDuration": "20s",
        "steps": None,
    }
    return spec(**{**base, **fields})


def test_an_ab_test_puts_the_cohort_alone_on_the_new_color_then_switches():
    plan = build_plan(ab_spec(image="app:3"), ab_state(), "dev")

    assert [(p.type, p.weight, p.bake) for p in plan.phases] == [
        ("deploy", 0, 0.0),
        ("cohort", 0, 20.0),
        ("promote", 0, 0.0),
        ("drain", 0, 5.0),
        ("scale-down", 0, 0.0),
    ]
    assert plan.cohort == {
        "kind": "header",
        "name": "X-Rollway-Canary",
        "value": "always",
        "match": "header X-Rollway-Canary=always",
    }
    assert plan.phases[1].label(plan) == "A/B: header X-Rollway-Canary=always to green, everyone else on blue (20s)"


def test_an_ab_test_with_steps_runs_them_from_zero_after_the_cohort():
    # A stack at 10% still starts the A/B test at 0% (only the cohort), then every step, 5% included.
    plan = build_plan(ab_spec(steps=[5, 50, 100]), ab_state(weight=10), "dev")

    assert [(p.type, p.weight) for p in plan.phases[:4]] == [("cohort", 0), ("shift", 5), ("shift", 50), ("shift", 100)]


def test_a_header_cohort_needs_the_services_canary_header():
    with pytest.raises(
        UsageError, match=r"service `web` routes no header to the idle color: set rollway:services.web.canaryHeader"
    ):
        build_plan(ab_spec(), ab_state(header=None), "dev")


@pytest.mark.parametrize("header", [("x-rollway-beta", "always"), ("x-rollway-canary", "Always")], ids=["name", "value"])
def test_a_header_cohort_must_be_the_stacks_canary_header(header):
    with pytest.raises(UsageError, match=r"canaryHeader is .*, the A/B cohort asks for X-Rollway-Canary=always"):
        build_plan(ab_spec(), ab_state(header=header), "dev")


def test_a_cookie_cohort_is_refused_naming_every_cloud_of_the_stack():
    cookie = spec(strategy="abTest", cohort={"cookie": "beta", "value": "1"}, steps=None)

    with pytest.raises(UsageError) as refused:
        build_plan(cookie, ab_state(), "dev")

    assert "A/B cohort by cookie is not supported on aws, kubernetes, gcp, azure" in str(refused.value)
    assert "use --cohort-header" in str(refused.value)


@pytest.mark.parametrize("cloud", ALL_CLOUDS)
def test_a_cookie_cohort_is_refused_on_each_cloud_alone_and_nothing_changes(tmp_path, cloud):
    deployer = FakeDeployer({"web": ab_state(clouds=(cloud,))})
    err = io.StringIO()

    code = main(
        ["--stack", "dev", "--service", "web", "--cohort-cookie", "beta=1", "--no-analysis", "--state-dir", str(tmp_path)],
        deployer_factory=lambda spec, args: deployer, clock=FakeClock(), stdout=io.StringIO(), stderr=err,
    )  # fmt: skip

    assert code == 2
    assert f"A/B cohort by cookie is not supported on {cloud}:" in err.getvalue()
    assert deployer.calls == []
    assert not (tmp_path / "dev" / "journal.jsonl").exists()


def test_a_header_cohort_on_a_stack_without_a_canary_header_exits_two_before_anything_changes(tmp_path):
    deployer = FakeDeployer({"web": ab_state(header=None)})
    err = io.StringIO()

    code = main(
        ["--stack", "dev", "--service", "web", "--cohort-header", "x-rollway-canary=always", "--no-analysis",
         "--state-dir", str(tmp_path)],
        deployer_factory=lambda spec, args: deployer, clock=FakeClock(), stdout=io.StringIO(), stderr=err,
    )  # fmt: skip

    assert code == 2
    assert "routes no header to the idle color: set rollway:services.web.canaryHeader" in err.getvalue()
    assert deployer.calls == []


def test_a_cookie_cohort_names_only_the_clouds_that_cannot_route_it(monkeypatch):
    monkeypatch.setitem(COHORT_MATCHES, "gcp", ("header", "cookie"))

    assert cohort_unsupported("cookie", ALL_CLOUDS) == ["aws", "kubernetes", "azure"]
    assert cohort_unsupported("header", ALL_CLOUDS) == []
    assert cohort_unsupported("header", ("someday-cloud",)) == ["someday-cloud"]


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"strategy": "abTest"}, "strategy abTest needs a `cohort`"),
        ({"cohort": {"header": "x-b", "value": "1"}}, "`cohort` applies to strategy abTest, not canary"),
        ({"strategy": "abTest", "cohort": {"header": "x-b", "cookie": "b", "value": "1"}}, "exactly one of `header` or `cookie`"),
        ({"strategy": "abTest", "cohort": {"value": "1"}}, "exactly one of `header` or `cookie`"),
        ({"strategy": "abTest", "cohort": {"header": "x b", "value": "1"}}, "String should match pattern"),
        ({"strategy": "abTest", "cohort": {"header": "x-b", "value": ""}}, "at least 1 character"),
    ],
    ids=["no-cohort", "cohort-on-canary", "both", "neither", "bad-header-name", "empty-value"],
)
def test_bad_ab_specs_are_refused(fields, problem):
    with pytest.raises(ValidationError, match=problem):
        spec(steps=None, **fields)


def _controller(tmp_path: Path, checks: list[Any], deployer: FakeDeployer) -> tuple[Controller, RecordingSink]:
    plan = build_plan(ab_spec(), deployer.read("web"), "dev")
    sink = RecordingSink()
    return Controller(deployer, plan, Journal(tmp_path / "journal.jsonl"), checks, sink, FakeClock()), sink


def test_the_cohort_phase_keeps_everyone_else_on_the_stable_color_and_measures_the_cohort(tmp_path):
    deployer = FakeDeployer({"web": ab_state(weight=10)})
    controller, sink = _controller(tmp_path, [check(provider=Scripted([ok(0.01)]))], deployer)

    outcome = controller.run()

    assert outcome.promoted
    assert deployer.routes("web") == [("blue", 0), ("green", 0)]
    cohort_measurements = [e for e in sink.of("analysis.measurement") if e.data.get("cohort")]
    drain_measurements = [e for e in sink.of("analysis.measurement") if not e.data.get("cohort")]
    assert len(cohort_measurements) == 4  # 20s cohort phase, one measurement per 5s
    assert {e.data["cohort"] for e in cohort_measurements} == {"header X-Rollway-Canary=always"}
    assert drain_measurements  # the drain window is not the cohort's
    assert sink.of("rollout.started")[0].data["cohort"] == "header X-Rollway-Canary=always"


def test_a_failing_cohort_rolls_back_before_anyone_else_reaches_the_new_color(tmp_path):
    deployer = FakeDeployer({"web": ab_state()})
    failing = check(provider=Scripted([Reading(0.3, "scripted")]))
    controller, sink = _controller(tmp_path, [failing], deployer)

    outcome = controller.run()

    assert not outcome.promoted
    assert deployer.routes("web") == [("blue", 0), ("blue", 0)]  # the cohort phase, then the rollback
    assert "error-rate" in str(outcome.reason)
    assert sink.of("analysis.measurement")[0].data["cohort"] == "header X-Rollway-Canary=always"


def test_checks_can_be_limited_to_the_cohort_phase(tmp_path):
    deployer = FakeDeployer({"web": ab_state()})
    only_cohort = Scripted([ok(0.0)])
    controller, _ = _controller(tmp_path, [check(provider=only_cohort, during=["cohort"])], deployer)

    controller.run()

    assert only_cohort.calls == 4


# -- the command line ---------------------------------------------------------------------------------------------


FAST = ["--drain", "1s", "--interval", "1s", "--cohort-duration", "2s", "--no-analysis"]


def test_cohort_header_flag_runs_an_ab_test(tmp_path):
    run = CliRun(tmp_path, FakeDeployer({"web": ab_state()}))

    code = run("--service", "web", "--cohort-header", "x-rollway-canary=always", "--json", *FAST)

    assert code == 0, run.stderr.getvalue()
    started = run.events()[0]
    assert (started["strategy"], started["cohort"]) == ("abTest", "header x-rollway-canary=always")
    assert [e["type"] for e in run.events() if e["event"] == "phase.started"] == ["cohort", "promote", "drain", "scale-down"]


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--cohort-cookie", "beta=1"], "A/B cohort by cookie is not supported on aws, kubernetes, gcp, azure"),
        (["--cohort-header", "x-rollway-canary"], "--cohort-header 'x-rollway-canary': give NAME=VALUE"),
        (["--cohort-header", "a=1", "--cohort-cookie", "b=1"], "selected by one of them"),
        (["--strategy", "ab-test"], "strategy abTest needs a `cohort`"),
        (["--cohort-header", "x-beta=1"], "canaryHeader is x-rollway-canary=always, the A/B cohort asks for x-beta=1"),
    ],
    ids=["cookie", "no-value", "both", "no-cohort", "other-header"],
)
def test_ab_input_errors_exit_two_before_anything_changes(tmp_path, flags, message):
    deployer = FakeDeployer({"web": ab_state()})
    run = CliRun(tmp_path, deployer)

    assert run("--service", "web", *flags, *FAST) == 2
    assert message in run.stderr.getvalue()
    assert deployer.calls == []
    assert "Traceback" not in run.stderr.getvalue()


def test_an_ab_test_needs_traffic_metrics_for_its_default_analysis(tmp_path):
    run = CliRun(tmp_path, FakeDeployer({"web": ab_state()}))

    code = run("--service", "web", "--cohort-header", "x-rollway-canary=always", "--smoke-url", "http://127.0.0.1:9/")

    assert code == 2
    assert "an A/B test needs metrics of the canary's traffic" in run.stderr.getvalue()


def test_status_shows_the_cohort(tmp_path):
    run = CliRun(tmp_path, FakeDeployer({"web": ab_state()}))
    run("--service", "web", "--cohort-header", "x-rollway-canary=always", *FAST)

    out = io.StringIO()
    assert main(["status", "--stack", "dev", "--state-dir", str(run.state_dir)], stdout=out) == 0
    assert "A/B cohort: header x-rollway-canary=always -> green" in out.getvalue()
    status = json.loads((run.state_dir / "dev" / "status.json").read_text())
    assert status["cohort"] == "header x-rollway-canary=always"
