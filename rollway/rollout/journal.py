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


def _torn(raw: bytes, number: int, lines: list[bytes]) -> bool:
    """A torn write: the file's last line, or a line a later append terminated (it ends where a record starts)."""
    if number == len(lines) or all(not later.strip() for later in lines[number:]):
        return True
    # Records are ASCII JSON objects (json.dumps escapes the rest): a torn one is a prefix of `{...}`.
    text = raw.strip()
    return text.startswith(b"{") and not text.endswith(b"}") and text.isascii()


def ensure_dir(path: Path) -> None:
    """Create a state directory, or UsageError naming the path when that is impossible (a file in the way, no permission)."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise UsageError(f"{path}: exists and is not a directory; --state-dir must name a directory") from None
    except NotADirectoryError:
        raise UsageError(f"{path}: a parent of it is a file, not a directory; --state-dir must name a directory") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot create the state directory: {exc.strerror or exc}") from None


class Journal:
    """Journal file of one stack.

    Args:
        path: The JSON-lines file (created with its directory on first write).
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def records(self) -> list[dict[str, Any]]:
        """Every record, oldest first; UsageError naming the line and the way out when the file is corrupted."""
        if self.path.is_dir():
            raise UsageError(f"{self.path}: the rollout journal is a directory; move it aside")
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise UsageError(f"{self.path}: cannot read the rollout journal: {exc.strerror or exc}") from None
        lines = data.split(b"\n")
        records: list[dict[str, Any]] = []
        for number, raw in enumerate(lines, start=1):
            if not raw.strip():
                continue
            try:
                record = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError):
                # A crash mid-write tears a line without its newline; the next append terminates it. Such a
                # record was never acted on, so it is skipped. Anything else unreadable is corruption.
                if _torn(raw, number, lines):
                    continue
                raise UsageError(self._corrupted(number, "is not a JSON record")) from None
            if not isinstance(record, dict):
                raise UsageError(self._corrupted(number, "is not a JSON object"))
            records.append(record)
        return records

    def _corrupted(self, number: int, what: str) -> str:
        return (
            f"{self.path}: line {number} {what}; the rollout journal is corrupted. Recover: check the service's "
            f"liveColor/canaryWeight with `pulumi config --stack <stack>` (and `rollway rollout status`), then move "
            f"the journal aside (mv {self.path} {self.path}.corrupt) and re-run; a rollout it held is then not resumable"
        )

    def append(self, record: dict[str, Any]) -> None:
        ensure_dir(self.path.parent)
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

    def history(self) -> list[dict[str, Any]]:
        """One summary per rollout in the journal, oldest first: id, service, outcome (or `unfinished`), reason, times."""
        summaries: dict[str, dict[str, Any]] = {}
        for record in self.records():
            rollout_id = str(record.get("id"))
            if record.get("rec") == "begin":
                found = record.get("plan")
                plan: dict[str, Any] = found if isinstance(found, dict) else {}
                summaries[rollout_id] = {
                    "id": rollout_id,
                    "service": plan.get("service"),
                    "strategy": plan.get("strategy"),
                    "canary": plan.get("canary"),
                    "startedAt": record.get("at"),
                    "outcome": "unfinished",
                }
            elif rollout_id in summaries and record.get("rec") == "end":
                summaries[rollout_id].update(outcome=record.get("outcome"), reason=record.get("reason"), endedAt=record.get("at"))
        return list(summaries.values())

    def last_begin(self) -> dict[str, Any] | None:
        """The newest `begin` record (its plan holds the spec), or None."""
        begins = [record for record in self.records() if record.get("rec") == "begin"]
        return begins[-1] if begins else None

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
