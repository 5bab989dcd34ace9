"""PulumiDeployer against an autospec of pulumi.automation.Stack: the calls must fit the real SDK's signatures.

These tests never run the Pulumi CLI (it is not installed here); they check what the deployer asks the
Automation API to do.
"""

from __future__ import annotations

import json
from pathlib import Path
from unittest import mock

import pytest
from pulumi import automation as auto

from rollway.rollout.automation import PulumiDeployer, service_key
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
    return stack


def _deployer(stack: mock.MagicMock) -> PulumiDeployer:
    return PulumiDeployer("dev", Path("."), stack=stack)


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
