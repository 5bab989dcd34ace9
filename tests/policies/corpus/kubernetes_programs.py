"""Kubernetes corpus programs (CIS Kubernetes, Pod Security Standards, Checkov CKV_K8S_*)."""

from __future__ import annotations

from typing import Any

import pulumi_kubernetes as k8s

from corpus.program import Program

NAMESPACE = "shop"
IMAGE = "registry.k8s.io/e2e-test-images/agnhost:2.52"


def _hardened_container(**overrides: Any) -> dict[str, Any]:
    container: dict[str, Any] = {
        "name": "app",
        "image": IMAGE,
        "security_context": {
            "run_as_non_root": True,
            "run_as_user": 10001,
            "allow_privilege_escalation": False,
            "read_only_root_filesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "500m", "memory": "256Mi"}},
    }
    container.update(overrides)
    return container


def _deployment(name: str, container: dict[str, Any], **pod: Any) -> None:
    k8s.apps.v1.Deployment(
        name,
        metadata={"name": name, "namespace": NAMESPACE},
        spec={
            "selector": {"match_labels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [container], "security_context": {"seccomp_profile": {"type": "RuntimeDefault"}}, **pod},
            },
        },
    )


def _secure_context(**changes: Any) -> dict[str, Any]:
    context: dict[str, Any] = dict(_hardened_container()["security_context"])
    context.update(changes)
    return context


def _cluster_admin_to_default() -> None:
    k8s.rbac.v1.ClusterRoleBinding(
        "ci-admin",
        role_ref={"api_group": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
        subjects=[{"kind": "ServiceAccount", "name": "default", "namespace": NAMESPACE}],
    )


def _open_load_balancer() -> None:
    k8s.core.v1.Service(
        "web",
        metadata={"namespace": NAMESPACE},
        spec={"type": "LoadBalancer", "selector": {"app": "web"}, "ports": [{"port": 443, "target_port": 8443}]},
    )


def _namespace_with_policy() -> None:
    namespace = k8s.core.v1.Namespace("team", metadata={"name": "team"})
    k8s.networking.v1.NetworkPolicy(
        "team-default-deny",
        metadata={"name": "default-deny", "namespace": namespace.metadata.name},
        spec={"pod_selector": {}, "policy_types": ["Ingress", "Egress"]},
    )


def _namespace_without_policy() -> None:
    namespace = k8s.core.v1.Namespace("payments", metadata={"name": "payments"})
    k8s.core.v1.ConfigMap("payments-settings", metadata={"namespace": namespace.metadata.name}, data={"LOG_LEVEL": "info"})


def _view_binding() -> None:
    k8s.rbac.v1.RoleBinding(
        "reader",
        metadata={"namespace": NAMESPACE},
        role_ref={"api_group": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
        subjects=[{"kind": "ServiceAccount", "name": "dashboard", "namespace": NAMESPACE}],
    )


PROGRAMS = [
    Program(
        "k8s-privileged",
        True,
        "CKV_K8S_16 / PSS baseline",
        lambda: _deployment("agent", _hardened_container(security_context=_secure_context(privileged=True))),
    ),
    Program(
        "k8s-host-network",
        True,
        "CKV_K8S_19 / PSS baseline",
        lambda: _deployment("sniffer", _hardened_container(), host_network=True),
    ),
    Program(
        "k8s-sys-admin",
        True,
        "CKV_K8S_39 / PSS baseline",
        lambda: _deployment(
            "fuse", _hardened_container(security_context=_secure_context(capabilities={"add": ["SYS_ADMIN"], "drop": ["ALL"]}))
        ),
    ),
    Program(
        "k8s-net-raw",
        True,
        "CKV_K8S_28 / PSS baseline",
        lambda: _deployment("pinger", _hardened_container(security_context=_secure_context(capabilities={"add": ["NET_RAW"]}))),
    ),
    Program("k8s-cluster-admin-default-sa", True, "CKV_K8S_155-family / CIS K8s 5.1.1", _cluster_admin_to_default),
    Program(
        "k8s-latest-tag",
        True,
        "CKV_K8S_14",
        lambda: _deployment("web", _hardened_container(image="registry.k8s.io/pause:latest")),
    ),
    Program(
        "k8s-run-as-root",
        True,
        "CKV_K8S_23 / PSS restricted",
        lambda: _deployment(
            "legacy", _hardened_container(security_context=_secure_context(run_as_non_root=False, run_as_user=0))
        ),
    ),
    Program(
        "k8s-docker-socket",
        True,
        "CKV_K8S_27 / PSS baseline",
        lambda: _deployment(
            "builder",
            _hardened_container(volume_mounts=[{"name": "docker", "mount_path": "/var/run/docker.sock"}]),
            volumes=[{"name": "docker", "host_path": {"path": "/var/run/docker.sock"}}],
        ),
    ),
    Program(
        "k8s-secret-in-env",
        True,
        "CKV_K8S_35-family / secrets",
        lambda: _deployment(
            "worker",
            _hardened_container(env=[{"name": "GITHUB_TOKEN", "value": "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"}]),
        ),
    ),
    Program(
        "k8s-untrusted-registry",
        True,
        "registry allow-list (configured)",
        lambda: _deployment("miner", _hardened_container(image="docker.io/randomuser/miner:1.0")),
    ),
    Program("k8s-namespace-without-network-policy", True, "CKV_K8S_* NetworkPolicy / CIS K8s 5.3.2", _namespace_without_policy),
    Program("k8s-loadbalancer-open", True, "Checkov CKV2_K8S-family / exposure", _open_load_balancer),
    Program("k8s-compliant-deployment", False, "PSS restricted", lambda: _deployment("api", _hardened_container())),
    Program("k8s-compliant-namespace", False, "CIS K8s 5.3.2", _namespace_with_policy),
    Program("k8s-compliant-view-binding", False, "CIS K8s 5.1", _view_binding),
]
