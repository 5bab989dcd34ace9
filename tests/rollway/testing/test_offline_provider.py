"""The offline test provider's protocol answers, without the engine (tests/engine drives it through the CLI)."""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path
from typing import Any
from unittest import mock

import tomllib
from google.protobuf import struct_pb2
from pulumi.runtime.proto import provider_pb2

from rollway.testing.offline_provider import PACKAGES, OfflineProvider, changed_keys, sdk_plugins

ROOT = Path(__file__).resolve().parents[3]
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
ADD, DELETE, UPDATE = provider_pb2.PropertyDiff.ADD, provider_pb2.PropertyDiff.DELETE, provider_pb2.PropertyDiff.UPDATE


def struct(value: dict[str, Any]) -> struct_pb2.Struct:
    out = struct_pb2.Struct()
    out.update(value)
    return out


def test_equal_inputs_are_no_change() -> None:
    assert changed_keys({"port": 80.0, "tags": {"a": "b"}}, {"port": 80.0, "tags": {"a": "b"}}, []) == {}


def test_added_removed_and_changed_keys_are_told_apart() -> None:
    old = {"port": 80.0, "name": "web", "tags": {"a": "b"}}
    new = {"port": 81.0, "tags": {"a": "b"}, "protocol": "HTTP"}
    assert changed_keys(old, new, []) == {"name": DELETE, "port": UPDATE, "protocol": ADD}


def test_nested_change_is_an_update_of_the_top_level_key() -> None:
    old = {"defaultActions": [{"forward": {"targetGroups": [{"weight": 90.0}, {"weight": 10.0}]}}]}
    new = {"defaultActions": [{"forward": {"targetGroups": [{"weight": 75.0}, {"weight": 25.0}]}}]}
    assert changed_keys(old, new, []) == {"defaultActions": UPDATE}


def test_ignored_and_internal_keys_never_change() -> None:
    old = {"desiredCount": 1.0, "__defaults": []}
    new = {"desiredCount": 3.0, "__defaults": ["name"]}
    assert changed_keys(old, new, ["desiredCount"]) == {}


def test_an_unknown_new_value_is_a_change_even_when_the_old_one_was_the_same_text() -> None:
    assert changed_keys({"arn": UNKNOWN}, {"arn": UNKNOWN}, []) == {"arn": UPDATE}
    assert changed_keys({"ids": ["a"]}, {"ids": [UNKNOWN]}, []) == {"ids": UPDATE}


def test_diff_reports_none_or_some_with_a_detailed_diff() -> None:
    provider = OfflineProvider("aws", "7.0.0")
    same = provider.Diff(
        provider_pb2.DiffRequest(olds=struct({"port": 80}), news=struct({"port": 80}), old_inputs=struct({"port": 80})), None
    )
    assert same.changes == provider_pb2.DiffResponse.DIFF_NONE
    some = provider.Diff(
        provider_pb2.DiffRequest(olds=struct({"port": 80}), news=struct({"port": 81}), old_inputs=struct({"port": 80})), None
    )
    assert some.changes == provider_pb2.DiffResponse.DIFF_SOME
    assert list(some.diffs) == ["port"] and some.detailedDiff["port"].kind == UPDATE and not some.replaces


def test_create_in_preview_computes_nothing() -> None:
    provider = OfflineProvider("aws", "7.0.0")
    request = provider_pb2.CreateRequest(
        urn="urn:pulumi:dev::p::aws:s3/bucket:Bucket::logs", properties=struct({"acl": "private"}), preview=True
    )
    response = provider.Create(request, None)
    assert response.id == "" and dict(response.properties) == {"acl": "private"}


def test_create_returns_a_deterministic_id_and_computed_outputs_over_the_inputs() -> None:
    provider = OfflineProvider("aws", "7.0.0")
    request = provider_pb2.CreateRequest(
        urn="urn:pulumi:dev::p::aws:s3/bucket:Bucket::logs", type="aws:s3/bucket:Bucket", name="logs",
        properties=struct({"acl": "private"}),
    )  # fmt: skip
    first, second = provider.Create(request, None), provider.Create(request, None)
    assert first.id and first.id == second.id
    outputs = dict(first.properties)
    assert outputs["acl"] == "private" and str(outputs["arn"]).startswith("arn:aws:s3:::")


def test_update_keeps_the_id_and_recomputes_from_the_new_inputs() -> None:
    provider = OfflineProvider("aws", "7.0.0")
    response = provider.Update(
        provider_pb2.UpdateRequest(
            id="logs-1234", urn="urn:pulumi:dev::p::aws:s3/bucket:Bucket::logs", type="aws:s3/bucket:Bucket", name="logs",
            olds=struct({"acl": "private"}), news=struct({"acl": "log-delivery-write"}),
        ),
        None,
    )  # fmt: skip
    assert dict(response.properties)["acl"] == "log-delivery-write"


def test_configure_reads_the_region_and_refuses_secrets() -> None:
    provider = OfflineProvider("aws", "7.0.0")
    response = provider.Configure(provider_pb2.ConfigureRequest(variables={"aws:region": "eu-west-1"}), None)
    assert provider.context.aws_region == "eu-west-1"
    assert response.supportsPreview and not response.acceptSecrets


def test_unanswered_invoke_returns_an_empty_result() -> None:
    provider = OfflineProvider("aws", "7.0.0")
    response = provider.Invoke(provider_pb2.InvokeRequest(tok="aws:index/nothing:nothing", args=struct({})), None)
    assert dict(getattr(response, "return")) == {}


def test_plugins_follow_the_installed_sdks() -> None:
    plugins = sdk_plugins()
    assert set(plugins) == set(PACKAGES)
    assert plugins["aws"] == metadata.version("pulumi-aws")


def test_install_names_every_plugin_and_its_version(tmp_path: Path) -> None:
    from rollway.testing import offline_provider

    with mock.patch.object(offline_provider.subprocess, "run") as run:
        offline_provider.install(Path("/bin/pulumi"), tmp_path / "home", tmp_path / "scripts")
    calls = [call.args[0][3:6] for call in run.call_args_list]
    assert calls == [["resource", name, version] for name, version in sorted(sdk_plugins().items())]
    assert "never calls a cloud" in (tmp_path / "scripts" / "pulumi-resource-aws").read_text()


def test_engine_is_built_at_the_pinned_python_sdk_version() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    pinned = next(dep for dep in pyproject["project"]["dependencies"] if re.match(r"pulumi\s*==", dep)).split("==")[1]
    go_mod = (ROOT / "engine" / "go.mod").read_text()
    assert f"github.com/pulumi/pulumi/pkg/v3 v{pinned}\n" in go_mod
    assert f"github.com/pulumi/pulumi/sdk/v3 v{pinned}\n" in go_mod
    assert metadata.version("pulumi") == pinned
