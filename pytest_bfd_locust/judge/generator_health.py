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
request completed while the generator is saturated carries the generator's queueing. Measured with
`bench/generator_saturation.py` (20 users against the demo target, 10 s after spawning, a window
of client-side CPU work in the middle; 2 cores, load average 1.3-2, two runs each): without the
work every sample read 28-47 % (share 0), p95 7-8 ms, p99 13-15 ms; a 1 s window read as one
sample of 96-99 % (1 of 9 s, 11 %) and moved p99 to 150-210 ms while p95 stayed at 7-11 ms; 2 s
(25 %) moved p95 to 15-20 ms and p99 to 210-250 ms; 3-4 s (39-51 %) moved p90 to 24-93 ms and
p95 to 210 ms. The smallest share measured, 11 %, already made p99 the generator's; 5 % keeps
every one of these runs inconclusive while a run of 20 s or more may hold one saturated second
(the 1 s sample interval is the resolution), and two in 40 s. Below the share, p99 may still
carry generator time: the HTML report's timeline chart marks those seconds.

Limit of Locust's measurement: it is the process's CPU time per second of wall time. On a machine
whose cores are busy with other processes (load average 3-4.5 on 2 cores) the e2e test's saturating
users read 35-85 % (they wait to be scheduled, which delays responses just as much): such a run is
not caught.
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
