"""Autoscaling config that depends on the target cloud: predictive and vertical scaling where each cloud offers
them, the time-to-capacity target, and the environment's cost ceiling priced with the cost policy's table."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from stacks.config import ConfigError, load_stack_config
from stacks.config.problems import ConfigProblem
from stacks.config.scaling import COST_PACK_CONFIG_DIR, cost_pack_budget, replica_price

SOURCE = "Pulumi.dev.yaml"
KEY = "rollway:services.web.autoscaling"


def config(clouds: list[str], autoscaling: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    web: dict[str, Any] = {"image": {"blue": "ghcr.io/acme/web:1", "green": "ghcr.io/acme/web:2"}}
    if autoscaling is not None:
        web["autoscaling"] = autoscaling
    values: dict[str, Any] = {
        "aws:region": "us-east-1",
        "gcp:project": "acme-dev",
        "gcp:region": "europe-west1",
        "azure-native:location": "westeurope",
        "rollway:environment": "dev",
        "rollway:clouds": clouds,
        "rollway:tags": {"cost-center": "cc-1", "owner": "team-a"},
        "rollway:services": {"web": web},
    }
    values.update({f"rollway:{key}": value for key, value in extra.items()})
    return values


def _bag(values: dict[str, Any]) -> dict[str, str]:
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in values.items()}


def problems(values: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as failure:
        load_stack_config(_bag(values), (), SOURCE)
    return failure.value.render().splitlines()


def valid(values: dict[str, Any]) -> Any:
    return load_stack_config(_bag(values), (), SOURCE)


# --- predictive -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["forecastOnly", "forecastAndScale"])
def test_aws_takes_either_predictive_mode_and_a_lead(mode: str) -> None:
    web = valid(config(["aws"], {"predictive": {"mode": mode, "leadSeconds": 3600}})).services["web"]
    assert web.autoscaling.predictive.mode == mode
    assert web.autoscaling.predictive.lead_seconds == 3600


def test_an_unknown_predictive_mode_is_refused_with_the_choices() -> None:
    assert problems(config(["aws"], {"predictive": {"mode": "always"}})) == [
        f'{SOURCE}: {KEY}.predictive.mode = "always": must be one of: forecastOnly or forecastAndScale'
    ]


@pytest.mark.parametrize(("lead", "message"), [(-1, "must be at least 0"), (3601, "must be at most 3600")])
def test_lead_seconds_bounds(lead: int, message: str) -> None:
    assert problems(config(["aws"], {"predictive": {"mode": "forecastOnly", "leadSeconds": lead}})) == [
        f"{SOURCE}: {KEY}.predictive.leadSeconds = {lead}: {message}"
    ]


def test_kubernetes_has_no_predictive_scaling() -> None:
    [line] = problems(config(["kubernetes"], {"predictive": {"mode": "forecastAndScale"}}))
    assert line.startswith(f"{SOURCE}: {KEY}.predictive: Kubernetes has no built-in predictive autoscaling")
    assert "autoscaling.schedules" in line


def test_gcp_instance_groups_take_forecast_and_scale_without_a_lead() -> None:
    valid(config(["gcp"], {"predictive": {"mode": "forecastAndScale"}}))
    assert problems(config(["gcp"], {"predictive": {"mode": "forecastOnly", "leadSeconds": 60}})) == [
        f'{SOURCE}: {KEY}.predictive.mode = "forecastOnly": GCP has no forecast-only mode; use forecastAndScale',
        f"{SOURCE}: {KEY}.predictive.leadSeconds = 60: GCP chooses its own lead; leave this key out",
    ]


def test_cloud_run_has_no_predictive_scaling() -> None:
    values = config(["gcp"], {"predictive": {"mode": "forecastAndScale"}}, gcp={"runtime": "cloudRun"})
    assert problems(values) == [
        f"{SOURCE}: {KEY}.predictive: Cloud Run has no predictive autoscaling; it is offered on the instanceGroup runtime "
        "(or limit predictive.clouds to the clouds that offer it, e.g. [aws])"
    ]


def test_container_apps_have_no_predictive_scaling() -> None:
    [line] = problems(config(["azure"], {"predictive": {"mode": "forecastOnly"}}))
    assert line.startswith(f"{SOURCE}: {KEY}.predictive: Container Apps have no predictive autoscaling")


def scale_sets(lead: int | None) -> dict[str, Any]:
    slot = "/subscriptions/0/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/web-{}"
    predictive: dict[str, Any] = {"mode": "forecastOnly"}
    if lead is not None:
        predictive["leadSeconds"] = lead
    return config(
        ["azure"],
        {"predictive": predictive},
        azure={
            "services": {
                "web": {
                    "vmScaleSets": {
                        color: {"id": slot.format(color), "hostName": f"web-{color}.example.com"} for color in ("blue", "green")
                    }
                }
            }
        },
    )


@pytest.mark.parametrize("lead", [None, 60, 3600])
def test_azure_scale_sets_take_a_look_ahead_of_whole_minutes(lead: int | None) -> None:
    valid(scale_sets(lead))


@pytest.mark.parametrize("lead", [0, 59, 90])
def test_azure_refuses_a_look_ahead_it_cannot_express(lead: int) -> None:
    assert problems(scale_sets(lead)) == [
        f"{SOURCE}: {KEY}.predictive.leadSeconds = {lead}: must be whole minutes from 60 to 3600 seconds on Azure "
        "(its look-ahead is 1 to 60 minutes)"
    ]


def test_predictive_clouds_limit_it_to_the_clouds_that_offer_it() -> None:
    valid(config(["aws", "kubernetes"], {"predictive": {"mode": "forecastOnly", "clouds": ["aws"]}}))
    [line] = problems(config(["aws", "kubernetes"], {"predictive": {"mode": "forecastOnly"}}))
    assert line.endswith("(or limit predictive.clouds to the clouds that offer it, e.g. [aws])")


def test_predictive_clouds_must_be_targeted() -> None:
    assert problems(config(["aws"], {"predictive": {"mode": "forecastOnly", "clouds": ["aws", "gcp"]}})) == [
        f'{SOURCE}: {KEY}.predictive.clouds[1] = "gcp": is not one of rollway:clouds'
    ]


# --- vertical ---------------------------------------------------------------------------------------------


def test_vertical_defaults_to_recommend_everywhere() -> None:
    web = valid(config(["aws", "gcp", "azure", "kubernetes"], {"vertical": {}})).services["web"]
    assert web.autoscaling.vertical.mode == "recommend"


@pytest.mark.parametrize("cloud", ["aws", "gcp", "azure"])
def test_only_kubernetes_applies_vertical_recommendations(cloud: str) -> None:
    [line] = problems(config([cloud], {"vertical": {"mode": "recreate"}}))
    assert line.startswith(f'{SOURCE}: {KEY}.vertical.mode = "recreate": only `recommend` applies on {cloud}')


def test_an_acting_vpa_needs_a_memory_ceiling() -> None:
    assert problems(config(["kubernetes"], {"vertical": {"mode": "initial"}})) == [
        f"{SOURCE}: {KEY}.vertical.maxMemory: is required when the VPA acts (mode initial): it bounds memory "
        "requests and sizes the namespace quota"
    ]
    valid(config(["kubernetes"], {"vertical": {"mode": "initial", "maxMemory": 512}}))  # equal to memory: fits


def test_max_memory_below_the_services_memory_is_refused() -> None:
    assert problems(config(["kubernetes"], {"vertical": {"mode": "recreate", "maxMemory": 511}})) == [
        f"{SOURCE}: {KEY}.vertical.maxMemory = 511: must be at least the service's memory (512 MiB)"
    ]


# --- time to capacity target ------------------------------------------------------------------------------


def test_time_to_capacity_target_defaults_to_two_minutes() -> None:
    assert valid(config(["aws"])).services["web"].autoscaling.time_to_capacity_target_seconds == 120


@pytest.mark.parametrize(("target", "message"), [(0, "must be at least 1"), (3601, "must be at most 3600")])
def test_time_to_capacity_target_bounds(target: int, message: str) -> None:
    assert problems(config(["aws"], {"timeToCapacityTargetSeconds": target})) == [
        f"{SOURCE}: {KEY}.timeToCapacityTargetSeconds = {target}: {message}"
    ]


# --- cost ceiling -----------------------------------------------------------------------------------------
# One replica, 0.25 vCPU / 512 MiB: Fargate 0.25 x 0.04048 + 0.5 x 0.004445 = $0.0123425/h = $9.010025/month;
# a Kubernetes pod 0.25 x 0.04 + 0.5 x 0.005 = $0.0125/h = $9.125/month. Two colors on both clouds: $36.27005.


def test_replica_prices_come_from_the_cost_policy_table() -> None:
    parsed = valid(config(["aws", "kubernetes"]))
    web = parsed.services["web"]
    assert replica_price(parsed, "aws", "web", web).monthly == pytest.approx(9.010025)  # type: ignore[union-attr]
    assert replica_price(parsed, "kubernetes", "web", web).monthly == pytest.approx(9.125)  # type: ignore[union-attr]


def test_a_max_within_the_ceiling_passes() -> None:
    valid(config(["aws", "kubernetes"], {"max": 2}, costCeiling={"monthlyUsd": 72.55}))


def test_a_max_the_ceiling_cannot_afford_is_an_error_with_the_figures() -> None:
    assert problems(config(["aws", "kubernetes"], {"max": 2}, costCeiling={"monthlyUsd": 72.54})) == [
        f"{SOURCE}: {KEY}.max = 2: costs $72.54/month at max (2 color(s) x 2 replicas x $18.14 a replica on its clouds), putting the "
        "environment at $72.54 above rollway:costCeiling.monthlyUsd ($72.54, prices of 2025-06); lower it to at most 1"
    ]


def test_the_idle_color_without_an_image_costs_nothing() -> None:
    values = config(["aws", "kubernetes"], {"max": 3}, costCeiling={"monthlyUsd": 55})
    values["rollway:services"]["web"]["image"] = {"blue": "ghcr.io/acme/web:1"}
    valid(values)  # 1 color x 3 x $18.135 = $54.41


def test_when_even_min_does_not_fit_the_message_says_so() -> None:
    [line] = problems(config(["aws", "kubernetes"], {"min": 2, "max": 4}, costCeiling={"monthlyUsd": 40}))
    assert line.endswith("lower other services' max or raise the ceiling (even its min does not fit)")


@pytest.mark.parametrize("ceiling", [0, -5])
def test_a_ceiling_must_be_positive(ceiling: int) -> None:
    assert problems(config(["aws"], costCeiling={"monthlyUsd": ceiling})) == [
        f"{SOURCE}: rollway:costCeiling.monthlyUsd = {ceiling}: must be greater than 0"
    ]


# --- cost ceiling from the cost pack's monthly budget -------------------------------------------------------
# dev's budget in policies/config/dev/cost.json is read, not assumed, so the cost pack's owner may change it.


def _dev_budget() -> float:
    found = cost_pack_budget("dev")
    assert isinstance(found, tuple)
    return found[0]


def test_without_a_ceiling_the_cost_packs_budget_is_the_ceiling() -> None:
    per_max_step = 36.27005  # 2 colors x ($9.010025 + $9.125) a month
    fits = int(_dev_budget() // per_max_step)
    valid(config(["aws", "kubernetes"], {"max": fits}))
    [line] = problems(config(["aws", "kubernetes"], {"max": fits + 1}))
    assert f"{KEY}.max = {fits + 1}: costs" in line
    assert "above the cost pack's monthly-budget.dev.monthlyBudgetUsd in " in line
    assert line.endswith(f"policies/config/dev/cost.json (${_dev_budget():,.2f}, prices of 2025-06); lower it to at most {fits}")


def test_an_explicit_ceiling_wins_over_the_cost_packs_budget() -> None:
    fits = int(_dev_budget() // 36.27005)
    valid(config(["aws", "kubernetes"], {"max": fits + 1}, costCeiling={"monthlyUsd": 36.27005 * (fits + 1) + 0.01}))


def _write(tmp_path: Path, document: object, environment: str = "dev") -> Path:
    (tmp_path / environment).mkdir()
    (tmp_path / environment / "cost.json").write_text(json.dumps(document), encoding="utf-8")
    return tmp_path


def test_the_budget_is_read_for_the_environment(tmp_path: Path) -> None:
    root = _write(tmp_path, {"monthly-budget": {"staging": {"monthlyBudgetUsd": 3000}}}, "staging")
    assert cost_pack_budget("staging", root) == (
        3000.0,
        f"the cost pack's monthly-budget.staging.monthlyBudgetUsd in {root / 'staging' / 'cost.json'}",
    )
    assert cost_pack_budget("dev", root) is None


@pytest.mark.parametrize(
    "document",
    [
        {},
        {"monthly-budget": {}},
        {"monthly-budget": {"prod": {"monthlyBudgetUsd": 5}}},
        {"monthly-budget": {"dev": {"monthlyBudgetUsd": 5}, "capacityBasis": "min"}},
        {"monthly-budget": {"dev": {"monthlyBudgetUsd": 5}, "capacityBasis": "desired"}},
    ],
)
def test_no_budget_or_a_basis_below_max_means_no_check(tmp_path: Path, document: object) -> None:
    assert cost_pack_budget("dev", _write(tmp_path, document)) is None


def test_an_explicit_max_basis_is_used(tmp_path: Path) -> None:
    found = cost_pack_budget(
        "dev", _write(tmp_path, {"monthly-budget": {"dev": {"monthlyBudgetUsd": 0.01}, "capacityBasis": "max"}})
    )
    assert isinstance(found, tuple) and found[0] == 0.01


@pytest.mark.parametrize("amount", [0, -1, "1000", True, None])
def test_an_unusable_budget_is_a_problem_naming_file_and_key(tmp_path: Path, amount: object) -> None:
    root = _write(tmp_path, {"monthly-budget": {"dev": {"monthlyBudgetUsd": amount}}})
    found = cost_pack_budget("dev", root)
    assert isinstance(found, ConfigProblem)
    assert found.key == f"{root / 'dev' / 'cost.json'}: monthly-budget.dev.monthlyBudgetUsd"
    assert found.value == amount


def test_a_budget_file_that_is_not_json_is_a_problem(tmp_path: Path) -> None:
    (tmp_path / "dev").mkdir()
    (tmp_path / "dev" / "cost.json").write_text("{not json", encoding="utf-8")
    found = cost_pack_budget("dev", tmp_path)
    assert isinstance(found, ConfigProblem)
    assert found.key == str(tmp_path / "dev" / "cost.json")
    assert "cannot be read as JSON" in found.message


def test_the_shipped_cost_pack_config_lives_where_the_check_reads_it() -> None:
    assert (COST_PACK_CONFIG_DIR / "dev" / "cost.json").is_file()
