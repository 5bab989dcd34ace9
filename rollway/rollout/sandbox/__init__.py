"""A local, real stand-in for a cloud stack: two app colors behind nginx, scraped by Prometheus.

Used by the end-to-end tests and bench/rollout_recovery.py to run the real controller against real traffic:
`NginxDeployer` implements the Deployer seam by rewriting nginx's upstream weights and reloading it
(route) and by starting/stopping the color's app (deploy). Everything listens on 127.0.0.1 only.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from rollway.helpers import weight_split
from rollway.rollout.deployer import Color, ServiceState
from rollway.rollout.errors import DeployError, UsageError
from rollway.rollout.sandbox.app import DemoApp
from rollway.rollout.sandbox.nginx import Nginx
from rollway.rollout.sandbox.procs import find_binary, free_port
from rollway.rollout.sandbox.prometheus import Prometheus

__all__ = ["DemoApp", "LoadGenerator", "NginxDeployer", "Prometheus", "Sandbox", "missing_binaries", "start_prometheus"]


def missing_binaries() -> list[str]:
    """Which of nginx and prometheus are not installed (empty when the sandbox can run)."""
    return [name for name in ("nginx", "prometheus") if find_binary(name) is None]


def start_prometheus(directory: Path, service: str = "web", wait: bool = True) -> Prometheus:
    """A running Prometheus scraping a blue and a green port, for a series of `Sandbox(..., prometheus=...)`.

    Started once, it spares each sandbox the ~5 s wait for service discovery; the caller stops it. With
    `wait=False` it returns right after launching: call `wait_ready()` on it before the first sandbox.
    """
    binary = find_binary("prometheus")
    if binary is None:
        raise RuntimeError("the sandbox needs prometheus (run .ci/install-e2e as root)")
    prometheus = Prometheus(binary, directory, {"blue": free_port(), "green": free_port()}, service)
    if wait:
        prometheus.start()
    else:
        prometheus.launch()
    return prometheus


@dataclass
class NginxDeployer:
    """Deployer over the sandbox: route() reweights nginx, deploy() (re)starts or stops a color's app.

    Args:
        nginx: The running proxy.
        service: The one service this sandbox serves.
        ports: Fixed port per color (Prometheus scrapes them; apps restart on the same port).
        versions: Image -> requests answered before failing (None: healthy), i.e. what each "image" does.
        state: Current state (live color, weight, images).
    """

    nginx: Nginx
    service: str
    ports: dict[Color, int]
    versions: dict[str, int | None]
    state: ServiceState
    apps: dict[Color, DemoApp] = field(default_factory=dict)
    route_seconds: list[float] = field(default_factory=list)
    """How long each route() took (rewrite + reload + confirmed)."""
    route_log: list[tuple[float, Color, int]] = field(default_factory=list)
    """(time.monotonic() when applied, live color, canary weight) per route()."""

    def _weights(self, live: Color, weight: int) -> dict[int, int]:
        split = weight_split(live, weight)
        return {self.ports[color]: split[color] for color in ("blue", "green")}

    def start(self) -> None:
        for color in ("blue", "green"):
            image = self.state.images.get(color)
            if image is not None:
                self._start_app(color, image)
        self.nginx.start(self._weights(self.state.live_color, self.state.canary_weight))

    def _start_app(self, color: Color, image: str) -> None:
        if image not in self.versions:
            raise DeployError(f"sandbox has no app version for image {image!r} (known: {', '.join(self.versions)})")
        self._stop_app(color)
        self.apps[color] = DemoApp(color, image, self.versions[image], port=self.ports[color]).start()

    def _stop_app(self, color: Color) -> None:
        app = self.apps.pop(color, None)
        if app is not None:
            app.stop()

    def read(self, service: str) -> ServiceState:
        if service != self.service:
            raise UsageError(f"service `{service}` is not in the sandbox (it serves `{self.service}`)")
        return self.state

    def route(self, service: str, live_color: Color, canary_weight: int) -> None:
        try:
            took = self.nginx.apply(self._weights(live_color, canary_weight))
        except (TimeoutError, RuntimeError) as exc:
            raise DeployError(f"nginx reload failed: {exc}") from None
        self.route_seconds.append(took)
        self.route_log.append((time.monotonic(), live_color, canary_weight))
        self.state = ServiceState(live_color, canary_weight, dict(self.state.images))

    def deploy(self, service: str, color: Color, image: str | None) -> None:
        if image is None:
            self._stop_app(color)
        else:
            self._start_app(color, image)
        images = dict(self.state.images)
        images[color] = image
        self.state = ServiceState(self.state.live_color, self.state.canary_weight, images)

    def stop(self) -> None:
        for color in list(self.apps):
            self._stop_app(color)


@dataclass(frozen=True)
class Hit:
    """One request of the load generator."""

    at: float
    """time.monotonic() when the response arrived."""
    status: int
    """HTTP status (0: connection error)."""
    color: str
    """Color that served it (X-Rollway-Color), empty when unknown."""


class LoadGenerator:
    """Steady traffic through nginx from a background thread, recording who served each request.

    Args:
        url: Front door URL.
        rate: Requests per second (best effort; each request is a new connection).
    """

    def __init__(self, url: str, rate: float = 100.0) -> None:
        self.url = url
        self.rate = rate
        self.hits: list[Hit] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="rollway-load")

    def _run(self) -> None:
        period = 1.0 / self.rate
        next_at = time.monotonic()
        while not self._stop.is_set():
            try:
                with urllib.request.urlopen(self.url, timeout=2) as response:
                    hit = Hit(time.monotonic(), response.status, response.headers.get("X-Rollway-Color", ""))
            except urllib.error.HTTPError as exc:
                hit = Hit(time.monotonic(), exc.code, exc.headers.get("X-Rollway-Color", "") if exc.headers else "")
            except (urllib.error.URLError, OSError):
                hit = Hit(time.monotonic(), 0, "")
            self.hits.append(hit)
            next_at += period
            self._stop.wait(max(0.0, next_at - time.monotonic()))

    def __enter__(self) -> LoadGenerator:
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


class Sandbox:
    """Starts apps, nginx and Prometheus in a temp directory; stops everything on exit, whatever happened.

    Args:
        versions: Image -> requests before failing (None: healthy).
        live_image: Image of the live color (blue) at the start.
        service: Service name the deployer answers to.
        prometheus: A running Prometheus from `start_prometheus` to reuse (it saves the ~5 s its service
            discovery takes to hand targets to the scrape loop). The apps listen on its target ports, its
            series are deleted on entry (nothing from an earlier sandbox is seen) and it keeps running on
            exit. Default: a Prometheus of this sandbox's own, started on entry and stopped on exit.
    """

    def __init__(
        self, versions: dict[str, int | None], live_image: str, service: str = "web", prometheus: Prometheus | None = None
    ) -> None:
        missing = missing_binaries()
        if missing:
            raise RuntimeError(f"the sandbox needs {' and '.join(missing)} (run .ci/install-e2e as root)")
        if prometheus is not None:
            if prometheus.process is None:
                raise UsageError("the shared Prometheus is not running (start it with start_prometheus())")
            if prometheus.service != service or set(prometheus.targets) != {"blue", "green"}:
                raise UsageError(
                    f"the shared Prometheus scrapes service `{prometheus.service}` colors {sorted(prometheus.targets)};"
                    f" this sandbox serves `{service}` on blue and green"
                )
        self._tmp = tempfile.TemporaryDirectory(prefix="rollway-sandbox-")
        self.directory = Path(self._tmp.name)
        # nginx workers run unprivileged when the tests run as root; let them traverse the tree.
        os.chmod(self.directory, 0o755)
        nginx_binary, prometheus_binary = find_binary("nginx"), find_binary("prometheus")
        assert nginx_binary is not None and prometheus_binary is not None  # checked above
        self._owns_prometheus = prometheus is None
        if prometheus is None:
            prometheus = Prometheus(
                prometheus_binary, self.directory / "prometheus", {"blue": free_port(), "green": free_port()}, service
            )
        ports: dict[Color, int] = {"blue": prometheus.targets["blue"], "green": prometheus.targets["green"]}
        self.nginx = Nginx(nginx_binary, self.directory / "nginx")
        self.prometheus = prometheus
        self.deployer = NginxDeployer(
            self.nginx, service, ports, versions, ServiceState("blue", 0, {"blue": live_image, "green": None})
        )

    def __enter__(self) -> Sandbox:
        try:
            self.deployer.start()
            if self._owns_prometheus:
                self.prometheus.start()
            else:
                self.prometheus.forget()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        # Each stop is independent: one failing must not leave the others running.
        stops = (
            (self.prometheus.stop, self.nginx.stop, self.deployer.stop)
            if self._owns_prometheus
            else (self.nginx.stop, self.deployer.stop)
        )
        for stop in stops:
            with contextlib.suppress(Exception):
                stop()
        if not self._owns_prometheus:
            self.prometheus.targets_stopped()
        self._tmp.cleanup()

    def error_rate_query(self) -> str:
        """PromQL: share of 5xx among the canary color's requests over the last 2 s."""
        selector = 'http_requests_total{color="$canary"'
        return f'sum(rate({selector},code=~"5.."}}[2s])) / sum(rate({selector}}}[2s]))'
