"""A finished suite's report: the history from a real file store, and reports that cannot be written."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pytest_bfd_locust.judge.baseline import previous_baseline
from pytest_bfd_locust.judge.compare import compare
from pytest_bfd_locust.judge.comparison import Evidence
from pytest_bfd_locust.judge.thresholds import default_thresholds_path, read_threshold_file
from pytest_bfd_locust.record import Record
from pytest_bfd_locust.reports.model import Outcome
from pytest_bfd_locust.reports.session import suite_report, write_session_reports
from pytest_bfd_locust.stores import StoreError
from pytest_bfd_locust.stores.file import FileStore
from pytest_bfd_locust.suite_run import SuiteResult
from pytest_bfd_locust.suites import Suite
from tests.report_factory import run_record


@dataclass(frozen=True)
class ReportRefusingStore(FileStore):
    """A file store that also keeps reports, and whose report writes fail (as S3 may)."""

    def save_report(self, record: Record, html: str) -> str:
        raise StoreError(f"s3://bucket/{record.run_id}.report.html: cannot write the report: AccessDenied")


def _result(tmp_path: Path, store: FileStore) -> SuiteResult:
    # Enough history (min_history) for the packaged judge to measure the noise, as a store gives it.
    history = [run_record(i, 10) for i in range(6)]
    for record in history:
        store.save(record)
    current = run_record(6, 60)
    stored_at = store.save(current)
    baseline = previous_baseline([history[-1]])
    assert baseline is not None
    evidence = Evidence(current, baseline.records, history[::-1])
    comparison = compare(current, baseline, read_threshold_file(default_thresholds_path()), evidence)
    suite = Suite(name="api", catalog=tmp_path / "suites.yaml", locustfile=tmp_path / "api.py", host=None)
    return SuiteResult(
        suite=suite, run=None, record=current, comparison=comparison, baseline=baseline, stored_at=stored_at
    )


def test_the_report_reads_the_hash_history_and_marks_the_baseline(tmp_path: Path) -> None:
    result = _result(tmp_path, FileStore(tmp_path / "stats"))
    built = suite_report(result, FileStore(tmp_path / "stats"))
    report = built.report
    assert built.warnings == ()
    assert report.outcome is Outcome.FAILED and result.failed
    assert [run.record.run_id for run in report.history] == [f"run{i:03d}" for i in range(7)]
    assert [run.is_baseline for run in report.history] == [False] * 5 + [True, False]
    assert report.history[-1].is_current
    # one reason for all the failed statistics, the worst three named with what the judge decided
    # (issue 17: the judge has no "fail threshold", each statistic has the change it takes to fail)
    [reason] = report.reasons
    assert reason.startswith(
        f"{len(result.comparison.failures)} statistics failed; worst: "
    )  # type: ignore[union-attr]
    assert len(re.findall(r": worse by \+\d+ %, beyond the \+\d+ % it takes to fail", reason)) == 3
    assert "0.95" not in reason and "fail threshold" not in reason


def test_a_report_the_store_refuses_is_a_warning_and_changes_no_verdict(tmp_path: Path) -> None:
    store = ReportRefusingStore(tmp_path / "stats")
    result = _result(tmp_path, store)
    built = suite_report(result, store)
    assert built.warnings == (
        "report: s3://bucket/run006.report.html: cannot write the report: AccessDenied",
    )
    assert built.report.report_location is None
    assert built.report.outcome is Outcome.FAILED
    assert Path(result.stored_at or "").is_file()


def test_session_files_that_cannot_be_written_are_one_line_each(tmp_path: Path) -> None:
    built = suite_report(_result(tmp_path, FileStore(tmp_path / "stats")), None)
    written, errors = write_session_reports(
        [built.report],
        html_path=tmp_path / "report.html",
        markdown_path=tmp_path / "nowhere" / "summary.md",
        environ={"GITHUB_STEP_SUMMARY": str(tmp_path)},  # a folder, not a file
    )
    assert written == [f"HTML report: {tmp_path / 'report.html'}"]
    assert errors == [
        f"could not write --bfd-markdown {tmp_path / 'nowhere' / 'summary.md'}: "
        f"the folder {tmp_path / 'nowhere'} does not exist",
        f"could not write $GITHUB_STEP_SUMMARY {tmp_path}: Is a directory",
    ]
