"""SLAs per endpoint, per time window and the throughput floor (judge/sla.py), and their catalog keys."""

from __future__ import annotations

import textwrap
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from pytest_bfd_locust.judge.sla import (
    SlaRules,
    WindowBreach,
    abort_reason,
    clock,
    is_breach_abort,
    latest_window_breach,
    samples_per_window,
    so_far_breach,
    window_breaches,
)
from pytest_bfd_locust.judge.validation import ValidationRules, validate
from pytest_bfd_locust.record import Record
from pytest_bfd_locust.suites import PercentileLimits, Sla, load_catalog, override_suite
from pytest_bfd_locust.timeline import (
    TOTALS_ENTRY,
    IntervalHistograms,
    Timeline,
    TimelineSample,
    interval_histograms,
)
from tests.record_factory import make_record, make_task, make_totals

LOCUST_PERCENTILES = {"p50": 0.5, "p95": 0.95, "p99": 0.99}


def locust_bucket(ms: int) -> int:
    """Locust's rounding of a response time into its histogram (stats.py, `_log_time_of_request`)."""
    if ms < 100:
        return ms
    if ms < 1000:
        return int(round(ms, -1))
    if ms < 10000:
        return int(round(ms, -2))
    return int(round(ms, -3))


def reference_percentile(values: np.ndarray, quantile: float) -> int:
    """Locust's rule stated independently: the (floor(n q) + 1)-th smallest request, from sorted raw
    values with numpy (no histogram merging)."""
    ordered = np.sort(values)
    rank = min(int(len(ordered) * quantile) + 1, len(ordered))
    return int(ordered[rank - 1])


def synthetic_run(seed: int, seconds: int = 40) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(completion time s, response time ms bucketed as Locust does, endpoint) of every request,
    with a stall of `/slow` between 12 s and 17 s."""
    rng = np.random.default_rng(seed)
    count = seconds * 150
    times = np.sort(rng.uniform(0, seconds, count))
    endpoints = rng.choice(["GET /fast", "GET /slow"], size=count, p=[0.8, 0.2])
    ms = rng.lognormal(mean=np.log(12), sigma=0.6, size=count)
    stalled = (endpoints == "GET /slow") & (times >= 12) & (times < 17)
    ms[stalled] = rng.uniform(900, 2500, int(stalled.sum()))
    bucketed = np.array([locust_bucket(int(round(v))) for v in ms])
    return times, bucketed, [str(e) for e in endpoints]


def timeline_of(times: np.ndarray, ms: np.ndarray, endpoints: list[str], interval: float) -> Timeline:
    """The timeline the child would keep: one sample per interval, its histograms per entry."""
    samples = int(np.ceil(times.max() / interval))
    rows: list[dict[str, dict[int, int]]] = [{} for _ in range(samples)]
    for t, value, endpoint in zip(times, ms, endpoints, strict=True):
        row = rows[min(int(t // interval), samples - 1)]
        for entry in (TOTALS_ENTRY, endpoint):
            histogram = row.setdefault(entry, {})
            histogram[int(value)] = histogram.get(int(value), 0) + 1
    timeline_samples = tuple(
        TimelineSample((i + 1) * interval, 4, 0, 0, 0.0, 0.0, 0.0, 0.0) for i in range(samples)
    )
    return Timeline(interval=interval, samples=timeline_samples, histograms=interval_histograms(rows))


@pytest.mark.parametrize(("seed", "interval", "window"), [(1, 1.0, 5.0), (2, 1.0, 2.0), (3, 2.0, 7.0)])
def test_every_window_percentile_is_numpys_over_the_windows_own_requests(
    seed: int, interval: float, window: float
) -> None:
    times, ms, endpoints = synthetic_run(seed)
    timeline = timeline_of(times, ms, endpoints, interval)
    endpoint_array = np.array(endpoints)
    width = samples_per_window(window, interval)
    ends = [s.elapsed for s in timeline.samples]
    # A limit of 0 ms breaks every window with requests, so every window's measurement is reported.
    for statistic, quantile in LOCUST_PERCENTILES.items():
        for endpoint in (None, "GET /slow"):
            limits = {statistic: 0}
            rules = SlaRules(
                totals=limits if endpoint is None else {},
                endpoints={} if endpoint is None else {endpoint: limits},
                window=window,
            )
            (breach,) = window_breaches(timeline, rules)
            assert breach.evaluated == len(ends) - width + 1
            for start, end in breach.windows:
                chosen = (times >= start) & (times < end)
                if endpoint is not None:
                    chosen &= endpoint_array == endpoint
                # Recompute each window from the raw requests, then compare with what the breach
                # of the first window says, and the rest through latest_window_breach.
                last = ends.index(end)
                rows = [
                    {entry: timeline.histograms.series(entry)[i] for entry in timeline.histograms.entries}  # type: ignore[union-attr]
                    for i in range(last + 1)
                ]
                latest = latest_window_breach(rows, ends[: last + 1], interval, rules)
                assert latest is not None
                assert latest.measured_ms == reference_percentile(ms[chosen], quantile)
                assert (latest.start, latest.end) == (start, end)
            first = breach.windows[0]
            first_chosen = (times >= first[0]) & (times < first[1])
            if endpoint is not None:
                first_chosen &= endpoint_array == endpoint
            assert breach.measured_ms == reference_percentile(ms[first_chosen], quantile)


def test_a_stall_breaks_only_the_windows_it_falls_in_and_the_breach_names_the_first() -> None:
    times, ms, endpoints = synthetic_run(7)
    timeline = timeline_of(times, ms, endpoints, 1.0)
    rules = SlaRules(endpoints={"GET /slow": {"p95": 500}}, window=5.0)
    (breach,) = window_breaches(timeline, rules)
    assert breach.endpoint == "GET /slow"
    assert all(start < 17 and end > 12 for start, end in breach.windows)
    assert breach.start <= 12 < breach.end
    assert breach.describe().startswith("p95 ")
    assert breach.describe().endswith(f"in {clock(breach.start)}-{clock(breach.end)} > 500 ms")
    # One window of the whole run: the stall's requests are 2.5 % of the totals, below their p95.
    assert window_breaches(timeline, SlaRules(totals={"p95": 500}, window=40.0)) == ()


def test_a_window_breach_reads_as_the_issue_writes_it() -> None:
    breach = WindowBreach(None, "p95", 1000, 1800, 40.0, 50.0)
    assert breach.describe() == "p95 1.8 s in 00:40-00:50 > 1000 ms"
    assert (
        WindowBreach("GET /a", "p99", 400, 450, 61.0, 71.4).scoped()
        == "GET /a p99 450 ms in 01:01-01:11 > 400 ms"
    )
    assert abort_reason(43.2, breach.describe()) == "aborted at 43 s: p95 1.8 s in 00:40-00:50 > 1000 ms"
    assert is_breach_abort("aborted at 43 s: p95 1.8 s in 00:40-00:50 > 1000 ms")
    assert not is_breach_abort("failsafe: average response time 3100 ms exceeded failsafe_avg_ms 100 ms")
    assert not is_breach_abort(None)


@pytest.mark.parametrize(
    ("window", "interval", "samples"), [(10, 1, 10), (10, 3, 3), (10, 4, 2), (1, 5, 1), (2, 0.5, 4)]
)
def test_a_window_is_the_nearest_whole_number_of_samples(
    window: float, interval: float, samples: int
) -> None:
    assert samples_per_window(window, interval) == samples


def test_latest_window_waits_for_a_full_window_and_skips_silent_endpoints() -> None:
    rules = SlaRules(totals={"p95": 100}, endpoints={"GET /a": {"p50": 10}}, window=2.0)
    slow = {TOTALS_ENTRY: {500: 3}}
    assert latest_window_breach([slow], [1.0], 1.0, rules) is None  # one sample of a two-sample window
    breach = latest_window_breach([{TOTALS_ENTRY: {5: 10}}, slow], [1.0, 2.0], 1.0, rules)
    assert breach == WindowBreach(None, "p95", 100, 500, 0.0, 2.0)
    assert latest_window_breach([{TOTALS_ENTRY: {5: 10}}] * 3, [1.0, 2.0, 3.0], 1.0, rules) is None


def test_so_far_breach_judges_the_run_so_far() -> None:
    rules = SlaRules(totals={"p95": 100}, endpoints={"GET /a": {"p50": 10}, "GET /b": {"p50": 10}})
    assert so_far_breach({TOTALS_ENTRY: {"0.95": 90}, "GET /a": {"0.5": 9}}, rules) is None
    assert (
        so_far_breach({TOTALS_ENTRY: {"0.95": 90}, "GET /a": {"0.5": 12}}, rules)
        == "GET /a p50 12 ms so far > 10 ms"
    )
    assert so_far_breach({TOTALS_ENTRY: {"0.95": 1200}}, rules) == "p95 1.2 s so far > 100 ms"


def _record_with(timeline: Timeline | None = None, rps: float = 50.0) -> Record:
    return replace(
        make_record(
            totals=make_totals(total_reqs_per_second=rps, percentiles={"0.5": 10, "0.95": 20, "0.99": 30}),
            tasks=[
                make_task("/fast", percentiles={"0.5": 5, "0.95": 8, "0.99": 9}),
                make_task("/slow", percentiles={"0.5": 200, "0.95": 450, "0.99": 900}),
            ],
        ),
        timeline=timeline,
    )


def test_endpoint_limits_fail_the_endpoint_that_breaks_them_by_name() -> None:
    rules = ValidationRules(
        sla=SlaRules(endpoints={"GET /fast": {"p95": 100}, "GET /slow": {"p95": 400, "p50": 300}})
    )
    failures = validate(_record_with(), rules)
    assert [str(f) for f in failures] == ["SLA GET /slow p95: measured 450 ms, limit 400 ms"]


def test_an_endpoint_without_requests_fails_by_name_with_the_runs_endpoints() -> None:
    rules = ValidationRules(sla=SlaRules(endpoints={"GET /slwo": {"p95": 400}, "POST /fast": {"p95": 1}}))
    failures = [str(f) for f in validate(_record_with(), rules)]
    assert failures == [
        "SLA GET /slwo: the run recorded no request to it (the run's endpoints: GET /fast, GET /slow); "
        "did you mean 'GET /slow'?",
        "SLA POST /fast: the run recorded no request to it (the run's endpoints: GET /fast, GET /slow); "
        "did you mean 'GET /fast'?",
    ]


@pytest.mark.parametrize(("rps", "fails"), [(49.9, True), (50.0, False), (80.0, False)])
def test_min_rps_is_a_floor_on_the_totals_throughput(rps: float, fails: bool) -> None:
    failures = validate(_record_with(rps=rps), ValidationRules(sla=SlaRules(min_rps=50.0)))
    assert [str(f) for f in failures] == (
        [f"SLA min_rps: measured {rps:.1f} requests/s, limit 50 requests/s"] if fails else []
    )


def test_a_window_breach_is_a_validation_failure_with_its_windows() -> None:
    times, ms, endpoints = synthetic_run(7)
    timeline = timeline_of(times, ms, endpoints, 1.0)
    (failure,) = validate(
        _record_with(timeline), ValidationRules(sla=SlaRules(totals={"p99": 800}, window=5.0))
    )
    assert str(failure).startswith("SLA p99 per 5 s window: p99 ")
    assert " windows)" in str(failure)
    assert failure.windows and all(end - start == 5.0 for start, end in failure.windows)


def test_a_window_without_histograms_is_said_not_passed() -> None:
    bare = Timeline(interval=1.0, samples=(TimelineSample(1.0, 1, 1, 0, 1.0, 1.0, 1.0, 1.0),))
    (failure,) = validate(_record_with(bare), ValidationRules(sla=SlaRules(totals={"p95": 100}, window=5.0)))
    assert "not evaluated" in str(failure)


def test_a_run_aborted_on_a_breach_fails_with_that_one_line() -> None:
    reason = "aborted at 43 s: p95 1.8 s in 00:40-00:50 > 1000 ms"
    rules = ValidationRules(sla=SlaRules(totals={"p50": 1}, min_rps=1000.0))
    assert [str(f) for f in validate(_record_with(), rules, abort_reason=reason)] == [reason]


def test_interval_histograms_round_trip_and_old_timelines_still_read() -> None:
    histograms = interval_histograms(
        [{TOTALS_ENTRY: {3: 2, 120: 1}}, {TOTALS_ENTRY: {4: 1}, "GET /a": {4: 1}}, {}]
    )
    assert histograms.entries == (TOTALS_ENTRY, "GET /a")
    assert histograms.series("GET /a") == [{}, {4: 1}, {}]
    assert histograms.series("GET /never") == [{}, {}, {}]
    assert histograms.to_json() == {
        "entries": ["Aggregated", "GET /a"],
        "samples": [[[3, 2, 120, 1]], [[4, 1], [4, 1]], []],
    }
    assert IntervalHistograms.from_json(histograms.to_json(), "h") == histograms
    samples = tuple(TimelineSample(float(i + 1), 1, 1, 0, 1.0, 1.0, 1.0, 1.0) for i in range(3))
    timeline = Timeline(interval=1.0, samples=samples, histograms=histograms)
    assert Timeline.from_json(timeline.to_json(), "t") == timeline
    old = timeline.to_json()
    del old["histograms"]
    assert Timeline.from_json(old, "t") == replace(timeline, histograms=None)


@pytest.mark.parametrize(
    ("histograms", "message"),
    [
        ({"entries": "Aggregated", "samples": []}, "t.histograms.entries: expected a list of names"),
        (
            {"entries": ["Aggregated"], "samples": [[[1, 2], [3, 4]]]},
            "t.histograms.samples[0]: expected a list of at most 1",
        ),
        (
            {"entries": ["Aggregated"], "samples": [[[1, 2, 3]]]},
            "t.histograms.samples[0][0]: expected [ms, count",
        ),
        (
            {"entries": ["Aggregated"], "samples": [[[1, -2]]]},
            "t.histograms.samples[0][0]: expected [ms, count",
        ),
        (
            {"entries": ["Aggregated"], "samples": []},
            "t.histograms.samples: expected 1 rows (one per sample), got 0",
        ),
    ],
)
def test_bad_interval_histograms_name_the_field(histograms: object, message: str) -> None:
    from pytest_bfd_locust.timeline import TimelineError

    data = Timeline(interval=1.0, samples=(TimelineSample(1.0, 1, 1, 0, 1.0, 1.0, 1.0, 1.0),)).to_json()
    data["histograms"] = histograms
    with pytest.raises(TimelineError) as info:
        Timeline.from_json(data, "t")
    assert str(info.value).startswith(message)


def test_the_catalog_reads_every_sla_key(tmp_path: Path) -> None:
    (tmp_path / "api.py").write_text("")
    (tmp_path / "suites.yaml").write_text(
        textwrap.dedent(
            """\
            suites:
              - name: a
                locustfile: api.py
                spawned_runtime: 1m
                sla:
                  p95: 1000
                  window: 10s
                  min_rps: 50
                  endpoints:
                    "GET /v2/fhir/Patient search": {p95: 400, p99: 900}
                abort_on_breach: true
                abort_after: 30s
            """
        )
    )
    (suite,) = load_catalog(tmp_path / "suites.yaml").suites
    assert suite.sla == Sla(
        p95=1000,
        window=10,
        min_rps=50.0,
        endpoints={"GET /v2/fhir/Patient search": PercentileLimits(p95=400, p99=900)},
    )
    assert (suite.abort_on_breach, suite.abort_after) == (True, 30)
    with pytest.raises(
        Exception, match="key 'abort_after': bfd_locust\\(...\\): 30 s is longer than the run"
    ):
        override_suite(suite, {"spawned_runtime": "20s"}, source="bfd_locust(...)")
