"""Baseline for bench/preview_bench.py: run a Pulumi program under plain `pulumi.runtime.set_mocks`, the way a
hand-written Pulumi unit test does (no recording, no policies). Usage: raw_mocks.py PROJECT_DIR STACK."""

from __future__ import annotations

import os
import runpy
import sys
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await


class EchoMocks(pulumi.runtime.Mocks):
    """Echo inputs as outputs with a made-up id, answer every invoke with nothing."""

    def __init__(self) -> None:
        self.resources = 0

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.resources += 1
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], None]:
        return {}, None


def main(directory: Path, stack: str) -> int:
    project = yaml.safe_load((directory / "Pulumi.yaml").read_text())["name"]
    config = yaml.safe_load((directory / f"Pulumi.{stack}.yaml").read_text()).get("config") or {}
    pulumi.runtime.set_all_config({key: str(value) for key, value in config.items()})
    mocks = EchoMocks()
    pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=True)
    os.chdir(directory)
    sys.path.insert(0, str(directory))

    def program() -> None:
        runpy.run_path(str(directory / "__main__.py"), run_name="__main__")

    _sync_await(run_pulumi_func(program))
    print(f"raw mocks: {mocks.resources} resources")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]).resolve(), sys.argv[2]))
