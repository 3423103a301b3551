"""The prior noise's scales (judge/noise.py `PRIOR_SCALES`), measured on the recorded real runs.

For every suite of bench/data/runs (80 runs each, oldest first), every entry (the totals and each
endpoint) and every kind of statistic: the run-to-run spread of ln(value) measured within levels
(noise.level_residuals: pooled residuals between the series' change points) divided by the entry's
dispersion D (noise.dispersion: ln(upper / median) with Locust's rounding, the upper quantile by
noise.dispersion_level). The judge measures a store's other hashes with the same two functions
(`noise.series_ratios`, `noise.measured_scales`: per kind the largest ratio, a statistic jumping
between modes left out), so the packaged values are `measured_scales` of these runs, rounded up.
Prints each suite's ratios and, per kind, the median and the largest, and the largest spread
(`noise.measured_ceilings`: the packaged `PRIOR_CEILINGS`, the most sigma0 may be). Run by hand:

    .venv/bin/python bench/prior_scale.py
"""

from __future__ import annotations

import sys
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from detection import DATA, load_runs  # noqa: E402

from pytest_bfd_locust.judge.noise import (  # noqa: E402
    PRIOR_CEILINGS,
    PRIOR_SCALES,
    measured_ceilings,
    measured_scales,
    series_ratios,
)


def main() -> int:
    runs = load_runs(DATA)
    pooled: dict[str, list[float]] = {}
    for suite, records in sorted(runs.items()):
        for kind, ratios in series_ratios(records).items():
            pooled.setdefault(kind, []).extend(ratios)
            listed = " ".join(f"{ratio:.3f}" for ratio in ratios)
            print(f"{suite:16} {kind:22} spread/D (totals, then each endpoint) {listed}")
    print()
    measured = measured_scales(list(runs.values()))
    ceilings = measured_ceilings(list(runs.values()))
    for kind, ratios in pooled.items():
        print(
            f"{kind:22} spread/D median {median(ratios):.3f}, largest {max(ratios):.3f};"
            f" measured (outliers left out) {measured.by_kind[kind]:.3f}; packaged {PRIOR_SCALES[kind]};"
            f" largest spread {ceilings[kind]:.3f}, packaged ceiling {PRIOR_CEILINGS[kind]}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
