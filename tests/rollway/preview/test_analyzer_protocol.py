"""The Analyzer protocol client against real pulumi-policy packs (fixtures), as the engine drives them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from preflight_support import PACKS

from rollway.preview.analyzer import AnalyzedResource, PackSpec, PolicyGate, StackInfo, _merge_config_file
from rollway.preview.errors import PolicyPackError, UsageError
from rollway.preview.gate import UNKNOWN_SENTINEL

STACK = StackInfo(project="fixture", stack="dev", config={"aws:region": "us-east-1"})
URN = "urn:pulumi:dev::fixture::"


def bucket(name: str, **props: object) -> AnalyzedResource:
    return AnalyzedResource(
        urn=f"{URN}aws:s3/bucket:Bucket::{name}", type="aws:s3/bucket:Bucket", name=name, custom=True, properties=props
    )


def access_block(name: str, bucket_urn: str) -> AnalyzedResource:
    type_ = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
    return AnalyzedResource(
        urn=f"{URN}{type_}::{name}",
        type=type_,
        name=name,
        custom=True,
        properties={"bucket": UNKNOWN_SENTINEL},
        dependencies=[bucket_urn],
    )


@pytest.fixture(scope="module")
def guardrails() -> Iterator[PolicyGate]:
    """One running guardrails pack (configured with required tags owner + cost-center), shared by this module."""
    config = PACKS / "guardrails-config.json"
    with PolicyGate([PackSpec(PACKS / "guardrails", config)], STACK, timeout=30) as gate:
        yield gate


def findings(gate: PolicyGate, resources: list[AnalyzedResource]) -> list[tuple[str, str, str]]:
    report = gate.analyze(resources)
    return [(diagnostic.policy, diagnostic.level, diagnostic.urn.rsplit("::", 1)[-1]) for diagnostic in report.diagnostics]


def test_mandatory_violation_is_attributed_to_the_analyzed_resource(guardrails: PolicyGate) -> None:
    found = findings(guardrails, [bucket("assets", acl="public-read", tags={"owner": "a", "cost-center": "b"})])
    assert ("no-public-bucket-acl", "mandatory", "assets") in found


def test_pack_version_comes_from_policy_yaml(guardrails: PolicyGate) -> None:
    report = guardrails.analyze([])
    assert (report.packs[0].name, report.packs[0].version) == ("guardrails", "0.3.0")


def test_policy_pack_config_reaches_the_policy(guardrails: PolicyGate) -> None:
    report = guardrails.analyze([bucket("logs", acl="private", tags={"owner": "a"})])
    messages = [diagnostic.message for diagnostic in report.diagnostics if diagnostic.policy == "required-tags"]
    assert messages == ["Buckets carry the required tags.\nlogs lacks tag(s) cost-center"]


def test_stack_policy_sees_dependencies(guardrails: PolicyGate) -> None:
    tagged = {"owner": "a", "cost-center": "b"}
    blocked, open_ = bucket("blocked", tags=tagged), bucket("open", tags=tagged)
    found = findings(guardrails, [blocked, open_, access_block("blocked-block", blocked.urn)])
    assert [item for item in found if item[0] == "buckets-have-public-access-block"] == [
        ("buckets-have-public-access-block", "advisory", "open")
    ]


def test_policy_reading_an_unknown_value_gets_the_preview_advisory(guardrails: PolicyGate) -> None:
    type_ = "aws:s3/bucketPolicy:BucketPolicy"
    policy = AnalyzedResource(urn=f"{URN}{type_}::p", type=type_, name="p", custom=True, properties={"policy": UNKNOWN_SENTINEL})
    report = guardrails.analyze([policy])
    [diagnostic] = [item for item in report.diagnostics if item.policy == "bucket-policy-is-json"]
    assert diagnostic.level == "advisory"
    assert "during preview" in diagnostic.message


def test_components_are_not_analyzed_one_by_one(guardrails: PolicyGate) -> None:
    component = AnalyzedResource(
        urn=f"{URN}my:Site::s", type="aws:s3/bucket:Bucket", name="s", custom=False, properties={"acl": "public-read"}
    )
    assert not [item for item in findings(guardrails, [component]) if item[0] == "no-public-bucket-acl"]


def test_crashing_pack_reports_exit_code_and_stderr() -> None:
    with PolicyGate([PackSpec(PACKS / "crashing")], STACK, timeout=30) as gate, pytest.raises(PolicyPackError) as raised:
        gate.analyze([])
    assert "exited before serving (exit code 3)" in str(raised.value)
    assert "cannot load rules.yaml (simulated)" in str(raised.value)


def test_hanging_pack_times_out_with_its_stderr_and_is_ended() -> None:
    gate = PolicyGate([PackSpec(PACKS / "hanging")], STACK, timeout=30, start_timeout=1.5)
    with gate, pytest.raises(PolicyPackError, match=r"printed no port within 1.5s") as raised:
        gate.analyze([])
    assert "waiting for a lock that never frees" in str(raised.value)
    process = gate.packs[0]._process
    assert process is not None and process.poll() is not None


def test_pack_that_hangs_in_analyze_hits_the_call_deadline() -> None:
    gate = PolicyGate([PackSpec(PACKS / "slow-analyze")], STACK, timeout=2, start_timeout=60)
    with gate, pytest.raises(PolicyPackError, match="did not answer Analyze within 2s"):
        gate.analyze([bucket("b")])


def _base() -> dict[str, dict[str, object]]:
    return {"a": {"enforcementLevel": "advisory"}, "b": {"enforcementLevel": "mandatory"}}


def _write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    return path


def test_all_key_sets_every_level_and_named_policies_override_it(tmp_path: Path) -> None:
    base = _base()
    _merge_config_file(_write(tmp_path, {"all": "disabled", "b": "mandatory"}), base, {}, "pack")
    assert base == {"a": {"enforcementLevel": "disabled"}, "b": {"enforcementLevel": "mandatory"}}


def test_config_for_a_policy_the_pack_lacks_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"policy `c` is not in pack `pack` \(its policies: a, b\)"):
        _merge_config_file(_write(tmp_path, {"c": "advisory"}), _base(), {}, "pack")


def test_unknown_enforcement_level_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="enforcement level 'strict' is not one of"):
        _merge_config_file(_write(tmp_path, {"a": "strict"}), _base(), {}, "pack")


def test_invalid_json_config_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text('{\n  "a": advisory\n}')
    with pytest.raises(UsageError, match="invalid JSON at line 2"):
        _merge_config_file(path, _base(), {}, "pack")
