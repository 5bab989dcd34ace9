"""Rollway's components consumed the Pulumi way, through the real CLI: `pulumi package add ./components` in another
Python project generates and links an SDK (our language host runs Pulumi's Python code generator), the consumer's
program constructs a component through the engine (components/__main__.py serves Construct), and a canary step
then updates only the route's canary object. The children the engine records are the ones the component builds
when imported directly."""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from rollway.testing import synth
from rollway.testing.real_engine import PASSPHRASE, RealEngine

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.engine

PROGRAM = """\
import pulumi
import pulumi_rollway as rollway

route = rollway.kubernetes.CanaryRoute(
    "web",
    app="web",
    namespace="shop",
    port=8080,
    backends={{"blue": "web-blue", "green": "web-green"}},
    canary={{"live_color": "blue", "canary_weight": {weight}}},
    router="ingressNginx",
    ingress_class_name="nginx",
    hostnames=["shop.example.com"],
)
pulumi.export("route", route.urn)
"""


@dataclass
class Consumer:
    directory: Path
    env: dict[str, str]
    pulumi: Path
    added: subprocess.CompletedProcess[str]

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.pulumi), *args, "--non-interactive"],
            cwd=self.directory, env=self.env, capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL,
        )  # fmt: skip

    def write_program(self, weight: int) -> None:
        (self.directory / "__main__.py").write_text(PROGRAM.format(weight=weight))


@pytest.fixture(scope="module")
def consumer(engine: RealEngine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Consumer]:
    root = tmp_path_factory.mktemp("consumer")
    directory, backend = root / "program", root / "backend"
    directory.mkdir()
    backend.mkdir()
    (directory / "Pulumi.yaml").write_text(
        "name: consumer\nruntime:\n  name: python\n  options:\n    toolchain: pip\n    virtualenv: venv\n"
    )
    (directory / "requirements.txt").write_text("pulumi>=3.0.0,<4.0.0\n")
    # The consumer's own virtualenv; the SDKs it needs (pulumi, pulumi_kubernetes) come from ours through a .pth,
    # so only the generated package is installed into it.
    subprocess.run([sys.base_prefix + "/bin/python3", "-m", "venv", str(directory / "venv")], check=True, timeout=300)
    site = next((directory / "venv" / "lib").glob("python3*/site-packages"))
    (site / "rollway-test-parent.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = engine.env(backend)
    env["PULUMI_CONFIG_PASSPHRASE"] = PASSPHRASE
    added = subprocess.run(
        [str(engine.pulumi), "package", "add", str(ROOT / "components"), "--non-interactive"],
        cwd=directory, env=env, capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    made = Consumer(directory, env, engine.pulumi, added)
    assert made.run("stack", "init", "dev", "--secrets-provider", "passphrase").returncode == 0
    yield made


def test_package_add_generates_and_links_a_python_sdk(consumer: Consumer) -> None:
    assert consumer.added.returncode == 0, consumer.added.stderr[-3000:] + consumer.added.stdout[-3000:]
    assert "import pulumi_rollway as rollway" in consumer.added.stdout
    assert (consumer.directory / "requirements.txt").read_text().splitlines() == ["pulumi>=3.0.0,<4.0.0", "sdks/rollway"]
    project = yaml.safe_load((consumer.directory / "Pulumi.yaml").read_text())
    assert project["packages"] == {"rollway": str(ROOT / "components")}
    plugin = json.loads((consumer.directory / "sdks" / "rollway" / "pulumi_rollway" / "pulumi-plugin.json").read_text())
    assert plugin["name"] == "rollway"
    generated = consumer.directory / "sdks" / "rollway" / "pulumi_rollway"
    for cloud in ("aws", "gcp", "azure", "kubernetes"):
        modules = {path.stem for path in (generated / cloud).glob("*.py")}
        assert {"environment", "blue_green_targets", "canary_route", "autoscaling"} <= modules, cloud


def _state_children(consumer: Consumer) -> dict[str, dict[str, Any]]:
    state = json.loads(consumer.run("stack", "export").stdout)
    return {
        resource["urn"].split("::")[-1]: resource
        for resource in state["deployment"]["resources"]
        if resource["type"].startswith("kubernetes:") and not resource["type"].startswith("pulumi:providers:")
    }


def test_a_consumer_constructs_the_component_through_the_engine(consumer: Consumer) -> None:
    from components.canary import CanaryArgs
    from components.kubernetes.canary import CanaryRoute, KubernetesCanaryArgs

    consumer.write_program(weight=10)
    up = consumer.run("up", "--yes", "--skip-preview")
    assert up.returncode == 0, up.stdout[-3000:] + up.stderr[-3000:]
    children = _state_children(consumer)
    direct = synth(
        lambda: CanaryRoute(
            "web",
            KubernetesCanaryArgs(
                canary=CanaryArgs(live_color="blue", canary_weight=10),
                namespace="shop",
                app="web",
                backends={"blue": "web-blue", "green": "web-green"},
                port=8080,
                router="ingressNginx",
                hostnames=("shop.example.com",),
            ),
        )
    )
    expected = {r.name: r for r in direct.resources if r.type.startswith("kubernetes:")}
    assert set(children) == set(expected) == {"web-primary", "web-canary"}
    for name, resource in children.items():
        assert resource["parent"].endswith("rollway:kubernetes:CanaryRoute::web")
        assert resource["inputs"] == expected[name].inputs, name
    assert children["web-canary"]["inputs"]["metadata"]["annotations"]["nginx.ingress.kubernetes.io/canary-weight"] == "10"

    # A canary step through the package: the engine's own plan updates the canary Ingress and nothing else.
    consumer.write_program(weight=25)
    plan = json.loads(consumer.run("preview", "--json").stdout)
    changed = [(step["op"], step["urn"].split("::")[-1]) for step in plan["steps"] if step["op"] != "same"]
    assert changed == [("update", "web-canary")]
