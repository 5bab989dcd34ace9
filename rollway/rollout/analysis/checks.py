"""Checks from a rollout spec: each check spec paired with the metric provider it names."""

from __future__ import annotations

from rollway.rollout.analysis.base import Check, Provider
from rollway.rollout.analysis.cloudwatch import CloudWatchProvider
from rollway.rollout.analysis.http import HttpProvider
from rollway.rollout.analysis.prometheus import PrometheusProvider
from rollway.rollout.spec import CheckSpec


def provider_for(spec: CheckSpec) -> Provider:
    """The provider a check spec names."""
    if spec.http is not None:
        return HttpProvider(spec.http)
    if spec.prometheus is not None:
        return PrometheusProvider(spec.prometheus)
    assert spec.cloudwatch is not None  # CheckSpec guarantees exactly one provider
    return CloudWatchProvider(spec.cloudwatch)


def build_checks(specs: list[CheckSpec]) -> list[Check]:
    return [Check(spec, provider_for(spec)) for spec in specs]
