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


DEFAULT_UID = 10001
"""UID (and GID) pods run as unless configured: numeric, so the kubelet can verify runAsNonRoot whatever the
image's USER, and at least 10000, above the UIDs a node's own users and daemons have (Checkov CKV_K8S_40)."""

IMAGE_PULL_POLICY = "Always"
"""A tag can be pushed again; `Always` makes the kubelet resolve it against the registry on every start (cached
layers are not downloaded again), so a node never runs a stale or tampered local copy (Checkov CKV_K8S_15)."""


def pod_security_context(run_as_user: int | None = None) -> k8s.core.v1.PodSecurityContextArgsDict:
    """Pod-level hardening: never root, a fixed high UID (DEFAULT_UID unless given), the runtime's default
    seccomp profile."""
    uid = DEFAULT_UID if run_as_user is None else run_as_user
    return {
        "run_as_non_root": True,
        "run_as_user": uid,
        "run_as_group": uid,
        "seccomp_profile": {"type": "RuntimeDefault"},
    }


SERVICE_ACCOUNT_TOKEN_PATH = "/var/run/secrets/kubernetes.io/serviceaccount"
"""Where in-cluster clients (kubectl, client-go) look for the token, CA and namespace."""
TOKEN_LIFETIME_SECONDS = 3600


def service_account_token_volume(name: str) -> k8s.core.v1.VolumeArgsDict:
    """The pod's API credentials as an explicit projected volume, for pods that set
    automount_service_account_token: False (Checkov CKV_K8S_38) but do call the API: a token bound to the pod
    that expires after TOKEN_LIFETIME_SECONDS, the cluster CA and the namespace, at the path clients expect."""
    return {
        "name": name,
        "projected": {
            "sources": [
                {"service_account_token": {"path": "token", "expiration_seconds": TOKEN_LIFETIME_SECONDS}},
                {"config_map": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                {"downward_api": {"items": [{"path": "namespace", "field_ref": {"field_path": "metadata.namespace"}}]}},
            ]
        },
    }


def container_security_context() -> k8s.core.v1.SecurityContextArgsDict:
    """Container-level hardening: read-only root filesystem, no privilege escalation, no capabilities."""
    return {
        "run_as_non_root": True,
        "read_only_root_filesystem": True,
        "allow_privilege_escalation": False,
        "capabilities": {"drop": ["ALL"]},
        "seccomp_profile": {"type": "RuntimeDefault"},
    }
