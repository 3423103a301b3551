"""Was the load generator healthy? A run whose Locust ran out of CPU measured Locust, not the API.

Pure. Locust runs every user of a process on one core (gevent); once that core is busy, a response
that has arrived waits for its greenlet to be scheduled, and that wait is counted as response time.
Latencies and throughput of such a run are the generator's own queueing: a "regression" found in
it is not the API's. Locust itself warns above 90 % CPU (`runners.CPU_WARNING_THRESHOLD`, its
`cpu_warning` event). The child records Locust's measurement in the timeline (`cpu_percent`: the
highest of the master's and every worker's latest reading, one sample a second); this module
decides from it whether the run is **inconclusive**: its comparison is then not reported as a
regression of the API (`judge.verdict.decide_suite`), the suite fails with its own reason (or
warns, `--bfd-inconclusive warn`), and the run is never a baseline (`judge.baseline.is_eligible`).
SLA, failure-ratio and the other validation rules still apply: they hold the run's own figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from pytest_bfd_locust.timeline import Timeline

SATURATED_CPU_PERCENT = 90.0
"""A generator process above this CPU (% of one core) is saturated: Locust's own threshold
(`locust.runners.CPU_WARNING_THRESHOLD`, above which it logs "CPU usage above 90%! This may
constrain your throughput and may even give inconsistent response time measurements")."""

MAX_SATURATED_SHARE = 0.05
"""A run is inconclusive when its generator was saturated for more than this share of the measured
run time (the samples carrying a CPU reading).

Why 5 %: every threshold file compares tail percentiles (the packaged one p90, p95 and p99), and a
request completed while the generator is saturated carries the generator's queueing. Beyond 5 %
saturated time, the slowest 5 % of the requests, the p95, can all be such requests: the p95 is
then a measurement of the generator. Measured on the project's 2-core machine (demo target, 20
users, 10 s after spawning, README "Load-generator health"): runs without client-side work read
30-45 % in every sample (share 0); 200 users without wait time against the Patient endpoint read
82-86 % (target-bound, share 0); one second of client-side work in the middle read as one sample
of 97 % (1 of 9 s, 11 %) and moved p99 from 32-44 ms to 110 ms while p95 stayed within the A/A
runs' 24-36 ms; saturating users (the e2e test's) read 91-97 % while the machine was otherwise
quiet. A lower share would void a run of less than 20 s over a single saturated sample (the 1 s
interval is the resolution); p99 is affected before 5 % (a run below the share may still carry
generator time in its p99, which the HTML report's timeline chart marks).

Limit of Locust's measurement: it is the process's CPU time per second of wall time. On a machine
whose cores are busy with other processes the same saturating users read 35-80 % (they wait to be
scheduled, which delays responses just as much): such a run is not caught.
"""


class InconclusivePolicy(StrEnum):
    """What an inconclusive run does to its suite (`--bfd-inconclusive`)."""

    FAIL = "fail"
    """The suite fails with the inconclusive reason (a void measurement is not a pass)."""
    WARN = "warn"
    """The suite passes with a warning saying why its comparison was not judged."""


ADVICE = "use fewer users per process, --bfd-processes or workers"
"""What to do about a saturated generator (after the cause, in the one-line message)."""


@dataclass(frozen=True)
class GeneratorLoad:
    """How busy the load generator was over a run, from the timeline's `cpu_percent` column."""

    saturated_s: float
    """Seconds of the samples in which some generator process was above `SATURATED_CPU_PERCENT`."""
    measured_s: float
    """Seconds of the samples that carry a CPU reading (Locust's first reading comes after 1 s)."""
    saturated_cpu_percent: float
    """Mean CPU of the saturated samples, weighted by their seconds (0 when none was saturated)."""
    peak_cpu_percent: float

    @property
    def saturated_share(self) -> float:
        return self.saturated_s / self.measured_s if self.measured_s > 0 else 0.0

    def describe(self) -> str:
        """`the load generator used 97 % CPU for 14 s of 30` (the cause, without advice)."""
        return (
            f"the load generator used {self.saturated_cpu_percent:.0f} % CPU for "
            f"{self.saturated_s:.0f} s of {self.measured_s:.0f}"
        )


def generator_load(timeline: Timeline | None) -> GeneratorLoad | None:
    """The generator's load over the run; None when no sample carries a CPU reading (a record from
    before the column, or a run shorter than Locust's first measurement).

    Each sample stands for the interval since the previous one (the first: since the start).
    """
    if timeline is None:
        return None
    saturated_s = measured_s = weighted = peak = 0.0
    previous = 0.0
    for sample in timeline.samples:
        seconds = max(sample.elapsed - previous, 0.0)
        previous = sample.elapsed
        if sample.cpu_percent is None:
            continue
        measured_s += seconds
        peak = max(peak, sample.cpu_percent)
        if sample.cpu_percent > SATURATED_CPU_PERCENT:
            saturated_s += seconds
            weighted += seconds * sample.cpu_percent
    if measured_s <= 0:
        return None
    return GeneratorLoad(
        saturated_s=saturated_s,
        measured_s=measured_s,
        saturated_cpu_percent=weighted / saturated_s if saturated_s > 0 else 0.0,
        peak_cpu_percent=peak,
    )


def inconclusive_reason(timeline: Timeline | None, max_share: float = MAX_SATURATED_SHARE) -> str | None:
    """Why the run is inconclusive (`GeneratorLoad.describe`), or None when its generator was
    saturated for no more than `max_share` of the measured run (or was not measured)."""
    load = generator_load(timeline)
    if load is None or load.saturated_s <= 0 or load.saturated_share <= max_share:
        return None
    return load.describe()


def inconclusive_message(reason: str) -> str:
    """The one line a person reads: `inconclusive: <reason>; use fewer users per process, ...`."""
    return f"inconclusive: {reason}; {ADVICE}"


def saturated_intervals(timeline: Timeline) -> tuple[tuple[float, float], ...]:
    """(start, end) seconds of each run of consecutive saturated samples, for the charts."""
    spans: list[tuple[float, float]] = []
    previous = 0.0
    for sample in timeline.samples:
        start, previous = previous, sample.elapsed
        if sample.cpu_percent is None or sample.cpu_percent <= SATURATED_CPU_PERCENT:
            continue
        if spans and spans[-1][1] == start:
            spans[-1] = (spans[-1][0], sample.elapsed)
        else:
            spans.append((start, sample.elapsed))
    return tuple(spans)
