"""Every policy survives arbitrary property trees: missing, None, unknown and oddly typed values.

A drawn tree has abstract keys (numbers) and abstract string leaves; for each policy they are mapped onto
that policy's own vocabulary — every string constant in the code the policy can reach (its check, fix and
the helpers they call). So one draw becomes, for every policy, a tree over exactly the property names it
reads, with wrong shapes, wrong types, None and unknowns where it expects values. The only acceptable outcomes
are violations, nothing, or the SDK's "can't be known during preview" advisory.
"""

from __future__ import annotations

import inspect
import json
import re
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from policy_harness import ALL_POLICIES, UNKNOWN, Res, check, check_stack, remediate
from pulumi_policy import Policy, ResourceValidationPolicy, StackValidationPolicy

from policies.common.environment import ENVIRONMENTS
from policies.common.framework import RollwayResourcePolicy, RollwayStackPolicy

ODD_VALUES: list[Any] = [
    None,
    True,
    False,
    0,
    -1,
    22,
    3389,
    65535,
    1e300,
    "",
    "0.0.0.0/0",
    "::/0",
    "*",
    "-1",
    "22-3389",
    "true",
    UNKNOWN,
    "1b47061264138c4ac30d75fd1eb44270",
    "AKIAABCDEFGHIJKLMNOP",
    "500m",
    "2Gi",
    "m6i.metal",
    "Standard_",
    "e2-custom-",
    "{",
    "[1, 2",
    '{"Statement": "x"}',
    '[{"environment": [{"name": "PASSWORD", "value": 3}]}]',
]


@dataclass(frozen=True)
class Word:
    """An abstract string leaf: the policy's n-th vocabulary word (or its JSON form)."""

    index: int


def _reachable_strings(function: Callable[..., Any], seen: set[int] | None = None, depth: int = 0) -> Iterator[str]:
    """String constants of a function and of the module-level functions it calls (a few levels deep)."""
    seen = set() if seen is None else seen
    code = getattr(function, "__code__", None)
    if code is None or id(code) in seen or depth > 4:
        return
    seen.add(id(code))
    stack = [code]
    while stack:
        current = stack.pop()
        for constant in current.co_consts:
            if isinstance(constant, str):
                yield constant
            elif isinstance(constant, types.CodeType):
                stack.append(constant)
            elif isinstance(constant, tuple):
                yield from (item for item in constant if isinstance(item, str))
        for name in current.co_names:
            value = getattr(function, "__globals__", {}).get(name)
            yield from _constant_strings(value)
            for target in _callables(value):
                yield from _reachable_strings(target, seen, depth + 1)


def _constant_strings(value: Any, depth: int = 0) -> Iterator[str]:
    """Strings inside a module-level constant (names of fields, tables of paths...)."""
    if isinstance(value, str):
        yield value
    elif depth < 4 and isinstance(value, (tuple, list, set, frozenset)):
        for item in value:
            yield from _constant_strings(item, depth + 1)
    elif depth < 4 and isinstance(value, dict):
        for key, item in value.items():
            yield from _constant_strings(key, depth + 1)
            yield from _constant_strings(item, depth + 1)


def _callables(value: Any) -> list[Callable[..., Any]]:
    """Policy-code functions behind a global: the function itself, a class's methods, a dispatch table's values."""
    if inspect.isfunction(value):
        candidates = [value]
    elif inspect.isclass(value):
        candidates = [member for member in vars(value).values() if inspect.isfunction(member)]
    elif isinstance(value, dict):
        candidates = [member for member in value.values() if inspect.isfunction(member)]
    else:
        return []
    return [candidate for candidate in candidates if candidate.__module__.startswith("policies.")]


@cache
def vocabulary(policy: Policy) -> tuple[list[str], list[str]]:
    """(property-name-like words, all string words) the policy's code can reach."""
    functions = [getattr(policy, "check", None), getattr(policy, "fix", None)]
    words = {word for function in functions if function is not None for word in _reachable_strings(function)}
    words |= set(ENVIRONMENTS) | {"tags", "labels", "metadata", "environment"}
    keys = sorted(word for word in words if re.fullmatch(r"[A-Za-z][A-Za-z0-9/._-]{0,60}", word))
    return keys, sorted(words)


def materialize(tree: Any, keys: list[str], words: list[str]) -> Any:
    """Map abstract keys and words of a drawn tree onto one policy's vocabulary."""
    if isinstance(tree, Word):
        return words[tree.index % len(words)]
    if isinstance(tree, dict):
        return {keys[key % len(keys)]: materialize(value, keys, words) for key, value in tree.items()}
    if isinstance(tree, list):
        return [materialize(item, keys, words) for item in tree]
    if isinstance(tree, tuple):  # ("json", subtree): the subtree as a JSON document string
        return json.dumps(materialize(tree[1], keys, words))
    return tree


leaves = st.one_of(
    st.sampled_from(ODD_VALUES),
    st.builds(Word, st.integers(min_value=0, max_value=500)),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=6),
)
trees = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(st.integers(min_value=0, max_value=500), children, max_size=4),
        st.tuples(
            st.just("json"), st.one_of(st.lists(children, max_size=3), st.dictionaries(st.integers(0, 500), children, max_size=3))
        ),
    ),
    max_leaves=14,
)
abstract_maps = st.dictionaries(st.integers(min_value=0, max_value=500), trees, max_size=6)

SAMPLE_TYPES = [
    "aws:s3/bucket:Bucket",
    "aws:ec2/instance:Instance",
    "aws:ecs/taskDefinition:TaskDefinition",
    "aws:ssm/parameter:Parameter",
    "gcp:compute/instance:Instance",
    "azure-native:app:ContainerApp",
    "kubernetes:apps/v1:Deployment",
    "kubernetes:core/v1:Secret",
    "kubernetes:argoproj.io/v1alpha1:Rollout",
]


def types_of(policy: Policy) -> list[str]:
    declared = sorted(policy.types) if isinstance(policy, RollwayResourcePolicy) else []
    # "Every type" policies declare an empty frozenset subclass: exercise them on a sample of real types.
    return declared or SAMPLE_TYPES


def config_keys(policy: Policy) -> list[str]:
    return sorted(getattr(policy, "config_properties", {})) + list(ENVIRONMENTS)


RESOURCE_POLICIES = [policy for policy in ALL_POLICIES if isinstance(policy, ResourceValidationPolicy)]
STACK_POLICIES = [policy for policy in ALL_POLICIES if isinstance(policy, StackValidationPolicy)]
# One draw serves every policy (generation is the expensive part), so the suite stays fast while every
# policy still sees every example, in its own vocabulary.
EXAMPLES = settings(
    max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)


@EXAMPLES
@given(data=st.data(), props=abstract_maps, config=abstract_maps, provider=st.one_of(st.none(), abstract_maps))
def test_resource_policies_never_raise_on_random_properties(
    data: st.DataObject, props: dict[int, Any], config: dict[int, Any], provider: dict[int, Any] | None
) -> None:
    for subject in RESOURCE_POLICIES:
        keys, words = vocabulary(subject)
        resource_type = data.draw(st.sampled_from(types_of(subject)), label=subject.name)
        concrete = materialize(props, keys, words)
        settings_ = materialize(config, config_keys(subject), words)
        provider_props = materialize(provider, keys, words) if provider is not None else None
        try:
            outcome = check(subject, resource_type, concrete, config=settings_, provider_props=provider_props)
            fixed = remediate(subject.name, resource_type, concrete, config=settings_) if getattr(subject, "fix", None) else None
        except Exception as error:
            raise AssertionError(f"{subject.name} raised on {resource_type} {concrete!r}: {error!r}") from error
        assert all(isinstance(message, str) and "'subject'" in message for message in outcome.violations), subject.name
        assert fixed is None or isinstance(fixed, dict), subject.name


STACK_TYPES = [
    "aws:s3/bucket:Bucket",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:ec2/natGateway:NatGateway",
    "aws:ecs/service:Service",
    "aws:ecs/taskDefinition:TaskDefinition",
    "aws:appautoscaling/target:Target",
    "aws:autoscaling/group:Group",
    "aws:ec2/launchTemplate:LaunchTemplate",
    "aws:lb/loadBalancer:LoadBalancer",
    "aws:rds/instance:Instance",
    "gcp:compute/regionInstanceGroupManager:RegionInstanceGroupManager",
    "gcp:compute/instanceTemplate:InstanceTemplate",
    "gcp:compute/regionAutoscaler:RegionAutoscaler",
    "gcp:cloudrunv2/service:Service",
    "azure-native:app:ContainerApp",
    "azure-native:compute:VirtualMachineScaleSet",
    "kubernetes:apps/v1:Deployment",
    "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
    "kubernetes:core/v1:Namespace",
    "kubernetes:core/v1:Service",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy",
]


@EXAMPLES
@given(data=st.data(), config=abstract_maps)
def test_stack_policies_never_raise_on_random_stacks(data: st.DataObject, config: dict[int, Any]) -> None:
    drawn = data.draw(st.lists(st.tuples(st.sampled_from(STACK_TYPES), abstract_maps), max_size=8))
    links = [data.draw(st.lists(st.integers(0, len(drawn) - 1), max_size=3)) if drawn else [] for _ in drawn]
    for subject in STACK_POLICIES:
        assert isinstance(subject, RollwayStackPolicy)
        keys, words = vocabulary(subject)
        names = [f"r{index}" for index in range(len(drawn))]
        urns = [Res(kind, name, {}).urn for (kind, _), name in zip(drawn, names, strict=True)]
        # Random dependencies between the drawn resources (what links services, tasks and scalers).
        stack = [
            Res(
                kind,
                name,
                materialize(props, keys, words),
                dependencies=[urns[i] for i in link],
                property_dependencies={keys[0]: [urns[i] for i in link]},
            )
            for (kind, props), name, link in zip(drawn, names, links, strict=True)
        ]
        try:
            outcome = check_stack(subject, stack, config=materialize(config, config_keys(subject), words))
        except Exception as error:
            raise AssertionError(f"{subject.name} raised: {error!r}") from error
        assert all(isinstance(message, str) and message for message in outcome.violations), subject.name


def test_every_policy_has_a_vocabulary_with_the_names_it_reads() -> None:
    # Guards the generator: without a policy's own property names its random trees would test nothing.
    expected = {
        "rds-backup-retention": "backupRetentionPeriod",
        "ec2-imdsv2-required": "httpTokens",
        "security-group-no-public-admin-ports": "cidrBlocks",
        "k8s-run-as-non-root": "runAsNonRoot",
        "monthly-budget": "maxCapacity",
        "required-cost-tags": "requiredTags",
        "no-secret-literals": "stringData",
    }
    by_name = {policy.name: policy for policy in ALL_POLICIES}
    for name, key in expected.items():
        assert key in vocabulary(by_name[name])[0], name
