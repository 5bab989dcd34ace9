"""Analysis: metric providers behind one interface, thresholds and a failure budget.

Names are imported on first use (`lazy_exports`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rollway.helpers import lazy_exports

if TYPE_CHECKING:
    from rollway.rollout.analysis.base import Analyzer, Check, Context, Measurement, Provider, ProviderError, Reading
    from rollway.rollout.analysis.checks import build_checks, provider_for
    from rollway.rollout.analysis.cloudwatch import CloudWatchProvider
    from rollway.rollout.analysis.http import HttpProvider
    from rollway.rollout.analysis.prometheus import PrometheusProvider

_MODULE_OF = {
    "Analyzer": "base",
    "Check": "base",
    "CloudWatchProvider": "cloudwatch",
    "Context": "base",
    "HttpProvider": "http",
    "Measurement": "base",
    "PrometheusProvider": "prometheus",
    "Provider": "base",
    "ProviderError": "base",
    "Reading": "base",
    "build_checks": "checks",
    "provider_for": "checks",
}

__all__ = [
    "Analyzer",
    "Check",
    "CloudWatchProvider",
    "Context",
    "HttpProvider",
    "Measurement",
    "PrometheusProvider",
    "Provider",
    "ProviderError",
    "Reading",
    "build_checks",
    "provider_for",
]

__getattr__ = lazy_exports(__name__, _MODULE_OF)
