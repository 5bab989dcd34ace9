"""End to end, for real: `rollway rollout` drives a real nginx (weights rewritten and reloaded per step) in
front of two real app versions, judged by a real Prometheus scraping them.

One Prometheus per test module (per xdist worker; conftest.py launches it at collection) serves every sandbox:
its service discovery takes ~5 s to hand targets to the scrape loop, and each sandbox deletes the previous
one's series on entry.

Needs nginx and prometheus (Debian packages; `.ci/install-e2e` installs them). Without them these tests
skip, unless ROLLWAY_REQUIRE_E2E=1 (CI sets it after installing), in which case they fail.
"""

from __future__ import annotations

import io
import json
import os
import time
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
import yaml

from rollway.rollout.cli import main
from rollway.rollout.errors import UsageError
from rollway.rollout.sandbox import LoadGenerator, Prometheus, Sandbox, missing_binaries
from rollway.rollout.sandbox.procs import http_get, wait_until

REQUIRED = os.environ.get("ROLLWAY_REQUIRE_E2E") == "1"
MISSING = missing_binaries()

pytestmark = pytest.mark.skipif(
    bool(MISSING) and not REQUIRED,
    reason=f"end-to-end rollout tests need {' and '.join(MISSING)} (run .ci/install-e2e as root, or set ROLLWAY_REQUIRE_E2E=1 to fail instead)",
)


@pytest.fixture(autouse=True, scope="module")
def _tools_present() -> None:
    # Module scope: it runs before the module-scoped `prometheus` fixture (conftest.py) tries to start one.
    if MISSING:
        pytest.fail(f"ROLLWAY_REQUIRE_E2E=1 but {' and '.join(MISSING)} not installed; run .ci/install-e2e first")


def _query(prometheus: Prometheus, promql: str) -> list[tuple[dict[str, str], float]]:
    status, body = http_get(f"{prometheus.url}/api/v1/query?{urllib.parse.urlencode({'query': promql})}", timeout=2)
    assert status == 200, body
    return [(sample["metric"], float(sample["value"][1])) for sample in json.loads(body)["data"]["result"]]


def _value(prometheus: Prometheus, promql: str) -> float | None:
    result = _query(prometheus, promql)
    return result[0][1] if result else None


def test_a_reused_prometheus_never_shows_the_previous_sandbox_requests(prometheus: Prometheus):
    with Sandbox({"web:1.0": None, "web:2.0-bad": 0}, live_image="web:1.0", prometheus=prometheus) as first:
        first.deployer.deploy("web", "green", "web:2.0-bad")
        for color, requests in (("blue", 3), ("green", 4)):
            for _ in range(requests):
                http_get(f"http://127.0.0.1:{first.deployer.ports[color]}/")
        wait_until(lambda: _value(prometheus, 'sum(http_requests_total{color="green",code="500"})') == 4, 10, "green 5xx scraped")
        wait_until(lambda: _value(prometheus, 'sum(http_requests_total{color="blue",code="200"})') == 3, 10, "blue scraped")

    with Sandbox({"web:1.0": None}, live_image="web:1.0", prometheus=prometheus) as second:
        # Same ports, same labels, so the same series: only the delete keeps the first sandbox's 5xx out of them.
        assert _query(prometheus, 'count_over_time(http_requests_total{color="green"}[10m])') == []
        assert _query(prometheus, 'count_over_time(http_request_duration_seconds_count{color="green"}[10m])') == []
        for _ in range(2):
            http_get(f"http://127.0.0.1:{second.deployer.ports['blue']}/")
        wait_until(lambda: _value(prometheus, 'sum(http_requests_total{color="blue",code="200"})') == 2, 10, "new blue scraped")
        # The new samples are visible, and none of the first sandbox's (which reached 3) is left beside them.
        assert _value(prometheus, 'max_over_time(http_requests_total{color="blue",code="200"}[10m])') == 2


def test_a_sandbox_refuses_a_shared_prometheus_of_another_service(prometheus: Prometheus):
    with pytest.raises(UsageError, match=r"scrapes service `web` colors \['blue', 'green'\]; this sandbox serves `api`"):
        Sandbox({"api:1.0": None}, live_image="api:1.0", service="api", prometheus=prometheus)


def _spec(tmp_path: Path, sandbox: Sandbox, image: str, step_duration: str) -> Path:
    spec = {
        "service": "web",
        "image": image,
        "steps": [20, 50, 100],
        "stepDuration": step_duration,
        "drain": "1s",
        "deadline": "40s",
        "analysis": {
            "interval": "500ms",
            # One blip (a slow scrape or probe on a busy CI machine) is tolerated; a real fault fails every measurement.
            "failureLimit": 1,
            "checks": [
                {
                    "name": "error-rate",
                    "prometheus": {"url": sandbox.prometheus.url, "query": sandbox.error_rate_query()},
                    "max": 0.05,
                    # The first measurement of a step can land before the canary's first scrape.
                    "noData": "skip",
                },
                {"name": "front-door", "http": {"url": sandbox.nginx.url + "/", "requests": 3, "retries": 2, "timeout": "1s"}},
            ],
        },
    }
    path = tmp_path / "rollout.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


def _rollout(tmp_path: Path, sandbox: Sandbox, image: str, step_duration: str) -> tuple[int, list[dict[str, Any]]]:
    out, err = io.StringIO(), io.StringIO()
    args = [
        "--stack",
        "sandbox",
        "--spec",
        str(_spec(tmp_path, sandbox, image, step_duration)),
        "--state-dir",
        str(tmp_path / "state"),
        "--json",
    ]
    code = main(args, deployer_factory=lambda spec, parsed: sandbox.deployer, stdout=out, stderr=err)
    assert err.getvalue() == ""
    return code, [json.loads(line) for line in out.getvalue().splitlines()]


def test_healthy_release_is_promoted_through_real_nginx_and_prometheus(tmp_path: Path, prometheus: Prometheus):
    with Sandbox({"web:1.0": None, "web:2.0": None}, live_image="web:1.0", prometheus=prometheus) as sandbox:
        with LoadGenerator(sandbox.nginx.url, rate=60) as load:
            # A healthy release waits for no fault to show: 1 s steps (two measurements each) are enough.
            code, events = _rollout(tmp_path, sandbox, "web:2.0", step_duration="1s")
        switched_at = next(at for at, live, weight in sandbox.deployer.route_log if live == "green")

        assert code == 0, [event for event in events if event["event"].startswith(("rollback", "analysis.measurement"))]
        assert [(live, weight) for _, live, weight in sandbox.deployer.route_log] == [
            ("blue", 20),
            ("blue", 50),
            ("blue", 100),
            ("green", 0),
        ]
        after = [hit for hit in load.hits if hit.at > switched_at + 0.2]
        assert after and {(hit.status, hit.color) for hit in after} == {(200, "green")}
        assert "blue" not in sandbox.deployer.apps  # scaled down after the drain window


def test_faulty_release_is_rolled_back_automatically(tmp_path: Path, prometheus: Prometheus):
    with Sandbox({"web:1.0": None, "web:2.0-bad": 10}, live_image="web:1.0", prometheus=prometheus) as sandbox:
        with LoadGenerator(sandbox.nginx.url, rate=60) as load:
            # 1.5 s steps: time for the fault (after 10 requests) to reach the scrapes before the last step ends.
            code, events = _rollout(tmp_path, sandbox, "web:2.0-bad", step_duration="1500ms")
            rolled_back_at = sandbox.deployer.route_log[-1][0]
            time.sleep(1.0)  # keep traffic flowing to see where it goes after the rollback

        assert code == 1
        assert sandbox.deployer.route_log[-1][1:] == ("blue", 0)
        started = next(event for event in events if event["event"] == "rollback.started")
        assert started["reason"].startswith("analysis failed")
        assert started["decisionLatencyMs"] < 1000
        after = [hit for hit in load.hits if hit.at > rolled_back_at + 0.2]
        assert after and {(hit.status, hit.color) for hit in after} == {(200, "blue")}


def _headline(sandbox: Sandbox, tmp_path: Path, image: str, *extra: str) -> tuple[int, list[dict[str, Any]], str]:
    """The README's headline command (steps 5,10,25,50,100, no spec), sped up, with only a metrics URL added."""
    out, err = io.StringIO(), io.StringIO()
    args = [
        "--stack",
        "sandbox",
        "--service",
        "web",
        "--image",
        image,
        "--steps",
        "5,10,25,50,100",
        "--step-duration",
        "1500ms",
        "--interval",
        "500ms",
        "--drain",
        "0s",
        "--state-dir",
        str(tmp_path / "state"),
        "--json",
        *extra,
    ]
    code = main(args, deployer_factory=lambda spec, parsed: sandbox.deployer, stdout=out, stderr=err)
    return code, [json.loads(line) for line in out.getvalue().splitlines()], err.getvalue()


def test_default_analysis_rolls_back_the_5xx_build_of_the_headline_command(tmp_path: Path, prometheus: Prometheus):
    with Sandbox({"web:1.0": None, "web:2.0-bad": 10}, live_image="web:1.0", prometheus=prometheus) as sandbox:
        with LoadGenerator(sandbox.nginx.url, rate=100):
            code, events, err = _headline(sandbox, tmp_path, "web:2.0-bad", "--metrics-url", sandbox.prometheus.url)

        assert err == ""
        assert code == 1
        assert sandbox.deployer.route_log[-1][1:] == ("blue", 0)
        failed = [event for event in events if event["event"] == "analysis.measurement" and event["ok"] is False]
        assert any(event["check"] == "request-success-rate" and event["value"] is not None for event in failed), failed
        assert "green" not in [live for _, live, _ in sandbox.deployer.route_log]


def test_headline_command_without_metrics_or_no_analysis_changes_nothing(tmp_path: Path, prometheus: Prometheus):
    with Sandbox({"web:1.0": None, "web:2.0-bad": 10}, live_image="web:1.0", prometheus=prometheus) as sandbox:
        code, _events, err = _headline(sandbox, tmp_path, "web:2.0-bad")

        assert code == 2
        assert "no analysis for this rollout" in err and "--no-analysis" in err
        assert sandbox.deployer.route_log == [] and "green" not in sandbox.deployer.apps


def test_default_analysis_promotes_a_healthy_build(tmp_path: Path, prometheus: Prometheus):
    with Sandbox({"web:1.0": None, "web:2.0": None}, live_image="web:1.0", prometheus=prometheus) as sandbox:
        with LoadGenerator(sandbox.nginx.url, rate=100):
            code, events, err = _headline(sandbox, tmp_path, "web:2.0", "--metrics-url", sandbox.prometheus.url)

        assert err == ""
        measured = {event["check"] for event in events if event["event"] == "analysis.measurement" and event["ok"]}
        assert code == 0, [event for event in events if event["event"].startswith(("rollback", "analysis.measurement"))]
        assert measured == {"request-success-rate", "request-latency"}
        assert sandbox.deployer.route_log[-1][1:] == ("green", 0)
