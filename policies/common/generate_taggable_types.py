"""Regenerate `taggable_types.txt`: every AWS/Azure resource type that takes `tags` and every GCP type that takes
`labels`, read from the installed provider SDKs.

    .venv/bin/python -m policies.common.generate_taggable_types

Run it after upgrading pulumi-aws, pulumi-azure-native or pulumi-gcp, and commit the result. The packs never
import the provider SDKs themselves (they are large and not needed to check inputs); they read this list.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

OUTPUT = Path(__file__).with_name("taggable_types.txt")
_TOKEN = re.compile(r"super\(\w+, __self__\)\.__init__\(\s*'([^']+)'")
PACKAGES = {"pulumi_aws": "tags", "pulumi_azure_native": "tags", "pulumi_gcp": "labels"}


def taggable_types() -> list[str]:
    found: set[str] = set()
    for package, field in PACKAGES.items():
        spec = importlib.util.find_spec(package)
        if spec is None or spec.origin is None:
            raise SystemExit(f"{package} is not installed in this environment; install the project's dependencies first")
        assignment = f'__props__.__dict__["{field}"] = {field}'
        for path in Path(spec.origin).parent.rglob("*.py"):
            source = path.read_text(encoding="utf-8")
            if assignment not in source:
                continue
            found.update(_TOKEN.findall(source))
    return sorted(found)


def main() -> None:
    types = taggable_types()
    OUTPUT.write_text("\n".join(types) + "\n", encoding="utf-8")
    print(f"wrote {len(types)} taggable resource types to {OUTPUT}")


if __name__ == "__main__":
    main()
