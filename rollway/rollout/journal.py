"""The rollout journal: an append-only JSON-lines file per stack that makes a rollout resumable.

Each record is written and fsynced before the controller acts on the next decision, so after a crash
the journal says which phase was running, how much failure budget was spent, and whether a rollback
had begun. A rollout is unfinished until its `end` record.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rollway.rollout.errors import UsageError
from rollway.rollout.plan import Plan


@dataclass
class Progress:
    """Where an unfinished rollout stopped."""

    id: str
    """Rollout id."""
    plan: Plan
    """The plan it was following."""
    started_at: float
    """Epoch seconds of its `begin` record (the deadline counts from here)."""
    next_phase: int
    """Index of the first phase not recorded as done."""
    failures: int
    """Failed measurements so far."""
    rollback_reason: str | None
    """Set when a rollback had begun but not finished."""


class Journal:
    """Journal file of one stack.

    Args:
        path: The JSON-lines file (created with its directory on first write).
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def records(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        lines = self.path.read_text(encoding="utf-8").splitlines()
        records: list[dict[str, Any]] = []
        for line in lines:
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                # Only a crash mid-write tears a line; its record was never acted on, so it is skipped.
                continue
            if isinstance(record, dict):
                records.append(record)
        return records

    def append(self, record: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        torn = False
        if self.path.exists() and self.path.stat().st_size > 0:
            with self.path.open("rb") as existing:
                existing.seek(-1, os.SEEK_END)
                torn = existing.read(1) != b"\n"
        with self.path.open("a", encoding="utf-8") as handle:
            if torn:
                # Terminate a line torn by a crash so this record starts on its own line.
                handle.write("\n")
            handle.write(json.dumps(record, sort_keys=True) + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def unfinished(self) -> Progress | None:
        """The latest rollout if it has no `end` record."""
        records = self.records()
        begin_index = max((i for i, record in enumerate(records) if record.get("rec") == "begin"), default=None)
        if begin_index is None:
            return None
        begin = records[begin_index]
        rollout_id = begin.get("id")
        mine = [record for record in records[begin_index:] if record.get("id") == rollout_id]
        if any(record.get("rec") == "end" for record in mine):
            return None
        try:
            plan = Plan.from_json(begin["plan"])
        except (KeyError, TypeError) as exc:
            raise UsageError(f"{self.path}: the unfinished rollout's plan can't be read ({exc}); move the file aside") from None
        done = [record["index"] for record in mine if record.get("rec") == "phase" and record.get("status") == "done"]
        rollbacks = [record for record in mine if record.get("rec") == "rollback"]
        return Progress(
            id=str(rollout_id),
            plan=plan,
            started_at=float(begin.get("at", 0.0)),
            next_phase=max(done) + 1 if done else 0,
            failures=sum(1 for record in mine if record.get("rec") == "failure"),
            rollback_reason=str(rollbacks[-1].get("reason")) if rollbacks else None,
        )
