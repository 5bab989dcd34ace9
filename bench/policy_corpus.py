"""Detection figures of the security pack on the corpus in tests/policies/corpus (see docs/policies.md).

    .venv/bin/python bench/policy_corpus.py            # preview values, then unresolved policies re-run (default)
    .venv/bin/python bench/policy_corpus.py --no-rerun # preview values only (the old behaviour)

Prints, per program, whether the gate blocks it (a mandatory finding), and the totals: insecure programs
blocked / advisory only / missed, compliant programs with a mandatory finding (false positives), findings that
needed the re-run on filled-in values, and the CPU seconds the whole run took.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "policies")]

from corpus.all_programs import PROGRAMS  # noqa: E402
from corpus.program import evaluate  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--no-rerun", action="store_true", help="judge on preview values only")
    parser.add_argument("--quiet", action="store_true", help="totals only")
    args = parser.parse_args()
    started, cpu = time.perf_counter(), time.process_time()
    blocked = advisory_only = missed = false_positives = rerun_needed = 0
    insecure = compliant = 0
    for program in PROGRAMS:
        verdict = evaluate(program, resolve_unknowns=not args.no_rerun)
        if program.insecure:
            insecure += 1
            if verdict.blocked:
                blocked += 1
                outcome = "blocked"
                if len(verdict.resolved) == len(verdict.mandatory):
                    rerun_needed += 1
                    outcome = "blocked (only on filled-in values)"
            elif verdict.advisory:
                advisory_only += 1
                outcome = "ADVISORY ONLY"
            else:
                missed += 1
                outcome = "MISSED"
        else:
            compliant += 1
            if verdict.blocked:
                false_positives += 1
                outcome = "FALSE POSITIVE: " + "; ".join(verdict.mandatory)[:200]
            else:
                outcome = "passes"
        if not args.quiet:
            print(f"{program.name:45} {program.environment:5} {outcome}")
    print(
        f"\ninsecure programs: {insecure}, blocked {blocked} ({100 * blocked / insecure:.1f}%), "
        f"advisory only {advisory_only}, missed {missed}; blocked only thanks to the re-run: {rerun_needed}"
    )
    print(f"compliant programs: {compliant}, false positives {false_positives}")
    print(
        f"wall {time.perf_counter() - started:.1f} s, CPU {time.process_time() - cpu:.1f} s, "
        f"load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
