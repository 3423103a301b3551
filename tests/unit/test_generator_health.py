"""A saturated load generator (issue 18 item 3): the pure judgement from built timelines, and
everything that reads it (verdict, eligibility, record, options, payload, reports)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest

from lambda_entry.payload import PayloadError, parse_payload
from pytest_bfd_locust.judge.baseline import BaselineQuery, is_eligible
from pytest_bfd_locust.judge.comparison import Comparison
from pytest_bfd_locust.judge.generator_health import (
    MAX_SATURATED_SHARE,
    SATURATED_CPU_PERCENT,
    InconclusivePolicy,
    generator_load,
    inconclusive_message,
    inconclusive_reason,
    saturated_intervals,
)
from pytest_bfd_locust.judge.verdict import Outcome, decide_suite
from pytest_bfd_locust.plugin import summary_line
from pytest_bfd_locust.record import Record, ResultStatus
from pytest_bfd_locust.reports.charts import history_chart, response_timeline_chart
from pytest_bfd_locust.reports.history import format_history_table, history_rows
from pytest_bfd_locust.reports.junit_detail import write_junit_detail
from pytest_bfd_locust.reports.markdown import render_markdown
from pytest_bfd_locust.reports.model import history_runs, report_from_records
from pytest_bfd_locust.reports.session import failure_text, suite_report, suite_warnings
from pytest_bfd_locust.run.runner import RunOutcome
from pytest_bfd_locust.settings import BfdSettings, SettingsError, resolve
from pytest_bfd_locust.suite_run import Attempt, Judged, Lookup, Ran, SuiteResult
from pytest_bfd_locust.suite_run import _result as result_of_attempts
from pytest_bfd_locust.suites import Suite
from pytest_bfd_locust.timeline import Timeline, TimelineSample
from tests.record_factory import make_record
from tests.unit.test_verdict import FAILED, PASSED, WARNED

ADVICE = "use fewer users per process, --bfd-processes or workers"


def timeline(*cpu: float | None, interval: float = 1.0) -> Timeline:
    """One sample per second carrying these CPU readings (elapsed 1, 2, ... s)."""
    return Timeline(
        interval=interval,
        samples=tuple(
            TimelineSample(float(i), 10, 100 * i, 0, 100.0, 20.0, 15.0, 40.0, cpu_percent=reading)
            for i, reading in enumerate(cpu, start=1)
        ),
    )


def test_the_threshold_is_locusts_and_the_share_is_stated() -> None:
    assert SATURATED_CPU_PERCENT == 90.0  # locust.runners.CPU_WARNING_THRESHOLD
    assert MAX_SATURATED_SHARE == 0.05


@pytest.mark.parametrize(
    ("cpu", "reason"),
    [
        # Locust's first reading is no measurement (None): 29 measured seconds, 14 saturated.
        ((None, *[40.0] * 15, *[97.0] * 14), "the load generator used 97 % CPU for 14 s of 29"),
        # Above the share: 2 of 30 s (6.7 %); the CPU is the mean of the saturated seconds.
        ((*[50.0] * 28, 96.0, 100.0), "the load generator used 98 % CPU for 2 s of 30"),
        # At most the share: 1 of 20 s (5 %) is not inconclusive; 90 % itself is not above.
        ((*[50.0] * 19, 99.0), None),
        ((90.0,) * 10, None),
        ((None, None), None),  # never measured
        ((), None),
    ],
)
def test_a_run_is_inconclusive_beyond_the_share(cpu: tuple[float | None, ...], reason: str | None) -> None:
    assert inconclusive_reason(timeline(*cpu)) == reason


def test_a_record_without_a_timeline_or_readings_is_not_judged() -> None:
    assert generator_load(None) is None
    assert inconclusive_reason(None) is None
    stored_before_the_column = timeline(None, None, None)
    assert generator_load(stored_before_the_column) is None


def test_each_sample_stands_for_the_time_since_the_previous_one() -> None:
    late = Timeline(
        interval=1.0,
        samples=(
            TimelineSample(1.0, 1, 1, 0, 1.0, 1.0, 1.0, 1.0, cpu_percent=None),
            TimelineSample(2.0, 1, 1, 0, 1.0, 1.0, 1.0, 1.0, cpu_percent=30.0),
            # A saturated loop wakes the sampler late: this sample covers 2.5 s.
            TimelineSample(4.5, 1, 1, 0, 1.0, 1.0, 1.0, 1.0, cpu_percent=99.0),
        ),
    )
    load = generator_load(late)
    assert load is not None
    assert (load.saturated_s, load.measured_s, load.peak_cpu_percent) == (2.5, 3.5, 99.0)
    assert load.saturated_share == pytest.approx(2.5 / 3.5)
    assert saturated_intervals(late) == ((2.0, 4.5),)


def test_saturated_intervals_join_consecutive_samples() -> None:
    assert saturated_intervals(timeline(95.0, 96.0, 20.0, None, 99.0)) == ((0.0, 2.0), (4.0, 5.0))


def test_the_message_is_one_line_cause_then_advice() -> None:
    reason = "the load generator used 97 % CPU for 14 s of 30"
    assert inconclusive_message(reason) == f"inconclusive: {reason}; {ADVICE}"


REASON = "the load generator used 97 % CPU for 14 s of 30"


@pytest.mark.parametrize(
    ("validation", "comparison", "fails", "outcome", "compare_failed"),
    [
        ((), FAILED, True, Outcome.INCONCLUSIVE, False),  # its regressions are not the API's
        # Compared with nothing (no --compare, no baseline yet): no verdict to void; it passes with
        # the warning and is never a baseline (a seed-style suite without wait time failed so).
        ((), None, True, Outcome.PASSED, False),
        ((), FAILED, False, Outcome.PASSED, False),  # --bfd-inconclusive warn
        (("SLA p95: measured 900 ms, limit 800 ms",), FAILED, False, Outcome.FAILED, False),  # SLAs apply
        (("SLA p95: measured 900 ms, limit 800 ms",), None, True, Outcome.FAILED, False),
    ],
)
def test_the_verdict_of_an_inconclusive_run(
    validation: tuple[str, ...],
    comparison: Comparison | None,
    fails: bool,
    outcome: Outcome,
    compare_failed: bool,
) -> None:
    verdict = decide_suite(
        statistics=True,
        validation=validation,
        comparison=comparison,
        inconclusive=REASON,
        inconclusive_fails=fails,
    )
    assert verdict.outcome is outcome
    assert verdict.regressions == ()
    assert verdict.compare_failed is compare_failed
    assert verdict.inconclusive == REASON
    # The same comparison without the saturation is a regression.
    assert decide_suite(statistics=True, comparison=FAILED).outcome is Outcome.FAILED


def test_a_stored_failed_comparison_of_an_inconclusive_run_is_not_a_regression() -> None:
    verdict = decide_suite(statistics=True, stored_compare_failed=True, inconclusive=REASON)
    assert (verdict.outcome, verdict.compare_failed) == (Outcome.INCONCLUSIVE, False)


def test_an_inconclusive_run_is_never_a_baseline() -> None:
    record = make_record(timestamp=1_790_000_000, total_runtime=30.0).with_results(
        compare=ResultStatus.PASSED, validation=ResultStatus.PASSED
    )
    query = BaselineQuery(hash=record.metadata.hash, tag="default", total_runtime=30.0, limit=5)
    assert is_eligible(record, query)
    assert not is_eligible(replace(record, inconclusive=REASON), query)


def test_the_record_marks_an_inconclusive_run_and_old_records_read_unchanged() -> None:
    plain = make_record()
    assert "inconclusive" not in plain.to_json()
    assert Record.from_json(plain.to_json()).inconclusive is None
    marked = replace(plain, inconclusive=REASON)
    data = json.loads(marked.to_text())
    assert data["inconclusive"] == REASON
    assert Record.from_json(data) == marked
    data["inconclusive"] = 97
    with pytest.raises(ValueError, match=r"record\.inconclusive: expected a string"):
        Record.from_json(data)


def _resolve(cli: dict[str, object] | None = None, environ: dict[str, str] | None = None) -> BfdSettings:
    return resolve(cli or {}, environ or {}, lambda key: None, rootdir=Path("/tmp"))


def test_the_option_defaults_to_fail_and_reads_every_source() -> None:
    assert _resolve().inconclusive is InconclusivePolicy.FAIL
    assert _resolve({"bfd_inconclusive": InconclusivePolicy.WARN}).inconclusive is InconclusivePolicy.WARN
    assert _resolve(environ={"BFD_LOCUST_INCONCLUSIVE": "warn"}).inconclusive is InconclusivePolicy.WARN
    expected = r"BFD_LOCUST_INCONCLUSIVE \(for --bfd-inconclusive\): expected fail or warn, got 'ignore'"
    with pytest.raises(SettingsError, match=expected):
        _resolve(environ={"BFD_LOCUST_INCONCLUSIVE": "ignore"})


def _payload(**extra: object) -> dict[str, object]:
    return {
        "suite": "api.py",
        "host": "http://127.0.0.1:8080",
        "spawn_rate": 1,
        "users": 1,
        "spawned_runtime": "5s",
        **extra,
    }


def test_the_lambda_payload_takes_inconclusive(tmp_path: Path) -> None:
    (tmp_path / "api.py").write_text("")
    assert parse_payload(_payload(), suites_root=tmp_path).inconclusive is None
    warn = parse_payload(_payload(inconclusive="warn"), suites_root=tmp_path)
    assert warn.inconclusive is InconclusivePolicy.WARN
    for bad in ("ignore", True, 1):
        with pytest.raises(PayloadError, match=r'^inconclusive: expected "fail" or "warn" \(or null\), got '):
            parse_payload(_payload(inconclusive=bad), suites_root=tmp_path)


def _result(tmp_path: Path, *, fails: bool) -> SuiteResult:
    saturated = timeline(None, 97.0, 97.0, 97.0, 40.0)
    record = replace(make_record(timestamp=1_790_000_000), timeline=saturated, inconclusive=REASON)
    record = record.with_results(compare=ResultStatus.FAILED, validation=ResultStatus.PASSED)
    suite = Suite(name="api", catalog=tmp_path / "suites.yaml", locustfile=tmp_path / "api.py", host=None)
    return SuiteResult(suite=suite, run=None, record=record, comparison=FAILED, inconclusive_fails=fails)


def test_an_inconclusive_suite_fails_with_its_own_line_in_every_output(tmp_path: Path) -> None:
    result = _result(tmp_path, fails=True)
    assert result.failed and result.verdict.outcome is Outcome.INCONCLUSIVE
    text = failure_text(result)
    assert text.splitlines()[0] == f"inconclusive: {REASON}; {ADVICE}"
    assert "regress" not in text
    assert summary_line("suites.yaml::api", result).startswith("suites.yaml::api: FAILED (inconclusive): ")
    assert suite_warnings(result) == ()  # no statistic warned either
    report = suite_report(result, None).report
    assert report.outcome is Outcome.INCONCLUSIVE
    assert report.reasons == (f"inconclusive: {REASON}; {ADVICE}",)
    assert report.worst_regressions() == ()
    markdown = render_markdown([report], report_path=None)
    assert "| ❌ inconclusive |" in markdown
    assert f"inconclusive: {REASON}" in markdown
    stored = report_from_records(result.record, baseline=None, comparison=None)  # type: ignore[arg-type]
    assert stored.outcome is Outcome.INCONCLUSIVE
    assert stored.reasons == (f"inconclusive: {REASON}; {ADVICE}",)


def test_a_run_compared_with_nothing_passes_and_warns_that_it_is_inconclusive(tmp_path: Path) -> None:
    result = replace(_result(tmp_path, fails=True), comparison=None)
    assert not result.failed and result.verdict.outcome is Outcome.PASSED
    assert suite_warnings(result) == (f"inconclusive: {REASON}; {ADVICE}",)


def test_warn_passes_and_says_why_instead_of_the_statistics(tmp_path: Path) -> None:
    result = _result(tmp_path, fails=False)
    assert not result.failed and result.verdict.outcome is Outcome.PASSED
    warned = replace(result, comparison=WARNED)
    assert suite_warnings(warned) == (f"inconclusive: {REASON}; {ADVICE}",)
    report = suite_report(warned, None).report
    assert report.reasons == ()
    assert f"inconclusive: {REASON}; {ADVICE}" in report.notes
    assert f"inconclusive: {REASON}" in render_markdown([report], report_path=None)


def test_the_history_marks_an_inconclusive_run() -> None:
    records = [
        make_record(timestamp=1_790_000_000, run_id="a1"),
        replace(make_record(timestamp=1_790_000_100, run_id="b2"), inconclusive=REASON),
    ]
    rows = history_rows(history_runs(records, current=None))
    assert rows[0].marks == ""
    assert rows[1].marks == f"inconclusive: {REASON} (never a baseline)"
    assert f"inconclusive: {REASON}" in format_history_table(rows)


def test_the_timeline_chart_marks_the_saturated_intervals() -> None:
    saturated = response_timeline_chart(timeline(None, 40.0, 97.0, 98.0, 30.0, 95.0))
    assert "load generator above 90 % CPU" in saturated
    assert "load generator above" not in response_timeline_chart(timeline(None, 40.0, 50.0))


def test_the_junit_detail_skips_an_inconclusive_suite_rather_than_fail_its_statistics(
    tmp_path: Path,
) -> None:
    path = tmp_path / "detail.xml"
    write_junit_detail(path, [("api", FAILED), ("other", FAILED)], inconclusive={"api": REASON})
    suites = {suite.get("name"): suite for suite in ET.parse(path).getroot().findall("testsuite")}
    [case] = suites["api"].findall("testcase")
    skipped = case.find("skipped")
    assert case.get("name") == "inconclusive" and skipped is not None
    assert skipped.get("message") == f"inconclusive: {REASON}; {ADVICE}"
    assert suites["other"].find("testcase/failure") is not None  # a conclusive suite's regression fails


def _attempt(tmp_path: Path, suite: Suite, comparison: Comparison, inconclusive: str | None) -> Attempt:
    record = replace(make_record(timestamp=1_790_000_000), inconclusive=inconclusive)
    run = RunOutcome(record, 0, None, None, tmp_path / "locust.log", tmp_path / "locust.html", 5.0)
    return Attempt(Ran(suite, run), Judged(record, comparison=comparison))


@pytest.mark.parametrize(
    ("attempts", "outcome"),
    [
        # A conclusive failure, then a saturated confirming attempt: the failure stands, measured.
        ([(FAILED, None), (PASSED, REASON)], Outcome.FAILED),
        # ... then a passing one: not confirmed by a majority of the 3 attempts allowed.
        ([(FAILED, None), (FAILED, REASON), (PASSED, None)], Outcome.PASSED),
        ([(FAILED, None), (FAILED, REASON), (FAILED, None)], Outcome.FAILED),
        # Saturated from the first attempt: nothing to confirm, inconclusive.
        ([(FAILED, REASON)], Outcome.INCONCLUSIVE),
    ],
)
def test_a_saturated_confirming_attempt_casts_no_vote(
    tmp_path: Path, attempts: list[tuple[Comparison, str | None]], outcome: Outcome
) -> None:
    suite = Suite(name="api", catalog=tmp_path / "suites.yaml", locustfile=tmp_path / "api.py", host=None)
    built = [_attempt(tmp_path, suite, comparison, reason) for comparison, reason in attempts]
    result = result_of_attempts(suite, built, Lookup(), 3)
    assert result.verdict.outcome is outcome
    assert len(result.attempts) == len(attempts)
    assert (result.record is not None and result.record.inconclusive is not None) == (
        outcome is Outcome.INCONCLUSIVE
    )


def test_the_history_chart_marks_an_inconclusive_run() -> None:
    records = [
        make_record(timestamp=1_790_000_000, run_id="a1"),
        replace(make_record(timestamp=1_790_000_100, run_id="b2"), inconclusive=REASON),
    ]
    marked = history_chart(history_runs(records, current=None), (), ("0.5",))
    assert "inconclusive (generator saturated)" in marked
    plain = history_chart(history_runs(records[:1], current=None), (), ("0.5",))
    assert "inconclusive" not in plain
