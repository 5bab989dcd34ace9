"""Secrets are masked in every message `rollway preview` prints, whatever made them secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.rollway.preview.test_preview_programs import write_program

PLAINTEXT = "hunter2-very-secret"


@pytest.mark.parametrize(
    "made_secret",
    [
        f"pulumi.Output.secret({PLAINTEXT!r})",
        f"pulumi.Output.secret(pulumi.Output.from_input({PLAINTEXT!r}))",
        f"pulumi.Output.from_input({PLAINTEXT!r}).apply(lambda v: pulumi.Output.secret(v))",
        f"pulumi.Output.all('x', pulumi.Output.secret({PLAINTEXT!r})).apply(lambda v: v[1])",
    ],
)
def test_secret_quoted_in_a_program_error_is_masked(rollway, tmp_path: Path, made_secret: str) -> None:
    source = f"import pulumi\n\ndef fail(value):\n    raise ValueError(f'bad value {{value}}')\n\n{made_secret}.apply(fail)\n"
    run = rollway("preview", "--cwd", write_program(tmp_path, source), "--stack", "dev")
    assert run.code == 1
    assert "bad value [secret]" in run.err
    assert PLAINTEXT not in run.err + run.out


def test_value_read_with_require_secret_is_masked(rollway, tmp_path: Path) -> None:
    source = "import pulumi\n\ndef fail(v):\n    raise ValueError('token is ' + v)\n\npulumi.Config().require_secret('token').apply(fail)\n"
    folder = write_program(tmp_path, source, "config:\n  scratch:token: plain-in-the-file\n")
    run = rollway("preview", "--cwd", folder, "--stack", "dev")
    assert run.code == 1
    assert "token is [secret]" in run.err
    assert "plain-in-the-file" not in run.err


def test_secure_config_leaf_quoted_in_a_program_error_is_masked(rollway, tmp_path: Path) -> None:
    source = "import pulumi\n\nraise ValueError('db is ' + pulumi.Config().require('db'))\n"
    folder = write_program(tmp_path, source, "config:\n  scratch:db:\n    user: admin\n    password:\n      secure: AAEC\n")
    run = rollway("preview", "--cwd", folder, "--stack", "dev")
    assert run.code == 1
    assert "rollway-placeholder-secret" not in run.err
    assert '"password": "[secret]"' in run.err or '"password":"[secret]"' in run.err


def test_secret_printed_by_the_program_is_masked(rollway, tmp_path: Path) -> None:
    source = f"import pulumi\n\npulumi.Output.secret({PLAINTEXT!r}).apply(print)\n"
    run = rollway("preview", "--cwd", write_program(tmp_path, source), "--stack", "dev")
    assert run.code == 0, run.err
    assert "[secret]" in run.err
    assert PLAINTEXT not in run.err + run.out


def test_secret_logged_by_the_program_is_masked(rollway, tmp_path: Path) -> None:
    source = f"import pulumi\n\npulumi.Output.secret({PLAINTEXT!r}).apply(lambda v: pulumi.log.warn('using ' + v))\n"
    run = rollway("preview", "--cwd", write_program(tmp_path, source), "--stack", "dev")
    assert PLAINTEXT not in run.err + run.out
    assert "using [secret]" in run.out


def test_plain_values_are_not_masked(rollway, tmp_path: Path) -> None:
    source = "import pulumi\n\npulumi.Output.from_input('visible-value').apply(lambda v: 1 / 0 if v else v)\n"
    run = rollway("preview", "--cwd", write_program(tmp_path, source), "--stack", "dev")
    assert run.code == 1
    assert "ZeroDivisionError" in run.err
