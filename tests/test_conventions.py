"""One convention across the tree: lazy package `__init__`s, no import cycle, no SDK loaded by config."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = sorted(
    path
    for top in ("components", "stacks", "rollway")
    for path in (ROOT / top).rglob("__init__.py")
    # The sandbox and the test kit are modules of their own that happen to be packages: their __init__ is the API.
    if path.parent.name not in {"sandbox", "testing"}
)


def _imported_at_import_time(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    found: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module and node.module != "__future__":
            if node.module not in {"typing", "rollway.helpers"}:
                found.append(node.module)
        elif isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
    return found


@pytest.mark.parametrize("path", PACKAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_package_init_imports_nothing_eagerly(path: Path) -> None:
    assert _imported_at_import_time(path) == [], f"{path.relative_to(ROOT)} imports eagerly; use lazy_exports"


def _modules_loaded_by(statement: str) -> set[str]:
    code = f"import sys\n{statement}\nprint('\\n'.join(sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    return set(result.stdout.split())


def test_config_model_loads_no_cloud_sdk() -> None:
    loaded = _modules_loaded_by("from stacks.config import StackConfig, load_stack_config")
    assert not {m for m in loaded if m.startswith(("pulumi_aws", "pulumi_gcp", "pulumi_azure_native", "pulumi_kubernetes"))}


@pytest.mark.parametrize("cloud", ["aws", "gcp", "azure", "kubernetes"])
def test_cloud_settings_do_not_import_the_model(cloud: str) -> None:
    # The model imports every cloud's settings; a settings module importing the model back would be a cycle.
    assert "stacks.config.model" not in _modules_loaded_by(f"import stacks.config.{cloud}")


def test_the_tool_imports_no_project_module() -> None:
    loaded = _modules_loaded_by(
        "import rollway.cli, rollway.preview.preview, rollway.rollout.cli, rollway.rollout.automation, "
        "rollway.rollout.sandbox, rollway.testing, rollway.clouds, rollway.helpers"
    )
    assert not {m for m in loaded if m.split(".")[0] in {"components", "stacks", "policies"}}


def test_the_preview_engine_does_not_live_in_the_test_kit() -> None:
    loaded = _modules_loaded_by("import rollway.preview.preview, rollway.preview.worker, rollway.cli")
    assert not {m for m in loaded if m.startswith("rollway.testing")}
