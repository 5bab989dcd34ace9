"""Tags and labels across clouds: AWS and Azure `tags`, GCP `labels`, Kubernetes `metadata.labels`."""

from __future__ import annotations

from typing import Any

from policies.common.props import Unknown, get, json_document, mapping


def cloud_of(resource_type: str) -> str:
    """`aws`, `gcp`, `azure`, `kubernetes` or the type's package name."""
    package = resource_type.split(":", 1)[0]
    return "azure" if package == "azure-native" else package


def tag_path(resource_type: str) -> tuple[str, ...]:
    """Where a resource of this type keeps its tags/labels."""
    cloud = cloud_of(resource_type)
    if cloud == "kubernetes":
        return ("metadata", "labels")
    if cloud == "gcp":
        return ("labels",)
    return ("tags",)


def resource_tags(resource_type: str, props: Any) -> dict[str, Any] | Unknown:
    """The resource's own tags/labels (values may be `Unknown`); an unknown whole map is returned as such."""
    found = get(props, *tag_path(resource_type))
    if isinstance(found, Unknown):
        return found
    return dict(mapping(found))


def provider_default_tags(provider_props: Any) -> dict[str, Any]:
    """Tags the AWS provider adds to every resource (`defaultTags.tags`); providers may keep it as JSON text."""
    default_tags = json_document(get(provider_props, "defaultTags")) or get(provider_props, "defaultTags")
    return dict(mapping(get(default_tags, "tags")))


def effective_tags(resource_type: str, props: Any, provider_props: Any = None) -> dict[str, Any] | Unknown:
    """Tags the resource ends up with: the provider's default tags (AWS) overlaid by its own."""
    own = resource_tags(resource_type, props)
    if isinstance(own, Unknown):
        return own
    if cloud_of(resource_type) == "aws":
        return {**provider_default_tags(provider_props), **own}
    return own
