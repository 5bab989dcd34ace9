"""Kubernetes workloads: where each kind keeps its pod spec, its containers, and resource quantities."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from policies.common.props import Unknown, get, items, mapping, number

_POD_SPEC_PATHS: dict[str, tuple[str, ...]] = {
    "Pod": ("spec",),
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "ReplicationController": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "PodTemplate": ("template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
    # Argo Rollouts, registered through CustomResource with this type token.
    "Rollout": ("spec", "template", "spec"),
}

WORKLOAD_TYPES: frozenset[str] = frozenset(
    {
        "kubernetes:core/v1:Pod",
        "kubernetes:core/v1:PodTemplate",
        "kubernetes:core/v1:ReplicationController",
        "kubernetes:apps/v1:Deployment",
        "kubernetes:apps/v1:StatefulSet",
        "kubernetes:apps/v1:DaemonSet",
        "kubernetes:apps/v1:ReplicaSet",
        "kubernetes:batch/v1:Job",
        "kubernetes:batch/v1:CronJob",
        "kubernetes:argoproj.io/v1alpha1:Rollout",
    }
)
"""Kinds that carry a pod template."""

CLUSTER_SCOPED_KINDS = frozenset(
    {
        "Namespace",
        "Node",
        "PersistentVolume",
        "ClusterRole",
        "ClusterRoleBinding",
        "CustomResourceDefinition",
        "StorageClass",
        "PriorityClass",
        "IngressClass",
        "GatewayClass",
        "ValidatingWebhookConfiguration",
        "MutatingWebhookConfiguration",
        "APIService",
        "CSIDriver",
        "RuntimeClass",
        "ClusterIssuer",
    }
)


def kind_of(resource_type: str) -> str:
    return resource_type.rsplit(":", 1)[-1]


def pod_spec(resource_type: str, props: Any) -> Any:
    """The pod spec of a workload (may be None or `Unknown`)."""
    path = _POD_SPEC_PATHS.get(kind_of(resource_type))
    return get(props, *path) if path else None


def containers(spec: Any, include_init: bool = True) -> Iterator[tuple[str, dict[str, Any]]]:
    """(`containers[i]`-style path, container) for every container, init and ephemeral ones included."""
    groups = ("containers", "initContainers", "ephemeralContainers") if include_init else ("containers",)
    for group in groups:
        for index, container in enumerate(items(get(spec, group))):
            if isinstance(container, dict):
                yield f"{group}[{index}]", container


def container_name(path: str, container: dict[str, Any]) -> str:
    name = container.get("name")
    return f"{path} ({name})" if isinstance(name, str) else path


_QUANTITY = re.compile(r"^\s*([+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+))\s*(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?\s*$")
_SUFFIX_FACTORS: dict[str, float] = {
    "": 1,
    "n": 1e-9,
    "u": 1e-6,
    "m": 1e-3,
    "k": 1e3,
    "M": 1e6,
    "G": 1e9,
    "T": 1e12,
    "P": 1e15,
    "E": 1e18,
    "Ki": 1024,
    "Mi": 1024**2,
    "Gi": 1024**3,
    "Ti": 1024**4,
    "Pi": 1024**5,
    "Ei": 1024**6,
}


def quantity(value: Any) -> float | None:
    """A Kubernetes resource quantity as a plain number: `"500m"` -> 0.5, `"1Gi"` -> 1073741824, `"1e3"` -> 1000.

    Accepts the API's grammar (binary suffixes Ki..Ei, decimal suffixes n..E, or a decimal exponent) and plain
    numbers; None when the value is not a quantity.
    """
    if not isinstance(value, str):
        return number(value)
    match = _QUANTITY.match(value)
    if not match:
        return None
    digits, suffix = match.group(1), match.group(2) or ""
    if suffix in _SUFFIX_FACTORS:
        return number(float(digits) * _SUFFIX_FACTORS[suffix])
    try:
        return number(float(f"{digits}e{suffix[1:]}"))
    except (OverflowError, ValueError):
        return None


def cpu_cores(value: Any) -> float | None:
    """`"500m"` -> 0.5, `"2"`/`2` -> 2.0; None when unparsable."""
    return quantity(value)


def memory_mib(value: Any) -> float | None:
    """`"512Mi"` -> 512.0, `"1Gi"` -> 1024.0, `"1G"` -> 953.67..; plain numbers are bytes. None when unparsable."""
    amount = quantity(value)
    return amount / 1024**2 if amount is not None else None


def namespace_of(props: Any, provider_props: Any = None) -> str | Unknown | None:
    """The object's namespace, else the provider's default namespace, else None (meaning `default`)."""
    found = get(props, "metadata", "namespace")
    if isinstance(found, Unknown):
        return found
    if isinstance(found, str) and found:
        return found
    provider_namespace = get(provider_props, "namespace")
    if isinstance(provider_namespace, str) and provider_namespace:
        return provider_namespace
    return None


def resources_of(container: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(requests, limits) of a container."""
    resources = mapping(container.get("resources"))
    return mapping(resources.get("requests")), mapping(resources.get("limits"))
