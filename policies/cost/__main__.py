"""Entry point the Pulumi CLI runs for this pack (`pulumi preview --policy-pack policies/cost`).

The CLI starts `python -m pulumi.policy <engine> .` inside this directory, so only this directory is on
sys.path. The policies live in the `policies` package at the repository root: put the root first (and drop
this directory, whose module names could shadow installed packages) before importing them. Constructing the
PolicyPack serves the Analyzer gRPC protocol and never returns.
"""

import sys
from pathlib import Path

_PACK_DIR = Path(__file__).resolve().parent
_REPO_ROOT = _PACK_DIR.parents[1]
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != _PACK_DIR]
sys.path.insert(0, str(_REPO_ROOT))

from pulumi_policy import EnforcementLevel, PolicyPack  # noqa: E402

from policies.cost import PACK_NAME, POLICIES  # noqa: E402

PolicyPack(name=PACK_NAME, policies=POLICIES, enforcement_level=EnforcementLevel.ADVISORY)
