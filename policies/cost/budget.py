"""Monthly budget: estimate the stack's run cost from the price table and compare it with the environment's budget.

Priced: compute (EC2, ASGs, RDS, ECS on Fargate, GCE and managed instance groups, Cloud Run, Azure VMs/scale sets,
Container Apps, Kubernetes workloads by their requests), load balancers, NAT gateways and block storage. Autoscaled
counts use the configured capacity basis (`max` by default: a budget is a ceiling the stack can reach).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pulumi_policy import Severity

from policies.common.ecs import container_definitions, task_cpu_units, task_memory_mib
from policies.common.framework import MANDATORY, EnvironmentLimits, StackContext, StackReport, StackResource, stack_policy
from policies.common.kubernetes import WORKLOAD_TYPES, containers, cpu_cores, kind_of, memory_mib, pod_spec, resources_of
from policies.common.props import Unknown, get, items, number, strings, text
from policies.cost import prices as p
from policies.cost.sizes import aws_size, azure_size, gcp_size


@dataclass(frozen=True)
class LineItem:
    """One priced resource."""

    label: str
    urn: str
    monthly: float
    """Estimated USD per month."""
    detail: str
    """How the figure was reached, e.g. `3 x Fargate 0.25 vCPU / 0.5 GB`."""


class Estimator:
    """Prices a stack's resources; `capacity_basis` is `max`, `min` or `desired` for autoscaled counts."""

    def __init__(self, stack: StackContext, capacity_basis: str = "max") -> None:
        self.stack = stack
        self.basis = capacity_basis
        self.by_urn = {resource.urn: resource for resource in stack.resources}
        self.unpriced: list[str] = []

    # Helpers ---------------------------------------------------------------------------------------------

    def related(self, resource: StackResource, types: tuple[str, ...], key: str | None = None) -> list[StackResource]:
        """Resources of `types` this one depends on (through property `key` when given, else any dependency)."""
        urns = resource.property_dependencies.get(key, []) if key else []
        urns = urns or resource.dependencies
        return [self.by_urn[urn] for urn in urns if urn in self.by_urn and self.by_urn[urn].type in types]

    def dependents(self, resource: StackResource, types: tuple[str, ...]) -> list[StackResource]:
        return [other for other in self.stack.of_type(*types) if resource.urn in other.dependencies]

    def count(self, minimum: Any, maximum: Any, desired: Any, fallback: float = 1.0) -> float | None:
        chosen = {"max": maximum, "min": minimum, "desired": desired if desired is not None else minimum}[self.basis]
        if isinstance(chosen, Unknown):
            return None
        value = number(chosen)
        if value is None:
            value = number(desired) if not isinstance(desired, Unknown) else None
        return value if value is not None else fallback

    def note_unpriced(self, resource: StackResource, why: str) -> None:
        self.unpriced.append(f"{resource.label} ({why})")

    # Pricing ---------------------------------------------------------------------------------------------

    def estimate(self) -> list[LineItem]:
        lines: list[LineItem] = []
        for resource in self.stack.resources:
            pricer = PRICERS.get(resource.type) or (_k8s_workload if resource.type in WORKLOAD_TYPES else None)
            if pricer is None:
                continue
            line = pricer(self, resource)
            if line is not None and line.monthly > 0:
                lines.append(line)
        return sorted(lines, key=lambda line: line.monthly, reverse=True)


def _line(resource: StackResource, hourly: float, detail: str) -> LineItem:
    return LineItem(resource.label, resource.urn, hourly * p.HOURS_PER_MONTH, detail)


def _ec2_hourly(instance_type: str) -> float | None:
    size = aws_size(instance_type)
    if size.vcpus is None:
        return None
    large = p.EC2_LARGE_HOURLY.get(size.family)
    return large * size.vcpus / 2 if large is not None else p.EC2_VCPU_HOURLY_FALLBACK * size.vcpus


def _ec2_instance(est: Estimator, resource: StackResource) -> LineItem | None:
    kind = text(get(resource.props, "instanceType"))
    hourly = _ec2_hourly(kind) if kind else None
    if hourly is None:
        est.note_unpriced(resource, f"instance type {kind!r} not priceable")
        return None
    return _line(resource, hourly, f"{kind}")


def _asg(est: Estimator, resource: StackResource) -> LineItem | None:
    templates = est.related(resource, ("aws:ec2/launchTemplate:LaunchTemplate",), "launchTemplate")
    kind = text(get(templates[0].props, "instanceType")) if templates else None
    hourly = _ec2_hourly(kind) if kind else None
    count = est.count(get(resource.props, "minSize"), get(resource.props, "maxSize"), get(resource.props, "desiredCapacity"))
    if hourly is None or count is None:
        est.note_unpriced(resource, "instance type or capacity unknown")
        return None
    return _line(resource, hourly * count, f"{count:g} x {kind}")


def _rds_instance(est: Estimator, resource: StackResource) -> LineItem | None:
    kind = text(get(resource.props, "instanceClass"))
    size = aws_size(kind) if kind else None
    if size is None or size.vcpus is None:
        est.note_unpriced(resource, f"instance class {kind!r} not priceable")
        return None
    large = p.RDS_LARGE_HOURLY.get(size.family)
    hourly = large * size.vcpus / 2 if large is not None else p.RDS_VCPU_HOURLY_FALLBACK * size.vcpus
    if get(resource.props, "multiAz") is True:
        hourly *= 2
    storage = number(get(resource.props, "allocatedStorage")) or 0
    storage_type = text(get(resource.props, "storageType")) or "gp2"
    monthly_storage = storage * p.RDS_STORAGE_GB_MONTH.get(storage_type, 0.115)
    line = _line(
        resource, hourly, f"{kind}{' multi-AZ' if get(resource.props, 'multiAz') is True else ''}, {storage:g} GB {storage_type}"
    )
    return LineItem(line.label, line.urn, line.monthly + monthly_storage, line.detail)


def _fargate_task(task: StackResource) -> tuple[float, float, bool] | None:
    """(vCPUs, GB, arm64) of a Fargate task definition."""
    cpu, memory = task_cpu_units(get(task.props, "cpu")), task_memory_mib(get(task.props, "memory"))
    if cpu is None or memory is None:
        definitions = container_definitions(task.props)
        if isinstance(definitions, Unknown):
            return None
        cpu = cpu or sum(number(d.get("cpu")) or 0 for d in definitions) or None
        memory = memory or sum(number(d.get("memory")) or 0 for d in definitions) or None
    if cpu is None or memory is None:
        return None
    arm = str(get(task.props, "runtimePlatform", "cpuArchitecture") or "").upper() == "ARM64"
    return cpu / 1024, memory / 1024, arm


def _ecs_service(est: Estimator, resource: StackResource) -> LineItem | None:
    launch = text(get(resource.props, "launchType"))
    providers = [text(get(item, "capacityProvider")) or "" for item in items(get(resource.props, "capacityProviderStrategies"))]
    tasks = est.related(resource, ("aws:ecs/taskDefinition:TaskDefinition",), "taskDefinition")
    if not tasks:
        arn = text(get(resource.props, "taskDefinition"))
        tasks = [
            t
            for t in est.stack.of_type("aws:ecs/taskDefinition:TaskDefinition")
            if arn and arn in (text(get(t.props, "arn")), text(get(t.props, "family")))
        ]
    fargate = launch == "FARGATE" or any(name.startswith("FARGATE") for name in providers)
    if not fargate and tasks:
        fargate = "FARGATE" in strings(get(tasks[0].props, "requiresCompatibilities"))
    if not fargate:
        return None  # EC2-backed services are priced through their instances.
    size = _fargate_task(tasks[0]) if tasks else None
    targets = [
        target
        for target in est.stack.of_type("aws:appautoscaling/target:Target")
        if resource.urn in target.dependencies
        or (
            isinstance(get(target.props, "resourceId"), str)
            and str(get(target.props, "resourceId")).endswith(f"/{get(resource.props, 'name')}")
        )
    ]
    desired = get(resource.props, "desiredCount")
    if targets:
        count = est.count(get(targets[0].props, "minCapacity"), get(targets[0].props, "maxCapacity"), desired)
    else:
        count = number(desired) if not isinstance(desired, Unknown) else None
        count = 1.0 if count is None else count
    if size is None or count is None:
        est.note_unpriced(resource, "task size or count unknown")
        return None
    vcpus, gb, arm = size
    vcpu_rate, gb_rate = (
        (p.FARGATE_ARM_VCPU_HOURLY, p.FARGATE_ARM_GB_HOURLY) if arm else (p.FARGATE_VCPU_HOURLY, p.FARGATE_GB_HOURLY)
    )
    return _line(resource, count * (vcpus * vcpu_rate + gb * gb_rate), f"{count:g} x Fargate {vcpus:g} vCPU / {gb:g} GB")


def _aws_lb(est: Estimator, resource: StackResource) -> LineItem | None:
    kind = text(get(resource.props, "loadBalancerType")) or "application"
    hourly = p.NLB_HOURLY if kind == "network" else p.ALB_HOURLY
    return _line(resource, hourly, f"{kind} load balancer")


def _fixed(hourly: float, detail: str) -> Callable[[Estimator, StackResource], LineItem | None]:
    def price(est: Estimator, resource: StackResource) -> LineItem | None:
        if resource.type == "aws:ec2/natGateway:NatGateway" and get(resource.props, "connectivityType") == "private":
            return None
        return _line(resource, hourly, detail)

    return price


def _monthly(amount: float, detail: str) -> Callable[[Estimator, StackResource], LineItem | None]:
    def price(est: Estimator, resource: StackResource) -> LineItem | None:
        return LineItem(resource.label, resource.urn, amount, detail)

    return price


def _ebs_volume(est: Estimator, resource: StackResource) -> LineItem | None:
    size = number(get(resource.props, "size"))
    kind = text(get(resource.props, "type")) or "gp3"
    if size is None:
        est.note_unpriced(resource, "size unknown")
        return None
    monthly = size * p.EBS_GB_MONTH.get(kind, 0.08) + (number(get(resource.props, "iops")) or 0) * p.EBS_IOPS_MONTH.get(kind, 0)
    return LineItem(resource.label, resource.urn, monthly, f"{size:g} GB {kind}")


def _gce_hourly(machine_type: str) -> float | None:
    short = machine_type.rsplit("/", 1)[-1]
    if short in p.GCE_SHARED_CORE_HOURLY:
        return p.GCE_SHARED_CORE_HOURLY[short]
    size = gcp_size(short)
    if size.vcpus is None:
        return None
    parts = short.split("-")
    if "custom" in parts and len(parts) > parts.index("custom") + 2:
        memory_gb = (number(parts[parts.index("custom") + 2]) or 0) / 1024
    else:
        memory_gb = size.vcpus * p.GCE_GB_PER_VCPU.get(parts[1] if len(parts) > 1 else "standard", 4.0)
    vcpu_rate = p.GCE_VCPU_HOURLY.get(size.family, p.GCE_VCPU_HOURLY["n2"])
    gb_rate = p.GCE_GB_HOURLY.get(size.family, p.GCE_GB_HOURLY["n2"])
    return size.vcpus * vcpu_rate + memory_gb * gb_rate


def _gce_instance(est: Estimator, resource: StackResource) -> LineItem | None:
    kind = text(get(resource.props, "machineType"))
    hourly = _gce_hourly(kind) if kind else None
    if hourly is None:
        est.note_unpriced(resource, f"machine type {kind!r} not priceable")
        return None
    return _line(resource, hourly, str(kind))


def _gce_group(est: Estimator, resource: StackResource) -> LineItem | None:
    templates = est.related(
        resource, ("gcp:compute/instanceTemplate:InstanceTemplate", "gcp:compute/regionInstanceTemplate:RegionInstanceTemplate")
    )
    kind = text(get(templates[0].props, "machineType")) if templates else None
    hourly = _gce_hourly(kind) if kind else None
    scalers = est.dependents(resource, ("gcp:compute/autoscaler:Autoscaler", "gcp:compute/regionAutoscaler:RegionAutoscaler"))
    target = get(resource.props, "targetSize")
    if scalers:
        policy = get(scalers[0].props, "autoscalingPolicy")
        count = est.count(get(policy, "minReplicas"), get(policy, "maxReplicas"), target)
    else:
        count = number(target) if not isinstance(target, Unknown) else None
    if hourly is None or count is None:
        est.note_unpriced(resource, "machine type or size unknown")
        return None
    return _line(resource, hourly * count, f"{count:g} x {kind}")


def _cloud_run(est: Estimator, resource: StackResource) -> LineItem | None:
    scaling = get(resource.props, "template", "scaling")
    count = est.count(
        get(scaling, "minInstanceCount"), get(scaling, "maxInstanceCount"), get(scaling, "minInstanceCount"), fallback=0.0
    )
    if count is None:
        est.note_unpriced(resource, "instance count unknown")
        return None
    vcpus = gb = 0.0
    for container in items(get(resource.props, "template", "containers")):
        vcpus += cpu_cores(get(container, "resources", "limits", "cpu")) or 1.0
        gb += (memory_mib(get(container, "resources", "limits", "memory")) or 512.0) / 1024
    return _line(
        resource,
        count * (vcpus * p.CLOUD_RUN_VCPU_HOURLY + gb * p.CLOUD_RUN_GB_HOURLY),
        f"{count:g} x Cloud Run {vcpus:g} vCPU / {gb:g} GB",
    )


def _gcp_disk(est: Estimator, resource: StackResource) -> LineItem | None:
    size = number(get(resource.props, "size"))
    kind = (text(get(resource.props, "type")) or "pd-standard").rsplit("/", 1)[-1]
    if size is None:
        return None
    return LineItem(resource.label, resource.urn, size * p.PD_GB_MONTH.get(kind, 0.10), f"{size:g} GB {kind}")


def _container_app(est: Estimator, resource: StackResource) -> LineItem | None:
    scale = get(resource.props, "template", "scale")
    maximum = get(scale, "maxReplicas")
    maximum = 10 if maximum is None else maximum  # Container Apps' default maximum when none is set.
    count = est.count(get(scale, "minReplicas"), maximum, get(scale, "minReplicas"), fallback=0.0)
    if count is None:
        est.note_unpriced(resource, "replica count unknown")
        return None
    vcpus = gb = 0.0
    for container in items(get(resource.props, "template", "containers")):
        vcpus += number(get(container, "resources", "cpu")) or 0.5
        gb += (memory_mib(get(container, "resources", "memory")) or 1024.0) / 1024
    return _line(
        resource,
        count * (vcpus * p.CONTAINER_APPS_VCPU_HOURLY + gb * p.CONTAINER_APPS_GB_HOURLY),
        f"{count:g} x Container App {vcpus:g} vCPU / {gb:g} GB",
    )


def _azure_vm_hourly(vm_size: str) -> float | None:
    size = azure_size(vm_size)
    if size.vcpus is None:
        return None
    return size.vcpus * p.AZURE_VM_VCPU_HOURLY.get(size.family, p.AZURE_VM_VCPU_HOURLY_FALLBACK)


def _azure_vm(est: Estimator, resource: StackResource) -> LineItem | None:
    if resource.type == "azure-native:compute:VirtualMachineScaleSet":
        kind, count = text(get(resource.props, "sku", "name")), number(get(resource.props, "sku", "capacity"))
    else:
        kind, count = text(get(resource.props, "hardwareProfile", "vmSize")), 1.0
    hourly = _azure_vm_hourly(kind) if kind else None
    if hourly is None or count is None:
        est.note_unpriced(resource, "VM size or capacity unknown")
        return None
    return _line(resource, hourly * count, f"{count:g} x {kind}")


def _azure_disk(est: Estimator, resource: StackResource) -> LineItem | None:
    size = number(get(resource.props, "diskSizeGB"))
    kind = text(get(resource.props, "sku", "name")) or "Premium_LRS"
    if size is None:
        return None
    return LineItem(resource.label, resource.urn, size * p.AZURE_DISK_GB_MONTH.get(kind, 0.15), f"{size:g} GB {kind}")


def _k8s_workload(est: Estimator, resource: StackResource) -> LineItem | None:
    kind = kind_of(resource.type)
    if kind in ("DaemonSet", "Job", "CronJob", "Pod", "PodTemplate"):
        return None  # Per-node or run-to-completion: no steady replica count to price.
    spec = pod_spec(resource.type, resource.props)
    if not isinstance(spec, dict):
        return None
    vcpus = gb = 0.0
    for _path, container in containers(spec, include_init=False):
        requests, limits = resources_of(container)
        vcpus += cpu_cores(requests.get("cpu", limits.get("cpu"))) or 0.0
        gb += (memory_mib(requests.get("memory", limits.get("memory"))) or 0.0) / 1024
    name = get(resource.props, "metadata", "name")
    replicas = get(resource.props, "spec", "replicas")
    hpas = [
        hpa
        for hpa in est.stack.of_type(
            "kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "kubernetes:autoscaling/v1:HorizontalPodAutoscaler"
        )
        if get(hpa.props, "spec", "scaleTargetRef", "kind") == kind
        and (get(hpa.props, "spec", "scaleTargetRef", "name") == name or resource.urn in hpa.dependencies)
    ]
    if hpas:
        count = est.count(get(hpas[0].props, "spec", "minReplicas") or 1, get(hpas[0].props, "spec", "maxReplicas"), replicas)
    else:
        count = number(replicas) if not isinstance(replicas, Unknown) else None
        count = 1.0 if count is None and not isinstance(replicas, Unknown) else count
    if count is None:
        est.note_unpriced(resource, "replica count unknown")
        return None
    return _line(
        resource,
        count * (vcpus * p.K8S_VCPU_HOURLY + gb * p.K8S_GB_HOURLY),
        f"{count:g} x pod {vcpus:g} vCPU / {gb:g} GB requested",
    )


def _k8s_service(est: Estimator, resource: StackResource) -> LineItem | None:
    if get(resource.props, "spec", "type") != "LoadBalancer":
        return None
    return _line(resource, p.K8S_LOAD_BALANCER_HOURLY, "LoadBalancer Service")


PRICERS: dict[str, Callable[[Estimator, StackResource], LineItem | None]] = {
    "aws:ec2/instance:Instance": _ec2_instance,
    "aws:autoscaling/group:Group": _asg,
    "aws:rds/instance:Instance": _rds_instance,
    "aws:rds/clusterInstance:ClusterInstance": _rds_instance,
    "aws:ecs/service:Service": _ecs_service,
    "aws:lb/loadBalancer:LoadBalancer": _aws_lb,
    "aws:alb/loadBalancer:LoadBalancer": _aws_lb,
    "aws:ec2/natGateway:NatGateway": _fixed(p.NAT_GATEWAY_HOURLY, "NAT gateway (hours only, no data)"),
    "aws:ebs/volume:Volume": _ebs_volume,
    "aws:secretsmanager/secret:Secret": _monthly(p.SECRETS_MANAGER_SECRET_MONTH, "Secrets Manager secret"),
    "aws:kms/key:Key": _monthly(p.KMS_KEY_MONTH, "KMS key"),
    "gcp:compute/instance:Instance": _gce_instance,
    "gcp:compute/instanceGroupManager:InstanceGroupManager": _gce_group,
    "gcp:compute/regionInstanceGroupManager:RegionInstanceGroupManager": _gce_group,
    "gcp:cloudrunv2/service:Service": _cloud_run,
    "gcp:compute/globalForwardingRule:GlobalForwardingRule": _fixed(p.GCP_FORWARDING_RULE_HOURLY, "forwarding rule"),
    "gcp:compute/forwardingRule:ForwardingRule": _fixed(p.GCP_FORWARDING_RULE_HOURLY, "forwarding rule"),
    "gcp:compute/routerNat:RouterNat": _fixed(p.GCP_NAT_HOURLY, "Cloud NAT gateway"),
    "gcp:compute/disk:Disk": _gcp_disk,
    "azure-native:app:ContainerApp": _container_app,
    "azure-native:compute:VirtualMachine": _azure_vm,
    "azure-native:compute:VirtualMachineScaleSet": _azure_vm,
    "azure-native:network:LoadBalancer": _fixed(p.AZURE_LB_HOURLY, "Standard load balancer"),
    "azure-native:network:ApplicationGateway": _fixed(p.AZURE_APP_GATEWAY_HOURLY, "Application Gateway v2"),
    "azure-native:network:NatGateway": _fixed(p.AZURE_NAT_GATEWAY_HOURLY, "NAT gateway"),
    "azure-native:compute:Disk": _azure_disk,
    "kubernetes:core/v1:Service": _k8s_service,
}


def breakdown(lines: list[LineItem], top: int = 12) -> str:
    shown = [f"  ${line.monthly:,.2f}  {line.label}: {line.detail}" for line in lines[:top]]
    if len(lines) > top:
        rest = sum(line.monthly for line in lines[top:])
        shown.append(f"  ${rest:,.2f}  {len(lines) - top} more resources")
    return "\n".join(shown)


@stack_policy(
    name="monthly-budget",
    description="The stack's estimated monthly run cost (compute, load balancers, NAT, storage) stays within the environment's budget.",
    enforcement=MANDATORY,
    severity=Severity.HIGH,
    remediation_steps="Reduce the largest items in the breakdown (sizes, autoscaling maxima, NAT gateways), or raise monthlyBudgetUsd for the environment.",
    config={
        "capacityBasis": {
            "type": "string",
            "enum": ["max", "min", "desired"],
            "default": "max",
            "description": "Which autoscaling bound prices autoscaled services (max: the worst case the stack can reach).",
        },
        "rolloutAllowancePercent": {
            "type": "number",
            "minimum": 0,
            "maximum": 100,
            "default": 100,
            "description": "Extra budget, in percent, for the updates of `rollway rollout` (a release runs both colors "
            "of a service until the old one scales down); applies only when duringRollout is true.",
        },
        "duringRollout": {
            "type": "boolean",
            "default": False,
            "description": "Set to true by `rollway rollout` in the config it passes to its own updates; leave false in files.",
        },
    },
    limits=EnvironmentLimits(
        properties={
            "monthlyBudgetUsd": {
                "type": "number",
                "minimum": 0,
                "description": "Budget for the stack's estimated monthly cost, USD.",
            }
        },
        defaults={
            "dev": {"monthlyBudgetUsd": 500},
            "preview": {"monthlyBudgetUsd": 200},
            "staging": {"monthlyBudgetUsd": 2000},
            "prod": {"monthlyBudgetUsd": 15000},
        },
    ),
)
def monthly_budget(stack: StackContext, report: StackReport) -> None:
    basis = stack.config["capacityBasis"] if stack.config["capacityBasis"] in ("max", "min", "desired") else "max"
    estimator = Estimator(stack, basis)
    lines = estimator.estimate()
    total = sum(line.monthly for line in lines)
    budget = float(stack.limits["monthlyBudgetUsd"])
    allowance = ""
    if stack.config.get("duringRollout") is True:
        percent = stack.config.get("rolloutAllowancePercent")
        percent = float(percent) if isinstance(percent, int | float) and 0 <= percent <= 100 else 100.0
        budget *= 1 + percent / 100
        allowance = f" (with the {percent:g}% rollout allowance)"
    if total > budget:
        unpriced = f"\nNot priced: {'; '.join(estimator.unpriced)}" if estimator.unpriced else ""
        report(
            f"Estimated ${total:,.2f}/month ({basis} capacity, price table {p.PRICE_TABLE_DATE}) exceeds the "
            f"{stack.environment.describe()} budget of ${budget:,.2f}{allowance}. Largest items:\n{breakdown(lines)}{unpriced}\n"
            "Fix: shrink the largest items (sizes, autoscaling maxima, NAT gateways) or raise monthlyBudgetUsd in the policy config.",
            None,
        )


def estimate(stack: StackContext, basis: str = "max") -> tuple[float, list[LineItem]]:
    """Total and line items of a stack, for tools and tests."""
    lines = Estimator(stack, basis).estimate()
    return sum(line.monthly for line in lines), lines


POLICIES = [monthly_budget]
