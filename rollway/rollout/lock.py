"""One rollout per stack: an exclusive flock on `<state dir>/<stack>/lock`, released by the kernel if we crash."""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from pathlib import Path
from types import TracebackType
from typing import IO

from rollway.rollout.errors import UsageError
from rollway.rollout.journal import ensure_dir


class StackLock:
    """Context manager holding the stack's rollout lock.

    Args:
        path: Lock file path.
        holder: What to write into the lock file for whoever is refused (service, command).
    """

    def __init__(self, path: Path, holder: dict[str, str]) -> None:
        self.path = path
        self.holder = holder
        self._handle: IO[str] | None = None

    def __enter__(self) -> StackLock:
        ensure_dir(self.path.parent)
        try:
            handle = self.path.open("a+", encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"{self.path}: cannot open the rollout lock: {exc.strerror or exc}") from None
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            owner = handle.read().strip() or "unknown holder"
            handle.close()
            raise UsageError(f"another rollout holds the lock on this stack ({self.path}): {owner}") from None
        handle.seek(0)
        handle.truncate()
        info = {
            **self.holder,
            "pid": str(os.getpid()),
            "host": socket.gethostname(),
            "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        handle.write(json.dumps(info, sort_keys=True))
        handle.flush()
        self._handle = handle
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None) -> None:
        if self._handle is not None:
            self._handle.seek(0)
            self._handle.truncate()
            fcntl.flock(self._handle.fileno(), fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None
