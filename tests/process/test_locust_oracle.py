"""Our percentiles against Locust's own, asked in a child process: importing Locust here would
monkey-patch this pytest process with gevent (and break every later test that touches ssl or
threads). In the process tier because it starts an interpreter."""

from __future__ import annotations

import json
import subprocess
import sys

from pytest_bfd_locust.histogram import percentiles_from_histogram

HISTOGRAMS: list[tuple[str, dict[int, int]]] = [
    ("single", {42: 1}),
    ("one-bucket", {100: 1000}),
    ("two-buckets", {10: 99, 2000: 1}),
    ("spread", {1: 5, 2: 5, 3: 5, 10: 20, 50: 30, 100: 20, 500: 10, 1000: 4, 9000: 1}),
    ("rounded", {90: 13, 110: 7, 120: 3, 130: 1, 1100: 2, 1200: 1, 15000: 1}),
    ("zero-ms", {0: 50, 1: 50}),
    ("uneven", {7: 3, 8: 1, 9: 2, 41: 9999, 42: 1}),
]


LOCUST_ORACLE = """
import json, sys
from locust.stats import PERCENTILES_TO_REPORT, calculate_response_time_percentile
out = []
for histogram in json.load(sys.stdin):
    histogram = {int(ms): count for ms, count in histogram.items()}
    total = sum(histogram.values())
    out.append({str(p): calculate_response_time_percentile(histogram, total, p)
                for p in PERCENTILES_TO_REPORT})
print(json.dumps(out))
"""


def test_percentiles_from_histogram_match_locust() -> None:
    histograms = [h for _, h in HISTOGRAMS]
    done = subprocess.run(
        [sys.executable, "-c", LOCUST_ORACLE],
        input=json.dumps([{str(ms): n for ms, n in h.items()} for h in histograms]),
        capture_output=True,
        text=True,
        check=True,
    )
    expected = json.loads(done.stdout)
    for (label, histogram), locust_says in zip(HISTOGRAMS, expected, strict=True):
        assert percentiles_from_histogram(histogram, sum(histogram.values())) == locust_says, label
