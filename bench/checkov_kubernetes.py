"""Checkov's kubernetes framework over the Kubernetes objects Rollway's shipped stacks create.

    .venv/bin/pip install checkov            # measurement only; not a project dependency (docs/policies.md)
    .venv/bin/python bench/checkov_kubernetes.py [--stacks dev prod] [--keep DIR]

Synthesizes each stack with the test kit, writes every `kubernetes:*` resource as a manifest (apiVersion and kind
from the type token, the inputs as the engine records them: camelCase), runs `checkov --framework kubernetes` on
them and prints the failed checks per stack, and the time Checkov took.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rollway.testing import stack_config, synth  # noqa: E402
from stacks import build_stack  # noqa: E402


def manifest(resource_type: str, inputs: dict[str, Any]) -> dict[str, Any] | None:
    """The object a `kubernetes:<group>/<version>:<Kind>` resource applies; None for non-objects (Helm, YAML groups)."""
    _package, module, kind = resource_type.split(":")
    if "/" not in module or kind.endswith(("List", "Chart", "Release", "ConfigFile", "ConfigGroup")):
        return None
    group, version = module.split("/")
    api_version = version if group == "core" else f"{group}/{version}"
    body = {key: value for key, value in inputs.items() if key not in ("apiVersion", "kind")}
    return {"apiVersion": api_version, "kind": kind, **body}


def write_manifests(stack: str, directory: Path) -> int:
    synthesized = synth(build_stack, config=stack_config(stack), stack=stack)
    count = 0
    for resource in synthesized.resources:
        if not resource.type.startswith("kubernetes:") or not resource.custom:
            continue
        document = manifest(resource.type, json.loads(json.dumps(resource.inputs, default=str)))
        if document is None:
            continue
        (directory / f"{count:03d}-{resource.name}.json").write_text(json.dumps(document, indent=1))
        count += 1
    return count


def write_program(build: Any, directory: Path) -> int:
    count = 0
    for resource in synth(build, stack="dev").resources:
        if resource.type.startswith("kubernetes:") and resource.custom:
            document = manifest(resource.type, json.loads(json.dumps(resource.inputs, default=str)))
            if document is not None:
                (directory / f"{count:03d}-{resource.name}.json").write_text(json.dumps(document, indent=1))
                count += 1
    return count


def failed_checks(checkov: str, directory: Path) -> list[str]:
    run = subprocess.run(
        [checkov, "-d", str(directory), "--framework", "kubernetes", "-o", "json", "--quiet", "--compact"],
        capture_output=True,
        text=True,
        check=False,
    )
    report = json.loads(run.stdout or "{}")
    reports = report if isinstance(report, list) else [report]
    return [
        check["check_id"]
        for item in reports
        if isinstance(item, dict)
        for check in item.get("results", {}).get("failed_checks", [])
    ]


def corpus(checkov: str) -> None:
    """Checkov over each Kubernetes corpus program: which insecure ones fail a check, which compliant ones do."""
    sys.path.insert(0, str(ROOT / "tests" / "policies"))
    from corpus.kubernetes_programs import PROGRAMS

    started = time.perf_counter()
    for program in PROGRAMS:
        directory = Path(tempfile.mkdtemp(prefix="rollway-corpus-"))
        write_program(program.build, directory)
        failed = sorted(set(failed_checks(checkov, directory)) - {"CKV_K8S_43"})
        shutil.rmtree(directory)
        kind = "insecure " if program.insecure else "compliant"
        print(f"{kind} {program.name:40} {', '.join(failed) or '-'}")
    print(f"checkov time over {len(PROGRAMS)} programs: {time.perf_counter() - started:.1f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stacks", nargs="+", default=["dev", "prod"])
    parser.add_argument("--keep", type=Path, help="write the manifests here and keep them")
    parser.add_argument("--corpus", action="store_true", help="run over the Kubernetes corpus programs instead")
    args = parser.parse_args()
    checkov = shutil.which("checkov", path=str(Path(sys.executable).parent))
    if checkov is None:
        print("checkov is not installed in this virtualenv: .venv/bin/pip install checkov", file=sys.stderr)
        return 2
    if args.corpus:
        corpus(checkov)
        return 0
    for stack in args.stacks:
        directory = (args.keep / stack) if args.keep else Path(tempfile.mkdtemp(prefix=f"rollway-k8s-{stack}-"))
        directory.mkdir(parents=True, exist_ok=True)
        count = write_manifests(stack, directory)
        started = time.perf_counter()
        run = subprocess.run(
            [checkov, "-d", str(directory), "--framework", "kubernetes", "-o", "json", "--quiet", "--compact"],
            capture_output=True,
            text=True,
            check=False,
        )
        elapsed = time.perf_counter() - started
        report = json.loads(run.stdout or "{}")
        reports = report if isinstance(report, list) else [report]
        failed: Counter[str] = Counter()
        for item in reports:
            results = item.get("results", {}) if isinstance(item, dict) else {}
            for check in results.get("failed_checks", []):
                failed[f"{check['check_id']} {check.get('check_name', '')}"] += 1
        print(f"{stack}: {count} manifests, checkov {elapsed:.1f} s, failed checks {sum(failed.values())}")
        for check_id, times in sorted(failed.items()):
            print(f"  {times:3d} x {check_id}")
        if not args.keep:
            shutil.rmtree(directory)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
