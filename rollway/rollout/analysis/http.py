"""HTTP smoke probe: status, body match and p95 latency over a few requests, with retries."""

from __future__ import annotations

import math
import re
import time
import urllib.error
import urllib.request

from rollway.rollout.analysis.base import Context, Reading
from rollway.rollout.spec import HttpProbe


def p95(latencies: list[float]) -> float:
    """Nearest-rank 95th percentile."""
    ordered = sorted(latencies)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


class HttpProvider:
    """Probes a URL `requests` times per measurement.

    Args:
        probe: URL, expectations and limits.
    """

    def __init__(self, probe: HttpProbe) -> None:
        self.probe = probe
        self._body = re.compile(probe.body_matches) if probe.body_matches else None

    def _once(self, url: str, headers: dict[str, str]) -> tuple[int | None, str, float, str]:
        request = urllib.request.Request(url, method=self.probe.method, headers=headers)
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=self.probe.timeout) as response:
                body = response.read(65536).decode("utf-8", "replace")
                return response.status, body, time.monotonic() - started, ""
        except urllib.error.HTTPError as exc:
            body = exc.read(65536).decode("utf-8", "replace") if exc.fp is not None else ""
            return exc.code, body, time.monotonic() - started, ""
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            reason = getattr(exc, "reason", exc)
            return None, "", time.monotonic() - started, str(reason)

    def _problem(self, status: int | None, body: str, error: str) -> str | None:
        if status is None:
            return f"request failed: {error}"
        if status not in self.probe.expect_status:
            return f"status {status}, expected {'/'.join(map(str, self.probe.expect_status))}"
        if self._body is not None and not self._body.search(body):
            return f"body does not match /{self.probe.body_matches}/"
        return None

    def measure(self, context: Context) -> Reading:
        url = context.expand(self.probe.url)
        headers = {key: context.expand(value) for key, value in self.probe.headers.items()}
        latencies: list[float] = []
        for _ in range(self.probe.requests):
            problem: str | None = None
            for _attempt in range(self.probe.retries + 1):
                status, body, latency, error = self._once(url, headers)
                problem = self._problem(status, body, error)
                if problem is None:
                    latencies.append(latency)
                    break
            if problem is not None:
                return Reading(None, f"{problem} after {self.probe.retries + 1} attempt(s)", passed=False)
        value = p95(latencies)
        detail = f"p95 {value * 1000:.0f}ms over {len(latencies)} request(s)"
        if self.probe.max_p95_latency is not None and value > self.probe.max_p95_latency:
            return Reading(value, f"{detail} > {self.probe.max_p95_latency * 1000:.0f}ms", passed=False)
        return Reading(value, detail, passed=True)
