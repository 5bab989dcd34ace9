"""Policies that apply to every resource, whatever the cloud."""

from __future__ import annotations

from pulumi_policy import Severity

from policies.common.framework import MANDATORY, Report, ResourceContext, resource_policy
from policies.common.images import IMAGE_TYPES, workload_images
from policies.common.props import Unknown
from policies.common.secrets import find_secrets


class _EveryType(frozenset[str]):
    """Matches every resource type except the stack itself and providers (their config is not a resource input)."""

    def __contains__(self, item: object) -> bool:
        return isinstance(item, str) and not item.startswith("pulumi:")


@resource_policy(
    name="no-secret-literals",
    description="No resource input holds a secret-looking literal (cloud keys, private keys, tokens, passwords).",
    types=_EveryType(),
    enforcement=MANDATORY,
    severity=Severity.CRITICAL,
    remediation_steps=(
        "Keep the value in a secret store (Secrets Manager/SSM SecureString, Secret Manager, Key Vault, a Kubernetes "
        "Secret) and reference it, or set it with `pulumi config set --secret` and pass the secret Output; rotate any "
        "credential that was committed."
    ),
)
def no_secret_literals(resource: ResourceContext, report: Report) -> None:
    for finding in find_secrets(resource.type, resource.props):
        report(
            f"{resource.label}: {finding.path} holds {finding.kind} ({finding.preview}). Fix: move it to a secret store "
            "and reference it (or pass a secret from `pulumi config set --secret`); rotate it if it was ever committed."
        )


@resource_policy(
    name="container-allowed-registries",
    description="Containers on every cloud (Kubernetes, ECS, Cloud Run, GCE containers, Container Apps) pull images only from the configured registries.",
    types=IMAGE_TYPES,
    enforcement=MANDATORY,
    severity=Severity.HIGH,
    remediation_steps="Mirror the image into an allowed registry, or add the registry prefix to allowedRegistries in the policy config.",
    config={
        "allowedRegistries": {
            "type": "array",
            "items": {"type": "string"},
            "default": [],
            "description": "Image reference prefixes that are allowed, e.g. ghcr.io/acme/. Empty (the default): not enforced.",
        }
    },
)
def container_allowed_registries(resource: ResourceContext, report: Report) -> None:
    allowed = [prefix for prefix in resource.config["allowedRegistries"] if isinstance(prefix, str) and prefix]
    if not allowed:
        return
    for where, image in workload_images(resource.type, resource.props):
        if isinstance(image, Unknown):
            resource.unknown(f"{where} image")
        elif not any(image.startswith(prefix) for prefix in allowed):
            report(
                f"{resource.label}: {where} image {image!r} is not from an allowed registry ({', '.join(allowed)}). "
                "Fix: mirror it into an allowed registry or add its registry prefix to allowedRegistries."
            )


POLICIES = [no_secret_literals, container_allowed_registries]
