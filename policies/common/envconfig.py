"""Open environments: any environment name, with policy config inherited from another environment.

`policies/config/<environment>/` holds an environment's policy-pack-config files (`security.json`,
`cost.json`). The four built-in environments (dev, staging, prod, preview) carry the policies' own defaults.
Any other environment is a directory with an `environment.json` naming the environment it extends:

    policies/config/qa/environment.json    {"extends": "staging"}
    policies/config/qa/cost.json           only what differs from staging (optional)

`chain("qa")` is `("staging", "qa")`: a policy's limits for a `qa` resource are the defaults of `staging`,
then the `staging` block of the config, then the `qa` block. `pack_config("qa", "cost")` is the merged
config file the CLI gets (`--policy-pack-config`): every file along the chain, later files winning per
policy and per environment block.

    python -m policies.common.envconfig qa --out .rollway/policy-config    # writes qa/security.json, qa/cost.json

Standard library only (the packs import this module).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

BUILT_IN: tuple[str, ...] = ("dev", "staging", "prod", "preview")
"""Environments whose limits the policies define defaults for; every chain starts at one of them."""
CONFIG_DIR = Path(__file__).resolve().parents[1] / "config"
"""policies/config: one directory per environment."""
ENVIRONMENT_FILE = "environment.json"
PACKS: tuple[str, ...] = ("security", "cost")
NAME = re.compile(r"^[a-z][a-z0-9-]{0,30}$")
"""An environment name: lowercase letters, digits and `-`, starting with a letter, at most 31 characters."""


class EnvironmentConfigError(ValueError):
    """An environment's config is missing, malformed or circular; the message names the file and the fix."""


def extends(name: str, config_dir: Path = CONFIG_DIR) -> str | None:
    """The environment `name` extends (None for a built-in one)."""
    if name in BUILT_IN:
        return None
    if not NAME.fullmatch(name):
        raise EnvironmentConfigError(
            f"environment {name!r}: must be lowercase letters, digits and '-', starting with a letter (at most 31)"
        )
    path = config_dir / name / ENVIRONMENT_FILE
    if not path.is_file():
        raise EnvironmentConfigError(
            f"environment {name!r} is not built in ({', '.join(BUILT_IN)}) and {path} does not exist; "
            'create it with {"extends": "<environment>"}'
        )
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise EnvironmentConfigError(f"{path}: not readable JSON ({error})") from None
    if not isinstance(document, dict) or set(document) != {"extends"} or not isinstance(document["extends"], str):
        raise EnvironmentConfigError(f'{path}: must be exactly {{"extends": "<environment>"}}, got {json.dumps(document)}')
    return str(document["extends"])


def chain(name: str, config_dir: Path = CONFIG_DIR) -> tuple[str, ...]:
    """The environments `name` inherits from, built-in one first, `name` last."""
    found = [name]
    parent = extends(name, config_dir)
    while parent is not None:
        if parent in found:
            cycle = " -> ".join([*found, parent])
            raise EnvironmentConfigError(f"environment {name!r}: `extends` goes round in a circle ({cycle})")
        found.append(parent)
        parent = extends(parent, config_dir)
    return tuple(reversed(found))


def known(name: str, config_dir: Path = CONFIG_DIR) -> bool:
    """Whether `name` is built in or has a valid chain of `environment.json` files."""
    try:
        chain(name, config_dir)
    except EnvironmentConfigError:
        return False
    return True


def configured(config_dir: Path = CONFIG_DIR) -> tuple[str, ...]:
    """The built-in environments, then every environment with a valid chain under `config_dir` (sorted)."""
    found = sorted(
        path.parent.name
        for path in config_dir.glob(f"*/{ENVIRONMENT_FILE}")
        if path.parent.name not in BUILT_IN and known(path.parent.name, config_dir)
    )
    return (*BUILT_IN, *found)


def pack_config(name: str, pack: str, config_dir: Path = CONFIG_DIR) -> dict[str, Any]:
    """The policy-pack-config of `pack` for environment `name`: the files along its chain, merged."""
    merged: dict[str, Any] = {}
    for environment in chain(name, config_dir):
        path = config_dir / environment / f"{pack}.json"
        if not path.is_file():
            continue
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise EnvironmentConfigError(f"{path}: not readable JSON ({error})") from None
        if not isinstance(document, dict):
            raise EnvironmentConfigError(f"{path}: must be a JSON object of policy name -> config")
        merged = _merge(merged, document)
    return merged


def _merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """Deep merge of objects (a policy's entry, its environment blocks); anything else in `over` replaces."""
    result = dict(base)
    for key, value in over.items():
        current = result.get(key)
        if isinstance(current, Mapping) and isinstance(value, Mapping):
            result[key] = _merge(current, value)
        elif isinstance(current, Mapping) and isinstance(value, str):
            # A bare enforcement level over a configured policy keeps the configuration.
            result[key] = {**current, "enforcementLevel": value}
        else:
            result[key] = value
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m policies.common.envconfig",
        description="Write the merged policy-pack-config files of an environment (following `extends`).",
    )
    parser.add_argument("environment")
    parser.add_argument("--out", type=Path, required=True, help="directory; files go to <out>/<environment>/<pack>.json")
    parser.add_argument("--config-dir", type=Path, default=CONFIG_DIR, help=f"default: {CONFIG_DIR}")
    args = parser.parse_args(argv)
    try:
        merged = {pack: pack_config(args.environment, pack, args.config_dir) for pack in PACKS}
    except EnvironmentConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    target = args.out / args.environment
    target.mkdir(parents=True, exist_ok=True)
    for pack, config in merged.items():
        (target / f"{pack}.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        print(target / f"{pack}.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
