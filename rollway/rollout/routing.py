"""Finds a service's routing resources in a stack's exported state, so an update can target only them.

Resource names are chosen by the cloud components (`<service>-...`), so instead of hard-coding them the
controller looks at the deployed state at run time: a resource is a routing resource of service `web`
when its type is one of ROUTING_TYPES and its name contains `web` as a dash-separated token (`web`,
`web-production`, `dev-web-route`). When two services share a prefix (`web`, `web-admin`), a name is
given to the longest service name it matches. A rollout spec can replace these rules (`routing:`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rollway import clouds
from rollway.rollout.errors import UsageError

ROUTING_TYPES: dict[str, tuple[str, ...]] = clouds.routing_types()
"""Resource types whose inputs carry live color or canary weight, per cloud (from the cloud registry)."""


COHORT_MATCHES: dict[str, tuple[str, ...]] = clouds.cohort_matches()
"""Request attributes each cloud's routing component can send to the idle color (from the cloud registry); an A/B
cohort of another kind is refused on that cloud."""


def cohort_unsupported(kind: str, clouds: Iterable[str]) -> list[str]:
    """The clouds among `clouds` whose routing cannot select an A/B cohort by `kind` (`header` or `cookie`)."""
    return [cloud for cloud in clouds if kind not in COHORT_MATCHES.get(cloud, ())]


@dataclass(frozen=True)
class Matcher:
    """A routing-resource rule: exact type, and a name ending with `name_suffix` that contains the service token."""

    type: str
    """Resource type token."""
    name_suffix: str = ""
    """Required name ending (empty: any)."""


def default_matchers() -> list[Matcher]:
    return [Matcher(type) for types in ROUTING_TYPES.values() for type in types]


def urn_name(urn: str) -> str:
    """The resource name: the last `::`-separated part of a URN."""
    return urn.rsplit("::", 1)[-1]


def _contains_token(name: str, token: str) -> bool:
    return re.search(rf"(^|-){re.escape(token.lower())}(-|$)", name.lower()) is not None


def _owner(name: str, services: Iterable[str]) -> str | None:
    matches = [service for service in services if _contains_token(name, service)]
    return max(matches, key=len) if matches else None


def routing_urns(
    deployment: Mapping[str, Any] | None,
    service: str,
    services: Sequence[str],
    matchers: Sequence[Matcher] | None = None,
) -> list[str]:
    """URNs of `service`'s routing resources in an exported deployment (`stack.export_stack().deployment`).

    Args:
        deployment: The `deployment` object of an exported stack (it has a `resources` list).
        service: The service being released.
        services: Every service in the stack, to tell `web` from `web-admin`.
        matchers: Type/name rules; default: every type in ROUTING_TYPES.

    Raises UsageError when none is found (nothing to target; the stack was never deployed, or names differ).
    """
    rules = list(matchers) if matchers is not None else default_matchers()
    found: list[str] = []
    resources = (deployment or {}).get("resources") or []
    for resource in resources:
        if not isinstance(resource, Mapping):
            continue
        urn, type_ = resource.get("urn"), resource.get("type")
        if not isinstance(urn, str) or not isinstance(type_, str) or resource.get("delete"):
            continue
        name = urn_name(urn)
        for rule in rules:
            if type_ == rule.type and name.endswith(rule.name_suffix) and _owner(name, services) == service:
                found.append(urn)
                break
    if not found:
        types = sorted({rule.type for rule in rules})
        raise UsageError(
            f"no routing resource of service `{service}` in the stack's state (looked for types {', '.join(types)} "
            f"whose name contains `{service}`); run `pulumi up` once to create the stack, or set `routing:` in the rollout spec"
        )
    return found
