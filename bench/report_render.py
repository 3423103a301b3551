"""Size and render time of the session HTML report, against the 2 MB budget of a 3-suite report.

Run: `python bench/report_render.py [--suites 3] [--endpoints 2 10 30] [--runs 20] [--repeat 3]`.
Each suite has a baseline, a history of `--runs` runs, a 20-sample timeline and errors (the
`tests/report_factory` models). Prints the page's size against the budget, the share taken by the
charts' SVG, the median render time and the time per chart.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pytest_bfd_locust.reports.html import render_report  # noqa: E402
from tests.report_factory import compared_suite  # noqa: E402

BUDGET = 2 * 1024 * 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suites", type=int, default=3)
    parser.add_argument("--endpoints", type=int, nargs="+", default=[2, 10, 30])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    headers = ("endpoints", "size", "of budget", "svg share", "charts", "render", "per chart")
    widths = (9, 9, 9, 9, 6, 8, 9)
    print("  ".join(f"{header:>{width}}" for header, width in zip(headers, widths, strict=True)))
    for endpoints in args.endpoints:
        suites = [
            compared_suite(f"suite-{n}", endpoints=endpoints, runs=args.runs) for n in range(args.suites)
        ]
        times, page = [], ""
        for _ in range(args.repeat):
            started = time.perf_counter()
            page = render_report(suites)
            times.append(time.perf_counter() - started)
        charts = page.count("<svg")
        size = len(page.encode("utf-8"))
        svg = sum(len(m.encode("utf-8")) for m in re.findall(r"<svg.*?</svg>", page, flags=re.DOTALL))
        print(
            f"{endpoints:>9}  {size / 1024:>6.0f} KB  {size / BUDGET:>8.0%}  {svg / size:>8.0%}  "
            f"{charts:>6}  "
            f"{statistics.median(times):>6.2f} s  {statistics.median(times) / charts * 1000:>6.1f} ms"
        )


if __name__ == "__main__":
    main()
