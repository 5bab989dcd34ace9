"""Compute sizes per environment: allowed families and a vCPU ceiling (EC2, RDS, GCE, Azure VMs), and GPUs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pulumi_policy import Severity

from policies.common.framework import MANDATORY, EnvironmentLimits, PropertySchema, Report, ResourceContext, resource_policy
from policies.common.kubernetes import WORKLOAD_TYPES, containers, pod_spec, resources_of
from policies.common.props import Unknown, get, items, mapping, number
from policies.cost.sizes import Size, aws_size, azure_size, gcp_size

FAMILY_LIMIT_PROPERTIES: dict[str, PropertySchema] = {
    "allowedFamilies": {
        "type": "array",
        "items": {"type": "string"},
        "description": "Size families allowed in this environment.",
    },
    "maxVcpus": {"type": "number", "minimum": 0, "description": "Largest size allowed, in vCPUs."},
}

EC2_INSTANCES = (
    "aws:ec2/instance:Instance",
    "aws:ec2/launchTemplate:LaunchTemplate",
    "aws:ec2/spotInstanceRequest:SpotInstanceRequest",
)
RDS_INSTANCES = ("aws:rds/instance:Instance", "aws:rds/clusterInstance:ClusterInstance")
GCE_INSTANCES = (
    "gcp:compute/instance:Instance",
    "gcp:compute/instanceTemplate:InstanceTemplate",
    "gcp:compute/regionInstanceTemplate:RegionInstanceTemplate",
)
AZURE_VMS = ("azure-native:compute:VirtualMachine", "azure-native:compute:VirtualMachineScaleSet")

_BURSTABLE = ["t3", "t3a", "t4g"]
_GENERAL = ["m6i", "m6a", "m6g", "m7i", "m7g", "c6i", "c6g", "c7i", "c7g"]
_MEMORY = ["r6i", "r6g", "r7i", "r7g"]


def _family_limits(small: list[str], medium: list[str], large: list[str], vcpus: tuple[float, float, float]) -> EnvironmentLimits:
    dev, staging, prod = vcpus
    return EnvironmentLimits(
        properties=FAMILY_LIMIT_PROPERTIES,
        defaults={
            "dev": {"allowedFamilies": small, "maxVcpus": dev},
            "preview": {"allowedFamilies": small, "maxVcpus": dev},
            "staging": {"allowedFamilies": medium, "maxVcpus": staging},
            "prod": {"allowedFamilies": large, "maxVcpus": prod},
        },
    )


def _check_size(resource: ResourceContext, report: Report, where: str, value: Any, parse: Callable[[str], Size]) -> None:
    if isinstance(value, Unknown):
        resource.unknown(where)
        return
    if not isinstance(value, str) or not value:
        return
    size = parse(value)
    limits, environment = resource.limits, resource.environment
    families = [family for family in limits["allowedFamilies"] if isinstance(family, str)]
    if size.family not in families:
        report(
            f"{resource.label}: {where} {value!r} is family {size.family!r}, not allowed in {environment.describe()} (allowed: {', '.join(families)}). Fix: pick one of the allowed families or raise the limit in the policy config."
        )
    elif size.vcpus is None:
        report(
            f"{resource.label}: {where} {value!r} is not a size this policy can read, so its vCPUs are unknown. Fix: use a standard size name."
        )
    elif size.vcpus > float(limits["maxVcpus"]):
        report(
            f"{resource.label}: {where} {value!r} has {size.vcpus:g} vCPUs, above {environment.describe()}'s ceiling of {limits['maxVcpus']:g}. Fix: use a smaller size or raise maxVcpus in the policy config."
        )


@resource_policy(
    name="ec2-instance-type-allowed",
    description="EC2 instance types come from the environment's allowed families and stay under its vCPU ceiling.",
    types=EC2_INSTANCES,
    enforcement=MANDATORY,
    severity=Severity.MEDIUM,
    remediation_steps="Choose an allowed family/size for the environment, or change the environment's limits in the policy config.",
    limits=_family_limits(_BURSTABLE, _BURSTABLE + _GENERAL, _BURSTABLE + _GENERAL + _MEMORY, (2, 4, 16)),
)
def ec2_instance_type_allowed(resource: ResourceContext, report: Report) -> None:
    _check_size(resource, report, "instanceType", get(resource.props, "instanceType"), aws_size)


@resource_policy(
    name="rds-instance-class-allowed",
    description="RDS instance classes come from the environment's allowed families and stay under its vCPU ceiling.",
    types=RDS_INSTANCES,
    enforcement=MANDATORY,
    severity=Severity.MEDIUM,
    remediation_steps="Choose an allowed db.<family>.<size> for the environment, or change its limits in the policy config.",
    limits=_family_limits(
        ["t3", "t4g"], ["t3", "t4g", "m6g", "m6i", "m7g"], ["t3", "t4g", "m6g", "m6i", "m7g", "r6g", "r6i", "r7g"], (2, 4, 16)
    ),
)
def rds_instance_class_allowed(resource: ResourceContext, report: Report) -> None:
    _check_size(resource, report, "instanceClass", get(resource.props, "instanceClass"), aws_size)


@resource_policy(
    name="gcp-machine-type-allowed",
    description="Compute Engine machine types come from the environment's allowed families and stay under its vCPU ceiling.",
    types=GCE_INSTANCES,
    enforcement=MANDATORY,
    severity=Severity.MEDIUM,
    remediation_steps="Choose an allowed machine family/size for the environment, or change its limits in the policy config.",
    limits=_family_limits(["e2"], ["e2", "n2", "n2d", "t2d"], ["e2", "n2", "n2d", "t2d", "c3", "n4"], (2, 4, 16)),
)
def gcp_machine_type_allowed(resource: ResourceContext, report: Report) -> None:
    _check_size(resource, report, "machineType", get(resource.props, "machineType"), gcp_size)


def _azure_vm_size(props: Any, resource_type: str) -> tuple[str, Any]:
    if resource_type == "azure-native:compute:VirtualMachineScaleSet":
        return "sku.name", get(props, "sku", "name")
    return "hardwareProfile.vmSize", get(props, "hardwareProfile", "vmSize")


@resource_policy(
    name="azure-vm-size-allowed",
    description="Azure VM sizes come from the environment's allowed series and stay under its vCPU ceiling.",
    types=AZURE_VMS,
    enforcement=MANDATORY,
    severity=Severity.MEDIUM,
    remediation_steps="Choose an allowed VM series/size for the environment, or change its limits in the policy config.",
    limits=_family_limits(["B"], ["B", "D"], ["B", "D", "E", "F"], (2, 4, 16)),
)
def azure_vm_size_allowed(resource: ResourceContext, report: Report) -> None:
    where, value = _azure_vm_size(resource.props, resource.type)
    _check_size(resource, report, where, value, azure_size)


GPU_RESOURCE_KEYS = ("nvidia.com/gpu", "amd.com/gpu", "gpu.intel.com/i915")


def gpu_requests(resource_type: str, props: Any) -> list[tuple[str, str]]:
    """(where, GPU type) for every GPU a resource asks for."""
    found: list[tuple[str, str]] = []
    if resource_type in EC2_INSTANCES or resource_type in RDS_INSTANCES:
        key = "instanceType" if resource_type in EC2_INSTANCES else "instanceClass"
        value = get(props, key)
        if isinstance(value, str) and aws_size(value).gpu:
            found.append((key, value))
    elif resource_type in GCE_INSTANCES:
        value = get(props, "machineType")
        if isinstance(value, str) and gcp_size(value).gpu:
            found.append(("machineType", value))
        for index, accelerator in enumerate(items(get(props, "guestAccelerators"))):
            kind = get(accelerator, "type")
            if isinstance(kind, str) and (number(get(accelerator, "count")) or 0) > 0:
                found.append((f"guestAccelerators[{index}]", kind.rsplit("/", 1)[-1]))
    elif resource_type in AZURE_VMS:
        where, value = _azure_vm_size(props, resource_type)
        if isinstance(value, str) and azure_size(value).gpu:
            found.append((where, value))
    elif resource_type in WORKLOAD_TYPES:
        for path, container in containers(pod_spec(resource_type, props)):
            requests, limits = resources_of(container)
            for key in GPU_RESOURCE_KEYS:
                if (number(limits.get(key)) or number(requests.get(key)) or 0) > 0:
                    accelerator = mapping(get(pod_spec(resource_type, props), "nodeSelector")).get(
                        "cloud.google.com/gke-accelerator"
                    )
                    found.append((f"{path}.resources", accelerator if isinstance(accelerator, str) else key))
    elif resource_type == "gcp:cloudrunv2/service:Service":
        for index, container in enumerate(items(get(props, "template", "containers"))):
            if (number(get(container, "resources", "limits", "nvidia.com/gpu")) or 0) > 0:
                accelerator = get(props, "template", "nodeSelector", "accelerator")
                found.append((f"template.containers[{index}]", accelerator if isinstance(accelerator, str) else "nvidia.com/gpu"))
    return found


@resource_policy(
    name="gpu-types-allowed",
    description="GPU instance types and accelerators are denied unless the environment's allow-list names them.",
    types=(*EC2_INSTANCES, *RDS_INSTANCES, *GCE_INSTANCES, *AZURE_VMS, *WORKLOAD_TYPES, "gcp:cloudrunv2/service:Service"),
    enforcement=MANDATORY,
    severity=Severity.HIGH,
    remediation_steps="Use a CPU size, or add the GPU type to allowedGpuTypes for the environment in the policy config.",
    limits=EnvironmentLimits(
        properties={
            "allowedGpuTypes": {
                "type": "array",
                "items": {"type": "string"},
                "description": "GPU instance types / accelerator types allowed.",
            }
        },
        defaults={name: {"allowedGpuTypes": []} for name in ("dev", "staging", "prod", "preview")},
    ),
)
def gpu_types_allowed(resource: ResourceContext, report: Report) -> None:
    allowed = resource.limits["allowedGpuTypes"]
    for where, kind in gpu_requests(resource.type, resource.props):
        if kind not in allowed:
            report(
                f"{resource.label}: {where} asks for GPU {kind!r}, not allowed in {resource.environment.describe()} (allowed: {', '.join(allowed) or 'none'}). Fix: use a CPU size or add {kind!r} to allowedGpuTypes."
            )


POLICIES = [
    ec2_instance_type_allowed,
    rds_instance_class_allowed,
    gcp_machine_type_allowed,
    azure_vm_size_allowed,
    gpu_types_allowed,
]
