"""Plausible values for every field of a provider's answer, derived from the SDK's own typed classes.

A provider SDK describes what an invoke returns (`GetVpcResult`, `ListManagedClusterUserCredentialsResult`) and
what a resource outputs (its `@pulumi.getter` properties) as typed `@pulumi.output_type` classes. The mocks
answer the common cases by hand; everything else a program reads (`get_kubernetes_versions().latest_version`,
`get_client_config().tenant_id`, a nested `status.loadBalancer`) gets a value of the declared type here, so
a program that uses a field gets a string where it expects a string, a list where it expects a list.

Classes are found from the type token in the SDK modules the program already imported (a program cannot
call an SDK function or create a resource without importing its module), so nothing new is imported.
"""

from __future__ import annotations

import base64
import collections.abc
import enum
import functools
import hashlib
import re
import sys
import typing
from typing import Any

from pulumi import _types
from pulumi.runtime import rpc

LIST_LENGTH = 3
"""Items in a derived list of scalars: one per availability zone of a typical three-zone network."""

MAX_DEPTH = 4
"""Nested output types deeper than this are left out (recursive schemas exist, e.g. JSON schema props)."""


ACCOUNT_ID = "123456789012"
"""The AWS account every mock ARN and account lookup names (the mocks' and the derived values' alike)."""


def digest(*parts: str, length: int = 8) -> str:
    """A stable hex salt of `parts`: the same program and names give the same mock ids on every run."""
    return hashlib.sha1("\x1f".join(parts).encode()).hexdigest()[:length]


def _modules_for(token: str) -> list[str]:
    """SDK modules that may define a token's class: `aws:ec2/getVpc:getVpc` -> pulumi_aws.ec2, ...

    `aws:ec2/vpc:Vpc` -> pulumi_aws.ec2; `kubernetes:apps/v1:Deployment` -> pulumi_kubernetes.apps.v1;
    `azure-native:resources:getResourceGroup` -> pulumi_azure_native.resources; `digitalocean:index/...` ->
    pulumi_digitalocean.
    """
    parts = token.split(":")
    if len(parts) != 3:
        return []
    package = "pulumi_" + parts[0].replace("-", "_")
    segments = [segment for segment in parts[1].split("/") if segment and segment != "index"]
    candidates = []
    for keep in (len(segments), len(segments) - 1, 0):
        if keep >= 0:
            path = ".".join([package, *(segment.replace("-", "_") for segment in segments[:keep])])
            if path not in candidates:
                candidates.append(path)
    return candidates


def _class_in_imported(token: str, names: list[str]) -> type | None:
    for module_name in _modules_for(token):
        module = sys.modules.get(module_name)
        if module is None:
            continue
        for name in names:
            found = getattr(module, name, None)
            if isinstance(found, type):
                return found
    return None


@functools.lru_cache(maxsize=4096)
def invoke_result_type(token: str) -> type | None:
    """The `@pulumi.output_type` result class of an invoke token, when its SDK module is imported."""
    function = token.rsplit(":", 1)[-1]
    if not function:
        return None
    found = _class_in_imported(token, [function[:1].upper() + function[1:] + "Result"])
    return found if found is not None and _types.is_output_type(found) else None


def resource_class(token: str) -> type | None:
    """The resource class of a type token, when its SDK module is imported (not cached: a later import may add it)."""
    return _class_in_imported(token, [token.rsplit(":", 1)[-1]])


def field_types(cls: type) -> dict[str, Any]:
    """Engine (camelCase) name -> declared type of each field of an output type or resource class; {} when the
    SDK's annotations cannot be resolved."""
    try:
        if _types.is_output_type(cls):
            return dict(_types.output_type_types(cls))
        return dict(_types.resource_types(cls))
    except Exception:  # an SDK whose annotations do not resolve gets no derived values
        return {}


@functools.lru_cache(maxsize=4096)
def _cached_field_types(cls: type) -> dict[str, Any]:
    return field_types(cls)


def derive(cls: type, seed: str, context: Any, depth: int = 0) -> dict[str, Any]:
    """A value for every field of `cls` (engine names), deterministic for `seed`."""
    values: dict[str, Any] = {}
    for name, declared in _cached_field_types(cls).items():
        value = plausible(declared, name, seed, context, depth)
        if value is not None:
            values[name] = value
    return values


def plausible(declared: Any, name: str, seed: str, context: Any, depth: int = 0) -> Any:
    """A value of the declared type for a field called `name` (None when no value fits, e.g. `Any`)."""
    declared = _types.unwrap_optional_type(declared)
    origin = typing.get_origin(declared)
    if origin is typing.Union:
        members = [member for member in typing.get_args(declared) if member is not type(None)]
        return plausible(members[0], name, seed, context, depth) if members else None
    if origin in (list, collections.abc.Sequence, typing.Sequence):
        item = typing.get_args(declared)
        if not item:
            return []
        # Scalars come three to a list (subnet ids, zones: programs index [0]..[2], one per availability zone);
        # nested objects one.
        count = 1 if _is_object(item[0]) else LIST_LENGTH
        values = [
            plausible(item[0], _singular(name), f"{seed}#{index}" if index else seed, context, depth) for index in range(count)
        ]
        return [value for value in values if value is not None]
    if origin in (dict, collections.abc.Mapping, typing.Mapping):
        return {}
    if isinstance(declared, type):
        if issubclass(declared, enum.Enum):
            members = list(declared)
            return members[0].value if members else None
        if declared is bool:
            return False
        if declared is int:
            return 1
        if declared is float:
            return 1.0
        if declared is str:
            return plausible_text(name, seed, context)
        if _types.is_output_type(declared):
            if depth >= MAX_DEPTH:
                return None
            return derive(declared, f"{seed}/{name}", context, depth + 1)
    return None


def _is_object(declared: Any) -> bool:
    declared = _types.unwrap_optional_type(declared)
    origin = typing.get_origin(declared)
    if origin is typing.Union:
        return any(_is_object(member) for member in typing.get_args(declared) if member is not type(None))
    return origin is not None or (isinstance(declared, type) and _types.is_output_type(declared))


def _singular(name: str) -> str:
    return name[:-1] if name.endswith("s") and not name.endswith("ss") else name


_UUID_NAMES = ("tenantid", "subscriptionid", "clientid", "objectid", "principalid", "uuid", "guid", "applicationid")


def plausible_text(name: str, seed: str, context: Any) -> str:
    """A string that looks like what a field called `name` holds (an ARN, a UUID, an IP, a URL, a name)."""
    lower = name.lower()
    salt = digest(seed, name, length=10)
    region = str(getattr(context, "aws_region", "us-east-1"))
    if lower.endswith("authorizationtoken"):
        # Registry tokens (ECR's) are base64 of `user:password`, which programs decode and split.
        return base64.b64encode(f"AWS:{salt}".encode()).decode()
    if lower.endswith("arn"):
        return f"arn:aws:mock:{region}:{ACCOUNT_ID}:{_kebab(name[:-3]) or 'resource'}/{salt}"
    if any(lower.endswith(suffix) for suffix in _UUID_NAMES):
        digits = digest(seed, name, length=40)
        return f"{digits[:8]}-{digits[8:12]}-4{digits[13:16]}-8{digits[17:20]}-{digits[20:32]}"
    if "cidr" in lower:
        return "10.0.0.0/16"
    if lower.endswith(("ip", "ipaddress", "address")) and "email" not in lower:
        return f"203.0.113.{int(salt[:2], 16) % 250 + 1}"
    if lower.endswith(("url", "uri")):
        return f"https://{salt}.example.com"
    if lower.endswith(("endpoint", "fqdn", "hostname", "dnsname", "domain", "domainname", "host")):
        return f"{salt}.example.com"
    if "email" in lower:
        return f"mock-{salt}@example.com"
    if lower.endswith("version"):
        return "1.0.0"
    if lower in ("region",):
        return region
    if lower in ("location",):
        return str(getattr(context, "azure_location", "westeurope"))
    if lower in ("zone", "availabilityzone"):
        return f"{region}a"
    if lower.endswith(("json", "policy", "document")):
        return "{}"
    if lower.endswith(("pem", "certificate")):
        return "-----BEGIN CERTIFICATE-----\nTU9DSw==\n-----END CERTIFICATE-----\n"
    if lower.endswith(("time", "date", "timestamp")):
        return "2026-01-01T00:00:00Z"
    if lower == "id" or lower.endswith("id"):
        prefix = _kebab(name[:-2]) or "id"
        return f"{prefix}-{salt}"
    return f"{_kebab(name) or 'value'}-{salt[:8]}"


def _kebab(text: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "-", text).lower().strip("-")


MISFIT: Any = object()
"""What `fitted` returns for a value whose shape the declared type cannot hold."""


def fitted(value: Any, declared: Any) -> Any:
    """`value` with every part whose container shape does not fit the declared type left out, or MISFIT when
    the value itself does not fit.

    Shape means a list for a Sequence and a mapping for a Mapping or an output type: an input the provider
    reshapes (a list of identity ids in, a map keyed by id out) is left out, while its siblings stay
    (`identity.type` stays known). A list with one misfit entry is a misfit as a whole (its indexes would
    shift). Scalars fit scalars (the SDK converts numbers and strings itself), and so do secret-wrapped and
    unknown values (the engine's own encodings).
    """
    declared = _types.unwrap_optional_type(declared)
    origin = typing.get_origin(declared)
    if origin is typing.Union:
        for member in typing.get_args(declared):
            if member is not type(None) and (found := fitted(value, member)) is not MISFIT:
                return found
        return MISFIT
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, dict) and rpc._special_sig_key in value:
        return value
    if origin in (list, collections.abc.Sequence, typing.Sequence):
        item = typing.get_args(declared)
        if not isinstance(value, list):
            return MISFIT
        entries = [fitted(entry, item[0]) for entry in value] if item else value
        return MISFIT if any(entry is MISFIT for entry in entries) else entries
    mapping = origin in (dict, collections.abc.Mapping, typing.Mapping)
    output_type = isinstance(declared, type) and _types.is_output_type(declared)
    if not (mapping or output_type):
        return value
    if not isinstance(value, dict):
        return MISFIT
    if mapping:
        item = typing.get_args(declared)
        if len(item) < 2:
            return value
        pairs = {key: fitted(entry, item[1]) for key, entry in value.items()}
    else:
        nested = _cached_field_types(declared)
        pairs = {key: fitted(entry, nested[key]) if key in nested else entry for key, entry in value.items()}
    return {key: entry for key, entry in pairs.items() if entry is not MISFIT}


def resource_field_types(token: str) -> dict[str, Any]:
    cls = resource_class(token)
    return _cached_field_types(cls) if cls is not None else {}
