"""PulumiDeployer against an autospec of pulumi.automation.Stack: the calls must fit the real SDK's signatures.

These tests never run the Pulumi CLI (it is not installed here); they check what the deployer asks the
Automation API to do.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from pulumi import automation as auto
from pulumi.automation.events import OpType

from rollway.rollout.automation import PulumiDeployer, policy_violations, service_key
from rollway.rollout.errors import DeployError, UsageError

SERVICES = {
    "web": {"image": {"blue": "web:1", "green": "web:2"}, "liveColor": "blue", "canaryWeight": 10},
    "web-admin": {"image": {"blue": "admin:1"}},
}
CONFIG = {
    "rollway:environment": auto.ConfigValue("dev"),
    "rollway:clouds": auto.ConfigValue(json.dumps(["kubernetes"])),
    "rollway:tags": auto.ConfigValue(json.dumps({"cost-center": "cc", "owner": "me"})),
    "rollway:services": auto.ConfigValue(json.dumps(SERVICES)),
}
LISTENER = "urn:pulumi:dev::rollway::rollway:kubernetes:CanaryRoute$kubernetes:gateway.networking.k8s.io/v1:HTTPRoute::web-route"


def _stack(config: dict[str, auto.ConfigValue] | None = None) -> mock.MagicMock:
    stack = mock.create_autospec(auto.Stack, instance=True)
    stack.get_all_config.return_value = CONFIG if config is None else config
    stack.export_stack.return_value = auto.Deployment(
        version=3, deployment={"resources": [{"urn": LISTENER, "type": "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"}]}
    )
    stack.preview.return_value = auto.PreviewResult("", "", {OpType.SAME: 12})
    stack.history.return_value = []
    return stack


def _update(message: str, result: str = "succeeded", kind: str = "update") -> auto.UpdateSummary:
    return auto.UpdateSummary(
        kind=kind,
        start_time=datetime(2026, 12, 3, 10, 0, tzinfo=UTC),
        message=message,
        environment={},
        config={},
        result=result,
        end_time=None,
        version=7,
        deployment=None,
        resource_changes=None,
    )


ROLLOUT_BEGAN = datetime(2026, 12, 3, 9, 59, 30, tzinfo=UTC).timestamp()
"""Epoch of a resumed rollout's begin record: half a minute before `_update`'s start time."""


def _deployer(stack: mock.MagicMock, **kwargs: Any) -> PulumiDeployer:
    return PulumiDeployer("dev", Path("."), stack=stack, **kwargs)


PACKS = {"policy_packs": ["policies/security", "policies/cost"], "policy_pack_configs": ["sec.json", "cost.json"]}


def test_read_returns_the_services_validated_state():
    state = _deployer(_stack()).read("web")

    assert (state.live_color, state.canary_weight, state.images) == ("blue", 10, {"blue": "web:1", "green": "web:2"})


def test_read_reports_invalid_stack_config_with_the_stack_file():
    services = {"web": {"image": {"blue": "web:1", "green": "web:2"}, "canaryWeight": 140}}
    bad = {**CONFIG, "rollway:services": auto.ConfigValue(json.dumps(services))}

    with pytest.raises(UsageError, match=r"Pulumi.dev.yaml: rollway:services.web.canaryWeight = 140: must be between 0 and 100"):
        _deployer(_stack(bad)).read("web")


def test_read_names_the_known_services_for_an_unknown_one():
    with pytest.raises(UsageError, match=r"no service `wbe` \(known: web, web-admin\)"):
        _deployer(_stack()).read("wbe")


def test_route_sets_live_color_and_weight_by_path():
    stack = _stack()

    _deployer(stack).route("web", "blue", 25)

    values = stack.set_all_config.call_args.args[0]
    assert stack.set_all_config.call_args.kwargs == {"path": True}
    assert {key: (value.value, value.secret) for key, value in values.items()} == {
        "rollway:services.web.liveColor": ("blue", False),
        "rollway:services.web.canaryWeight": ("25", False),
    }


def test_route_updates_only_the_routing_resources():
    stack = _stack()

    _deployer(stack).route("web", "green", 0)

    assert stack.up.call_args.kwargs["target"] == [LISTENER]


def test_deploy_sets_the_image_and_runs_an_untargeted_update():
    stack = _stack()

    _deployer(stack).deploy("web", "green", "web:3")

    key, value = stack.set_config.call_args.args
    assert (key, value.value, stack.set_config.call_args.kwargs) == ("rollway:services.web.image.green", "web:3", {"path": True})
    assert "target" not in stack.up.call_args.kwargs


def test_scale_down_removes_the_old_colors_image():
    stack = _stack()

    _deployer(stack).deploy("web", "blue", None)

    stack.remove_config.assert_called_once_with("rollway:services.web.image.blue", path=True)


def test_service_names_with_dashes_use_the_bracket_path_form():
    assert service_key("web-admin", "canaryWeight") == 'rollway:services["web-admin"].canaryWeight'


def test_failed_update_is_a_deploy_error_with_the_engines_message():
    stack = _stack()
    stack.up.side_effect = auto.errors.CommandError(
        auto._cmd.CommandResult(stdout="", stderr="error: update failed: listener is locked", code=255)
    )

    with pytest.raises(DeployError, match="error: update failed: listener is locked"):
        _deployer(stack).route("web", "blue", 0)


def test_missing_pulumi_cli_is_a_usage_error(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")

    with pytest.raises(UsageError, match="the Pulumi CLI is not on PATH"):
        PulumiDeployer("dev", Path("."))


def test_every_update_runs_the_policy_packs_with_their_configs():
    stack = _stack()
    deployer = _deployer(stack, **PACKS)

    deployer.route("web", "blue", 25)
    deployer.deploy("web", "green", "web:3")

    for call in stack.up.call_args_list:
        assert call.kwargs["policy_packs"] == PACKS["policy_packs"]
        assert call.kwargs["policy_pack_configs"] == PACKS["policy_pack_configs"]


def test_without_policy_packs_up_gets_no_policy_arguments():
    stack = _stack()

    _deployer(stack).route("web", "blue", 25)

    assert "policy_packs" not in stack.up.call_args.kwargs and "policy_pack_configs" not in stack.up.call_args.kwargs


def test_policy_pack_configs_must_pair_with_the_packs():
    with pytest.raises(UsageError, match="got 1 config file\\(s\\) for 2 pack\\(s\\)"):
        _deployer(_stack(), policy_packs=["a", "b"], policy_pack_configs=["a.json"])


def test_a_policy_violation_fails_the_update_as_a_deploy_error():
    stack = _stack()
    stack.up.side_effect = auto.errors.CommandError(
        auto._cmd.CommandResult(stdout="", stderr="error: update failed: mandatory policy violation: monthly-budget", code=255)
    )

    with pytest.raises(DeployError, match="mandatory policy violation: monthly-budget"):
        _deployer(stack, **PACKS).route("web", "blue", 25)


def test_read_previews_the_stack_with_the_policy_packs_first():
    stack = _stack()

    _deployer(stack, **PACKS).read("web")

    assert stack.preview.call_args.kwargs["policy_packs"] == PACKS["policy_packs"]


def test_pending_changes_unrelated_to_the_rollout_are_refused_before_anything_changes():
    stack = _stack()
    stack.preview.return_value = auto.PreviewResult("", "", {OpType.SAME: 9, OpType.UPDATE: 2, OpType.CREATE: 1})

    with pytest.raises(UsageError, match="has pending changes unrelated to this rollout \\(1 to create, 2 to update\\)"):
        _deployer(stack).read("web")

    stack.up.assert_not_called()
    stack.set_all_config.assert_not_called()


def test_a_failing_preview_is_a_usage_error():
    stack = _stack()
    stack.preview.side_effect = auto.errors.CommandError(
        auto._cmd.CommandResult(stdout="", stderr="error: program failed", code=255)
    )

    with pytest.raises(UsageError, match=r"preview of stack `dev` failed before the rollout: .*error: program failed"):
        _deployer(stack).read("web")


def test_history_lists_the_engines_updates_with_their_messages():
    stack = _stack()
    stack.history.return_value = [
        auto.UpdateSummary(
            kind="update",
            start_time=datetime(2026, 12, 3, 10, 0, tzinfo=UTC),
            message="rollway rollout: web live=blue canaryWeight=10",
            environment={},
            config={},
            result="succeeded",
            end_time=None,
            version=7,
            deployment=None,
            resource_changes=None,
        )
    ]

    history = _deployer(stack).history()

    assert history == [
        {
            "version": 7,
            "kind": "update",
            "result": "succeeded",
            "message": "rollway rollout: web live=blue canaryWeight=10",
            "startTime": "2026-12-03T10:00:00+00:00",
        }
    ]


def test_a_route_the_newest_update_already_applied_is_not_repeated():
    # A rollout killed during a bake resumes by re-running that phase: its update must not appear twice in history.
    stack = _stack()
    stack.history.return_value = [_update("rollway rollout: web live=blue canaryWeight=25")]  # started 10:00:00
    deployer = _deployer(stack)
    deployer.resume_after("shift", ROLLOUT_BEGAN)

    deployer.route("web", "blue", 25)

    stack.history.assert_called_once_with(page_size=1, page=1)
    stack.up.assert_not_called()
    stack.set_all_config.assert_called_once()  # the config still says what the state has


def test_an_equal_update_from_before_the_resumed_rollout_began_is_applied_again():
    # E.g. the rollback to blue/0 of an earlier rollout; an update cut short since then left no history entry.
    stack = _stack()
    stack.history.return_value = [_update("rollway rollout: web live=blue canaryWeight=0")]  # started 10:00:00
    deployer = _deployer(stack)
    deployer.resume_after("rollback", ROLLOUT_BEGAN + 60)  # began 10:00:30

    deployer.route("web", "blue", 0)

    stack.up.assert_called_once()


def test_a_fresh_rollout_never_skips_an_update():
    stack = _stack()
    stack.history.return_value = [_update("rollway rollout: web live=blue canaryWeight=25")]

    _deployer(stack).route("web", "blue", 25)

    stack.up.assert_called_once()
    stack.history.assert_not_called()


def test_a_stack_locked_by_an_update_cut_short_stops_the_run_with_the_way_out():
    stack = _stack()
    stack.up.side_effect = auto.errors.CommandError(
        auto._cmd.CommandResult(
            stdout="",
            stderr="error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or "
            "delete the lock file with `pulumi cancel`.\n  file:///b/.pulumi/locks/organization/rollway/dev/x.json: "
            "created by root@vm (pid 8321) at 2026-12-03T15:06:23Z\n",
            code=255,
        )
    )

    with pytest.raises(UsageError, match=r"locked by another Pulumi update \(.*created by root@vm \(pid 8321\).*"
                       r"`pulumi cancel --stack dev`, then re-run this command to resume"):  # fmt: skip
        _deployer(stack).route("web", "blue", 25)


@pytest.mark.parametrize(
    "newest",
    [
        _update("rollway rollout: web live=blue canaryWeight=10"),  # another step
        _update("rollway rollout: web live=blue canaryWeight=25", result="failed"),
        _update("rollway rollout: web live=blue canaryWeight=25", kind="refresh"),
        _update("rollway rollout: web-admin live=blue canaryWeight=25"),
    ],
    ids=["other-step", "failed", "refresh", "other-service"],
)
def test_a_route_runs_its_update_unless_the_newest_one_is_that_same_succeeded_update(newest):
    stack = _stack()
    stack.history.return_value = [newest]
    deployer = _deployer(stack)
    deployer.resume_after("shift", ROLLOUT_BEGAN)

    deployer.route("web", "blue", 25)

    stack.up.assert_called_once()


def test_a_deploy_the_newest_update_already_applied_is_not_repeated():
    stack = _stack()
    stack.history.return_value = [_update("rollway rollout: web green image -> web:3")]
    deployer = _deployer(stack)
    deployer.resume_after("deploy", ROLLOUT_BEGAN)

    deployer.deploy("web", "green", "web:3")

    stack.up.assert_not_called()


# The engine's summary (Pulumi v3.260, as `make engine` builds it); advisory lines are not reasons to refuse.
REFUSED_OUTPUT = """Policies:
    ❌ rollway-security@v0.1.0 (local: policies/security)
        - [mandatory] [severity: high]  container-allowed-registries  (kubernetes:apps/v1:Deployment: web-green)
          Containers on every cloud pull images only from the configured registries.
        - [mandatory] [severity: high]  container-allowed-registries  (gcp:compute:InstanceTemplate: web-green)
          Containers on every cloud pull images only from the configured registries.
        - [advisory] [severity: critical]  iam-no-wildcard-admin  (aws:iam:RolePolicy: web-execution)
          can't run policy 'iam-no-wildcard-admin' during preview
"""


def _refusing_stack(previous: str | None) -> mock.MagicMock:
    stack = _stack()
    if previous is None:
        stack.get_config.side_effect = auto.errors.CommandError(
            auto._cmd.CommandResult(stdout="", stderr="error: configuration key not found", code=255)
        )
    else:
        stack.get_config.return_value = auto.ConfigValue(previous)
    stack.preview.side_effect = auto.errors.CommandError(
        auto._cmd.CommandResult(stdout=REFUSED_OUTPUT, stderr="error: preview failed", code=255)
    )
    return stack


def test_a_release_the_policy_packs_refuse_is_a_usage_error_naming_the_policy_and_resource():
    stack = _refusing_stack("web:2")

    with pytest.raises(UsageError, match=r"refused by the policy packs before anything was applied .*"
                       r"container-allowed-registries \(kubernetes:apps/v1:Deployment: web-green\)"):  # fmt: skip
        _deployer(stack, **PACKS).check_release("web", "green", "docker.io/evil/web:1")

    stack.up.assert_not_called()
    assert stack.preview.call_args.kwargs["policy_pack_configs"] == PACKS["policy_pack_configs"]


def test_a_refused_release_puts_the_colors_previous_image_back():
    stack = _refusing_stack("web:2")

    with pytest.raises(UsageError):
        _deployer(stack, **PACKS).check_release("web", "green", "docker.io/evil/web:1")

    key = service_key("web", "image.green")
    assert [(c.args[0], c.args[1].value) for c in stack.set_config.call_args_list] == [
        (key, "docker.io/evil/web:1"),
        (key, "web:2"),
    ]
    stack.remove_config.assert_not_called()


def test_a_refused_release_to_a_color_without_an_image_removes_the_key_again():
    stack = _refusing_stack(None)

    with pytest.raises(UsageError):
        _deployer(stack, **PACKS).check_release("web", "green", "docker.io/evil/web:1")

    stack.remove_config.assert_called_once_with(service_key("web", "image.green"), path=True)


def test_an_accepted_release_is_previewed_then_the_config_is_restored_for_the_deploy_phase():
    stack = _stack()
    stack.get_config.return_value = auto.ConfigValue("web:2")

    _deployer(stack, **PACKS).check_release("web", "green", "ghcr.io/rollway/web:3")

    restored = stack.set_config.call_args_list[-1].args
    assert (restored[0], restored[1].value) == (service_key("web", "image.green"), "web:2")
    stack.up.assert_not_called()


def test_without_policy_packs_a_release_is_not_previewed():
    stack = _stack()

    _deployer(stack).check_release("web", "green", "docker.io/evil/web:1")

    stack.preview.assert_not_called()
    stack.set_config.assert_not_called()


def test_a_resumed_routing_phase_leaves_its_own_routing_resources_out_of_the_pending_check():
    stack = _stack()
    deployer = _deployer(stack)
    deployer.resume_after("shift", 0.0)

    deployer.route("web", "blue", 50)

    assert stack.preview.call_args.kwargs["exclude"] == [LISTENER]
    stack.up.assert_called_once()


def test_a_new_rollout_checks_every_resource_for_pending_changes():
    stack = _stack()

    _deployer(stack).read("web")

    assert stack.preview.call_args.kwargs["exclude"] is None


def test_a_resumed_routing_phase_still_refuses_changes_outside_the_routing_resources():
    stack = _stack()
    stack.preview.return_value = auto.PreviewResult("", "", {OpType.SAME: 9, OpType.UPDATE: 1})
    deployer = _deployer(stack)
    deployer.resume_after("rollback", 0.0)

    with pytest.raises(UsageError, match="pending changes unrelated to this rollout \\(1 to update\\)"):
        deployer.route("web", "blue", 0)

    stack.up.assert_not_called()


@pytest.mark.parametrize("phase", ["deploy", "scale-down"])
def test_after_a_resumed_image_phase_the_next_routing_update_checks_every_resource(phase):
    stack = _stack()
    deployer = _deployer(stack)
    deployer.resume_after(phase, 0.0)

    deployer.deploy("web", "green", "web:3")
    stack.preview.assert_not_called()  # the image update re-runs as it first ran
    deployer.route("web", "blue", 50)

    assert stack.preview.call_args.kwargs["exclude"] is None


def test_policy_violations_lists_each_mandatory_violation_once_with_or_without_a_severity():
    output = REFUSED_OUTPUT + "        - [mandatory]  container-allowed-registries  (kubernetes:apps/v1:Deployment: web-green)\n"

    assert policy_violations(output) == [
        "container-allowed-registries (kubernetes:apps/v1:Deployment: web-green)",
        "container-allowed-registries (gcp:compute:InstanceTemplate: web-green)",
    ]


def test_a_route_to_what_the_checked_stack_already_serves_runs_no_update():
    # An A/B test's cohort phase keeps everyone on the live color at weight 0: often exactly the stack's state.
    stack = _stack()  # web: live blue, weight 10; the preview shows nothing pending
    deployer = _deployer(stack)
    deployer.read("web")

    deployer.route("web", "blue", 10)

    stack.up.assert_not_called()


def test_after_an_update_of_this_run_the_start_of_run_routing_is_no_longer_trusted():
    stack = _stack()
    deployer = _deployer(stack)
    deployer.read("web")
    deployer.route("web", "blue", 50)

    deployer.route("web", "blue", 10)

    assert [c.kwargs["message"] for c in stack.up.call_args_list] == [
        "rollway rollout: web live=blue canaryWeight=50",
        "rollway rollout: web live=blue canaryWeight=10",
    ]


def test_a_resumed_run_does_not_trust_the_config_for_routing():
    stack = _stack()
    deployer = _deployer(stack)
    deployer.resume_after("shift", ROLLOUT_BEGAN)

    deployer.route("web", "blue", 10)  # the config's own values, but the routing resources were left out of the check

    stack.up.assert_called_once()
