"""Run-to-run noise: how much one statistic moves between runs of unchanged code, learned from the
first earlier run on.

Pure: no pytest, boto3, locust, gevent, numpy or scipy. Two runs of the same code differ by more
than their requests' sampling error (machine load, warm-up, the target's own variance), so the
judge also asks how far each statistic wanders between runs, on the log scale (a statistic's
noise grows with its size). It is a conjugate normal model of x_i = ln(value of run i):

- **Prior.** sigma^2 ~ Scaled-Inv-chi^2(nu0, sigma0^2): the noise is believed to be about sigma0,
  as sure as nu0 measured degrees of freedom would make it (`prior_degrees_of_freedom`). sigma0
  is measured, not assumed: on the 320 real runs of bench/data/runs (4 suites, 2 endpoints each,
  80 runs each; bench/prior_scale.py) a statistic's run-to-run spread grew with its endpoint's
  own dispersion D = ln(upper / median) (`dispersion`, `dispersion_level`: the upper quantile is
  the p90, or the statistic's own for the p95 and p99; Locust's rounding included). A 41 ms
  endpoint with p90 at 44 ms moves 1-3 % between runs; a 2 ms endpoint with p90 at 7 ms on a
  saturated machine 30-45 %. So sigma0 = s * D, with s per kind of statistic in `PRIOR_SCALES`:
  the largest ratio spread / D over the 12 series of that statistic (every endpoint and the
  totals of the 4 suites), the spread measured within levels as below; D is the median over the
  history's runs, at least `MIN_DISPERSION`, and sigma0 at most its kind's `PRIOR_CEILINGS` (the
  largest spread a whole series of that kind showed: the line overshoots where D is large). The
  ratios were 0.07-0.53, the median of each kind 0.19-0.26. One series was left out: the totals'
  median of a suite mixing a 1 ms and a 41 ms endpoint, which jumps between the two (ratio 10.7);
  the within-run interval of a median that sits between two modes covers both, and the history's
  own spread takes over from the second run (`within_fence`). `prior_scale` multiplies every s (1
  by default). With the judge key `prior_from_store` the s come from the store's other hashes
  instead (`measured_scales`, the same computation; `PriorScales`, carried in `Evidence.prior`);
  measured, that helped little and cost false alarms (README), so the packaged values are the
  default. D's upper end is not the p99 for the median: in a short run (30 requests of an
  endpoint) the p99 is the single slowest request.
- **Data.** The residuals of the history within its levels: the change points of the series
  (judge/changepoints.py, E-divisive means) cut it into segments, and each segment is measured
  around its own mean, so a past step (a regression, then its fix) is a level, not noise:
  SS = sum over segments of sum (x_i - mean_segment)^2, with df = runs - segments.
- **Posterior.** sigma^2 | data ~ Scaled-Inv-chi^2(nu0 + df, (nu0 sigma0^2 + SS) / (nu0 + df)), so
  the difference of two new runs d = x_current - x_baseline has the predictive Student-t
  distribution with nu0 + df degrees of freedom and scale sigma_n * sqrt(2) (both runs are
  noisy). The band narrows run by run as df grows; nothing jumps at a fixed number of runs.

Locust rounds response times, so their spread is never taken below the rounding's own (a bucket
of width w at value v: `w / (v * sqrt(12))`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from statistics import fmean, median
from typing import TypeVar

from pytest_bfd_locust.histogram import bucket_width
from pytest_bfd_locust.judge.changepoints import change_points
from pytest_bfd_locust.judge.significance import (
    VALUE_FLOOR,
    StatKind,
    log_value,
    quantile_level,
    stat_kind,
    value_floor,
)
from pytest_bfd_locust.record import Record, TaskStats

T = TypeVar("T")

MIN_DISPERSION = 0.05
"""The smallest D the prior's scale is built on (the upper quantile 5 % above the median): an
endpoint whose every request takes the same time still moves between runs. The real runs' smallest
was 0.094 (a 41 ms endpoint with p90 at 44 ms)."""

UNKNOWN_DISPERSION = 1.0
"""D assumed when no earlier run has both quantiles (records without percentiles): wide."""


class SpreadMethod(StrEnum):
    """How a spread was estimated (said in messages when it is a fallback)."""

    POSTERIOR = "measured within the history's levels, combined with the prior"
    PRIOR = "no measured spread yet: the prior alone"
    ROUNDING = "Locust's rounding of response times"
    MAD = "median absolute deviation"
    """A spread measured elsewhere from the MAD (tests and reports building a `Spread` by hand)."""


@dataclass(frozen=True)
class Spread:
    """The run-to-run spread of one statistic: what the judge's noise band is built on."""

    runs: int
    """How many finite values of the history it rests on."""
    center: float
    """The median value (in the statistic's unit); NaN without runs."""
    log_sigma: float
    """The standard deviation of ln(value) between runs (the posterior's sigma_n), per run."""
    method: SpreadMethod
    degrees_of_freedom: float | None = None
    """nu0 + df: the band's Student-t degrees of freedom; None: runs - 1 (a spread measured alone)."""
    measured_degrees_of_freedom: int | None = None
    """df = runs - levels: what the history itself contributed; None: runs - 1."""
    prior_degrees_of_freedom: float = 0.0
    """nu0: what the prior contributed."""
    prior_log_sigma: float = 0.0
    """sigma0: the prior's scale."""
    levels: int = 1
    """How many levels (segments between change points) the history was measured within."""
    prior_source: str = ""
    """Where the prior's scale was measured when not the packaged value (`PriorScales.describe`)."""

    @property
    def band_degrees_of_freedom(self) -> float:
        """The Student-t degrees of freedom of the noise band (at least a small positive number)."""
        if self.degrees_of_freedom is not None:
            return max(self.degrees_of_freedom, 1e-9)
        return max(self.runs - 1, 1)

    @property
    def measured(self) -> int:
        """The history's own degrees of freedom."""
        if self.measured_degrees_of_freedom is not None:
            return self.measured_degrees_of_freedom
        return max(self.runs - 1, 0)

    @property
    def rests_on_prior(self) -> bool:
        """Whether the prior still weighs more than the measured runs (nu0 > df)."""
        return self.prior_degrees_of_freedom > self.measured

    def difference_sd(self, baseline_runs: int) -> float:
        """The standard deviation of ln(current) - ln(baseline) for a baseline averaging `baseline_runs`."""
        return self.log_sigma * math.sqrt(1.0 + 1.0 / max(baseline_runs, 1))

    @property
    def percent(self) -> float:
        """The spread as a relative change of one run, in percent (exp(sigma) - 1)."""
        return math.expm1(self.log_sigma) * 100.0


def level_residuals(logs: Sequence[float], *, within_levels: bool = True) -> tuple[float, int, int]:
    """(SS, df, levels) of ln values given oldest first: the sum of squared residuals around each
    level's mean, its degrees of freedom (values - levels), and the number of levels.

    `within_levels=False`: one level over the whole series (the sample variance's SS).
    """
    if not logs:
        return 0.0, 0, 0
    cuts = [split.index for split in change_points(logs)] if within_levels and len(logs) > 2 else []
    bounds = [0, *cuts, len(logs)]
    squares = 0.0
    for start, end in zip(bounds, bounds[1:], strict=False):
        segment = logs[start:end]
        mean = fmean(segment)
        squares += sum((x - mean) ** 2 for x in segment)
    return squares, len(logs) - (len(bounds) - 1), len(bounds) - 1


def dispersion(pairs: Sequence[tuple[float, float]]) -> float:
    """An endpoint's D = ln(upper / median) with Locust's rounding: the median over (upper, median)
    pairs of earlier runs of ln((upper + w / 2) / (median - w / 2)), w the bucket width (1 ms below
    100 ms), the median side at least `VALUE_FLOOR`: an endpoint whose p90 and median both read
    1 ms is not without spread, its spread is below the resolution.

    Non-finite pairs are left out; without any, `UNKNOWN_DISPERSION`; never below `MIN_DISPERSION`.
    """
    found = [
        math.log((upper + _half_bucket(upper)) / max(middle - _half_bucket(middle), VALUE_FLOOR))
        for upper, middle in pairs
        if math.isfinite(upper) and math.isfinite(middle)
    ]
    if not found:
        return UNKNOWN_DISPERSION
    return max(median(found), MIN_DISPERSION)


def _half_bucket(ms: float) -> float:
    return bucket_width(int(round(max(ms, 0.0)))) / 2.0


def dispersion_level(name: str) -> str:
    """The upper quantile D of statistic `name` is read at: its own for a percentile above the
    p90 (the p95's D is ln(p95 / median): a tail is as noisy as its own distance from the middle),
    else the p90 (the median, average, lower percentiles and rates)."""
    kind = stat_kind(name)
    if kind is StatKind.EXTREME:
        return "0.99"
    if kind is StatKind.QUANTILE and quantile_level(name) > 0.9:
        return "0.95" if quantile_level(name) <= 0.95 else "0.99"
    return "0.9"


PRIOR_SCALES: Mapping[str, float] = {
    "median_response_time": 0.28,
    "average_response_time": 0.32,
    "0.9": 0.33,
    "0.95": 0.34,
    "0.99": 0.53,
    "rate": 0.32,
}
"""s of sigma0 = s * D per kind of statistic, measured by bench/prior_scale.py (module docstring).
Other percentiles take the next tabulated level up (0.66 -> 0.9, 0.98 and above -> 0.99), the
minimum and maximum 0.99's; request and failure counts and rates take "rate"."""


SCALE_STATISTICS: Mapping[str, str] = {
    "median_response_time": "median_response_time",
    "average_response_time": "average_response_time",
    "0.9": "0.9",
    "0.95": "0.95",
    "0.99": "0.99",
    "rate": "total_reqs_per_second",
}
"""The statistic each kind of `PRIOR_SCALES` is measured on (`series_ratios`)."""


PRIOR_CEILINGS: Mapping[str, float] = {
    "median_response_time": 0.45,
    "average_response_time": 0.41,
    "0.9": 0.60,
    "0.95": 0.58,
    "0.99": 0.69,
    "rate": 0.39,
}
"""The largest sigma0 per kind of statistic: the largest run-to-run spread that kind showed over the
whole of any of the same 12 series, the loaded machine's periods counted as noise (`measured_ceilings`,
bench/prior_scale.py; the series jumping between modes left out, as for the scales), rounded up.
s * D is a line through series whose spread grew far slower than their D: the 40 ms endpoint (D
0.09) set the scales, while 1-2 ms endpoints (D 1.1-2.6) spread 0.13-0.59 within levels, 0.69 at
most with the loaded periods. Without a ceiling, one earlier run of a 1 ms endpoint with its p90
at 3 ms (D = ln(3.5 / 0.5): Locust's rounding counted) gave the median sigma0 0.55 and a bar of
+20000 %: 1 -> 200 ms passed as noise. The ceiling is the least it can be without believing in
less noise than these runs showed: within levels (0.32 for the median) it raised the A/A false
alarms of bench/detection.py (README)."""


def scale_kind(name: str) -> str:
    """The kind of `PRIOR_SCALES` statistic `name` takes its s from."""
    kind = stat_kind(name)
    if kind in (StatKind.REQUESTS, StatKind.FAILURES):
        return "rate"
    if name in PRIOR_SCALES:
        return name
    if kind is not StatKind.QUANTILE:
        return "0.99"
    level = quantile_level(name)
    for tabulated in ("median_response_time", "0.9", "0.95"):
        if level <= quantile_level(tabulated):
            return tabulated
    return "0.99"


def prior_scale_of(name: str, scales: Mapping[str, float] = PRIOR_SCALES) -> float:
    """The measured s of statistic `name` (`PRIOR_SCALES`, or a store's measured `scales`)."""
    return scales.get(scale_kind(name), PRIOR_SCALES[scale_kind(name)])


def prior_log_sigma(
    name: str, entry_dispersion: float, scale: float = 1.0, scales: Mapping[str, float] = PRIOR_SCALES
) -> float:
    """sigma0 of statistic `name`: its measured s times its endpoint's D, at most its kind's
    `PRIOR_CEILINGS`, times `scale`."""
    line = prior_scale_of(name, scales) * max(entry_dispersion, MIN_DISPERSION)
    return scale * min(line, PRIOR_CEILINGS[scale_kind(name)])


MIN_SERIES_RUNS = 10
"""The fewest runs a series of another hash needs before its spread counts (`measured_scales`).
The spread of n runs rests on about n - 2 degrees of freedom (n - levels); at 10 runs its relative
standard error is about 1 / sqrt(2 * 8) = 25 %, at 5 runs 40 % (a ratio that could be half the
truth). The store hands over at most `OTHER_SERIES_RUNS` runs of a hash, the judge's own history."""

MIN_SERIES = 3
"""The fewest series (an endpoint or the totals of one hash) of a kind of statistic whose largest
ratio may replace the packaged s: the packaged value took the largest of 12; the largest of fewer
than 3 is too likely to be a quiet series's (then the packaged value stays)."""

OUTLIER_FACTOR = 3.0
"""A series's ratio above this many times the median of its kind is not noise but a statistic
that jumps between modes (the packaged measurement's one such series, the totals' median of a
suite mixing a 1 ms and a 41 ms endpoint: 10.7 against a median of 0.22; the next largest of any
kind was 2.4 times its median). Left out, as the packaged measurement left it out."""

OTHER_SERIES_HASHES = 8
"""How many other hashes a store reads for the prior (the newest first): the packaged value rests
on 12 series of 4 suites; 8 hashes of one to three entries each give as many, at a bounded cost
(at most 8 x `OTHER_SERIES_RUNS` objects read)."""

OTHER_SERIES_RUNS = 20
"""How many runs of each other hash (the newest): the judge's own history length (`history`)."""


@dataclass(frozen=True)
class PriorScales:
    """The s of sigma0 = s * D per kind of statistic, and where it came from."""

    by_kind: Mapping[str, float] = field(default_factory=lambda: dict(PRIOR_SCALES))
    series: int = 0
    """How many series of other hashes in the store the scales were measured on; 0: packaged."""
    hashes: int = 0
    """How many other hashes those series belong to."""

    @property
    def measured_in_store(self) -> bool:
        return self.series > 0

    def describe(self) -> str:
        """Where the prior came from, for the `history:` line; "" for the packaged values."""
        if not self.measured_in_store:
            return ""
        hashes = f"{self.hashes} other hash{'es' if self.hashes != 1 else ''}"
        return f"prior measured on {self.series} series of {hashes} in the store"


PACKAGED_PRIOR = PriorScales()
"""The prior when the store holds no usable runs of other hashes, or is not asked."""


def series_ratios(records: Sequence[Record]) -> dict[str, list[float]]:
    """Per kind of `PRIOR_SCALES`, the ratio spread / D of each entry (the totals and every endpoint)
    of one series (the runs of one hash, oldest first): exactly what bench/prior_scale.py measured the
    packaged values on. The spread is within levels (`level_residuals`), D the entry's `dispersion`.
    An entry without two finite values of a statistic gives no ratio for it."""
    return {kind: [ratio for ratio, _ in found] for kind, found in series_spreads(records).items()}


def series_spreads(
    records: Sequence[Record], *, within_levels: bool = True
) -> dict[str, list[tuple[float, float]]]:
    """Per kind of `PRIOR_SCALES`, (spread / D, spread) of each entry of one series (`series_ratios`);
    `within_levels=False`: the spread over the whole series, its levels counted as noise."""
    spreads: dict[str, list[tuple[float, float]]] = {}
    keys: list[tuple[str, str] | None] = [None]
    for record in records:
        keys.extend(task.key for task in record.tasks if task.key not in keys)
    for key in keys:
        entries = [record.totals if key is None else record.task(key) for record in records]
        present = [entry for entry in entries if entry is not None]
        for kind, statistic in SCALE_STATISTICS.items():
            upper = dispersion_level(statistic)
            pairs = [(_stat(entry, upper), _stat(entry, "median_response_time")) for entry in present]
            values = [value for entry in present if math.isfinite(value := _stat(entry, statistic))]
            logs = [log_value(value, value_floor(statistic)) for value in values]
            squares, degrees, _levels = level_residuals(logs, within_levels=within_levels)
            if degrees < 1:
                continue
            spread = math.sqrt(squares / degrees)
            spreads.setdefault(kind, []).append((spread / dispersion(pairs), spread))
    return spreads


def measured_ceilings(series: Sequence[Sequence[Record]]) -> dict[str, float]:
    """Per kind, the largest spread over a whole series (`series_spreads` with its levels counted as
    noise: a loaded machine's periods included), the series whose ratio is beyond `OUTLIER_FACTOR`
    times their kind's median ratio left out (the scales' rule): how bench/prior_scale.py measures
    `PRIOR_CEILINGS`."""
    pooled: dict[str, list[tuple[float, float]]] = {}
    for runs in series:
        for kind, found in series_spreads(runs, within_levels=False).items():
            pooled.setdefault(kind, []).extend(found)
    ceilings = {}
    for kind, found in pooled.items():
        finite = [(ratio, spread) for ratio, spread in found if math.isfinite(ratio)]
        if finite:
            kept = within_fence([spread for _, spread in finite], [ratio for ratio, _ in finite])
            ceilings[kind] = max(kept)
    return ceilings


def _stat(entry: TaskStats, name: str) -> float:
    try:
        return float(entry.stat(name))
    except KeyError:
        return math.nan


def combined_scale(ratios: Sequence[float]) -> float | None:
    """One kind's s from its series' ratios: the largest, those beyond `OUTLIER_FACTOR` times their
    median left out; None (the packaged value stays) with fewer than `MIN_SERIES` finite ratios."""
    finite = [ratio for ratio in ratios if math.isfinite(ratio)]
    if len(finite) < MIN_SERIES:
        return None
    return max(within_fence(finite, finite))


def within_fence(items: Sequence[T], ratios: Sequence[float]) -> list[T]:
    """The items whose series ratio (spread / D; `ratios`, finite, in the same order) is at most
    `OUTLIER_FACTOR` times the median ratio: a statistic jumping between modes left out."""
    fence = OUTLIER_FACTOR * median(ratios)
    return [item for item, ratio in zip(items, ratios, strict=True) if ratio <= fence]


def measured_scales(series: Sequence[Sequence[Record]]) -> PriorScales:
    """The prior's scales measured on other hashes' runs (each series one hash's, oldest first): per
    kind, the largest ratio of the series with at least `MIN_SERIES_RUNS` runs, outliers beyond
    `OUTLIER_FACTOR` times the kind's median left out, as the packaged values were measured; a kind
    with fewer than `MIN_SERIES` ratios keeps its packaged value. No usable series: `PACKAGED_PRIOR`."""
    usable = [runs for runs in series if len(runs) >= MIN_SERIES_RUNS]
    pooled: dict[str, list[float]] = {}
    for runs in usable:
        found = series_ratios(runs)
        for kind, ratios in found.items():
            pooled.setdefault(kind, []).extend(ratios)
    by_kind = dict(PRIOR_SCALES)
    replaced = False
    for kind, ratios in pooled.items():
        combined = combined_scale(ratios)
        if combined is not None:
            by_kind[kind] = combined
            replaced = True
    if not replaced:
        return PACKAGED_PRIOR
    entries = max((len(ratios) for ratios in pooled.values()), default=0)
    return PriorScales(by_kind=by_kind, series=entries, hashes=len(usable))


def noise_posterior(
    values: Sequence[float],
    *,
    prior_sigma: float,
    prior_degrees_of_freedom: float,
    response_time: bool = False,
    within_levels: bool = True,
    floor: float = VALUE_FLOOR,
    prior_source: str = "",
) -> Spread:
    """The posterior run-to-run spread of ln(values) (module docstring); `values` newest first.

    NaN and infinite values are left out. `response_time`: Locust's rounded milliseconds, so the
    spread is at least the rounding's (relative to the median value). `floor`: what a zero value
    counts as (significance.value_floor).
    """
    finite = [value for value in values if math.isfinite(value)]
    logs = [log_value(value, floor) for value in reversed(finite)]
    squares, measured, levels = level_residuals(logs, within_levels=within_levels)
    nu = prior_degrees_of_freedom + measured
    sigma = math.sqrt((prior_degrees_of_freedom * prior_sigma**2 + squares) / nu) if nu > 0 else 0.0
    method = SpreadMethod.POSTERIOR if measured else SpreadMethod.PRIOR
    center = median(finite) if finite else math.nan
    if response_time and finite:
        rounding = rounding_log_sigma(center)
        if rounding > sigma:
            sigma, method = rounding, SpreadMethod.ROUNDING
    return Spread(
        runs=len(finite),
        center=center,
        log_sigma=sigma,
        method=method,
        degrees_of_freedom=nu,
        measured_degrees_of_freedom=measured,
        prior_degrees_of_freedom=prior_degrees_of_freedom,
        prior_log_sigma=prior_sigma,
        levels=levels,
        prior_source=prior_source,
    )


def rounding_log_sigma(ms: float) -> float:
    """The log-scale standard deviation Locust's bucket rounding alone gives a response time of `ms`."""
    value = max(ms, VALUE_FLOOR)
    return bucket_width(int(round(value))) / (value * math.sqrt(12.0))
