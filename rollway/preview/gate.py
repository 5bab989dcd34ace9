"""Turns a recording into what the Analyzer protocol carries: wire-form properties and provider views."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rollway.engine.run import RecordedResource
from rollway.engine.values import UNKNOWN, UNKNOWN_SENTINEL, Secret
from rollway.preview.analyzer import AnalyzedProvider, AnalyzedResource

__all__ = ["UNKNOWN_SENTINEL", "analyzed_resources", "default_provider", "to_wire"]

# The engine's wire signature for secrets (pulumi.runtime.rpc); the kit keeps its copy private.
SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"


def to_wire(value: Any) -> Any:
    """Kit values (Secret, UNKNOWN) back to the engine's wire form, which the policy SDK decodes."""
    if isinstance(value, Secret):
        return {SECRET_SIG_KEY: SECRET_SIG, "value": to_wire(value.value)}
    if value is UNKNOWN:
        return UNKNOWN_SENTINEL
    if isinstance(value, dict):
        return {str(key): to_wire(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_wire(item) for item in value]
    return value


def default_provider(package: str, project: str, stack: str, config: Mapping[str, Any]) -> AnalyzedProvider:
    """The default provider the engine would create for `package`, configured from `<package>:*` config."""
    prefix = f"{package}:"
    properties = {key[len(prefix) :]: value for key, value in config.items() if key.startswith(prefix)}
    return AnalyzedProvider(
        urn=f"urn:pulumi:{stack}::{project}::pulumi:providers:{package}::default",
        type=f"pulumi:providers:{package}",
        name="default",
        properties=to_wire(properties),
    )


def analyzed_resources(
    resources: Sequence[RecordedResource], project: str, stack: str, config: Mapping[str, Any]
) -> list[AnalyzedResource]:
    """Every recorded resource as the engine shows it to policy packs (AnalyzeStack sees outputs, Analyze inputs)."""
    by_urn = {resource.urn: resource for resource in resources}
    defaults: dict[str, AnalyzedProvider] = {}
    analyzed: list[AnalyzedResource] = []
    for resource in resources:
        provider: AnalyzedProvider | None = None
        if resource.custom and not resource.is_provider:
            reference = str(resource.options.get("provider", ""))
            explicit = by_urn.get(reference.rsplit("::", 1)[0]) if reference else None
            if explicit is not None:
                provider = AnalyzedProvider(explicit.urn, explicit.type, explicit.name, to_wire(explicit.inputs))
            else:
                package = resource.type.split(":", 1)[0]
                if package not in defaults:
                    defaults[package] = default_provider(package, project, stack, config)
                provider = defaults[package]
        delete_before_replace = resource.options.get("deleteBeforeReplace")
        analyzed.append(
            AnalyzedResource(
                urn=resource.urn,
                type=resource.type,
                name=resource.name,
                custom=resource.custom,
                properties=to_wire(resource.inputs),
                outputs=to_wire(resource.outputs) if resource.custom and resource.outputs else None,
                parent=resource.parent or "",
                dependencies=list(resource.dependencies),
                property_dependencies=dict(resource.property_dependencies),
                protect=bool(resource.options.get("protect", False)),
                ignore_changes=list(resource.options.get("ignoreChanges", [])),
                delete_before_replace=bool(delete_before_replace) if delete_before_replace is not None else None,
                additional_secret_outputs=list(resource.options.get("additionalSecretOutputs", [])),
                provider=provider,
            )
        )
    return analyzed
