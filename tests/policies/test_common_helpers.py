"""The shared helpers of `policies.common`: one copy of each, and none left unused."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from pathlib import Path
from types import ModuleType

import pytest

import policies.common
from policies.common.props import set_value
from policies.security import aws, azure, gcp

POLICIES_ROOT = Path(__file__).resolve().parents[2] / "policies"


def test_set_value_sets_a_different_value_and_says_so() -> None:
    props = {"enableKeyRotation": False}
    assert set_value(props, "enableKeyRotation", True) is True and props == {"enableKeyRotation": True}


def test_set_value_leaves_an_equal_value_and_says_so() -> None:
    props = {"minTlsVersion": "TLS_1_2"}
    assert set_value(props, "minTlsVersion", "TLS_1_2") is False and props == {"minTlsVersion": "TLS_1_2"}


@pytest.mark.parametrize("module", [aws, gcp, azure], ids=lambda module: module.__name__)
def test_security_modules_use_the_shared_setter(module: ModuleType) -> None:
    assert not hasattr(module, "_set") and module.set_value is set_value


def _public_definitions() -> list[tuple[str, str]]:
    found = []
    for info in pkgutil.iter_modules(policies.common.__path__):
        module = importlib.import_module(f"policies.common.{info.name}")
        for name, value in vars(module).items():
            defined_here = (inspect.isfunction(value) or inspect.isclass(value)) and value.__module__ == module.__name__
            if defined_here and not name.startswith("_"):
                found.append((module.__name__, name))
    return found


def test_every_public_common_helper_is_used_somewhere_in_the_packs() -> None:
    sources = [path.read_text() for path in POLICIES_ROOT.rglob("*.py")]
    unused = [
        f"{module}.{name}"
        for module, name in _public_definitions()
        if sum(len(re.findall(rf"\b{re.escape(name)}\b", text)) for text in sources) < 2
    ]
    assert unused == []
