"""Building blocks every Rollway policy is made of.

A policy is a plain function `check(resource, report)` (or `check(stack, report)` for stack policies) plus its
metadata; `resource_policy()`/`stack_policy()` turn it into a pulumi_policy policy object. The wrapper:

- skips resource types the policy is not about;
- hands the check a `ResourceContext` whose `props` is a plain copy of the inputs (see `props.plain`), so
  reading never raises, and whose `config` has the schema defaults applied (the SDK passes only what the
  config file sets; the CLI fills schema defaults, a direct caller does not);
- turns "the deciding value is unknown during preview" into the SDK's own advisory diagnostic ("can't be known
  during preview") when the check found nothing else, instead of a false pass or a false violation;
- runs `fix` functions as the policy's `remediate`, on a copy of the inputs that keeps secret values secret.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceRemediation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError
from pulumi_policy.secret import Secret

from policies.common import envconfig
from policies.common import environment as env
from policies.common.props import Unknown, mapping, plain
from policies.common.tags import effective_tags, resource_tags

MANDATORY = EnforcementLevel.MANDATORY
ADVISORY = EnforcementLevel.ADVISORY

Report = Callable[[str], None]
"""Reports one violation of the policy being run; the message names the resource, the value and the fix."""

PropertySchema = dict[str, Any]
"""JSON schema of one config property; its `default` is applied in code as well."""


@dataclass(frozen=True)
class EnvironmentLimits:
    """Thresholds that differ per environment: config `{"<env>": {<property>: value}}`, merged over defaults."""

    properties: dict[str, PropertySchema]
    """JSON schema of each property of one environment's block."""
    defaults: dict[str, dict[str, Any]]
    """Default block per environment (every environment of `environment.ENVIRONMENTS`)."""

    def schema(self) -> dict[str, PropertySchema]:
        return {
            name: {
                "type": "object",
                "description": f"Limits applied to resources of the {name} environment (merged over the defaults).",
                "properties": self.properties,
                "additionalProperties": False,
                "default": self.for_environment({}, name),
            }
            # Built-in environments and the ones that extend them (policies/config/<name>/environment.json),
            # so a pack config may hold a block for `qa` as well as for `staging`.
            for name in envconfig.configured()
        }

    def for_environment(self, config: Mapping[str, Any], name: str) -> dict[str, Any]:
        """Defaults of the built-in environment `name` extends, then each config block along its chain
        (`staging`, then `qa` for qa extends staging). A broken chain reads as the fallback, never raises."""
        try:
            lineage = envconfig.chain(name)
        except envconfig.EnvironmentConfigError:
            lineage = (env.FALLBACK,)
        block = dict(self.defaults[lineage[0]])
        for environment in lineage:
            given = config.get(environment)
            if isinstance(given, Mapping):
                for key, value in given.items():
                    if key in self.properties and _fits(value, self.properties[key]):
                        block[key] = value
        return block


def _fits(value: Any, schema: PropertySchema) -> bool:
    """Whether a config value has the schema's JSON type (wrong types fall back to the default)."""
    kinds = schema.get("type")
    allowed = kinds if isinstance(kinds, list) else [kinds]
    checks = {
        "integer": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and float(v).is_integer(),
        "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        "string": lambda v: isinstance(v, str),
        "boolean": lambda v: isinstance(v, bool),
        "array": lambda v: isinstance(v, list),
        "object": lambda v: isinstance(v, Mapping),
        "null": lambda v: v is None,
    }
    return any(checks[kind](value) for kind in allowed if kind in checks) if kinds else True


def apply_defaults(
    config: Mapping[str, Any], properties: Mapping[str, PropertySchema], limits: EnvironmentLimits | None
) -> dict[str, Any]:
    """Config with every property's default filled in and mistyped values replaced by the default."""
    result: dict[str, Any] = {}
    for key, schema in properties.items():
        value = config.get(key, schema.get("default"))
        result[key] = value if _fits(value, schema) else schema.get("default")
    if limits is not None:
        for name in env.ENVIRONMENTS:
            given = config.get(name)
            result[name] = dict(given) if isinstance(given, Mapping) else {}
    return result


@dataclass
class ResourceContext:
    """One resource as a check sees it."""

    type: str
    """Type token, e.g. `aws:s3/bucket:Bucket`."""
    name: str
    """Logical name."""
    urn: str
    """URN."""
    props: Any
    """Plain copy of the inputs (engine-side camelCase names), unknowns as `Unknown`."""
    config: dict[str, Any]
    """Policy config with defaults applied."""
    provider_props: Any = None
    """Plain copy of the provider's inputs (e.g. AWS `defaultTags`), when the engine sent them."""
    limits_spec: EnvironmentLimits | None = None
    unknowns: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.type} '{self.name}'"

    def unknown(self, path: str) -> None:
        """Note that a value this policy needs is unknown (preview); see the module docstring."""
        self.unknowns.append(path)

    @property
    def tags(self) -> dict[str, Any] | Unknown:
        return effective_tags(self.type, self.props, self.provider_props)

    @property
    def environment(self) -> env.Environment:
        own = resource_tags(self.type, self.props)
        return env.resolve(own if isinstance(own, dict) else None)

    @property
    def limits(self) -> dict[str, Any]:
        """This resource's environment's thresholds (defaults merged with config)."""
        assert self.limits_spec is not None, "policy declared no per-environment limits"
        return self.limits_spec.for_environment(self.config, self.environment.name)


@dataclass
class StackResource:
    """One resource of the stack as a stack check sees it."""

    type: str
    name: str
    urn: str
    props: Any
    """Plain copy of the resource's properties (outputs, as the engine records them after the step)."""
    parent: str | None = None
    dependencies: list[str] = field(default_factory=list)
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    provider_props: Any = None

    @property
    def label(self) -> str:
        return f"{self.type} '{self.name}'"


@dataclass
class StackContext:
    """The whole stack as a stack check sees it."""

    resources: list[StackResource]
    config: dict[str, Any]
    limits_spec: EnvironmentLimits | None = None

    @property
    def environment(self) -> env.Environment:
        values = []
        for resource in self.resources:
            tags = resource_tags(resource.type, resource.props)
            if isinstance(tags, dict) and "environment" in tags:
                values.append(tags["environment"])
        return env.resolve_stack(values)

    @property
    def limits(self) -> dict[str, Any]:
        assert self.limits_spec is not None, "policy declared no per-environment limits"
        return self.limits_spec.for_environment(self.config, self.environment.name)

    def of_type(self, *types: str) -> list[StackResource]:
        return [resource for resource in self.resources if resource.type in types]


StackReport = Callable[[str, str | None], None]

ResourceCheck = Callable[[ResourceContext, Report], None]
StackCheck = Callable[[StackContext, StackReport], None]
Fix = Callable[[dict[str, Any], ResourceContext], bool]
"""Rewrites a copy of the inputs in place; returns whether it changed anything."""


def _schema(properties: Mapping[str, PropertySchema], limits: EnvironmentLimits | None) -> PolicyConfigSchema | None:
    merged: dict[str, PropertySchema] = dict(properties)
    if limits is not None:
        merged.update(limits.schema())
    return PolicyConfigSchema(properties=merged) if merged else None


_PLAIN_COPIES: dict[int, tuple[Any, Any]] = {}
"""Recent `plain()` copies by the identity of the tree they copy (the tree is kept, so ids are not reused)."""
_PLAIN_COPIES_MAX = 4096


def shared_plain(tree: Any) -> Any:
    """`plain(tree)`, computed once per tree object.

    A host that hands every policy of one call the same proxied inputs (preflight/pack_boot.py does, see
    `rollway_reads_args_only`) gets one copy for all of them instead of one per policy; with the SDK's own
    host each policy gets a fresh tree, so nothing is shared. Checks only read their context's trees.
    """
    key = id(tree)
    hit = _PLAIN_COPIES.get(key)
    if hit is not None and hit[0] is tree:
        return hit[1]
    copy_ = plain(tree)
    if len(_PLAIN_COPIES) >= _PLAIN_COPIES_MAX:
        _PLAIN_COPIES.clear()
    _PLAIN_COPIES[key] = (tree, copy_)
    return copy_


class RollwayResourcePolicy(ResourceValidationPolicy):
    """A resource policy built from a check function; keeps what tests and docs need to introspect."""

    rollway_reads_args_only = True
    """Hint for the pack host (preflight/pack_boot.py): validation only reads its arguments, so several
    policies may be handed the same decoded inputs."""

    def rollway_applies_to(self, resource_type: str) -> bool:
        """Hint for the pack host: validation does nothing for other types, so it may skip the call."""
        return resource_type in self.types

    def __init__(
        self,
        *,
        name: str,
        description: str,
        types: frozenset[str],
        check: ResourceCheck,
        enforcement: EnforcementLevel,
        severity: Severity,
        remediation_steps: str,
        config: Mapping[str, PropertySchema] | None = None,
        limits: EnvironmentLimits | None = None,
        fix: Fix | None = None,
    ) -> None:
        self.types = types
        self.check = check
        self.config_properties: dict[str, PropertySchema] = dict(config or {})
        self.limits_spec = limits
        self.fix = fix
        super().__init__(
            name,
            description,
            validate=self._validate,
            # The SDK's annotation wants an awaitable, but its Remediate handler takes plain return values too.
            remediate=cast(ResourceRemediation, self._remediate) if fix is not None else None,
            enforcement_level=enforcement,
            config_schema=_schema(self.config_properties, limits),
            severity=severity,
            remediation_steps=remediation_steps,
        )

    def context(self, args: ResourceValidationArgs) -> ResourceContext:
        provider = args.provider
        return ResourceContext(
            type=args.resource_type,
            name=args.name,
            urn=args.urn,
            props=shared_plain(args.props),
            config=apply_defaults(mapping(plain(args.get_config())), self.config_properties, self.limits_spec),
            provider_props=shared_plain(provider.props) if provider is not None else None,
            limits_spec=self.limits_spec,
        )

    def _validate(self, args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.resource_type not in self.types:
            return
        context = self.context(args)
        reported: list[str] = []

        def report(message: str) -> None:
            reported.append(message)
            report_violation(message, None)

        self.check(context, report)
        if context.unknowns and not reported:
            # The SDK reports this as an advisory "can't be known during preview" diagnostic; `pulumi up`
            # runs the policy again with the real values.
            raise UnknownValueError(UNKNOWN_STRING_VALUE, [", ".join(sorted(set(context.unknowns)))])

    def _remediate(self, args: ResourceValidationArgs) -> Mapping[str, Any] | None:
        if self.fix is None or args.resource_type not in self.types:
            return None
        context = self.context(args)
        rewritten = raw_copy(args.props)
        if not isinstance(rewritten, dict):
            return None
        return rewritten if self.fix(rewritten, context) else None


class RollwayStackPolicy(StackValidationPolicy):
    """A stack policy built from a check function."""

    rollway_reads_args_only = True
    """Hint for the pack host (preflight/pack_boot.py): validation only reads the resources it is given."""

    def __init__(
        self,
        *,
        name: str,
        description: str,
        check: StackCheck,
        enforcement: EnforcementLevel,
        severity: Severity,
        remediation_steps: str,
        config: Mapping[str, PropertySchema] | None = None,
        limits: EnvironmentLimits | None = None,
    ) -> None:
        self.check = check
        self.config_properties = dict(config or {})
        self.limits_spec = limits
        self.types: frozenset[str] = frozenset()
        self.fix: Fix | None = None
        super().__init__(
            name,
            description,
            validate=self._validate,
            enforcement_level=enforcement,
            config_schema=_schema(self.config_properties, limits),
            severity=severity,
            remediation_steps=remediation_steps,
        )

    def context(self, args: StackValidationArgs) -> StackContext:
        resources = [
            StackResource(
                type=resource.resource_type,
                name=resource.name,
                urn=resource.urn,
                props=shared_plain(resource.props),
                parent=resource.parent.urn if resource.parent is not None else None,
                dependencies=[dependency.urn for dependency in resource.dependencies],
                property_dependencies={
                    key: [dependency.urn for dependency in deps] for key, deps in resource.property_dependencies.items()
                },
                provider_props=shared_plain(resource.provider.props) if resource.provider is not None else None,
            )
            for resource in args.resources
        ]
        config = apply_defaults(mapping(plain(args.get_config())), self.config_properties, self.limits_spec)
        return StackContext(resources=resources, config=config, limits_spec=self.limits_spec)

    def _validate(self, args: StackValidationArgs, report_violation: ReportViolation) -> None:
        self.check(self.context(args), report_violation)


def resource_policy(
    *,
    name: str,
    description: str,
    types: list[str] | tuple[str, ...] | frozenset[str],
    enforcement: EnforcementLevel,
    severity: Severity,
    remediation_steps: str,
    config: Mapping[str, PropertySchema] | None = None,
    limits: EnvironmentLimits | None = None,
    fix: Fix | None = None,
) -> Callable[[ResourceCheck], RollwayResourcePolicy]:
    """Decorator: `@resource_policy(...)` over a check function yields the policy object."""

    def build(check: ResourceCheck) -> RollwayResourcePolicy:
        return RollwayResourcePolicy(
            name=name,
            description=description,
            # frozenset subclasses (e.g. "every type of these clouds") keep their own membership test.
            types=types if isinstance(types, frozenset) else frozenset(types),
            check=check,
            enforcement=enforcement,
            severity=severity,
            remediation_steps=remediation_steps,
            config=config,
            limits=limits,
            fix=fix,
        )

    return build


def stack_policy(
    *,
    name: str,
    description: str,
    enforcement: EnforcementLevel,
    severity: Severity,
    remediation_steps: str,
    config: Mapping[str, PropertySchema] | None = None,
    limits: EnvironmentLimits | None = None,
) -> Callable[[StackCheck], RollwayStackPolicy]:
    """Decorator: `@stack_policy(...)` over a stack check function yields the policy object."""

    def build(check: StackCheck) -> RollwayStackPolicy:
        return RollwayStackPolicy(
            name=name,
            description=description,
            check=check,
            enforcement=enforcement,
            severity=severity,
            remediation_steps=remediation_steps,
            config=config,
            limits=limits,
        )

    return build


def raw_copy(value: Any, _depth: int = 0) -> Any:
    """Deep copy of proxied inputs keeping `Secret` wrappers and unknown sentinels, for remediation output."""
    if _depth > 64:
        return None
    if isinstance(value, Secret):
        return Secret(raw_copy(value.value, _depth + 1))
    if isinstance(value, (str, bytes)) or value is None or isinstance(value, (bool, int, float)):
        return value
    target = _target(value)
    if isinstance(target, Mapping):
        return {key: raw_copy(item, _depth + 1) for key, item in target.items() if isinstance(key, str)}
    if isinstance(target, (list, tuple)):
        return [raw_copy(item, _depth + 1) for item in target]
    return copy.copy(value)


def _target(value: Any) -> Any:
    """The container under a pulumi_policy proxy (they expose it as `proxy["__target"]`), else the value."""
    if isinstance(value, (dict, list)):
        return value
    try:
        inner = value["__target"]
    except Exception:
        return value
    return _target(inner)
