"""What a change does to a stack: two recordings in, creates / updates / replaces / deletes out.

Both sides are evaluated with plausible outputs, so a reference to another resource is a concrete, deterministic
string on both sides (an ARN, a self link). Those strings are how changed paths get labelled in the user's terms:
`targetGroups[web-blue].weight`, not `targetGroups[0].weight`, and a mock ARN is shown as `web-blue.arn (mock)`.

A replacement is what the provider would recreate: a change to a property its schema marks force-new. The
schemas are not available offline, so `_FORCE_NEW` lists those properties for the resource types Rollway's
components create plus the identity properties most providers share (names, locations, namespaces); a
rename or a move to another parent changes the URN, which Pulumi also shows as a replace.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from rollway.testing import RecordedResource, Secret

ChangeKind = Literal["create", "update", "replace", "delete"]
KIND_ORDER: tuple[ChangeKind, ...] = ("replace", "delete", "create", "update")
CATEGORY_ORDER = ("data", "network", "workload", "routing", "scaling", "other")

_MISSING: Any = object()
_COLORS = ("blue", "green")
_OUTPUT_MIN_LENGTH = 8

# Force-new properties by type (exact token) and, for identities shared by most types, by provider package.
_FORCE_NEW: dict[str, tuple[str, ...]] = {
    "aws:lb/targetGroup:TargetGroup": ("name", "namePrefix", "port", "protocol", "vpcId", "targetType"),
    "aws:lb/loadBalancer:LoadBalancer": ("name", "namePrefix", "internal", "loadBalancerType"),
    "aws:ecs/taskDefinition:TaskDefinition": ("family", "containerDefinitions", "cpu", "memory", "networkMode"),
    "aws:ec2/vpc:Vpc": ("cidrBlock",),
    "aws:ec2/subnet:Subnet": ("cidrBlock", "vpcId", "availabilityZone"),
    "aws:ec2/securityGroup:SecurityGroup": ("name", "namePrefix", "vpcId", "description"),
    "aws:rds/instance:Instance": ("engine", "identifier", "dbName", "storageEncrypted", "kmsKeyId"),
    "aws:s3/bucket:Bucket": ("bucket", "bucketPrefix"),
    "aws:ecs/service:Service": ("name", "cluster", "launchType"),
    "gcp:compute/instanceTemplate:InstanceTemplate": ("*",),
    "gcp:compute/subnetwork:Subnetwork": ("network", "ipCidrRange"),
    "kubernetes:apps/v1:Deployment": ("spec.selector",),
    "kubernetes:core/v1:Service": ("spec.clusterIP", "spec.type"),
}
_PACKAGE_FORCE_NEW: dict[str, tuple[str, ...]] = {
    "gcp": ("name", "project", "region", "zone", "location"),
    "azure-native": ("resourceGroupName", "location", "name"),
    "kubernetes": ("metadata.name", "metadata.namespace", "apiVersion", "kind"),
    "aws": ("availabilityZone",),
}

# Category of a resource type, by words in its type token (checked in this order).
_CATEGORY_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("scaling", ("autoscal", "scheduledaction", "scalingpolicy", "scalingplan")),
    (
        "data",
        (
            "rds",
            "dynamodb",
            "s3/",
            "bucket",
            "sql",
            "database",
            "elasticache",
            "redis",
            "cosmos",
            "storageaccount",
            "persistentvolume",
            "disk",
        ),
    ),
    (
        "routing",
        (
            "core/v1:service",
            "listener",
            "urlmap",
            "afdorigin",
            "afdroute",
            "afdendpoint",
            "httproute",
            "virtualservice",
            "ingress",
            "route53",
            "targethttp",
            "dns",
            "trafficmanager",
            "frontdoor",
        ),
    ),
    (
        "workload",
        (
            "ecs/service",
            "taskdefinition",
            "apps/v1",
            "instancetemplate",
            "instancegroupmanager",
            "cloudrun",
            "containerapp",
            "webapp",
            "virtualmachine",
            "batch/v1",
            "targetgroup",
            "backendservice",
            "healthcheck",
            "configmap",
            "core/v1:pod",
        ),
    ),
    (
        "network",
        (
            "ec2/",
            "network",
            "subnet",
            "firewall",
            "securitygroup",
            "router",
            "natgateway",
            "vpc",
            "peering",
            "publicip",
            "address",
        ),
    ),
)


@dataclass(frozen=True)
class PathDelta:
    """One changed input path."""

    path: str
    """The engine's path (`defaultActions[0].forward.targetGroups[0].weight`)."""
    label: str
    """The same path in the user's terms (`defaultActions[0].forward.targetGroups[web-blue].weight`)."""
    old: Any
    """Value at the base (None when the path is new)."""
    new: Any
    """Value at the change (None when the path is gone)."""
    forces_replace: bool = False
    """Whether the provider recreates the resource for this change."""


@dataclass(frozen=True)
class Change:
    """What happens to one resource."""

    kind: ChangeKind
    urn: str
    type: str
    name: str
    custom: bool
    """False for component resources (logical groupings; nothing is created in a cloud)."""
    category: str
    """routing, workload, network, data, scaling or other."""
    paths: tuple[PathDelta, ...] = ()
    reason: str = ""
    """Why a replace is a replace, in words."""

    @property
    def cloud(self) -> str:
        return self.type.split(":", 1)[0]


@dataclass
class Comparison:
    """Every change between two recordings, with the lookups renderers need."""

    changes: list[Change]
    mock_values: dict[str, str] = field(default_factory=dict)
    """Plausible output strings (ARNs, ids, self links) by value -> `resource.output`."""

    def of_kind(self, kind: ChangeKind) -> list[Change]:
        return [change for change in self.changes if change.kind == kind]

    def counts(self) -> dict[str, int]:
        return {kind: len(self.of_kind(kind)) for kind in ("create", "update", "replace", "delete")}

    @property
    def custom_changes(self) -> list[Change]:
        return [change for change in self.changes if change.custom]


def category_of(type_token: str) -> str:
    lowered = type_token.lower()
    for category, words in _CATEGORY_WORDS:
        if any(word in lowered for word in words):
            return category
    return "other"


def mock_values(resources: Iterable[RecordedResource]) -> dict[str, str]:
    """Output strings long enough to be identities (ids, ARNs, self links), mapped to `resource.output`."""
    found: dict[str, str] = {}
    for resource in resources:
        if not resource.custom or resource.is_provider:
            continue
        if isinstance(resource.id, str) and len(resource.id) >= _OUTPUT_MIN_LENGTH:
            found.setdefault(resource.id, f"{resource.name}.id")
        for key, value in sorted(resource.outputs.items()):
            identity = key in ("arn", "id", "selfLink", "selfLinkUnique") or key.endswith(("Arn", "Id", "selfLink"))
            if identity and isinstance(value, str) and len(value) >= _OUTPUT_MIN_LENGTH and value not in found:
                found[value] = f"{resource.name}.{key}"
    return found


def compare(base: Sequence[RecordedResource], head: Sequence[RecordedResource]) -> Comparison:
    """Changes from base to head, keyed by URN (both already written with the same stack name)."""
    values = mock_values(base)
    values.update(mock_values(head))
    labeller = _Labeller(values)
    before = {resource.urn: resource for resource in base if not resource.is_provider}
    after = {resource.urn: resource for resource in head if not resource.is_provider}
    moved = _moves(before, after)
    changes: list[Change] = []
    for urn, resource in after.items():
        previous = before.get(urn)
        if previous is None and urn in moved:
            previous = before[moved[urn]]
        if previous is None:
            changes.append(_change("create", resource, ()))
            continue
        paths = tuple(labeller.walk(previous.inputs, resource.inputs, "", "", _force_new(resource.type)))
        paths += tuple(labeller.walk(previous.options, resource.options, "options", "options", ()))
        if previous.urn != urn:
            old_parent = (previous.parent or "").rsplit("::", 1)[-1] or "stack"
            new_parent = (resource.parent or "").rsplit("::", 1)[-1] or "stack"
            changes.append(_change("replace", resource, paths, f"moved from parent {old_parent} to {new_parent}"))
        elif any(path.forces_replace for path in paths):
            forced = ", ".join(path.label for path in paths if path.forces_replace)
            changes.append(_change("replace", resource, paths, f"{forced} cannot change in place"))
        elif paths:
            changes.append(_change("update", resource, paths))
    for urn, resource in before.items():
        if urn not in after and urn not in moved.values():
            changes.append(_change("delete", resource, ()))
    changes.sort(key=lambda change: (KIND_ORDER.index(change.kind), not change.custom, change.type, change.name))
    return Comparison(changes, values)


def _change(kind: ChangeKind, resource: RecordedResource, paths: tuple[PathDelta, ...], reason: str = "") -> Change:
    return Change(kind, resource.urn, resource.type, resource.name, resource.custom, category_of(resource.type), paths, reason)


def _moves(before: Mapping[str, RecordedResource], after: Mapping[str, RecordedResource]) -> dict[str, str]:
    """New URN -> old URN for custom resources whose type and name stayed but whose parent changed (one candidate each)."""
    gone: dict[tuple[str, str], list[str]] = {}
    for urn, resource in before.items():
        if urn not in after and resource.custom:
            gone.setdefault((resource.type, resource.name), []).append(urn)
    moves: dict[str, str] = {}
    for urn, resource in after.items():
        candidates = gone.get((resource.type, resource.name), [])
        if urn not in before and len(candidates) == 1:
            moves[urn] = candidates[0]
    return moves


def _force_new(type_token: str) -> tuple[str, ...]:
    return _FORCE_NEW.get(type_token, ()) + _PACKAGE_FORCE_NEW.get(type_token.split(":", 1)[0], ())


def _forces(path: str, force_new: tuple[str, ...]) -> bool:
    if "*" in force_new:
        return True
    return any(path == key or path.startswith((key + ".", key + "[")) for key in force_new)


class _Labeller:
    """Walks two input trees; names list items by what they are (a color, a name, the resource they point at)."""

    def __init__(self, values: Mapping[str, str]) -> None:
        self.values = values

    def item_label(self, item: Any) -> str | None:
        if isinstance(item, str):
            return None
        if not isinstance(item, dict):
            return None
        for key in ("name", "headerName", "key"):
            if isinstance(item.get(key), str) and item[key]:
                return str(item[key])
        for value in item.values():
            if isinstance(value, str) and value in self.values:
                return self.values[value].rsplit(".", 1)[0]
        colors = {color for color in _COLORS if re.search(rf"\b{color}\b", repr(item))}
        return colors.pop() if len(colors) == 1 else None

    def walk(self, old: Any, new: Any, path: str, label: str, force_new: tuple[str, ...]) -> list[PathDelta]:
        if isinstance(old, Secret) and isinstance(new, Secret):
            # Secret values are compared but never revealed.
            return [] if old.value == new.value else [self._delta(path, label, old, new, force_new)]
        if isinstance(old, dict) and isinstance(new, dict):
            deltas: list[PathDelta] = []
            for key in sorted(set(old) | set(new), key=str):
                join = f"{path}.{key}" if path else str(key)
                join_label = f"{label}.{key}" if label else str(key)
                deltas += self.walk(old.get(key, _MISSING), new.get(key, _MISSING), join, join_label, force_new)
            return deltas
        if isinstance(old, list) and isinstance(new, list):
            return self._walk_list(old, new, path, label, force_new)
        if old is _MISSING and new is _MISSING:
            return []
        if old == new and type(old) is type(new):
            return []
        return [self._delta(path, label, old, new, force_new)]

    def _walk_list(self, old: list[Any], new: list[Any], path: str, label: str, force_new: tuple[str, ...]) -> list[PathDelta]:
        old_labels = [self.item_label(item) for item in old]
        new_labels = [self.item_label(item) for item in new]
        by_label = all(old_labels) and all(new_labels)
        by_label = by_label and len(set(old_labels)) == len(old) and len(set(new_labels)) == len(new)
        deltas: list[PathDelta] = []
        if by_label:
            old_at = {name: index for index, name in enumerate(old_labels)}
            new_at = {name: index for index, name in enumerate(new_labels)}
            for name in [*new_labels, *(name for name in old_labels if name not in new_at)]:
                i, j = old_at.get(name), new_at.get(name)
                index = j if j is not None else i
                deltas += self.walk(
                    old[i] if i is not None else _MISSING,
                    new[j] if j is not None else _MISSING,
                    f"{path}[{index}]",
                    f"{label}[{name}]",
                    force_new,
                )
            return deltas
        if len(old) == len(new):
            for index, (a, b) in enumerate(zip(old, new, strict=True)):
                deltas += self.walk(a, b, f"{path}[{index}]", f"{label}[{index}]", force_new)
            return deltas
        return [self._delta(path, label, old, new, force_new)]

    @staticmethod
    def _delta(path: str, label: str, old: Any, new: Any, force_new: tuple[str, ...]) -> PathDelta:
        return PathDelta(
            path,
            label,
            None if old is _MISSING else old,
            None if new is _MISSING else new,
            forces_replace=_forces(path, force_new),
        )
