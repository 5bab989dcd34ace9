"""Every resource type token the packs name exists in the installed provider SDKs (pulumi-aws 7, pulumi-gcp,
pulumi-azure-native 3, pulumi-kubernetes 4): a misspelt token would make a policy silently check nothing."""

from __future__ import annotations

import importlib.util
import re
from functools import cache
from pathlib import Path

import pytest

POLICY_SOURCES = sorted((Path(__file__).resolve().parents[2] / "policies").rglob("*.py"))
TOKEN = re.compile(r'"((?:aws|gcp|azure-native|kubernetes):[A-Za-z0-9./]+:[A-Za-z0-9]+)"')
CUSTOM_RESOURCES = {
    # Not in pulumi-kubernetes: CRDs registered through CustomResource with these tokens.
    "kubernetes:argoproj.io/v1alpha1:Rollout",
    "kubernetes:keda.sh/v1alpha1:ScaledObject",
}
PACKAGES = {"aws": "pulumi_aws", "gcp": "pulumi_gcp", "azure-native": "pulumi_azure_native", "kubernetes": "pulumi_kubernetes"}
NOT_TYPES = {"aws:kms:dsse"}  # an S3 encryption algorithm that happens to look like a token
TOKENS = sorted({token for path in POLICY_SOURCES for token in TOKEN.findall(path.read_text())} - CUSTOM_RESOURCES - NOT_TYPES)


@cache
def module_sources(package: str, module: str) -> str:
    spec = importlib.util.find_spec(PACKAGES[package])
    assert spec is not None and spec.origin is not None, f"{PACKAGES[package]} is not installed"
    root = Path(spec.origin).parent
    folder = root / module if (root / module).is_dir() else root / f"{module}_"
    return "\n".join(path.read_text(encoding="utf-8") for path in folder.glob("*.py"))


def test_the_packs_name_type_tokens_at_all() -> None:
    assert len(TOKENS) > 100


@pytest.mark.parametrize("token", TOKENS)
def test_type_token_exists_in_the_installed_sdk(token: str) -> None:
    package, module_path, _name = token.split(":")
    if package == "kubernetes":
        group, version = module_path.split("/")
        module = f"{group.split('.')[0]}/{version}"  # networking.k8s.io/v1 lives in pulumi_kubernetes/networking/v1
    else:
        module = module_path.split("/")[0]
    assert f"'{token}'" in module_sources(package, module)
