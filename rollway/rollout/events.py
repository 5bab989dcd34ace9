"""Rollout events: JSON lines for CI and a live progress view for people, fed by the same stream."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TextIO

from rollway.rollout.durations import format_duration


@dataclass(frozen=True)
class Event:
    """Something the controller did or measured."""

    kind: str
    """Dotted name, e.g. `phase.started`, `analysis.measurement`, `rollback.completed`."""
    data: dict[str, Any] = field(default_factory=dict)
    """Event fields (camelCase, JSON-serialisable)."""
    at: float = field(default_factory=time.time)
    """Epoch seconds."""

    def to_json(self) -> dict[str, Any]:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(self.at)) + f".{int(self.at % 1 * 1000):03d}Z"
        return {"event": self.kind, "time": stamp, **self.data}


class EventSink(Protocol):
    def emit(self, event: Event) -> None: ...


class JsonLinesSink:
    """One JSON object per line, flushed per event so CI sees progress live.

    Args:
        stream: Where to write.
    """

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def emit(self, event: Event) -> None:
        self.stream.write(json.dumps(event.to_json(), default=str) + "\n")
        self.stream.flush()


class RecordingSink:
    """Keeps events in memory (tests, bench)."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def emit(self, event: Event) -> None:
        self.events.append(event)

    def kinds(self) -> list[str]:
        return [event.kind for event in self.events]

    def of(self, kind: str) -> list[Event]:
        return [event for event in self.events if event.kind == kind]


class Fanout:
    """Sends each event to several sinks."""

    def __init__(self, sinks: Sequence[EventSink]) -> None:
        self.sinks = list(sinks)

    def emit(self, event: Event) -> None:
        for sink in self.sinks:
            sink.emit(event)


_MARK = {True: "ok", False: "FAIL", None: "skip"}


class ProgressView:
    """Human progress: a line per phase and decision; on a terminal the analysis status line redraws in place.

    Args:
        stream: Where to write (stdout).
        tty: Redraw the status line in place (default: whether `stream` is a terminal).
    """

    def __init__(self, stream: TextIO | None = None, tty: bool | None = None) -> None:
        self.stream = stream or sys.stdout
        self.tty = self.stream.isatty() if tty is None else tty
        self._status_shown = False
        self._last: dict[str, str] = {}

    def _line(self, text: str) -> None:
        if self._status_shown and self.tty:
            self.stream.write("\r\033[K")
        self._status_shown = False
        self.stream.write(text + "\n")
        self.stream.flush()

    def _status(self, text: str) -> None:
        if self.tty:
            self.stream.write("\r\033[K" + text)
            self._status_shown = True
            self.stream.flush()
        else:
            self._line(text)

    def emit(self, event: Event) -> None:
        data = event.data
        kind = event.kind
        if kind in ("rollout.started", "rollout.resumed"):
            verb = "resuming" if kind == "rollout.resumed" else "rolling out"
            self._line(
                f"{verb} {data['service']} on stack {data['stack']}: {data['strategy']}, "
                f"{data['stable']} (live) -> {data['canary']}, {data['phases']} phase(s)"
            )
            for note in data.get("notes", []):
                self._line(f"  note: {note}")
        elif kind == "phase.started":
            self._line(f"[{data['index'] + 1}/{data['total']}] {data['label']}")
        elif kind == "route.applied":
            self._line(f"      traffic: {data['liveColor']} live, {data['canaryWeight']}% canary ({data['durationMs']}ms)")
        elif kind == "analysis.measurement":
            self._last[data["check"]] = f"{data['check']} {_MARK[data['ok']]}"
            if data["ok"] is False:
                self._line(
                    f"      {data['check']}: FAIL {data['detail']} (failed {data['failures']}, limit {data['failureLimit']})"
                )
        elif kind == "analysis.tick":
            checks = "  ".join(self._last.values()) or "no checks"
            self._status(
                f"      {data['label']}: {checks} | {format_duration(data['bakeLeft'])} left in step, "
                f"deadline in {format_duration(data['deadlineLeft'])}"
            )
        elif kind == "gate.waiting":
            self._line(f"      waiting for approval: create {data['approvalFile']} (write `reject` to reject)")
        elif kind == "rollback.started":
            self._line(f"ROLLBACK: {data['reason']} (decided in {data['decisionLatencyMs']}ms)")
        elif kind == "rollback.completed":
            self._line(f"rolled back: all traffic on {data['liveColor']} ({data['durationMs']}ms)")
        elif kind == "rollback.failed":
            self._line(f"ROLLBACK FAILED: {data['error']}; re-run with --abort to retry it")
        elif kind == "warning":
            self._line(f"warning: {data['message']}")
        elif kind == "rollout.promoted":
            self._line(f"promoted: {data['service']} now live on {data['liveColor']} in {format_duration(data['elapsed'])}")
        elif kind == "rollout.rolled_back":
            self._line(f"rolled back: {data['reason']}")
        elif kind == "wave.started":
            self._line(f"== wave {data['wave']}/{data['waves']}: {data['service']} on {data['stack']}")
        elif kind == "wave.stopped":
            rest = ", ".join(data["notStarted"]) or "none"
            self._line(f"== wave {data['wave']}/{data['waves']} on {data['stack']} did not promote; not started: {rest}")
