"""Analysis providers against real local HTTP servers (HTTP probe, Prometheus API) and a botocore Stubber."""

from __future__ import annotations

import datetime as dt
import json
import sys
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import pytest
from botocore.stub import Stubber

from rollway.rollout.analysis import Context, ProviderError
from rollway.rollout.analysis.cloudwatch import CloudWatchProvider
from rollway.rollout.analysis.http import HttpProvider, p95
from rollway.rollout.analysis.prometheus import PrometheusProvider, value_of
from rollway.rollout.spec import CloudWatchQuery, HttpProbe, PrometheusQuery

CONTEXT = Context(service="web", canary="green", stable="blue")
Responder = Callable[[str, int, dict[str, str]], tuple[int, str]]


@pytest.fixture
def server() -> Iterator[Callable[[Responder], str]]:
    """Starts a local server answering with `responder(path, request_number, headers)`; returns its base URL."""
    servers: list[ThreadingHTTPServer] = []

    def start(responder: Responder) -> str:
        count = {"n": 0}

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                count["n"] += 1
                status, body = responder(self.path, count["n"], dict(self.headers))
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                return

        httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        servers.append(httpd)
        return f"http://127.0.0.1:{httpd.server_address[1]}"

    yield start
    for httpd in servers:
        httpd.shutdown()
        httpd.server_close()


def test_p95_is_nearest_rank():
    assert p95([float(i) for i in range(1, 21)]) == 19.0


def test_http_probe_passes_on_expected_status_and_body(server):
    url = server(lambda path, n, headers: (200, "hello from 2.0"))

    reading = HttpProvider(HttpProbe(url=url, body_matches=r"from \d")).measure(CONTEXT)

    assert reading.passed is True and reading.value is not None


def test_http_probe_fails_on_unexpected_status(server):
    url = server(lambda path, n, headers: (503, "down"))

    reading = HttpProvider(HttpProbe(url=url, retries=0)).measure(CONTEXT)

    assert reading.passed is False
    assert reading.detail == "status 503, expected 200 after 1 attempt(s)"


def test_http_probe_retries_absorb_a_single_failure(server):
    url = server(lambda path, n, headers: (502, "") if n == 1 else (200, "ok"))

    assert HttpProvider(HttpProbe(url=url, requests=3, retries=1)).measure(CONTEXT).passed is True


def test_http_probe_fails_when_the_body_does_not_match(server):
    url = server(lambda path, n, headers: (200, "maintenance page"))

    reading = HttpProvider(HttpProbe(url=url, body_matches="^hello", retries=0)).measure(CONTEXT)

    assert reading.detail.startswith("body does not match /^hello/")


def test_http_probe_fails_when_p95_latency_is_over_the_limit(server):
    url = server(lambda path, n, headers: (200, "ok"))

    reading = HttpProvider(HttpProbe(url=url, max_p95_latency=0.0)).measure(CONTEXT)

    assert reading.passed is False and "> 0ms" in reading.detail


def test_http_probe_reports_a_refused_connection():
    reading = HttpProvider(HttpProbe(url="http://127.0.0.1:9/", retries=0, timeout=1)).measure(CONTEXT)

    assert reading.passed is False and reading.detail.startswith("request failed")


def _vector(*values: str) -> dict:
    return {"status": "success", "data": {"resultType": "vector", "result": [{"metric": {}, "value": [1, v]} for v in values]}}


def test_prometheus_single_series_is_the_value():
    assert value_of(_vector("0.25")) == 0.25


def test_prometheus_empty_vector_is_no_data():
    assert value_of(_vector()) is None


def test_prometheus_nan_is_no_data():
    assert value_of(_vector("NaN")) is None


def test_prometheus_scalar_result_is_the_value():
    assert value_of({"status": "success", "data": {"resultType": "scalar", "result": [1, "3"]}}) == 3.0


def test_prometheus_several_series_must_be_aggregated():
    with pytest.raises(ProviderError, match="returned 2 series; aggregate it to one"):
        value_of(_vector("1", "2"))


def test_prometheus_query_expands_colors_and_reads_the_api(server):
    seen: list[str] = []

    def api(path: str, n: int, headers: dict[str, str]) -> tuple[int, str]:
        seen.append(urllib.parse.parse_qs(urllib.parse.urlparse(path).query)["query"][0])
        return 200, json.dumps(_vector("0.01"))

    url = server(api)
    query = PrometheusQuery(url=url, query='sum(rate(errors{color="$canary",svc="$service"}[1m]))')

    reading = PrometheusProvider(query).measure(CONTEXT)

    assert reading.value == 0.01
    assert seen == ['sum(rate(errors{color="green",svc="web"}[1m]))']


def test_prometheus_bad_query_reports_the_servers_error(server):
    body = json.dumps({"status": "error", "errorType": "bad_data", "error": "parse error at char 5"})
    url = server(lambda path, n, headers: (400, body))

    with pytest.raises(ProviderError, match="bad_data: parse error at char 5"):
        PrometheusProvider(PrometheusQuery(url=url, query="sum(")).measure(CONTEXT)


def test_prometheus_unreachable_server_is_a_provider_error():
    with pytest.raises(ProviderError, match="cannot reach Prometheus"):
        PrometheusProvider(PrometheusQuery(url="http://127.0.0.1:9", query="up", timeout=1)).measure(CONTEXT)


NOW = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.timezone.utc)


def _cloudwatch(query: CloudWatchQuery) -> tuple[CloudWatchProvider, Stubber]:
    client = boto3.client("cloudwatch", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y")
    stubber = Stubber(client)
    stubber.activate()
    return CloudWatchProvider(query, client_factory=lambda region: client, now=lambda: NOW), stubber


ALB_5XX = CloudWatchQuery.model_validate(
    {
        "metric": {
            "namespace": "AWS/ApplicationELB",
            "metricName": "HTTPCode_Target_5XX_Count",
            "dimensions": {"TargetGroup": "targetgroup/web-$canary/abc"},
        },
        "period": 60,
        "window": "5m",
    }
)


def test_cloudwatch_sends_the_metric_query_with_colors_expanded():
    provider, stubber = _cloudwatch(ALB_5XX)
    expected = {
        "MetricDataQueries": [
            {
                "Id": "rollway",
                "ReturnData": True,
                "MetricStat": {
                    "Metric": {
                        "Namespace": "AWS/ApplicationELB",
                        "MetricName": "HTTPCode_Target_5XX_Count",
                        "Dimensions": [{"Name": "TargetGroup", "Value": "targetgroup/web-green/abc"}],
                    },
                    "Period": 60,
                    "Stat": "Sum",
                },
            }
        ],
        "StartTime": NOW - dt.timedelta(minutes=5),
        "EndTime": NOW,
        "ScanBy": "TimestampDescending",
    }
    stubber.add_response("get_metric_data", {"MetricDataResults": [{"Id": "rollway", "Values": [7.0, 2.0]}]}, expected)

    reading = provider.measure(CONTEXT)

    assert reading.value == 7.0
    stubber.assert_no_pending_responses()


def test_cloudwatch_without_data_points_is_no_data():
    provider, stubber = _cloudwatch(ALB_5XX)
    stubber.add_response("get_metric_data", {"MetricDataResults": [{"Id": "rollway", "Values": []}]})

    assert provider.measure(CONTEXT).value is None


def test_cloudwatch_expression_is_sent_as_metric_math():
    provider, stubber = _cloudwatch(CloudWatchQuery(expression="SELECT SUM(x) FROM y", period=30))
    stubber.add_response(
        "get_metric_data",
        {"MetricDataResults": [{"Id": "rollway", "Values": [0.5]}]},
        {
            "MetricDataQueries": [{"Id": "rollway", "ReturnData": True, "Expression": "SELECT SUM(x) FROM y", "Period": 30}],
            "StartTime": NOW - dt.timedelta(minutes=5),
            "EndTime": NOW,
            "ScanBy": "TimestampDescending",
        },
    )

    assert provider.measure(CONTEXT).value == 0.5


def test_cloudwatch_api_error_is_a_provider_error():
    provider, stubber = _cloudwatch(ALB_5XX)
    stubber.add_client_error("get_metric_data", service_error_code="AccessDenied", service_message="not allowed")

    with pytest.raises(ProviderError, match="GetMetricData: AccessDenied: not allowed"):
        provider.measure(CONTEXT)


def test_prometheus_bearer_token_from_the_environment_is_sent(server, monkeypatch):
    seen: list[str | None] = []

    def api(path: str, n: int, headers: dict[str, str]) -> tuple[int, str]:
        seen.append(headers.get("Authorization"))
        return 200, json.dumps(_vector("1"))

    monkeypatch.setenv("PROM_TOKEN", "s3cret")
    provider = PrometheusProvider(PrometheusQuery(url=server(api), query="up", bearer_token_env="PROM_TOKEN"))

    provider.measure(CONTEXT)

    assert seen == ["Bearer s3cret"]


def test_prometheus_missing_token_variable_is_a_provider_error(monkeypatch):
    monkeypatch.delenv("PROM_TOKEN", raising=False)
    provider = PrometheusProvider(PrometheusQuery(url="http://p.invalid", query="up", bearer_token_env="PROM_TOKEN"))

    with pytest.raises(ProviderError, match="PROM_TOKEN"):
        provider.measure(CONTEXT)


def test_prometheus_bearer_token_command_output_is_the_token():
    command = [sys.executable, "-c", "print('from-gcloud')"]
    provider = PrometheusProvider(PrometheusQuery(url="http://p.invalid", query="up", bearer_token_command=command))

    assert provider._bearer() == "from-gcloud"


def test_prometheus_failing_token_command_is_a_provider_error():
    command = [sys.executable, "-c", "import sys; sys.exit('not logged in')"]
    provider = PrometheusProvider(PrometheusQuery(url="http://p.invalid", query="up", bearer_token_command=command))

    with pytest.raises(ProviderError, match="not logged in"):
        provider.measure(CONTEXT)
