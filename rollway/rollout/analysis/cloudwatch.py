"""CloudWatch: GetMetricData (a metric statistic or a metric-math/Metrics Insights expression), newest point."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from rollway.rollout.analysis.base import Context, ProviderError, Reading
from rollway.rollout.spec import CloudWatchQuery


def _default_client(region: str | None) -> Any:
    try:
        import boto3
    except ImportError:
        raise ProviderError("CloudWatch checks need boto3 (pip install boto3)") from None
    return boto3.client("cloudwatch", region_name=region)


class CloudWatchProvider:
    """Reads one series over the last `window` and takes its newest data point.

    Args:
        query: Metric or expression, period, window, region.
        client_factory: Region -> CloudWatch client (tests pass one wired to a botocore Stubber).
        now: Current UTC time (tests pin it).
    """

    def __init__(
        self,
        query: CloudWatchQuery,
        client_factory: Callable[[str | None], Any] = _default_client,
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.timezone.utc),
    ) -> None:
        self.query = query
        self._client_factory = client_factory
        self._client: Any = None
        self._now = now

    def request(self, context: Context) -> dict[str, Any]:
        """GetMetricData parameters for this query."""
        item: dict[str, Any] = {"Id": "rollway", "ReturnData": True}
        if self.query.expression is not None:
            item["Expression"] = context.expand(self.query.expression)
            item["Period"] = self.query.period
        else:
            metric = self.query.metric
            assert metric is not None  # the spec guarantees exactly one of metric/expression
            item["MetricStat"] = {
                "Metric": {
                    "Namespace": metric.namespace,
                    "MetricName": metric.metric_name,
                    "Dimensions": [{"Name": name, "Value": context.expand(value)} for name, value in metric.dimensions.items()],
                },
                "Period": self.query.period,
                "Stat": metric.stat,
            }
        end = self._now()
        return {
            "MetricDataQueries": [item],
            "StartTime": end - dt.timedelta(seconds=self.query.window),
            "EndTime": end,
            "ScanBy": "TimestampDescending",
        }

    def measure(self, context: Context) -> Reading:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            if self._client is None:
                self._client = self._client_factory(self.query.region)
            response = self._client.get_metric_data(**self.request(context))
        except ClientError as exc:
            error = exc.response.get("Error", {})
            raise ProviderError(f"GetMetricData: {error.get('Code', 'error')}: {error.get('Message', exc)}") from None
        except BotoCoreError as exc:
            raise ProviderError(f"GetMetricData: {exc}") from None
        results = response.get("MetricDataResults") or []
        if not results:
            return Reading(None, "no series")
        result = results[0]
        if result.get("StatusCode") == "InternalError":
            messages = "; ".join(message.get("Value", "") for message in result.get("Messages", []))
            raise ProviderError(f"GetMetricData: internal error {messages}".strip())
        values = result.get("Values") or []
        if not values:
            return Reading(None, "no data points in the window")
        return Reading(float(values[0]), f"newest of {len(values)} point(s)")
