"""Kubernetes security policies: pod hardening, images, Services, namespaces, NetworkPolicy coverage."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pulumi_policy import Severity

from policies.common.framework import (
    ADVISORY,
    MANDATORY,
    Report,
    ResourceContext,
    StackContext,
    StackReport,
    resource_policy,
    stack_policy,
)
from policies.common.kubernetes import (
    WORKLOAD_TYPES,
    container_name,
    containers,
    namespace_of,
    pod_spec,
    resources_of,
)
from policies.common.network import is_public_source
from policies.common.props import Unknown, flag, get, items, number, strings


def _pod(resource: ResourceContext) -> dict[str, Any] | None:
    spec = pod_spec(resource.type, resource.props)
    if isinstance(spec, Unknown):
        resource.unknown("pod spec")
        return None
    return spec if isinstance(spec, dict) else None


def _containers(resource: ResourceContext) -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(label, container, pod spec) of each container of a workload."""
    spec = _pod(resource)
    if spec is None:
        return
    for path, container in containers(spec):
        yield container_name(path, container), container, spec


def _setting(container: dict[str, Any], pod: dict[str, Any], key: str) -> Any:
    """A securityContext setting, the container's own value winning over the pod's."""
    own = get(container, "securityContext", key)
    return own if own is not None else get(pod, "securityContext", key)


@resource_policy(
    name="k8s-no-privileged-containers",
    description="Kubernetes workloads run no privileged containers.",
    types=WORKLOAD_TYPES,
    enforcement=MANDATORY,
    severity=Severity.CRITICAL,
    remediation_steps="Remove securityContext.privileged: true; add only the specific capability needed.",
)
def k8s_no_privileged_containers(resource: ResourceContext, report: Report) -> None:
    for label, container, _pod_spec in _containers(resource):
        if flag(get(container, "securityContext", "privileged")) is True:
            report(f"{resource.label}: {label} is privileged. Fix: remove securityContext.privileged.")


@resource_policy(
    name="k8s-no-host-namespaces",
    description="Kubernetes pods do not share the node's network, PID or IPC namespaces.",
    types=WORKLOAD_TYPES,
    enforcement=MANDATORY,
    severity=Severity.CRITICAL,
    remediation_steps="Remove hostNetwork, hostPID and hostIPC from the pod spec.",
)
def k8s_no_host_namespaces(resource: ResourceContext, report: Report) -> None:
    spec = _pod(resource)
    if spec is None:
        return
    shared = [key for key in ("hostNetwork", "hostPID", "hostIPC") if flag(spec.get(key)) is True]
    if shared:
        report(f"{resource.label}: pod spec sets {', '.join(shared)}. Fix: remove them; expose ports through a Service instead.")


@resource_policy(
    name="k8s-no-host-path-volumes",
    description="Kubernetes pods mount no hostPath volumes.",
    types=WORKLOAD_TYPES,
    enforcement=MANDATORY,
    severity=Severity.HIGH,
    remediation_steps="Use emptyDir, a PersistentVolumeClaim, a ConfigMap or a Secret instead of hostPath.",
)
def k8s_no_host_path_volumes(resource: ResourceContext, report: Report) -> None:
    spec = _pod(resource)
    if spec is None:
        return
    for index, volume in enumerate(items(spec.get("volumes"))):
        if get(volume, "hostPath") is not None:
            report(
                f"{resource.label}: volumes[{index}] ({get(volume, 'name')}) mounts hostPath {get(volume, 'hostPath', 'path')}. Fix: use emptyDir or a PersistentVolumeClaim."
            )


@resource_policy(
    name="k8s-run-as-non-root",
    description="Kubernetes containers run as a non-root user (runAsNonRoot, or a non-zero runAsUser).",
    types=WORKLOAD_TYPES,
    enforcement=MANDATORY,
    severity=Severity.HIGH,
    remediation_steps="Set securityContext.runAsNonRoot: true on the pod (and a numeric non-root USER in the image).",
)
def k8s_run_as_non_root(resource: ResourceContext, report: Report) -> None:
    for label, container, pod in _containers(resource):
        non_root, user = _setting(container, pod, "runAsNonRoot"), _setting(container, pod, "runAsUser")
        if isinstance(non_root, Unknown) or isinstance(user, Unknown):
            resource.unknown(f"{label} securityContext")
            continue
        uid = number(user)
        if uid == 0 or (flag(non_root) is not True and (uid is None or uid <= 0)):
            report(
                f"{resource.label}: {label} may run as root (runAsNonRoot {non_root!r}, runAsUser {user!r}). Fix: set securityContext.runAsNonRoot: true."
            )


@resource_policy(
    name="k8s-no-privilege-escalation",
    description="Kubernetes containers set allowPrivilegeEscalation: false.",
    types=WORKLOAD_TYPES,
    enforcement=MANDATORY,
    severity=Severity.HIGH,
    remediation_steps="Set securityContext.allowPrivilegeEscalation: false on every container.",
)
def k8s_no_privilege_escalation(resource: ResourceContext, report: Report) -> None:
    for label, container, _pod_spec in _containers(resource):
        value = get(container, "securityContext", "allowPrivilegeEscalation")
        if isinstance(value, Unknown):
            resource.unknown(f"{label} securityContext.allowPrivilegeEscalation")
        elif flag(value) is not False:
            report(
                f"{resource.label}: {label} allowPrivilegeEscalation is {value if value is not None else 'unset (true)'}. Fix: set securityContext.allowPrivilegeEscalation: false."
            )


@resource_policy(
    name="k8s-read-only-root-filesystem",
    description="Kubernetes containers mount their root filesystem read-only.",
    types=WORKLOAD_TYPES,
    enforcement=ADVISORY,
    severity=Severity.MEDIUM,
    remediation_steps="Set securityContext.readOnlyRootFilesystem: true and mount an emptyDir where the app writes (e.g. /tmp).",
)
def k8s_read_only_root_filesystem(resource: ResourceContext, report: Report) -> None:
    for label, container, _pod_spec in _containers(resource):
        value = get(container, "securityContext", "readOnlyRootFilesystem")
        if isinstance(value, Unknown):
            resource.unknown(f"{label} securityContext.readOnlyRootFilesystem")
        elif flag(value) is not True:
            report(
                f"{resource.label}: {label} readOnlyRootFilesystem is {value!r}. Fix: set it to true and mount an emptyDir at /tmp."
            )


@resource_policy(
    name="k8s-drop-all-capabilities",
    description="Kubernetes containers drop ALL Linux capabilities.",
    types=WORKLOAD_TYPES,
    enforcement=ADVISORY,
    severity=Severity.MEDIUM,
    remediation_steps="Set securityContext.capabilities.drop: [ALL] and add back only what is needed.",
)
def k8s_drop_all_capabilities(resource: ResourceContext, report: Report) -> None:
    for label, container, _pod_spec in _containers(resource):
        dropped = get(container, "securityContext", "capabilities", "drop")
        if isinstance(dropped, Unknown):
            resource.unknown(f"{label} securityContext.capabilities.drop")
        elif "ALL" not in [item.upper() for item in strings(dropped)]:
            report(
                f"{resource.label}: {label} does not drop ALL capabilities (drop: {strings(dropped)}). Fix: set securityContext.capabilities.drop: [ALL]."
            )


@resource_policy(
    name="k8s-resource-requests-limits",
    description="Kubernetes containers declare CPU and memory requests and limits.",
    types=WORKLOAD_TYPES,
    enforcement=ADVISORY,
    severity=Severity.MEDIUM,
    remediation_steps="Set resources.requests.cpu/memory and resources.limits.memory (and limits.cpu unless configured off).",
    config={"requireCpuLimit": {"type": "boolean", "default": True, "description": "Also require limits.cpu."}},
)
def k8s_resource_requests_limits(resource: ResourceContext, report: Report) -> None:
    for label, container, _pod_spec in _containers(resource):
        if isinstance(get(container, "resources"), Unknown):
            resource.unknown(f"{label} resources")
            continue
        requests, limits = resources_of(container)
        missing = [f"requests.{key}" for key in ("cpu", "memory") if requests.get(key) is None]
        wanted = ("cpu", "memory") if resource.config["requireCpuLimit"] else ("memory",)
        missing += [f"limits.{key}" for key in wanted if limits.get(key) is None]
        if missing:
            report(
                f"{resource.label}: {label} has no resources {', '.join(missing)}. Fix: set them (requests = what the app needs, limits bound it)."
            )


def image_reference(image: str) -> tuple[str, str | None, str | None]:
    """(repository, tag, digest) of an image reference like `ghcr.io/a/b:1.2@sha256:..`."""
    repository, _, digest = image.partition("@")
    last_slash = repository.rfind("/")
    name, colon, tag = repository[last_slash + 1 :].partition(":")
    return repository[: last_slash + 1] + name, (tag if colon else None), (digest or None)


@resource_policy(
    name="k8s-image-tag-pinned",
    description="Kubernetes containers use a pinned image tag or digest, never `latest` or no tag.",
    types=WORKLOAD_TYPES,
    enforcement=MANDATORY,
    severity=Severity.MEDIUM,
    remediation_steps="Reference images by version tag (e.g. :1.4.0) or digest (@sha256:...).",
)
def k8s_image_tag_pinned(resource: ResourceContext, report: Report) -> None:
    for label, container, _pod_spec in _containers(resource):
        image = container.get("image")
        if isinstance(image, Unknown):
            resource.unknown(f"{label} image")
            continue
        if not isinstance(image, str):
            continue
        _repository, tag, digest = image_reference(image)
        if digest is None and (tag is None or tag == "latest"):
            report(
                f"{resource.label}: {label} image {image!r} is {'untagged' if tag is None else 'latest'}. Fix: use a version tag or digest."
            )


@resource_policy(
    name="k8s-loadbalancer-source-ranges",
    description="Kubernetes LoadBalancer Services restrict loadBalancerSourceRanges.",
    types=("kubernetes:core/v1:Service",),
    enforcement=ADVISORY,
    severity=Severity.MEDIUM,
    remediation_steps="Set spec.loadBalancerSourceRanges to the client ranges, or expose the Service through the shared Gateway/Ingress.",
)
def k8s_loadbalancer_source_ranges(resource: ResourceContext, report: Report) -> None:
    if get(resource.props, "spec", "type") != "LoadBalancer":
        return
    ranges = get(resource.props, "spec", "loadBalancerSourceRanges")
    if isinstance(ranges, Unknown):
        resource.unknown("spec.loadBalancerSourceRanges")
    elif not strings(ranges) or any(is_public_source(source) for source in strings(ranges)):
        report(
            f"{resource.label}: LoadBalancer Service open to the internet (loadBalancerSourceRanges {strings(ranges) or 'unset'}). Fix: list the client CIDRs in spec.loadBalancerSourceRanges."
        )


@resource_policy(
    name="k8s-no-default-namespace",
    description="Kubernetes objects live in their own namespace, never `default`.",
    types=frozenset(
        WORKLOAD_TYPES
        | {
            "kubernetes:core/v1:Service",
            "kubernetes:core/v1:ConfigMap",
            "kubernetes:core/v1:Secret",
            "kubernetes:core/v1:ServiceAccount",
            "kubernetes:core/v1:PersistentVolumeClaim",
            "kubernetes:networking.k8s.io/v1:Ingress",
            "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
            "kubernetes:policy/v1:PodDisruptionBudget",
        }
    ),
    enforcement=MANDATORY,
    severity=Severity.MEDIUM,
    remediation_steps="Set metadata.namespace to the application's namespace (or set `namespace` on the Kubernetes provider).",
)
def k8s_no_default_namespace(resource: ResourceContext, report: Report) -> None:
    namespace = namespace_of(resource.props, resource.provider_props)
    if isinstance(namespace, Unknown):
        resource.unknown("metadata.namespace")
    elif namespace in (None, "default"):
        report(
            f"{resource.label}: namespace is {namespace or 'unset (default)'}. Fix: set metadata.namespace to the application's namespace."
        )


@stack_policy(
    name="k8s-namespace-has-network-policy",
    description="Every Kubernetes namespace the stack creates has at least one NetworkPolicy (namespaces owned elsewhere are their owner's concern).",
    enforcement=MANDATORY,
    severity=Severity.HIGH,
    remediation_steps="Add a default-deny NetworkPolicy to the namespace plus policies allowing the traffic you expect.",
)
def k8s_namespace_has_network_policy(stack: StackContext, report: StackReport) -> None:
    owned: dict[str, str] = {}
    for namespace_resource in stack.of_type("kubernetes:core/v1:Namespace"):
        name = get(namespace_resource.props, "metadata", "name")
        if isinstance(name, str):
            owned.setdefault(name, namespace_resource.urn)
    names_by_urn = {urn: name for name, urn in owned.items()}
    covered: set[str] = set()
    for policy in stack.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy"):
        namespace = namespace_of(policy.props, policy.provider_props)
        if isinstance(namespace, Unknown):
            # Preview: the namespace comes from the Namespace resource's output; match it through the dependency.
            deps = policy.property_dependencies.get("metadata", []) or policy.dependencies
            covered.update(names_by_urn[urn] for urn in deps if urn in names_by_urn)
        else:
            covered.add(namespace or "default")
    for name, urn in sorted(owned.items()):
        if name not in covered:
            report(
                f"Namespace {name!r} (created by this stack) has no NetworkPolicy. Fix: add a default-deny NetworkPolicy there plus rules for the expected traffic.",
                urn,
            )


DANGEROUS_CAPABILITIES = frozenset(
    {
        "ALL",
        "SYS_ADMIN",
        "NET_RAW",
        "NET_ADMIN",
        "SYS_PTRACE",
        "SYS_MODULE",
        "SYS_RAWIO",
        "SYS_BOOT",
        "BPF",
        "PERFMON",
        "DAC_READ_SEARCH",
    }
)
"""Capabilities that let a container escape or spy on its node or neighbours."""


@resource_policy(
    name="k8s-no-dangerous-capabilities",
    description="Kubernetes containers add no dangerous Linux capabilities (SYS_ADMIN, NET_RAW, NET_ADMIN, SYS_PTRACE, ALL...).",
    types=WORKLOAD_TYPES,
    enforcement=MANDATORY,
    severity=Severity.HIGH,
    remediation_steps="Remove the capability from securityContext.capabilities.add; NET_BIND_SERVICE is the usual one a web server needs.",
)
def k8s_no_dangerous_capabilities(resource: ResourceContext, report: Report) -> None:
    for label, container, _pod_spec in _containers(resource):
        added = get(container, "securityContext", "capabilities", "add")
        if isinstance(added, Unknown):
            resource.unknown(f"{label} securityContext.capabilities.add")
            continue
        dangerous = sorted({item.upper().removeprefix("CAP_") for item in strings(added)} & DANGEROUS_CAPABILITIES)
        if dangerous:
            report(
                f"{resource.label}: {label} adds capabilities {', '.join(dangerous)}. Fix: remove them from securityContext.capabilities.add."
            )


@resource_policy(
    name="k8s-seccomp-profile",
    description="Kubernetes pods run with a seccomp profile (RuntimeDefault or Localhost), never Unconfined.",
    types=WORKLOAD_TYPES,
    enforcement=ADVISORY,
    severity=Severity.MEDIUM,
    remediation_steps="Set the pod's securityContext.seccompProfile: {type: RuntimeDefault}.",
)
def k8s_seccomp_profile(resource: ResourceContext, report: Report) -> None:
    for label, container, pod in _containers(resource):
        profile = _setting(container, pod, "seccompProfile")
        if isinstance(profile, Unknown) or isinstance(get(profile, "type"), Unknown):
            resource.unknown(f"{label} seccompProfile")
            continue
        kind = get(profile, "type")
        if kind not in ("RuntimeDefault", "Localhost"):
            report(
                f"{resource.label}: {label} seccompProfile is {kind or 'unset'}. Fix: set securityContext.seccompProfile.type: RuntimeDefault on the pod."
            )


BINDINGS = ("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding", "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding")
BROAD_GROUPS = frozenset({"system:serviceaccounts", "system:authenticated", "system:unauthenticated"})


@resource_policy(
    name="k8s-no-cluster-admin-for-workloads",
    description="cluster-admin is never bound to a service account, all service accounts, or all (un)authenticated users.",
    types=BINDINGS,
    enforcement=MANDATORY,
    severity=Severity.CRITICAL,
    remediation_steps="Bind a Role with only the verbs and resources the workload uses; keep cluster-admin for named human groups.",
)
def k8s_no_cluster_admin_for_workloads(resource: ResourceContext, report: Report) -> None:
    role = get(resource.props, "roleRef", "name")
    if isinstance(role, Unknown):
        resource.unknown("roleRef.name")
        return
    if role != "cluster-admin":
        return
    subjects = get(resource.props, "subjects")
    if isinstance(subjects, Unknown):
        resource.unknown("subjects")
        return
    for index, subject in enumerate(items(subjects)):
        kind, name = get(subject, "kind"), get(subject, "name")
        broad = kind == "Group" and isinstance(name, str) and (name in BROAD_GROUPS or name.startswith("system:serviceaccounts:"))
        if kind == "ServiceAccount" or broad or (kind == "User" and name == "system:anonymous"):
            report(
                f"{resource.label}: subjects[{index}] ({kind} {name!r}) is bound to cluster-admin. Fix: bind a Role with only the permissions the workload needs."
            )


POLICIES = [
    k8s_no_privileged_containers,
    k8s_no_host_namespaces,
    k8s_no_host_path_volumes,
    k8s_run_as_non_root,
    k8s_no_privilege_escalation,
    k8s_read_only_root_filesystem,
    k8s_drop_all_capabilities,
    k8s_resource_requests_limits,
    k8s_image_tag_pinned,
    k8s_loadbalancer_source_ranges,
    k8s_no_default_namespace,
    k8s_namespace_has_network_policy,
    k8s_no_dangerous_capabilities,
    k8s_seccomp_profile,
    k8s_no_cluster_admin_for_workloads,
]
