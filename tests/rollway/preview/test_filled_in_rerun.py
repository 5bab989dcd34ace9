"""No blind spots by default: policies that cannot run on preview values are decided on filled-in values."""

from __future__ import annotations

from pathlib import Path

from preflight_support import PACKS

from rollway.preview.analyzer import Diagnostic, PackReport, PolicyReport
from rollway.preview.preview import FILLED_IN, PreviewOptions, decide_on_filled_in_values, run_preview

ROOT = Path(__file__).resolve().parents[3]
PUBLIC_POLICY_FROM_OUTPUTS = """import json

import pulumi_aws as aws

bucket = aws.s3.BucketV2("downloads")
aws.s3.BucketPolicy(
    "downloads-read",
    bucket=bucket.id,
    policy=bucket.arn.apply(
        lambda arn: json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"{arn}/*"}]}
        )
    ),
)
"""


def _diagnostic(policy: str, urn: str, message: str, level: str = "advisory") -> Diagnostic:
    return Diagnostic("pack", "1", policy, level, "high", urn, message)


def _note(policy: str, urn: str) -> Diagnostic:
    return _diagnostic(
        policy,
        urn,
        f"can't run policy '{policy}' from policy pack 'pack@v1' during preview: string value at .policy can't be known during preview",
    )


def _report(*diagnostics: Diagnostic) -> PolicyReport:
    return PolicyReport([PackReport("pack", "1", PACKS, diagnostics=list(diagnostics))])


def test_a_note_is_replaced_by_the_rerun_finding_for_the_same_policy_and_resource() -> None:
    preview = _report(_note("p", "urn:a"), _diagnostic("q", "urn:b", "kept"))
    resolved = _report(
        _diagnostic("p", "urn:a", "public", "mandatory"),
        _diagnostic("p", "urn:c", "not blind"),
        _diagnostic("q", "urn:b", "kept"),
    )
    line = decide_on_filled_in_values(preview, resolved)
    assert [(d.policy, d.urn, d.level, d.message) for d in preview.diagnostics] == [
        ("q", "urn:b", "advisory", "kept"),
        ("p", "urn:a", "mandatory", FILLED_IN + "public"),
    ]
    assert line.startswith("1 policy check(s) could not run on preview values")


def test_a_note_the_rerun_passes_disappears_and_one_it_cannot_decide_stays() -> None:
    preview = _report(_note("p", "urn:a"), _note("r", "urn:b"))
    decide_on_filled_in_values(preview, _report(_note("r", "urn:b")))
    assert [(d.policy, d.urn) for d in preview.diagnostics] == [("r", "urn:b")]


def test_preview_blocks_a_public_bucket_policy_built_from_outputs_without_a_flag(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: scratch\nruntime: python\n")
    (tmp_path / "Pulumi.dev.yaml").write_text("config: {}\n")
    (tmp_path / "__main__.py").write_text(PUBLIC_POLICY_FROM_OUTPUTS)
    options = PreviewOptions(cwd=tmp_path, stack="dev", policy_packs=[ROOT / "policies" / "security"])
    report = run_preview(options)
    found = [d for pack in report.packs for d in pack.diagnostics if d.policy == "s3-bucket-policy-no-public-principal"]
    assert [d.level for d in found] == ["mandatory"] and FILLED_IN in found[0].message
    assert any("re-run on values with provider-computed fields filled in" in warning for warning in report.warnings)
    assert not report.resolve_outputs
