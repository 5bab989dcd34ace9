"""Policy tests run with no stack identity unless a test sets one: the pack reads PULUMI_STACK/PULUMI_CONFIG."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def no_stack_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("PULUMI_STACK", "PULUMI_CONFIG", "PULUMI_PROJECT", "PULUMI_DRY_RUN", "PULUMI_ORGANIZATION"):
        monkeypatch.delenv(variable, raising=False)
