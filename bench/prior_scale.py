"""The prior noise's scales (judge/noise.py `PRIOR_SCALES`), measured on the recorded real runs.

For every suite of bench/data/runs (80 runs each, oldest first), every entry (the totals and each
endpoint) and every statistic of the packaged rules: the run-to-run spread of ln(value) measured
within levels (noise.level_residuals: pooled residuals between the series' change points) divided
by the entry's dispersion D (noise.dispersion: ln(upper / median) with Locust's rounding, the upper
quantile by noise.dispersion_level). Prints each ratio and, per
statistic, the largest: the packaged scale. Run by hand:

    .venv/bin/python bench/prior_scale.py
"""

from __future__ import annotations

import math
import sys
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from detection import DATA, load_runs  # noqa: E402

from pytest_bfd_locust.judge.noise import (  # noqa: E402
    PRIOR_SCALES,
    dispersion,
    dispersion_level,
    level_residuals,
)
from pytest_bfd_locust.judge.significance import log_value, value_floor  # noqa: E402

STATISTICS = ("median_response_time", "average_response_time", "0.9", "0.95", "0.99", "total_reqs_per_second")


def main() -> int:
    runs = load_runs(DATA)
    ratios: dict[str, list[tuple[float, str]]] = {}
    for suite, records in sorted(runs.items()):
        keys = [None, *(task.key for task in records[0].tasks)]
        for key in keys:
            entries = [record.totals if key is None else record.task(key) for record in records]
            present = [entry for entry in entries if entry is not None]
            for statistic in STATISTICS:
                upper = dispersion_level(statistic)
                pairs = [(e.stat(upper), e.stat("median_response_time")) for e in present]
                entry_dispersion = dispersion(pairs)
                logs = [log_value(e.stat(statistic), value_floor(statistic)) for e in present]
                squares, degrees, levels = level_residuals(logs)
                spread = math.sqrt(squares / degrees)
                label = f"{suite} {'totals' if key is None else ' '.join(reversed(key))}"
                ratio = spread / entry_dispersion
                kind = "rate" if statistic == "total_reqs_per_second" else statistic
                ratios.setdefault(kind, []).append((ratio, label))
                print(
                    f"{label:58} {statistic:22} levels {levels}  spread {spread:.3f}"
                    f"  D {entry_dispersion:.3f}  spread/D {ratio:.3f}"
                )
    print()
    for kind, found in ratios.items():
        found.sort()
        print(
            f"{kind:22} spread/D median {median(r for r, _ in found):.3f}, largest {found[-1][0]:.3f}"
            f" ({found[-1][1]}), next {found[-2][0]:.3f}; packaged {PRIOR_SCALES[kind]}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
