"""The security pack on the corpus of realistic programs (tests/policies/corpus; figures in docs/policies.md)."""

from __future__ import annotations

import pytest
from corpus.all_programs import PROGRAMS
from corpus.program import Program, evaluate

ADVISORY_BY_DESIGN = {
    # Intentionally public web entry points are common; prod's config may promote these.
    "k8s-loadbalancer-open": "k8s-loadbalancer-source-ranges",
    # Rollway's own ALBs write no access logs yet, so prod's config cannot promote this without failing them.
    "aws-alb-no-access-logs-prod": "alb-access-logs",
}
INSECURE = [program for program in PROGRAMS if program.insecure]
COMPLIANT = [program for program in PROGRAMS if not program.insecure]


def test_the_corpus_is_big_enough_and_names_are_unique() -> None:
    assert len(INSECURE) >= 60 and len(COMPLIANT) >= 15
    assert len({program.name for program in PROGRAMS}) == len(PROGRAMS)


@pytest.mark.parametrize("program", INSECURE, ids=lambda program: program.name)
def test_insecure_program_is_blocked(program: Program) -> None:
    verdict = evaluate(program)
    if program.name in ADVISORY_BY_DESIGN:
        assert not verdict.blocked and any(f.startswith(ADVISORY_BY_DESIGN[program.name]) for f in verdict.advisory)
    else:
        assert verdict.blocked, verdict


@pytest.mark.parametrize("program", COMPLIANT, ids=lambda program: program.name)
def test_compliant_program_has_no_mandatory_finding(program: Program) -> None:
    assert evaluate(program).mandatory == []


def test_a_policy_built_from_outputs_is_decided_on_filled_in_values() -> None:
    (program,) = [program for program in PROGRAMS if program.name == "aws-s3-policy-public-from-outputs"]
    preview_only = evaluate(program, resolve_unknowns=False)
    assert "s3-bucket-policy-no-public-principal" in preview_only.cannot_know
    assert not any(f.startswith("s3-bucket-policy-no-public-principal") for f in preview_only.mandatory)
    verdict = evaluate(program)
    assert any(f.startswith("s3-bucket-policy-no-public-principal") for f in verdict.resolved)
