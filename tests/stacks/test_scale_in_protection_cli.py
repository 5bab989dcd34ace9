"""`rollway preview` on Rollway's own program with bad scale-in protection windows: a config error naming the
stack file and key, exit 2, no traceback."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rollway.cli import main

REPO = Path(__file__).resolve().parents[2]
WEB_SCALING = "      autoscaling:\n        min: 1\n        max: 3\n"


def preview_with(tmp_path: Path, capsys: pytest.CaptureFixture[str], windows: str) -> tuple[int, str]:
    for name in ("Pulumi.yaml", "__main__.py", "Pulumi.dev.yaml"):
        shutil.copy(REPO / name, tmp_path / name)
    for folder in ("stacks", "components"):
        (tmp_path / folder).symlink_to(REPO / folder)
    text = (tmp_path / "Pulumi.dev.yaml").read_text()
    assert WEB_SCALING in text
    (tmp_path / "Pulumi.dev.yaml").write_text(text.replace(WEB_SCALING, WEB_SCALING + windows, 1))
    code = main(["preview", "--cwd", str(tmp_path), "--stack", "dev"])
    return code, capsys.readouterr().err


def test_overlapping_windows_and_a_floor_above_max_exit_2_naming_file_and_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    windows = (
        "        scaleInProtection:\n"
        "          - {name: release, schedule: '0 9 * * TUE', durationMinutes: 60, min: 4}\n"
        "          - {name: hotfix, schedule: '30 9 * * TUE', durationMinutes: 30}\n"
    )
    code, err = preview_with(tmp_path, capsys, windows)
    assert code == 2, err
    key = "rollway:services.web.autoscaling.scaleInProtection"
    assert f"Pulumi.dev.yaml: {key}[0].min = 4: must be at most autoscaling.max (3)" in err
    assert f'Pulumi.dev.yaml: {key}[1].schedule = "30 9 * * TUE": starts while `release`' in err
    assert "Traceback" not in err
