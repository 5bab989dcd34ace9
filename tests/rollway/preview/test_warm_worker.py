"""The evaluation child stays warm: a second evaluation of the same run (the re-run on filled-in values) is
served by the process that already imported the SDKs, and fails closed when that process is gone."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from rollway.engine.values import UnknownValue
from rollway.preview.config import load_stack_settings
from rollway.preview.errors import ProgramError
from rollway.preview.preview import PreviewOptions, run_preview
from rollway.preview.project import load_project
from rollway.preview.runner import start_evaluation
from tests.rollway.preview.test_filled_in_rerun import PUBLIC_POLICY_FROM_OUTPUTS, ROOT
from tests.rollway.preview.test_preview_programs import write_program

SOURCE = (
    "import os\n"
    "import pulumi, pulumi_aws as aws\n\n"
    "# State left in an imported (not the program's own) module shows whether this process ran it before.\n"
    "pulumi.export('warm', 'imported before' if hasattr(aws, 'seen_by_a_test') else 'cold')\n"
    "aws.seen_by_a_test = True\n"
    "bucket = aws.s3.BucketV2('assets')\n"
    "pulumi.export('pid', os.getpid())\n"
    "pulumi.export('arn', bucket.arn)\n"
)


def settings_of(folder: Path, *overrides: str):
    project = load_project(folder)
    return project, load_stack_settings(project, "dev", overrides=list(overrides))


def test_second_evaluation_runs_in_the_same_warm_child(tmp_path: Path) -> None:
    project, settings = settings_of(write_program(tmp_path, SOURCE))
    with start_evaluation(project, settings, resolve_outputs=False) as pending:
        first = pending.result()
        second = pending.again(settings, True)
    assert first.recording.exports["pid"] == second.recording.exports["pid"] != os.getpid()
    # Each request keeps its own mode: unknown ARN on preview values, a plausible one when filled in.
    assert isinstance(first.recording.exports["arn"], UnknownValue)
    assert (first.recording.exports["warm"], second.recording.exports["warm"]) == ("cold", "imported before")
    assert str(second.recording.exports["arn"]).startswith("arn:aws:s3:::assets")


def test_second_evaluation_sees_the_settings_it_is_given(tmp_path: Path) -> None:
    source = "import pulumi\n\npulumi.export('size', pulumi.Config().get('size'))\n"
    project, settings = settings_of(write_program(tmp_path, source), "scratch:size=small")
    _, other = settings_of(tmp_path, "scratch:size=large")
    with start_evaluation(project, settings, resolve_outputs=False) as pending:
        assert pending.result().recording.exports["size"] == "small"
        assert pending.again(other, False).recording.exports["size"] == "large"


def test_a_program_error_in_the_second_evaluation_is_the_program_error(tmp_path: Path, capfd) -> None:
    source = (
        "import pulumi\n\n"
        "print('evaluating', pulumi.Config().get('mode'))\n"
        "if pulumi.Config().get('mode') == 'bad':\n"
        "    raise ValueError('refused on the second run')\n"
    )
    project, settings = settings_of(write_program(tmp_path, source), "scratch:mode=good")
    _, bad = settings_of(tmp_path, "scratch:mode=bad")
    with start_evaluation(project, settings, resolve_outputs=False) as pending:
        pending.result()
        with pytest.raises(ProgramError, match="ValueError: refused on the second run"):
            pending.again(bad, False)
    # Each evaluation's prints are relayed once, its own.
    err = capfd.readouterr().err
    assert err.count("evaluating good") == 1
    assert err.count("evaluating bad") == 1


def test_second_evaluation_fails_closed_when_the_child_is_gone(tmp_path: Path) -> None:
    project, settings = settings_of(write_program(tmp_path, SOURCE))
    with start_evaluation(project, settings, resolve_outputs=False) as pending:
        first = pending.result()
        os.kill(int(first.recording.exports["pid"]), signal.SIGKILL)
        with pytest.raises(ProgramError, match="killed by signal SIGKILL"):
            pending.again(settings, True)


def test_second_evaluation_is_bounded_by_the_program_timeout(tmp_path: Path) -> None:
    source = "import time, pulumi\n\nif pulumi.Config().get_bool('hang'):\n    time.sleep(60)\npulumi.export('ok', 1)\n"
    project, settings = settings_of(write_program(tmp_path, source))
    _, hanging = settings_of(tmp_path, "scratch:hang=true")
    with start_evaluation(project, settings, resolve_outputs=False, timeout=2) as pending:
        assert pending.result().recording.exports["ok"] == 1
        with pytest.raises(ProgramError, match="did not finish within 2s"):
            pending.again(hanging, False)


def test_preview_with_a_rerun_evaluates_in_one_child(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    source = f"import os\nopen({str(pids)!r}, 'a').write(f'{{os.getpid()}}\\n')\n" + PUBLIC_POLICY_FROM_OUTPUTS
    write_program(tmp_path, source)
    report = run_preview(PreviewOptions(cwd=tmp_path, stack="dev", policy_packs=[ROOT / "policies" / "security"]))
    assert any("re-run on values with provider-computed fields filled in" in w for w in report.warnings)
    runs = pids.read_text().split()
    assert len(runs) == 2
    assert len(set(runs)) == 1
    assert runs[0] != str(os.getpid())


def test_queued_requests_each_get_the_whole_program_timeout(tmp_path: Path) -> None:
    # Two 1.2 s runs queued at once take 2.4 s in all: each is timed from when the child could start it, so
    # neither exceeds the 2 s budget.
    source = "import time, pulumi\n\nif pulumi.Config().get_bool('slow'):\n    time.sleep(1.2)\npulumi.export('ok', 1)\n"
    project, settings = settings_of(write_program(tmp_path, source))
    _, slow = settings_of(tmp_path, "scratch:slow=true")
    with start_evaluation(project, settings, resolve_outputs=False, timeout=2) as pending:
        pending.result()
        first, second = pending.submit(project, slow, False), pending.submit(project, slow, False)
        assert pending.collect(second).recording.exports["ok"] == 1
        assert pending.collect(first).recording.exports["ok"] == 1


def test_diff_evaluates_its_base_in_the_changes_warm_child(rollway, tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    source = (
        f"import os, pulumi\nopen({str(pids)!r}, 'a').write(f'{{os.getpid()}}\\n')\n"
        "pulumi.export('size', pulumi.Config().get('size'))\n"
    )
    write_program(tmp_path, source, "config:\n  scratch:size: small\n")
    run = rollway("diff", "--cwd", tmp_path, "--stack", "dev", "-c", "scratch:size=large", "--json", "-")
    assert run.code == 0, run.err
    runs = pids.read_text().split()
    assert len(runs) == 2
    assert len(set(runs)) == 1
    assert runs[0] != str(os.getpid())


def test_a_failing_base_is_named_as_the_base(rollway, tmp_path: Path) -> None:
    source = "import pulumi\n\nif pulumi.Config().get('size') == 'small':\n    raise ValueError('base refuses')\n"
    write_program(tmp_path, source, "config:\n  scratch:size: small\n")
    run = rollway("diff", "--cwd", tmp_path, "--stack", "dev", "-c", "scratch:size=large")
    assert run.code == 1
    assert "the program at stack dev failed (the base, not the change)" in run.err
    assert "ValueError: base refuses" in run.err
