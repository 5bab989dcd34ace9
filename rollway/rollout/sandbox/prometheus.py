"""A private Prometheus on 127.0.0.1 scraping the sandbox apps every 500 ms, one target per color.

One instance can serve a series of sandboxes (its targets are fixed ports): `forget()` deletes every scraped
series through the admin API, so the next sandbox's queries never see the previous one's requests.
"""

from __future__ import annotations

import json
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from rollway.rollout.sandbox.procs import free_port, http_get, stop_process, wait_until

SCRAPE_INTERVAL = "500ms"
SCRAPE_TIMEOUT_SECONDS = 0.4
JOB = "rollway-demo"

_CONFIG = """\
global:
  scrape_interval: {interval}
  scrape_timeout: {timeout_ms}ms
  evaluation_interval: {interval}
scrape_configs:
  - job_name: {job}
    static_configs:
{targets}
"""


class Prometheus:
    """Prometheus with its own config and TSDB directory.

    Args:
        binary: Path of the prometheus executable.
        directory: Working directory for config, data and log.
        targets: Color -> app port; each target gets a `color` label.
        service: Value of every target's `service` label (the default analysis selects on service and color).
    """

    def __init__(self, binary: str, directory: Path, targets: dict[str, int], service: str = "web") -> None:
        self.binary = binary
        self.service = service
        self.directory = directory
        self.targets = targets
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self._targets_stopped_at = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Launch and wait until the scrape loop has the targets (~5 s: service discovery's first hand-over)."""
        self.launch()
        self.wait_ready()

    def launch(self) -> None:
        """Start the process and return at once; wait_ready() before relying on it."""
        self.directory.mkdir(parents=True, exist_ok=True)
        targets = "\n".join(
            f"      - targets: ['127.0.0.1:{port}']\n        labels: {{color: {color}, service: {self.service}}}"
            for color, port in self.targets.items()
        )
        config = self.directory / "prometheus.yml"
        config.write_text(
            _CONFIG.format(interval=SCRAPE_INTERVAL, timeout_ms=round(SCRAPE_TIMEOUT_SECONDS * 1000), job=JOB, targets=targets),
            encoding="utf-8",
        )
        log = (self.directory / "prometheus.log").open("wb")
        self.process = subprocess.Popen(
            [
                self.binary,
                f"--config.file={config}",
                f"--storage.tsdb.path={self.directory / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--log.level=warn",
                # forget() deletes series between sandboxes; the instance listens on 127.0.0.1 only.
                "--web.enable-admin-api",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=self.directory,
        )

    def wait_ready(self) -> None:
        """Return once Prometheus answers and its scrape loop has every target (stopped, with an error, if not)."""
        assert self.process is not None, "launch() prometheus first"

        def ready() -> bool:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"prometheus exited with {self.process.returncode}; see {self.directory / 'prometheus.log'}")
            return http_get(f"{self.url}/-/ready", timeout=0.5)[0] == 200

        def scraping() -> bool:
            # Service discovery hands targets to the scrape loop in batches every ~5 s; wait for the first.
            status, body = http_get(f"{self.url}/api/v1/targets", timeout=0.5)
            return status == 200 and len(json.loads(body)["data"]["activeTargets"]) == len(self.targets)

        try:
            wait_until(ready, 20, "prometheus")
            wait_until(scraping, 20, "prometheus targets", poll=0.2)
        except TimeoutError:
            self.stop()
            raise RuntimeError(f"prometheus did not become ready; see {self.directory / 'prometheus.log'}") from None

    def targets_stopped(self) -> None:
        """Record that the apps behind the targets are gone (a sandbox closed); see forget()."""
        self._targets_stopped_at = time.monotonic()

    def forget(self) -> None:
        """Delete every sample scraped so far, so queries see only what the targets expose from now on.

        A scrape started before the previous apps stopped may still be appending their samples; forget() first
        waits out one scrape timeout after targets_stopped(), so those samples are in the TSDB and deleted too.
        """
        assert self.process is not None, "start() prometheus first"
        time.sleep(max(0.0, self._targets_stopped_at + SCRAPE_TIMEOUT_SECONDS + 0.1 - time.monotonic()))
        query = urllib.parse.urlencode({"match[]": f'{{job="{JOB}"}}'})
        request = urllib.request.Request(f"{self.url}/api/v1/admin/tsdb/delete_series?{query}", method="POST")
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                status = response.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        except OSError as exc:
            raise RuntimeError(f"prometheus did not delete the previous series: {exc}") from None
        if status != 204:
            raise RuntimeError(f"prometheus answered {status} to delete_series; see {self.directory / 'prometheus.log'}")

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)
            self.process = None
