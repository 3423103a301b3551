"""Record real runs of the benchmark catalog for bench/detection.py: `bench/data/runs/` (a file store).

Runs the catalog (the demo's three suites plus `claims`, bench/catalog/) N times through the real
plugin, each time with a fresh file store in a temporary directory, and copies the records it
stored into `bench/data/runs/hash=<hash>/` (the file store layout, so the benchmark reads them with
`FileStore`). Records are appended: run it again to add more. Run by hand (about 35 s per round on
a 2-core machine):

    .venv/bin/python bench/collect_runs.py [--rounds 60] [--out bench/data/runs]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from catalog_runs import ROOT, run_catalog, write_catalog  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "data" / "runs")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for round_number in range(1, args.rounds + 1):
        started = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="bfd-collect-") as directory:
            work = Path(directory)
            catalog = write_catalog(work / "catalog")
            run = run_catalog(catalog, work / "store")
            copied = 0
            for record in sorted((work / "store").glob("hash=*/*.stats.json")):
                target = args.out / record.parent.name / record.name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(record, target)
                copied += 1
        outcome = " ".join(f"{suite}={verdict}" for suite, verdict in sorted(run.outcomes.items()))
        print(
            f"round {round_number}/{args.rounds}: {copied} records, exit {run.returncode}, "
            f"{time.monotonic() - started:.0f} s  {outcome}",
            flush=True,
        )
        if copied == 0:
            print(run.output[-3000:], file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
