"""Autoscaling checks that depend on the target cloud: predictive and vertical scaling where each cloud (and
runtime) offers them, scale-in protection windows, and the environment's cost ceiling priced with the cost
policy's price table.

Run by the config loader with the other relations between values, so a config that asks for what a cloud
cannot do, or for a `max` the ceiling cannot afford, fails before anything is registered.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from components.autoscaling import protection_slug
from components.aws.fargate import fargate_cpu_units
from components.aws.schedules import aws_cron_problem
from components.azure.schedules import weekly_recurrence, windows_time_zone
from components.gcp.sizing import cloud_run_resources, machine_type_for
from policies.cost import prices
from policies.cost.sizes import gcp_size
from rollway.helpers import CronError, clean_name, cron_after, first_overlap, shortest_gap_minutes, window_spans
from stacks.config.model import Cloud, ScaleInProtectionWindow, Service, StackConfig
from stacks.config.problems import ConfigProblem

NAMESPACE = "rollway"
MIB_PER_GIB = 1024
MIN_AZURE_LOOK_AHEAD_SECONDS = 60
MAX_AZURE_LOOK_AHEAD_SECONDS = 3600
COST_PACK_CONFIG_DIR = Path(__file__).resolve().parents[2] / "policies" / "config"
BUDGET_POLICY = "monthly-budget"
LIMIT_HINT = "(or limit predictive.clouds to the clouds that offer it, e.g. [aws])"


def scaling_problems(config: StackConfig) -> list[ConfigProblem]:
    """Every predictive, vertical and cost-ceiling problem of the config's targeted clouds."""
    problems: list[ConfigProblem] = []
    for name, service in config.services.items():
        prefix = f"{NAMESPACE}:services.{name}.autoscaling"
        predictive = service.autoscaling.predictive
        for index, cloud in enumerate((predictive.clouds if predictive else None) or []):
            if cloud not in config.clouds:
                problems.append(ConfigProblem(f"{prefix}.predictive.clouds[{index}]", "is not one of rollway:clouds", cloud))
        for cloud in dict.fromkeys(config.clouds):
            problems += _predictive_problems(config, cloud, name, service, f"{prefix}.predictive")
            problems += _vertical_problems(cloud, service, f"{prefix}.vertical")
        problems += protection_problems(config, name, service)
    problems += cost_ceiling_problems(config)
    return problems


def _on_scale_sets(config: StackConfig, name: str) -> bool:
    overrides = config.settings("azure").services.get(name)
    return overrides is not None and overrides.vm_scale_sets is not None


def _predictive_problems(config: StackConfig, cloud: Cloud, name: str, service: Service, key: str) -> list[ConfigProblem]:
    predictive = service.autoscaling.predictive
    if predictive is None or not predictive.applies_to(cloud):
        return []
    if cloud == "kubernetes":
        return [
            ConfigProblem(
                key,
                "Kubernetes has no built-in predictive autoscaling; scale ahead of known load with autoscaling.schedules "
                f"{LIMIT_HINT}",
            )
        ]
    if cloud == "gcp":
        if config.settings("gcp").runtime == "cloudRun":
            return [
                ConfigProblem(
                    key, f"Cloud Run has no predictive autoscaling; it is offered on the instanceGroup runtime {LIMIT_HINT}"
                )
            ]
        problems = []
        if predictive.mode == "forecastOnly":
            problems.append(ConfigProblem(f"{key}.mode", "GCP has no forecast-only mode; use forecastAndScale", predictive.mode))
        if predictive.lead_seconds is not None:
            problems.append(
                ConfigProblem(f"{key}.leadSeconds", "GCP chooses its own lead; leave this key out", predictive.lead_seconds)
            )
        return problems
    if cloud == "azure":
        if not _on_scale_sets(config, name):
            return [
                ConfigProblem(
                    key,
                    f"Container Apps have no predictive autoscaling; it is offered for VM scale sets "
                    f"(rollway:azure.services.{name}.vmScaleSets) {LIMIT_HINT}",
                )
            ]
        lead = predictive.lead_seconds
        if lead is not None and (lead % 60 or not MIN_AZURE_LOOK_AHEAD_SECONDS <= lead <= MAX_AZURE_LOOK_AHEAD_SECONDS):
            return [
                ConfigProblem(
                    f"{key}.leadSeconds",
                    "must be whole minutes from 60 to 3600 seconds on Azure (its look-ahead is 1 to 60 minutes)",
                    lead,
                )
            ]
    return []


def _vertical_problems(cloud: Cloud, service: Service, key: str) -> list[ConfigProblem]:
    vertical = service.autoscaling.vertical
    if vertical is None:
        return []
    problems: list[ConfigProblem] = []
    if cloud != "kubernetes" and vertical.mode != "recommend":
        problems.append(
            ConfigProblem(
                f"{key}.mode",
                f"only `recommend` applies on {cloud}: it has no vertical autoscaler, so Rollway exports a right-sizing "
                "report instead (see docs)",
                vertical.mode,
            )
        )
    if cloud == "kubernetes" and vertical.mode != "recommend" and vertical.max_memory is None:
        problems.append(
            ConfigProblem(
                f"{key}.maxMemory",
                f"is required when the VPA acts (mode {vertical.mode}): it bounds memory requests and sizes the namespace quota",
            )
        )
    if vertical.max_memory is not None and vertical.max_memory < service.memory:
        problems.append(
            ConfigProblem(
                f"{key}.maxMemory", f"must be at least the service's memory ({service.memory} MiB)", vertical.max_memory
            )
        )
    return problems


# --- scale-in protection windows ---------------------------------------------------------------------------


def protection_problems(config: StackConfig, name: str, service: Service) -> list[ConfigProblem]:
    """Every problem of the service's scale-in protection windows: their timing (one start a day, an end that
    comes before the next start and that a cron can express), their names, and what each targeted cloud
    cannot build (see docs/autoscaling.md for what each cloud builds)."""
    windows = service.autoscaling.scale_in_protection
    if not windows:
        return []
    prefix = f"{NAMESPACE}:services.{name}.autoscaling"
    problems: list[ConfigProblem] = []
    taken = {clean_name(window.name, fallback="window"): window.name for window in service.autoscaling.schedules}
    ends: dict[int, str] = {}
    for index, window in enumerate(windows):
        key = f"{prefix}.scaleInProtection[{index}]"
        slug = protection_slug(window.name)
        # `<slug>-end` too: an Azure VM scale set window also gets an end profile of that name.
        owners = [taken.setdefault(produced, window.name) for produced in (slug, f"{slug}-end")]
        clash = next((owner for owner in owners if owner != window.name), None)
        if clash is not None or any(other.name == window.name for other in windows[:index]):
            problems.append(
                ConfigProblem(
                    f"{key}.name",
                    f"gives the same resource names (`{slug}`) as `{clash or window.name}`; give each protection window a "
                    "name of its own",
                    window.name,
                )
            )
        timing = _timing_problem(window, key)
        if timing is not None:
            problems.append(timing)
        else:
            ends[index] = cron_after(window.schedule, window.duration_minutes)
        floor = _floor_problem(service, window, key)
        if floor is not None:
            problems.append(floor)
    problems += _overlap_problems(windows, ends, prefix)
    for cloud in dict.fromkeys(config.clouds):
        problems += _cloud_protection_problems(config, cloud, name, service, ends)
    return problems


def _floor_problem(service: Service, window: ScaleInProtectionWindow, key: str) -> ConfigProblem | None:
    bounds = service.autoscaling
    if window.min is None or bounds.min < window.min <= bounds.max:
        return None
    if window.min > bounds.max:
        reason = f"must be at most autoscaling.max ({bounds.max}): the window holds capacity, it cannot raise the ceiling"
    else:
        reason = (
            f"must be above autoscaling.min ({bounds.min}): a floor at or below the usual one holds nothing "
            "(leave it unset to hold autoscaling.max)"
        )
    return ConfigProblem(f"{key}.min", reason, window.min)


def _overlap_problems(windows: Sequence[ScaleInProtectionWindow], ends: Mapping[int, str], prefix: str) -> list[ConfigProblem]:
    """Windows that overlap or touch: on AWS, VM scale sets and Kubernetes the end of one would lift the other's
    protection, so they are refused on every cloud (a config means the same everywhere). Only windows whose timing
    is valid (`ends`) are compared."""
    spans = {
        index: window_spans(windows[index].schedule, windows[index].duration_minutes, windows[index].timezone) for index in ends
    }
    found = first_overlap(spans)
    if found is None:
        return []
    earlier, later, when = found
    return [
        ConfigProblem(
            f"{prefix}.scaleInProtection[{later}].schedule",
            f"starts while `{windows[earlier].name}` (scaleInProtection[{earlier}]) is on or the minute it ends, first on "
            f"{when:%Y-%m-%d %H:%M} UTC; the end of one would lift the other's protection: merge them into one window "
            "or leave at least a minute between them",
            windows[later].schedule,
        )
    ]


def _timing_problem(window: ScaleInProtectionWindow, key: str) -> ConfigProblem | None:
    try:
        cron_after(window.schedule, window.duration_minutes)
        gap = shortest_gap_minutes(window.schedule)
    except CronError as error:
        return ConfigProblem(f"{key}.schedule", str(error), window.schedule)
    if gap is not None and window.duration_minutes >= gap:
        return ConfigProblem(
            f"{key}.durationMinutes",
            f"must be shorter than the {gap} minutes between two starts of `{window.schedule}` (a window must end "
            "before it starts again)",
            window.duration_minutes,
        )
    return None


def _cloud_protection_problems(
    config: StackConfig, cloud: Cloud, name: str, service: Service, ends: dict[int, str]
) -> list[ConfigProblem]:
    """What `cloud` cannot build of windows whose timing is valid (`ends`: end cron by window index)."""
    windows = service.autoscaling.scale_in_protection
    key = f"{NAMESPACE}:services.{name}.autoscaling.scaleInProtection"
    schedules = service.autoscaling.schedules
    problems: list[ConfigProblem] = []
    if cloud == "gcp" and config.settings("gcp").runtime == "cloudRun":
        return [
            ConfigProblem(
                key,
                "needs rollway:gcp.runtime = instanceGroup (Cloud Run has no scheduled capacity); remove it or switch the runtime",
                [window.name for window in windows],
            )
        ]
    on_scale_sets = cloud == "azure" and _on_scale_sets(config, name)
    if schedules and (cloud == "aws" or on_scale_sets):
        target = "AWS scheduled actions" if cloud == "aws" else "Azure VM scale set profiles"
        return [
            ConfigProblem(
                key,
                f"cannot be combined with autoscaling.schedules on {cloud}: {target} set absolute bounds, so the end of a "
                "protection window would undo the scheduled window in effect; hold capacity with a scheduled window "
                "(raise its min) instead, or limit the service to clouds where the two compose",
                [window.name for window in windows],
            )
        ]
    if cloud == "kubernetes" and schedules:
        problems += [
            ConfigProblem(
                f"{key}[{index}].min",
                "cannot be combined with autoscaling.schedules on kubernetes: the window's end restores the HPA's "
                "minReplicas to autoscaling.min and would undo the scheduled window in effect; leave `min` unset "
                "(scale-down is switched off, capacity stays where it is)",
                window.min,
            )
            for index, window in enumerate(windows)
            if window.min is not None
        ]
    for index, end in ends.items():
        window = windows[index]
        for part, expression in (("schedule", window.schedule), ("end", end)):
            what = "its start" if part == "schedule" else f"its end (`{end}`, start + durationMinutes)"
            if cloud == "aws":
                problem = aws_cron_problem(expression)
                if problem is not None:
                    problems.append(
                        ConfigProblem(f"{key}[{index}].schedule", f"cannot run on AWS: {what} {problem}", window.schedule)
                    )
            if on_scale_sets:
                try:
                    weekly_recurrence(expression)
                except ValueError as error:
                    problems.append(
                        ConfigProblem(
                            f"{key}[{index}].schedule",
                            f"cannot drive a VM scale set recurrence: {what} {error}",
                            window.schedule,
                        )
                    )
        if on_scale_sets:
            try:
                windows_time_zone(window.timezone)
            except ValueError as error:
                problems.append(ConfigProblem(f"{key}[{index}].timezone", str(error), window.timezone))
    return problems


# --- cost ceiling -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReplicaPrice:
    """What one task/pod/instance of a service costs on one cloud, from the cost policy's price table."""

    cloud: Cloud
    hourly: float
    """USD per hour."""
    detail: str
    """What was priced, e.g. `Fargate 0.25 vCPU / 0.5 GiB`."""

    @property
    def monthly(self) -> float:
        return self.hourly * prices.HOURS_PER_MONTH


def replica_price(config: StackConfig, cloud: Cloud, name: str, service: Service) -> ReplicaPrice | None:
    """Price of one replica of the service on `cloud`; None where the size is not Rollway's to know (Azure VM
    scale sets are existing resources) or not a size the runtime offers (reported by that cloud's checks)."""
    cpu, gib = service.cpu, service.memory / MIB_PER_GIB
    if cloud == "aws":
        if fargate_cpu_units(cpu) is None:
            return None
        hourly = cpu * prices.FARGATE_VCPU_HOURLY + gib * prices.FARGATE_GB_HOURLY
        return ReplicaPrice(cloud, hourly, f"Fargate {cpu:g} vCPU / {gib:g} GiB")
    if cloud == "gcp":
        settings = config.settings("gcp")
        if settings.runtime == "cloudRun":
            shape = cloud_run_resources(cpu, service.memory)
            if shape is None:
                return None
            vcpus, memory = float(shape[0]), int(shape[1].removesuffix("Mi")) / MIB_PER_GIB
            hourly = vcpus * prices.CLOUD_RUN_VCPU_HOURLY + memory * prices.CLOUD_RUN_GB_HOURLY
            return ReplicaPrice(cloud, hourly, f"Cloud Run {vcpus:g} vCPU / {memory:g} GiB")
        machine_type = settings.machine_type or machine_type_for(cpu, service.memory)
        if machine_type is None:
            return None
        gce = _gce_hourly(machine_type)
        return None if gce is None else ReplicaPrice(cloud, gce, f"Compute Engine {machine_type}")
    if cloud == "azure":
        if _on_scale_sets(config, name):
            return None
        hourly = cpu * prices.CONTAINER_APPS_VCPU_HOURLY + gib * prices.CONTAINER_APPS_GB_HOURLY
        return ReplicaPrice(cloud, hourly, f"Container App {cpu:g} vCPU / {gib:g} GiB")
    hourly = cpu * prices.K8S_VCPU_HOURLY + gib * prices.K8S_GB_HOURLY
    return ReplicaPrice(cloud, hourly, f"pod requesting {cpu:g} vCPU / {gib:g} GiB")


def _gce_hourly(machine_type: str) -> float | None:
    """On-demand $/hour of a predefined machine type, read the way the cost policy reads it."""
    if machine_type in prices.GCE_SHARED_CORE_HOURLY:
        return prices.GCE_SHARED_CORE_HOURLY[machine_type]
    size = gcp_size(machine_type)
    parts = machine_type.split("-")
    if size.vcpus is None or len(parts) < 3 or "custom" in parts:
        return None
    memory_gib = size.vcpus * prices.GCE_GB_PER_VCPU.get(parts[1], 4.0)
    vcpu_rate = prices.GCE_VCPU_HOURLY.get(size.family, prices.GCE_VCPU_HOURLY["n2"])
    gb_rate = prices.GCE_GB_HOURLY.get(size.family, prices.GCE_GB_HOURLY["n2"])
    return size.vcpus * vcpu_rate + memory_gib * gb_rate


def running_colors(service: Service) -> int:
    """Colors that run replicas: the live color, and the idle one when it has an image."""
    return 1 + (service.image.for_color(service.idle_color) is not None)


def service_monthly_at_max(config: StackConfig, name: str, service: Service, maximum: int) -> float:
    """USD per month of the service on every targeted cloud with each running color at `maximum` replicas."""
    total = 0.0
    for cloud in dict.fromkeys(config.clouds):
        price = replica_price(config, cloud, name, service)
        if price is not None:
            total += running_colors(service) * maximum * price.monthly
    return total


def cost_ceiling_problems(config: StackConfig) -> list[ConfigProblem]:
    """One problem per service whose `autoscaling.max` makes the environment exceed its ceiling, with the cost at
    max and the largest max that would fit (the other services at their own max).

    The ceiling is `costCeiling.monthlyUsd` when set, else the cost pack's `monthly-budget` for the environment
    (policies/config/<environment>/cost.json), else there is no check."""
    if config.cost_ceiling is not None:
        limit, source = config.cost_ceiling.monthly_usd, f"{NAMESPACE}:costCeiling.monthlyUsd"
    else:
        budget = cost_pack_budget(config.environment)
        if isinstance(budget, ConfigProblem):
            return [budget]
        if budget is None:
            return []
        limit, source = budget
    costs = {
        name: service_monthly_at_max(config, name, service, service.autoscaling.max) for name, service in config.services.items()
    }
    total = sum(costs.values())
    if total <= limit:
        return []
    problems: list[ConfigProblem] = []
    for name, service in config.services.items():
        if costs[name] == 0:
            continue
        per_replica = service_monthly_at_max(config, name, service, 1)
        room = limit - (total - costs[name])
        affordable = math.floor(room / per_replica + 1e-9) if room > 0 else 0
        if affordable >= service.autoscaling.max:
            continue
        fix = (
            f"lower it to at most {affordable}"
            if affordable >= service.autoscaling.min
            else "lower other services' max or raise the ceiling (even its min does not fit)"
        )
        problems.append(
            ConfigProblem(
                f"{NAMESPACE}:services.{name}.autoscaling.max",
                f"costs ${costs[name]:,.2f}/month at max ({running_colors(service)} color(s) x {service.autoscaling.max} "
                f"replicas x ${per_replica / running_colors(service):,.2f} a replica on its clouds), putting the environment at ${total:,.2f} "
                f"above {source} (${limit:,.2f}, prices of "
                f"{prices.PRICE_TABLE_DATE}); {fix}",
                service.autoscaling.max,
            )
        )
    return problems


def cost_pack_budget(environment: str, config_dir: Path = COST_PACK_CONFIG_DIR) -> tuple[float, str] | ConfigProblem | None:
    """The environment's `monthlyBudgetUsd` from the cost pack's config and where it was read (for messages);
    None when the file or the budget entry is absent, or when the pack prices autoscaled services at a
    `capacityBasis` other than max; a problem when the file is there but unusable."""
    path = config_dir / environment / "cost.json"
    if not path.is_file():
        return None
    key = f"{BUDGET_POLICY}.{environment}.monthlyBudgetUsd"
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        return ConfigProblem(str(path), f"cannot be read as JSON ({error}); fix it or set {NAMESPACE}:costCeiling.monthlyUsd")
    policy = document.get(BUDGET_POLICY) if isinstance(document, dict) else None
    limits = policy.get(environment) if isinstance(policy, dict) else None
    if not isinstance(limits, dict) or "monthlyBudgetUsd" not in limits:
        return None
    basis = policy.get("capacityBasis", "max") if isinstance(policy, dict) else "max"
    if basis != "max":
        return None  # the pack prices a lower bound than max, so the budget says nothing about max
    amount = limits["monthlyBudgetUsd"]
    if isinstance(amount, bool) or not isinstance(amount, int | float) or amount <= 0:
        return ConfigProblem(f"{path}: {key}", "must be a number above 0 to serve as the cost ceiling", amount)
    return float(amount), f"the cost pack's {key} in {path}"
