"""Lists the stacks of this repository from its stack files, for workflow matrices.

Every committed `Pulumi.<stack>.yaml` is a stack; `Pulumi.preview.yaml` is the template of the per-pull-request
preview stacks (rendered in CI as `Pulumi.pr-<number>.yaml`, never committed), so it is previewed offline but not
deployed. A new stack file (say `Pulumi.qa.yaml`) therefore gets a preflight leg, a cloud preview leg and a drift
check without any workflow edit.

    python .github/scripts/list_stacks.py [--root DIR]

prints `all=<JSON list>` and `deployed=<JSON list>` (sorted), one per line, the format of `$GITHUB_OUTPUT`.
Exit status 2 when no stack file is found.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

TEMPLATE_STACKS = frozenset({"preview"})
GENERATED_STACK = re.compile(r"^pr-\d+$")
STACK_FILE = re.compile(r"^Pulumi\.(?P<stack>[A-Za-z0-9._-]+)\.yaml$")


def stacks(root: Path) -> list[str]:
    """Names of the committed stack files under `root` (templates included, generated per-PR stacks not)."""
    names = (STACK_FILE.match(path.name) for path in root.glob("Pulumi.*.yaml"))
    return sorted(m["stack"] for m in names if m and not GENERATED_STACK.match(m["stack"]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path("."), help="directory holding the stack files")
    args = parser.parse_args(argv)
    found = stacks(args.root)
    if not found:
        print(f"list_stacks: no Pulumi.<stack>.yaml in {args.root.resolve()}", file=sys.stderr)
        return 2
    deployed = [name for name in found if name not in TEMPLATE_STACKS]
    print(f"all={json.dumps(found)}")
    print(f"deployed={json.dumps(deployed)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
