"""Log retention, NAT gateways and cost-allocation tags."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from pulumi_policy import Severity

from policies.common.framework import (
    MANDATORY,
    EnvironmentLimits,
    Report,
    ResourceContext,
    StackContext,
    StackReport,
    resource_policy,
    stack_policy,
)
from policies.common.kubernetes import kind_of
from policies.common.props import Unknown, get, number
from policies.common.tags import cloud_of, tag_path

LOG_RETENTION: dict[str, tuple[str, float | None]] = {
    "aws:cloudwatch/logGroup:LogGroup": ("retentionInDays", None),
    "gcp:logging/projectBucketConfig:ProjectBucketConfig": ("retentionDays", 30),
    "gcp:logging/folderBucketConfig:FolderBucketConfig": ("retentionDays", 30),
    "azure-native:operationalinsights:Workspace": ("retentionInDays", 30),
}
"""Type -> (retention property, what the cloud applies when it is unset; None = keep forever)."""


@resource_policy(
    name="log-retention-bounded",
    description="Log groups, logging buckets and Log Analytics workspaces set a retention within the environment's bound.",
    types=tuple(LOG_RETENTION),
    enforcement=MANDATORY,
    severity=Severity.MEDIUM,
    remediation_steps="Set the retention (CloudWatch retentionInDays, GCP retentionDays, Log Analytics retentionInDays) at or below the environment's maximum.",
    limits=EnvironmentLimits(
        properties={"maxDays": {"type": "integer", "minimum": 1, "description": "Longest log retention allowed, days."}},
        defaults={"dev": {"maxDays": 30}, "preview": {"maxDays": 14}, "staging": {"maxDays": 90}, "prod": {"maxDays": 731}},
    ),
)
def log_retention_bounded(resource: ResourceContext, report: Report) -> None:
    key, cloud_default = LOG_RETENTION[resource.type]
    value = get(resource.props, key)
    if isinstance(value, Unknown):
        resource.unknown(key)
        return
    days = number(value)
    if days is None or days == 0:
        days = cloud_default
    maximum = resource.limits["maxDays"]
    if days is None:
        report(
            f"{resource.label}: {key} is unset, so logs are kept forever. Fix: set {key} (at most {maximum} days in {resource.environment.describe()})."
        )
    elif days > maximum:
        report(
            f"{resource.label}: {key} is {days:g} days, above {resource.environment.describe()}'s maximum of {maximum}. Fix: lower it or raise maxDays in the policy config."
        )


NAT_TYPES = ("aws:ec2/natGateway:NatGateway", "gcp:compute/routerNat:RouterNat", "azure-native:network:NatGateway")


@stack_policy(
    name="nat-gateway-count",
    description="Outside production a stack runs at most one NAT gateway per cloud (a single shared one).",
    enforcement=MANDATORY,
    severity=Severity.MEDIUM,
    remediation_steps="Share one NAT gateway across availability zones outside production (Rollway: rollway:aws natGateways: single).",
    limits=EnvironmentLimits(
        properties={
            "maxNatGateways": {
                "type": ["integer", "null"],
                "minimum": 0,
                "description": "Most NAT gateways per cloud; null = no limit.",
            }
        },
        defaults={
            "dev": {"maxNatGateways": 1},
            "preview": {"maxNatGateways": 1},
            "staging": {"maxNatGateways": 1},
            "prod": {"maxNatGateways": None},
        },
    ),
)
def nat_gateway_count(stack: StackContext, report: StackReport) -> None:
    limit = stack.limits["maxNatGateways"]
    if limit is None:
        return
    environment = stack.environment
    for nat_type in NAT_TYPES:
        gateways = [
            resource
            for resource in stack.of_type(nat_type)
            if not (nat_type.startswith("aws:") and get(resource.props, "connectivityType") == "private")
        ]
        if len(gateways) > limit:
            names = ", ".join(resource.name for resource in gateways)
            report(
                f"{len(gateways)} {nat_type} resources ({names}) in {environment.describe()}, more than {limit}. Fix: use a single NAT gateway outside production (rollway:aws natGateways: single).",
                None,
            )


@lru_cache(maxsize=1)
def taggable_types() -> frozenset[str]:
    """AWS/Azure types taking `tags` and GCP types taking `labels` (generated from the SDKs, see the generator)."""
    path = Path(__file__).resolve().parents[1] / "common" / "taggable_types.txt"
    return frozenset(line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip())


def is_taggable(resource_type: str, props: Any) -> bool:
    if resource_type.startswith("kubernetes:"):
        return kind_of(resource_type) not in ("List", "Namespace") and isinstance(get(props, "metadata"), dict)
    return resource_type in taggable_types()


class _TaggableTypes(frozenset[str]):
    """Every type of the clouds whose resources can carry tags/labels (decided per resource in the check)."""

    def __contains__(self, item: object) -> bool:
        return isinstance(item, str) and cloud_of(item) in ("aws", "gcp", "azure", "kubernetes")


REQUIRED_TAGS = ["cost-center", "owner", "environment"]


def _label_value(cloud: str, value: str) -> str:
    if cloud in ("gcp", "kubernetes"):
        cleaned = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in value.lower())[:63].strip("-_")
        return cleaned or "x"
    return value


def _fix_tags(props: dict[str, Any], resource: ResourceContext) -> bool:
    """Fill in missing cost tags: `environment` from the stack's environment, others from `defaults` config."""
    if not is_taggable(resource.type, resource.props):
        return False
    current = resource.tags
    if isinstance(current, Unknown):
        return False
    cloud = cloud_of(resource.type)
    defaults = resource.config["defaults"] if isinstance(resource.config["defaults"], dict) else {}
    environment = resource.environment
    additions: dict[str, str] = {}
    for key in resource.config["requiredTags"]:
        if isinstance(key, str) and current.get(key) in (None, ""):
            if key == "environment":
                if environment.guessed:
                    continue  # Only a tag, config or stack name may say which environment this is.
                additions[key] = _label_value(cloud, environment.name)
            elif isinstance(defaults.get(key), str):
                additions[key] = _label_value(cloud, defaults[key])
    if not additions:
        return False
    container: dict[str, Any] = props
    path = tag_path(resource.type)
    for step in path[:-1]:
        child = container.get(step)
        if not isinstance(child, dict):
            child = {}
            container[step] = child
        container = child
    tags = container.get(path[-1])
    if not isinstance(tags, dict):
        tags = {}
        container[path[-1]] = tags
    tags.update(additions)
    return True


@resource_policy(
    name="required-cost-tags",
    description="Everything taggable carries the cost-allocation tags/labels cost-center, owner and environment.",
    types=_TaggableTypes(),
    enforcement=MANDATORY,
    severity=Severity.MEDIUM,
    remediation_steps="Pass the stack's tags (Rollway: rollway:tags plus the environment) to every taggable resource; remediation can fill environment and configured defaults.",
    config={
        "requiredTags": {
            "type": "array",
            "items": {"type": "string"},
            "default": REQUIRED_TAGS,
            "description": "Tag/label keys every taggable resource must carry.",
        },
        "defaults": {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "default": {},
            "description": "Values remediation fills in for missing tags (environment is always derived).",
        },
    },
    fix=_fix_tags,
)
def required_cost_tags(resource: ResourceContext, report: Report) -> None:
    if not is_taggable(resource.type, resource.props):
        return
    tags = resource.tags
    where = ".".join(tag_path(resource.type))
    if isinstance(tags, Unknown):
        resource.unknown(where)
        return
    missing = [
        key for key in resource.config["requiredTags"] if isinstance(key, str) and (tags.get(key) is None or tags.get(key) == "")
    ]
    if missing:
        report(
            f"{resource.label}: {where} lacks {', '.join(missing)}. Fix: add them (Rollway passes config.effective_tags / config.labels to every child)."
        )


POLICIES = [log_retention_bounded, nat_gateway_count, required_cost_tags]
