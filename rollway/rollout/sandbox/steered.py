"""A Prometheus-compatible query API on 127.0.0.1 whose answers the caller sets.

The real-engine rollout tests and `bench/rollout_recovery.py --scenario real-engine` drive `rollway rollout` against
the offline Pulumi engine, where no traffic flows: this server stands in for the metrics of the canary so the
default analysis (`request-success-rate`, `request-latency`) sees a healthy or a failing build on demand.

    with SteeredMetrics() as metrics:          # --metrics-url metrics.url
        metrics.success_rate = 0.5             # the next measurement fails the default success-rate check
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType


class SteeredMetrics:
    """Answers every instant query with one sample: `latency_seconds` for a `histogram_quantile(...)` query
    (the default latency check), `success_rate` for any other (the default success-rate check).

    Attributes are read at each request, so a test can flip them while a rollout runs.
    """

    def __init__(self, success_rate: float = 1.0, latency_seconds: float = 0.05) -> None:
        self.success_rate = success_rate
        self.latency_seconds = latency_seconds
        self.queries: list[str] = []
        """Every query received, in order."""
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner._answer(self)

            def log_message(self, format: str, *args: object) -> None:
                pass  # the test output stays readable

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="steered-metrics", daemon=True)
        self._thread.start()

    def _answer(self, request: BaseHTTPRequestHandler) -> None:
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(request.path).query).get("query", [""])[0]
        with self._lock:
            self.queries.append(query)
        value = self.latency_seconds if "histogram_quantile" in query else self.success_rate
        sample = {"metric": {}, "value": [time.time(), repr(float(value))]}
        body = json.dumps({"status": "success", "data": {"resultType": "vector", "result": [sample]}}).encode()
        request.send_response(200)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> SteeredMetrics:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()
