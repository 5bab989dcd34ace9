"""Fixture locations shared by the `rollway` tests."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
PROGRAMS = FIXTURES / "programs"
PACKS = FIXTURES / "packs"
REPO = Path(__file__).resolve().parents[3]
