"""Journal durability and the per-stack lock."""

from __future__ import annotations

from pathlib import Path

import pytest
from rollout_helpers import spec, state

from rollway.rollout.errors import UsageError
from rollway.rollout.journal import Journal
from rollway.rollout.lock import StackLock
from rollway.rollout.plan import build_plan


def _begin(journal: Journal) -> None:
    plan = build_plan(spec(), state(), "dev")
    journal.append({"rec": "begin", "id": "r1", "at": 1.0, "plan": plan.to_json(), "fingerprint": plan.fingerprint})


def test_a_rollout_without_an_end_record_is_unfinished(tmp_path: Path):
    journal = Journal(tmp_path / "j.jsonl")
    _begin(journal)
    journal.append({"rec": "phase", "id": "r1", "index": 0, "status": "done"})

    progress = journal.unfinished()

    assert progress is not None and progress.next_phase == 1


def test_an_ended_rollout_is_finished(tmp_path: Path):
    journal = Journal(tmp_path / "j.jsonl")
    _begin(journal)
    journal.append({"rec": "end", "id": "r1", "outcome": "promoted"})

    assert journal.unfinished() is None


def test_a_line_torn_by_a_crash_is_skipped_and_later_records_still_count(tmp_path: Path):
    journal = Journal(tmp_path / "j.jsonl")
    _begin(journal)
    with journal.path.open("a") as handle:
        handle.write('{"rec": "phase", "id": "r1", "ind')
    journal.append({"rec": "phase", "id": "r1", "index": 0, "status": "done"})

    progress = journal.unfinished()

    assert progress is not None and progress.next_phase == 1


def test_second_lock_on_a_stack_is_refused_naming_the_holder(tmp_path: Path):
    with (
        StackLock(tmp_path / "lock", {"service": "web"}),
        pytest.raises(UsageError, match=r'another rollout holds the lock.*"service": "web"'),
        StackLock(tmp_path / "lock", {"service": "api"}),
    ):
        pass


def test_lock_is_free_again_after_release(tmp_path: Path):
    with StackLock(tmp_path / "lock", {"service": "web"}):
        pass

    with StackLock(tmp_path / "lock", {"service": "api"}) as lock:
        assert lock.path.read_text().startswith("{")
