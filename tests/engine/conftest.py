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


# Modules whose module-scoped scenario is a long series of real engine updates (minutes each).
_ONE_WORKER_MODULES = ("test_rollout_real_engine.py",)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the rollout scenarios' tests first, so that pytest-xdist's first batch (a contiguous slice of the
    collection, 288 tests on 3 workers) hands the whole module to one worker: each worker that ran one of its
    tests set the module's scenarios up again, which made the CI test phase 501-854 s (5 setups of 119-314 s
    when spread, 2 when not); with the module first, one run took 457 s (bench/README.md "Test suite")."""
    first = [item for item in items if item.path.name in _ONE_WORKER_MODULES]
    if first:
        items[:] = first + [item for item in items if item.path.name not in _ONE_WORKER_MODULES]
