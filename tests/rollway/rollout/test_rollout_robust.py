"""Bad input of every shape (flags, spec files, state) exits 2 with a message naming what and where, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from rollout_helpers import CliRun

from rollway.rollout.errors import UsageError
from rollway.rollout.journal import Journal

FAST = ["--step-duration", "1s", "--drain", "1s", "--interval", "1s", "--no-analysis"]


@pytest.fixture
def run(tmp_path: Path) -> CliRun:
    return CliRun(tmp_path)


@pytest.mark.parametrize("steps", ["12.5,50", "10,abc%", "10,,50", "7.5"])
def test_steps_that_are_not_whole_percents_name_the_part(run, steps):
    assert run("--service", "web", "--steps", steps) == 2

    message = run.stderr.getvalue()
    assert "is not a whole percent" in message and "unknown preset" not in message
    assert run.deployer.calls == []


def test_a_weight_of_zero_or_above_100_is_out_of_range(run):
    assert run("--service", "web", "--steps", "0,50") == 2
    assert "step weight 0 is out of range" in run.stderr.getvalue()
    assert run("--service", "web", "--steps", "50,101") == 2
    assert "step weight 101 is out of range" in run.stderr.getvalue()


def test_weights_1_and_100_are_accepted(run):
    assert run("--service", "web", "--steps", "1,100", *FAST) == 0


def test_a_binary_spec_file_exits_two_naming_the_file(run, tmp_path):
    spec_file = tmp_path / "rollout.yaml"
    spec_file.write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff\xfe")

    assert run("--spec", str(spec_file)) == 2
    assert f"{spec_file}: not a text file" in run.stderr.getvalue()


def test_a_spec_that_is_a_list_exits_two(run, tmp_path):
    spec_file = tmp_path / "rollout.yaml"
    spec_file.write_text("- web\n")

    assert run("--spec", str(spec_file)) == 2
    assert "must be a mapping" in run.stderr.getvalue()


def test_a_state_dir_that_is_a_file_exits_two(run, tmp_path):
    blocker = tmp_path / "state-file"
    blocker.write_text("x")

    assert run("--service", "web", *FAST, state_dir=blocker) == 2
    assert "not a directory" in run.stderr.getvalue() and str(blocker) in run.stderr.getvalue()
    assert run.deployer.calls == []


def test_a_journal_with_bad_bytes_exits_two_with_how_to_recover(run):
    journal = run.state_dir / "dev" / "journal.jsonl"
    journal.parent.mkdir(parents=True)
    journal.write_bytes(b'{"rec": "begin"}\n\xff\xfe\x00garbage\n{"rec": "end"}\n')

    assert run("--service", "web", *FAST) == 2

    message = run.stderr.getvalue()
    assert f"{journal}: line 2 is not a JSON record; the rollout journal is corrupted" in message
    assert f"mv {journal} {journal}.corrupt" in message
    assert run.deployer.calls == []


def test_a_journal_line_that_is_json_but_not_an_object_is_corruption(tmp_path):
    journal = Journal(tmp_path / "j.jsonl")
    journal.path.write_text('[1, 2]\n{"rec": "end"}\n')

    with pytest.raises(UsageError, match="line 1 is not a JSON object"):
        journal.records()


def test_a_torn_last_line_is_not_corruption(tmp_path):
    journal = Journal(tmp_path / "j.jsonl")
    journal.path.write_text('{"rec": "end", "id": "a"}\n{"rec": "pha')

    assert journal.records() == [{"rec": "end", "id": "a"}]


def test_a_journal_that_is_a_directory_exits_two(run):
    (run.state_dir / "dev" / "journal.jsonl").mkdir(parents=True)

    assert run("--service", "web", *FAST) == 2
    assert "the rollout journal is a directory" in run.stderr.getvalue()


def test_events_path_that_is_a_directory_exits_two(run, tmp_path):
    assert run("--service", "web", *FAST, "--events", str(tmp_path)) == 2
    assert f"--events {tmp_path}: cannot open" in run.stderr.getvalue()
