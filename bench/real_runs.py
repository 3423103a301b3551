"""The judge on real runs: the demo catalog run after run, then one endpoint made 25 % slower.

Runs the benchmark catalog (bench/catalog/: the demo's three suites plus `claims`, whose
ExplanationOfBenefit endpoint the target delays by 40 ms) through the real plugin with the
packaged thresholds and a fresh file store, by hand:

    .venv/bin/python bench/real_runs.py [--aa 10] [--ab 10]

1. A/A: one run to start the history, then `--aa` runs with `--compare previous`; every suite of
   every run should pass (no hand-widened rules).
2. A/B: the claims endpoint at 50 ms instead of 40 (+25 %), `--ab` runs of the claims suite with
   `--compare previous`, then `--ab` with `--compare average`; each should fail. A failed run is
   stored as FAILED and never becomes a baseline, so every slowed run is judged against the A/A
   history. The first failure text of each is printed.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from catalog_runs import CLAIMS_DELAY_MS, SUITES, run_catalog, write_catalog  # noqa: E402

SLOWED_DELAY_MS = 50
"""The claims endpoint's delay in the A/B runs: 40 -> 50 ms, the issue's 25 % slowdown."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--aa", type=int, default=10, help="compared A/A runs of the whole catalog")
    parser.add_argument("--ab", type=int, default=10, help="slowed runs per --compare mode")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bfd-real-runs-") as directory:
        work = Path(directory)
        store = work / "store"
        normal = write_catalog(work / "normal", CLAIMS_DELAY_MS)
        slowed = write_catalog(work / "slowed", SLOWED_DELAY_MS)

        started = time.monotonic()
        first = run_catalog(normal, store)
        print(f"history start: {_outcomes(first.outcomes)}", flush=True)
        passed: Counter[str] = Counter()
        for number in range(1, args.aa + 1):
            run = run_catalog(normal, store, compare="previous")
            passed.update(suite for suite, outcome in run.outcomes.items() if outcome == "PASSED")
            print(f"A/A {number}/{args.aa}: {_outcomes(run.outcomes)}", flush=True)
            if run.returncode != 0:
                print(_failure_text(run.output), flush=True)
        aa_summary = ", ".join(f"{suite} {passed[suite]}/{args.aa}" for suite in SUITES)
        print(f"A/A with --compare previous, passed: {aa_summary} ({time.monotonic() - started:.0f} s)")

        results = {}
        for mode in ("previous", "average"):
            failed = 0
            for number in range(1, args.ab + 1):
                run = run_catalog(slowed, store, compare=mode, extra_args=("-k", "claims"))
                outcome = run.outcomes.get("claims", "missing")
                failed += outcome == "FAILED"
                print(f"A/B --compare {mode} {number}/{args.ab}: claims {outcome}", flush=True)
                if outcome == "FAILED" and failed == 1:
                    print(_failure_text(run.output), flush=True)
            results[mode] = failed
        for mode, failed in results.items():
            print(f"claims endpoint 40 -> {SLOWED_DELAY_MS} ms, --compare {mode}: failed {failed}/{args.ab}")
    return 0


def _outcomes(outcomes: dict[str, str]) -> str:
    return " ".join(f"{suite}={outcomes.get(suite, 'missing')}" for suite in SUITES)


def _failure_text(output: str) -> str:
    """The judge's lines of the terminal summary (FAILURE/WARNING rows in words)."""
    lines = [line for line in output.splitlines() if re.match(r"\s+(FAILURE|WARNING|level shift)", line)]
    return "\n".join(lines[:8])


if __name__ == "__main__":
    sys.exit(main())
