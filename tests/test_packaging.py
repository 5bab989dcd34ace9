"""Rollway installs one name, `rollway`, and runs a user's program that has its own `components`/`stacks`."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import tomllib
from setuptools import find_packages

ROOT = Path(__file__).resolve().parents[1]


def test_the_wheel_packages_only_the_rollway_name() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    include = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = find_packages(where=str(ROOT), include=include)
    assert "rollway" in packages
    assert {name.split(".")[0] for name in packages} == {"rollway"}


@pytest.fixture
def user_program(tmp_path: Path) -> Path:
    """A Pulumi project of someone else's, laid out like ours: its own `components` and `stacks` packages."""
    files = {
        "Pulumi.yaml": "name: shop\nruntime: python\n",
        "Pulumi.dev.yaml": "config:\n  aws:region: eu-west-1\n  shop:bucketPrefix: shop-assets\n",
        "components/__init__.py": "",
        "components/storage.py": """
            import pulumi
            import pulumi_aws as aws


            class Site(pulumi.ComponentResource):
                def __init__(self, name: str) -> None:
                    super().__init__("shop:storage:Site", name, None, None)
                    prefix = pulumi.Config().require("bucketPrefix")
                    self.bucket = aws.s3.BucketV2(f"{name}-bucket", bucket_prefix=prefix, opts=pulumi.ResourceOptions(parent=self))
                    self.register_outputs({})
            """,
        "stacks/__init__.py": """
            from components.storage import Site


            def build_stack() -> None:
                Site("site")
            """,
        "__main__.py": "from stacks import build_stack\n\nbuild_stack()\n",
    }
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return tmp_path


def _run(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    # A fresh interpreter started in the user's project, as `rollway` or the user's pytest would be.
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=300, check=False)


def test_rollway_preview_evaluates_a_program_with_its_own_components_and_stacks(user_program: Path) -> None:
    code = (
        "import sys; from rollway.cli import main; "
        f"sys.exit(main(['preview', '--stack', 'dev', '--json', '-', '--policy-pack', {str(ROOT / 'policies' / 'security')!r}]))"
    )
    run = _run(code, user_program)
    assert "Traceback" not in run.stderr, run.stderr
    # 0 or 1 (the security pack may find a violation), never 2: the program and the pack both ran.
    assert run.returncode in (0, 1), run.stderr
    report = json.loads(run.stdout)
    [bucket] = [r for r in report["resources"] if r["type"] == "aws:s3/bucketV2:BucketV2"]
    assert bucket["inputs"]["bucketPrefix"] == "shop-assets"
    assert any(r["type"] == "shop:storage:Site" for r in report["resources"])


def test_the_test_kit_runs_a_program_with_its_own_components(user_program: Path) -> None:
    code = textwrap.dedent(
        """
        from rollway.testing import stack_config, synth
        from components.storage import Site

        stack = synth(lambda: Site("site"), config=stack_config("dev"))
        stack.has_resource_properties("aws:s3/bucketV2:BucketV2", {"bucketPrefix": "shop-assets"})
        print("ok")
        """
    )
    run = _run(code, user_program)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "ok"


def test_synth_reads_the_programs_own_project_name(user_program: Path) -> None:
    # `pulumi.Config()` without a namespace reads the project's namespace: `shop`, never `rollway`.
    code = "from rollway.testing import project_name; print(project_name())"
    assert _run(code, user_program).stdout.strip() == "shop"
    assert _run(code, user_program.parent).stdout.strip() == "test"


def test_rollout_loads_the_config_model_from_the_project_directory(tmp_path: Path) -> None:
    code = (
        "from pathlib import Path; from rollway.rollout.automation import project_config_model; "
        "import sys; model = project_config_model(Path(sys.argv[1])); print(model.__file__)"
    )
    found = subprocess.run(
        [sys.executable, "-c", code, str(ROOT)], cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False
    )
    assert found.returncode == 0, found.stderr
    assert found.stdout.strip() == str(ROOT / "stacks" / "config" / "__init__.py")


def test_rollout_names_a_directory_without_the_config_model(tmp_path: Path) -> None:
    code = (
        "from pathlib import Path; from rollway.rollout.automation import project_config_model; "
        "from rollway.rollout.errors import UsageError\n"
        "try:\n    project_config_model(Path('.'))\nexcept UsageError as error:\n    print(error)"
    )
    run = _run(code, tmp_path)
    assert "cannot import the project's config model `stacks.config`" in run.stdout
    assert "--work-dir" in run.stdout


@pytest.mark.parametrize("pack", ["security", "cost"])
def test_policy_packs_point_at_a_virtualenv_inside_the_pack(pack: str) -> None:
    import yaml

    options = yaml.safe_load((ROOT / "policies" / pack / "PulumiPolicy.yaml").read_text())["runtime"]["options"]
    venv = Path(options["virtualenv"])
    assert not venv.is_absolute() and ".." not in venv.parts, f"{pack}: {venv} leaves the pack directory"
