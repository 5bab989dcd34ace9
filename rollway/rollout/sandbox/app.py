"""A tiny HTTP app with Prometheus metrics: the two "versions" the end-to-end test and the bench release.

Healthy: every request answers 200. Faulty: after `fail_after` requests it answers 500, like a release
whose bug shows up under real traffic. Every answer carries `X-Rollway-Color` so callers can tell
which color served them.
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)


class _Metrics:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.by_code: dict[str, int] = {}
        self.buckets = [0] * len(BUCKETS)
        self.sum = 0.0
        self.count = 0

    def observe(self, code: int, seconds: float) -> None:
        with self.lock:
            self.by_code[str(code)] = self.by_code.get(str(code), 0) + 1
            for index, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    self.buckets[index] += 1
            self.sum += seconds
            self.count += 1

    def render(self) -> str:
        with self.lock:
            lines = [
                "# HELP http_requests_total Requests served, by status code.",
                "# TYPE http_requests_total counter",
            ]
            # Always expose the 200 and 500 series so rate() has a baseline before the first error.
            for code in sorted({"200", "500", *self.by_code}):
                lines.append(f'http_requests_total{{code="{code}"}} {self.by_code.get(code, 0)}')
            lines += [
                "# HELP http_request_duration_seconds Request latency.",
                "# TYPE http_request_duration_seconds histogram",
            ]
            for bound, count in zip(BUCKETS, self.buckets, strict=True):
                lines.append(f'http_request_duration_seconds_bucket{{le="{bound}"}} {count}')
            lines.append(f'http_request_duration_seconds_bucket{{le="+Inf"}} {self.count}')
            lines.append(f"http_request_duration_seconds_sum {self.sum}")
            lines.append(f"http_request_duration_seconds_count {self.count}")
            return "\n".join(lines) + "\n"


class DemoApp:
    """One app version listening on 127.0.0.1.

    Args:
        color: Slot it serves (reported in a response header).
        version: Version string (reported in the body).
        fail_after: Requests answered 200 before it starts answering 500; None never fails.
        port: Port to bind (0 picks a free one).
    """

    def __init__(self, color: str, version: str, fail_after: int | None = None, port: int = 0) -> None:
        self.color = color
        self.version = version
        self.fail_after = fail_after
        self.metrics = _Metrics()
        self.served = 0
        self.first_failure_at: float | None = None
        """time.monotonic() of the first 500 answered."""
        app = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def do_GET(self) -> None:
                if self.path == "/metrics":
                    self._send(200, app.metrics.render(), "text/plain; version=0.0.4")
                    return
                if self.path == "/healthz":
                    self._send(200, "ok\n")
                    return
                started = time.monotonic()
                with app.metrics.lock:
                    app.served += 1
                    failing = app.fail_after is not None and app.served > app.fail_after
                    if failing and app.first_failure_at is None:
                        app.first_failure_at = started
                code = 500 if failing else 200
                # Counted before the answer is written: a client that has its answer sees it in /metrics.
                app.metrics.observe(code, time.monotonic() - started)
                self._send(code, f"{'error' if failing else 'hello'} from {app.version} on {app.color}\n")

            def _send(self, code: int, body: str, content_type: str = "text/plain") -> None:
                data = body.encode()
                self.send_response(code)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.send_header("X-Rollway-Color", app.color)
                self.send_header("X-Rollway-Version", app.version)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                return  # keep test output clean

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)

    def start(self) -> DemoApp:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
