"""The real Pulumi engine (`make engine`): skipped where it is not built, required where ROLLWAY_REQUIRE_ENGINE=1
(.ci/run), like the rollout end-to-end tests."""

from __future__ import annotations

import os

import pytest

from rollway.testing.real_engine import EngineMissing, RealEngine


@pytest.fixture(scope="session")
def engine() -> RealEngine:
    try:
        return RealEngine.locate()
    except EngineMissing as error:
        if os.environ.get("ROLLWAY_REQUIRE_ENGINE") == "1":
            pytest.fail(f"ROLLWAY_REQUIRE_ENGINE=1 but {error}")
        pytest.skip(str(error))
