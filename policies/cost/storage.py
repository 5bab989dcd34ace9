"""Storage: size caps per environment, gp3 over gp2, provisioned-IOPS volumes only where allowed."""

from __future__ import annotations

from typing import Any

from pulumi_policy import Severity

from policies.common.framework import ADVISORY, MANDATORY, EnvironmentLimits, Report, ResourceContext, resource_policy
from policies.common.kubernetes import memory_mib
from policies.common.props import Unknown, get, items, number

EBS_VOLUME = "aws:ebs/volume:Volume"
EC2_INSTANCE = "aws:ec2/instance:Instance"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
RDS_INSTANCE = "aws:rds/instance:Instance"
RDS_CLUSTER = "aws:rds/cluster:Cluster"
PVC = "kubernetes:core/v1:PersistentVolumeClaim"


def storage_sizes(resource_type: str, props: Any) -> list[tuple[str, Any]]:
    """(where, GiB) of each storage size a resource asks for (PVC quantities converted to GiB)."""
    found: list[tuple[str, Any]] = []
    if resource_type == EBS_VOLUME:
        found.append(("size", get(props, "size")))
    elif resource_type == EC2_INSTANCE:
        found.append(("rootBlockDevice.volumeSize", get(props, "rootBlockDevice", "volumeSize")))
        found += [
            (f"ebsBlockDevices[{i}].volumeSize", get(d, "volumeSize")) for i, d in enumerate(items(get(props, "ebsBlockDevices")))
        ]
    elif resource_type == LAUNCH_TEMPLATE:
        found += [
            (f"blockDeviceMappings[{i}].ebs.volumeSize", get(m, "ebs", "volumeSize"))
            for i, m in enumerate(items(get(props, "blockDeviceMappings")))
        ]
    elif resource_type == RDS_INSTANCE:
        found += [
            ("allocatedStorage", get(props, "allocatedStorage")),
            ("maxAllocatedStorage", get(props, "maxAllocatedStorage")),
        ]
    elif resource_type == "gcp:compute/disk:Disk":
        found.append(("size", get(props, "size")))
    elif resource_type == "gcp:compute/instance:Instance":
        found.append(("bootDisk.initializeParams.size", get(props, "bootDisk", "initializeParams", "size")))
    elif resource_type == "gcp:sql/databaseInstance:DatabaseInstance":
        found += [
            ("settings.diskSize", get(props, "settings", "diskSize")),
            ("settings.diskAutoresizeLimit", get(props, "settings", "diskAutoresizeLimit")),
        ]
    elif resource_type == "azure-native:compute:Disk":
        found.append(("diskSizeGB", get(props, "diskSizeGB")))
    elif resource_type == PVC:
        quantity = get(props, "spec", "resources", "requests", "storage")
        mib = memory_mib(quantity) if not isinstance(quantity, Unknown) else quantity
        found.append(("spec.resources.requests.storage", mib if isinstance(mib, Unknown) or mib is None else mib / 1024))
    return [(where, value) for where, value in found if value is not None]


STORAGE_TYPES = (
    EBS_VOLUME,
    EC2_INSTANCE,
    LAUNCH_TEMPLATE,
    RDS_INSTANCE,
    "gcp:compute/disk:Disk",
    "gcp:compute/instance:Instance",
    "gcp:sql/databaseInstance:DatabaseInstance",
    "azure-native:compute:Disk",
    PVC,
)


@resource_policy(
    name="storage-size-cap",
    description="Disks, volumes, database storage and PersistentVolumeClaims stay under the environment's size cap.",
    types=STORAGE_TYPES,
    enforcement=MANDATORY,
    severity=Severity.MEDIUM,
    remediation_steps="Request less storage (grow it later), or raise maxGib for the environment in the policy config.",
    limits=EnvironmentLimits(
        properties={
            "maxGib": {"type": "number", "minimum": 1, "description": "Largest single disk/volume/database storage, GiB."}
        },
        defaults={"dev": {"maxGib": 100}, "preview": {"maxGib": 50}, "staging": {"maxGib": 500}, "prod": {"maxGib": 4096}},
    ),
)
def storage_size_cap(resource: ResourceContext, report: Report) -> None:
    cap = float(resource.limits["maxGib"])
    for where, value in storage_sizes(resource.type, resource.props):
        if isinstance(value, Unknown):
            resource.unknown(where)
            continue
        size = number(value)
        if size is not None and size > cap:
            report(
                f"{resource.label}: {where} is {size:g} GiB, above {resource.environment.describe()}'s cap of {cap:g} GiB. Fix: request less (storage can grow later) or raise maxGib in the policy config."
            )


def volume_types(resource_type: str, props: Any) -> list[tuple[str, Any]]:
    """(where, EBS/RDS volume type) of each volume a resource declares."""
    if resource_type == EBS_VOLUME:
        return [("type", get(props, "type"))]
    if resource_type == EC2_INSTANCE:
        found = [("rootBlockDevice.volumeType", get(props, "rootBlockDevice", "volumeType"))]
        return found + [
            (f"ebsBlockDevices[{i}].volumeType", get(d, "volumeType")) for i, d in enumerate(items(get(props, "ebsBlockDevices")))
        ]
    if resource_type == LAUNCH_TEMPLATE:
        return [
            (f"blockDeviceMappings[{i}].ebs.volumeType", get(m, "ebs", "volumeType"))
            for i, m in enumerate(items(get(props, "blockDeviceMappings")))
        ]
    if resource_type in (RDS_INSTANCE, RDS_CLUSTER):
        return [("storageType", get(props, "storageType"))]
    if resource_type == "gcp:compute/disk:Disk":
        return [("type", get(props, "type"))]
    if resource_type == "azure-native:compute:Disk":
        return [("sku.name", get(props, "sku", "name"))]
    return []


def _fix_gp3(props: dict[str, Any], resource: ResourceContext) -> bool:
    changed = False
    if resource.type == EBS_VOLUME and props.get("type") == "gp2":
        props["type"] = "gp3"
        changed = True
    if resource.type == EC2_INSTANCE:
        root = props.get("rootBlockDevice")
        if isinstance(root, dict) and root.get("volumeType") == "gp2":
            root["volumeType"] = "gp3"
            changed = True
    return changed


@resource_policy(
    name="ebs-gp3-over-gp2",
    description="EBS and RDS storage uses gp3 rather than gp2 (about 20% cheaper with a better baseline).",
    types=(EBS_VOLUME, EC2_INSTANCE, LAUNCH_TEMPLATE, RDS_INSTANCE),
    enforcement=ADVISORY,
    severity=Severity.LOW,
    remediation_steps="Set the volume type / storageType to gp3 (EBS volumes change type in place, without downtime).",
    fix=_fix_gp3,
)
def ebs_gp3_over_gp2(resource: ResourceContext, report: Report) -> None:
    for where, kind in volume_types(resource.type, resource.props):
        if kind == "gp2":
            report(f"{resource.label}: {where} is gp2. Fix: use gp3 (cheaper per GiB, 3000 IOPS baseline).")


PROVISIONED_IOPS = frozenset({"io1", "io2", "pd-extreme", "hyperdisk-extreme", "UltraSSD_LRS"})


@resource_policy(
    name="no-provisioned-iops-outside-prod",
    description="Provisioned-IOPS storage (io1/io2, pd-extreme, Ultra Disk) is only used in the allowed environments.",
    types=(
        EBS_VOLUME,
        EC2_INSTANCE,
        LAUNCH_TEMPLATE,
        RDS_INSTANCE,
        RDS_CLUSTER,
        "gcp:compute/disk:Disk",
        "azure-native:compute:Disk",
    ),
    enforcement=MANDATORY,
    severity=Severity.MEDIUM,
    remediation_steps="Use gp3 (or pd-balanced / Premium SSD) outside production.",
    config={
        "allowedEnvironments": {
            "type": "array",
            "items": {"type": "string", "enum": ["dev", "staging", "prod", "preview"]},
            "default": ["prod"],
            "description": "Environments where provisioned-IOPS storage is allowed.",
        }
    },
)
def no_provisioned_iops_outside_prod(resource: ResourceContext, report: Report) -> None:
    environment = resource.environment
    if environment.name in resource.config["allowedEnvironments"]:
        return
    for where, kind in volume_types(resource.type, resource.props):
        if isinstance(kind, str) and kind in PROVISIONED_IOPS:
            report(
                f"{resource.label}: {where} is {kind} (provisioned IOPS) in {environment.describe()}. Fix: use gp3 / pd-balanced / Premium SSD outside production."
            )


POLICIES = [storage_size_cap, ebs_gp3_over_gp2, no_provisioned_iops_outside_prod]
