"""Our E-divisive change points (pytest_bfd_locust/judge/changepoints.py) against Apache Otava's, by hand.

Otava is not a dependency (ARCHITECTURE.md says why); install it beside the venv without its
dependencies, which this script does not need (it calls only `otava.analysis`):

    .venv/bin/pip install --no-deps --target /tmp/otava apache-otava==0.8.0
    PYTHONPATH=/tmp/otava .venv/bin/python bench/changepoints_vs_otava.py [--series 500]

Both run on the same seeded series (noise alone, one planted shift, a level that goes up and back
down) and on every key statistic of the recorded runs (bench/data/runs); the script prints how
often the change point indexes agree exactly, and the cases where they differ.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from detection import DATA, load_runs  # noqa: E402

from pytest_bfd_locust.judge.changepoints import KEY_STATISTICS, change_points  # noqa: E402

try:
    from otava.analysis import compute_change_points
except ImportError:
    sys.exit("apache-otava is not importable: see this script's docstring")


def otava_indexes(series: Sequence[float]) -> list[int]:
    points, _ = compute_change_points(list(series), window_len=max(len(series), 2), max_pvalue=0.001)
    return sorted(int(point.index) for point in points)


def ours(series: Sequence[float]) -> list[int]:
    return [split.index for split in change_points(series)]


def synthetic(rng: random.Random, kind: str) -> list[float]:
    size = rng.randint(10, 60)
    if kind == "noise":
        return [rng.gauss(40, 2) for _ in range(size)]
    at = rng.randint(3, size - 3)
    shift = rng.choice((1.5, 3.0, 6.0))
    if kind == "shift":
        return [rng.gauss(40, 2) + (shift * 2 if i >= at else 0) for i in range(size)]
    back = rng.randint(at + 2, size - 1) if at + 2 < size - 1 else size - 1
    return [rng.gauss(40, 2) + (shift * 2 if at <= i < back else 0) for i in range(size)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=500, help="synthetic series per kind")
    args = parser.parse_args(argv)
    rng = random.Random(1)
    for kind in ("noise", "shift", "up and back"):
        agree, differ = 0, []
        found: Counter[str] = Counter()
        for _ in range(args.series):
            series = synthetic(rng, kind)
            mine, theirs = ours(series), otava_indexes(series)
            found["ours"] += bool(mine)
            found["otava"] += bool(theirs)
            if mine == theirs:
                agree += 1
            else:
                differ.append((len(series), mine, theirs))
        print(
            f"{kind:12} {agree}/{args.series} identical; series with a change point: "
            f"ours {found['ours']}, Otava {found['otava']}; first differences: {differ[:4]}"
        )
    runs = load_runs(DATA)
    agree = total = 0
    for suite, records in sorted(runs.items()):
        for statistic in KEY_STATISTICS:
            series = [record.totals.stat(statistic) for record in records]
            mine, theirs = ours(series), otava_indexes(series)
            total += 1
            agree += mine == theirs
            print(f"  {suite:15} totals {statistic:22} ours {mine}  Otava {theirs}")
    print(f"recorded runs: {agree}/{total} series identical")
    return 0


if __name__ == "__main__":
    sys.exit(main())
