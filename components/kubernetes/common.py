"""Pieces every Kubernetes family shares: selector labels, resource quantities and the hardened security contexts.

Selector label keys carry a DNS prefix (`app.kubernetes.io/`, `rollway.io/`). Config labels pass through
`label_safe`, which never yields `/` or `.`, so a user's tag can never shadow a selector label.
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi_kubernetes as k8s

from rollway.helpers import NAME_HASH_CHARS, Color, cpu_quantity, dns_label, memory_quantity

__all__ = [
    "NAME_HASH_CHARS",
    "app_selector",
    "color_selector",
    "container_security_context",
    "cpu_quantity",
    "dns_label",
    "memory_quantity",
    "pod_security_context",
    "with_labels",
]

APP_LABEL = "app.kubernetes.io/name"
"""Names the service a pod belongs to (both colors)."""
COLOR_LABEL = "rollway.io/color"
"""The slot (blue or green) a pod belongs to."""
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
COMPONENT_LABEL = "app.kubernetes.io/component"
"""Tells apart the pods of one service that are not its workload (e.g. the scaling schedule jobs)."""

SKIP_AWAIT = "pulumi.com/skipAwait"
"""Annotation telling the Kubernetes provider not to wait for readiness (see where it is used for why)."""


def app_selector(app: str) -> dict[str, str]:
    """Selects every pod of a service, whatever its color."""
    return {APP_LABEL: app}


def color_selector(app: str, color: Color) -> dict[str, str]:
    """Selects the pods of one color of a service."""
    return {APP_LABEL: app, COLOR_LABEL: color}


def with_labels(labels: Mapping[str, str], selector: Mapping[str, str] | None = None) -> dict[str, str]:
    """Config labels plus Rollway's marker, with the selector labels laid on top (they must win)."""
    return {**labels, MANAGED_BY_LABEL: "rollway", **(selector or {})}


def pod_security_context(run_as_user: int | None = None) -> k8s.core.v1.PodSecurityContextArgsDict:
    """Pod-level hardening: never root, the runtime's default seccomp profile."""
    context: k8s.core.v1.PodSecurityContextArgsDict = {
        "run_as_non_root": True,
        "seccomp_profile": {"type": "RuntimeDefault"},
    }
    if run_as_user is not None:
        context["run_as_user"] = run_as_user
        context["run_as_group"] = run_as_user
    return context


def container_security_context() -> k8s.core.v1.SecurityContextArgsDict:
    """Container-level hardening: read-only root filesystem, no privilege escalation, no capabilities."""
    return {
        "run_as_non_root": True,
        "read_only_root_filesystem": True,
        "allow_privilege_escalation": False,
        "capabilities": {"drop": ["ALL"]},
        "seccomp_profile": {"type": "RuntimeDefault"},
    }
