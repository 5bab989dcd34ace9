"""The e2e sandbox's pieces that need no nginx/Prometheus: tool detection, upstream weights, the demo app."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

import rollway.rollout.sandbox as sandbox_module
from rollway.rollout.errors import UsageError
from rollway.rollout.sandbox import DemoApp, Prometheus, Sandbox, missing_binaries, procs
from rollway.rollout.sandbox.nginx import Nginx


def test_missing_tools_are_named(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(procs, "SBIN_DIRS", (str(tmp_path),))

    assert missing_binaries() == ["nginx", "prometheus"]


def test_a_sandbox_refuses_a_shared_prometheus_that_is_not_running(monkeypatch, tmp_path):
    monkeypatch.setattr(sandbox_module, "missing_binaries", lambda: [])
    idle = Prometheus("/nonexistent/prometheus", tmp_path / "prometheus", {"blue": 8001, "green": 8002})

    with pytest.raises(UsageError, match=r"shared Prometheus is not running \(start it with start_prometheus\(\)\)"):
        Sandbox({"web:1.0": None}, live_image="web:1.0", prometheus=idle)
    assert not (tmp_path / "prometheus").exists()


def test_zero_weight_marks_the_upstream_down(tmp_path: Path):
    nginx = Nginx("/nonexistent/nginx", tmp_path / "nginx")

    nginx._write({8001: 100, 8002: 0})

    routing = (tmp_path / "nginx" / "routing.conf").read_text()
    assert "server 127.0.0.1:8001 weight=100;" in routing
    assert "server 127.0.0.1:8002 down;" in routing


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status, response.headers["X-Rollway-Color"]
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers["X-Rollway-Color"]


@pytest.fixture
def faulty() -> Iterator[DemoApp]:
    app = DemoApp("green", "web:2.0-bad", fail_after=2).start()
    yield app
    app.stop()


def test_faulty_app_starts_failing_after_its_healthy_requests(faulty: DemoApp):
    url = f"http://127.0.0.1:{faulty.port}/"

    assert [_get(url) for _ in range(3)] == [(200, "green"), (200, "green"), (500, "green")]


def test_app_metrics_count_requests_by_status(faulty: DemoApp):
    url = f"http://127.0.0.1:{faulty.port}"
    for _ in range(3):
        _get(url + "/")

    with urllib.request.urlopen(url + "/metrics", timeout=2) as response:
        metrics = response.read().decode()
    assert 'http_requests_total{code="200"} 2' in metrics
    assert 'http_requests_total{code="500"} 1' in metrics
