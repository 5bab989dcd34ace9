"""A private nginx on 127.0.0.1 as a weighted proxy between the blue and green app ports.

Weights are rewritten into an included file and applied with SIGHUP (a graceful reload). Each reload
bumps a generation number served at /__rollway/generation, and `apply` waits until nginx answers with
the new one, so "applied" means new connections already see the new weights.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from rollway.rollout.sandbox.procs import free_port, http_get, stop_process, wait_until

_MAIN = """\
worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 512; }}
http {{
    access_log off;
    client_body_temp_path {dir}/tmp/body;
    proxy_temp_path {dir}/tmp/proxy;
    fastcgi_temp_path {dir}/tmp/fastcgi;
    uwsgi_temp_path {dir}/tmp/uwsgi;
    scgi_temp_path {dir}/tmp/scgi;
    include {dir}/routing.conf;
}}
"""

_ROUTING = """\
upstream app {{
{servers}
}}
server {{
    listen 127.0.0.1:{port};
    location = /__rollway/generation {{ return 200 "{generation}"; }}
    location / {{
        proxy_pass http://app;
        proxy_set_header Connection "";
    }}
}}
"""


class Nginx:
    """nginx with its own prefix directory.

    Args:
        binary: Path of the nginx executable.
        directory: Working directory for config, pid, logs and temp files.
    """

    def __init__(self, binary: str, directory: Path) -> None:
        self.binary = binary
        self.directory = directory
        self.port = free_port()
        self.generation = 0
        self.process: subprocess.Popen[bytes] | None = None
        (directory / "tmp").mkdir(parents=True, exist_ok=True)
        # Workers drop to an unprivileged user when started as root; they must traverse this directory.
        os.chmod(directory, 0o755)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _write(self, weights: dict[int, int]) -> None:
        servers = "\n".join(
            f"    server 127.0.0.1:{port} weight={weight};" if weight > 0 else f"    server 127.0.0.1:{port} down;"
            for port, weight in weights.items()
        )
        text = _ROUTING.format(servers=servers, port=self.port, generation=self.generation)
        tmp = self.directory / "routing.conf.tmp"
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(self.directory / "routing.conf")

    def start(self, weights: dict[int, int]) -> None:
        """Start with `weights` (upstream port -> weight; 0 marks the server down)."""
        self.generation = 1
        self._write(weights)
        (self.directory / "nginx.conf").write_text(_MAIN.format(dir=self.directory), encoding="utf-8")
        log = (self.directory / "stderr.log").open("wb")
        self.process = subprocess.Popen(
            [
                self.binary,
                "-p",
                str(self.directory),
                "-c",
                str(self.directory / "nginx.conf"),
                "-e",
                str(self.directory / "error.log"),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        try:
            wait_until(self._serving_current, 10, "nginx")
        except TimeoutError:
            self.stop()
            raise RuntimeError(f"nginx did not start; see {self.directory / 'error.log'}") from None

    def _serving_current(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise RuntimeError(f"nginx exited with {self.process.returncode}; see {self.directory / 'error.log'}")
        status, body = http_get(f"{self.url}/__rollway/generation", timeout=0.5)
        return status == 200 and body.strip() == str(self.generation)

    def apply(self, weights: dict[int, int], timeout: float = 5.0) -> float:
        """Rewrite weights, reload, wait until served; returns the seconds it took."""
        assert self.process is not None, "start() nginx first"
        started = time.monotonic()
        self.generation += 1
        self._write(weights)
        self.process.send_signal(signal.SIGHUP)
        wait_until(self._serving_current, timeout, "nginx reload", poll=0.005)
        return time.monotonic() - started

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)
            self.process = None
