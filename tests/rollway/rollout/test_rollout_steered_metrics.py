"""The steered metrics server answers the default analysis's queries with the values the test sets."""

from __future__ import annotations

from rollway.rollout.analysis.base import Context
from rollway.rollout.analysis.prometheus import PrometheusProvider
from rollway.rollout.sandbox.steered import SteeredMetrics
from rollway.rollout.spec import PrometheusQuery


def _read(url: str, query: str) -> float | None:
    provider = PrometheusProvider(PrometheusQuery(url=url, query=query))
    return provider.measure(Context("web", "green", "blue")).value


def test_success_rate_and_latency_queries_get_the_steered_values_as_they_change():
    with SteeredMetrics(success_rate=1.0, latency_seconds=0.05) as metrics:
        assert _read(metrics.url, 'sum(rate(http_requests_total{color="$canary"}[1m]))') == 1.0
        assert _read(metrics.url, "histogram_quantile(0.99, sum by (le) (rate(x_bucket[1m])))") == 0.05

        metrics.success_rate = 0.5

        assert _read(metrics.url, "sum(rate(http_requests_total[1m]))") == 0.5
        assert metrics.queries[0] == 'sum(rate(http_requests_total{color="green"}[1m]))'
