"""Acceptances: the object itself (JSON, checks, who) and what it does to baselines (SPEC §7, issue 17)."""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from typing import Any

import pytest

from lambda_entry.payload import PayloadError, parse_payload
from pytest_bfd_locust.acceptance import (
    Acceptance,
    AcceptanceError,
    accept_run,
    accepted_by,
    check_reason,
    implausible_acceptance,
)
from pytest_bfd_locust.judge.baseline import (
    BaselineKind,
    BaselineQuery,
    build_baseline,
    current_acceptance,
    select_eligible,
)
from pytest_bfd_locust.record import Record, ResultStatus
from pytest_bfd_locust.reports.history import history_rows
from pytest_bfd_locust.reports.html import render_report
from pytest_bfd_locust.reports.markdown import render_markdown
from pytest_bfd_locust.reports.model import Outcome, SuiteReport, history_runs, report_from_records
from pytest_bfd_locust.settings import SettingsError, accept_reason, resolve
from tests.record_factory import DEFAULT_HASH, make_record, make_totals

NOW = 1_790_000_000


def _record(
    index: int, median: int = 100, *, result: ResultStatus = ResultStatus.PASSED, tag: str = "default"
) -> Record:
    """Run `index` of the default hash, one hour apart, its totals' median `median` ms."""
    record = make_record(
        timestamp=NOW - 100_000 + index * 3600,
        run_id=f"run{index}",
        tags=(tag,),
        compare_result=result,
        validation_result=ResultStatus.PASSED,
        totals=make_totals(median_response_time=median, percentiles={"0.5": median}),
    )
    return replace(record, suite="api")


def _accept(
    record: Record, *, tag: str = "default", at: int = NOW, reason: str = "new cache layer"
) -> Acceptance:
    return accept_run(record, tag=tag, reason=reason, accepted_by={"GITHUB_ACTOR": "octocat"}, now=at)


def _query(limit: int = 10, *, tag: str = "default", suite: str | None = "api") -> BaselineQuery:
    return BaselineQuery(hash=DEFAULT_HASH, tag=tag, total_runtime=30.0, limit=limit, suite=suite)


# --- the object -------------------------------------------------------------------------------------


def test_round_trip_with_an_iso_utc_time() -> None:
    acceptance = _accept(_record(3, result=ResultStatus.FAILED))
    data = json.loads(acceptance.to_text())
    assert data == {
        "accepted_at": "2026-09-21T14:13:20Z",
        "run_id": "run3",
        "run_timestamp": NOW - 100_000 + 3 * 3600,
        "hash": DEFAULT_HASH,
        "suite": "api",
        "tag": "default",
        "reason": "new cache layer",
        "accepted_by": {"GITHUB_ACTOR": "octocat"},
    }
    assert Acceptance.from_json(data) == acceptance
    assert acceptance.describe() == "accepted 2026-09-21T14:13:20Z by octocat: new cache layer"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"reason": "  "}, "acceptance.reason: the reason must not be empty"),
        ({"reason": 3}, "acceptance.reason: expected a non-empty string, got 3"),
        ({"accepted_at": "yesterday"}, "acceptance.accepted_at: 'yesterday' is not an ISO-8601 time"),
        (
            {"accepted_at": "2026-01-01T00:00:00"},
            "acceptance.accepted_at: '2026-01-01T00:00:00' has no time zone",
        ),
        ({"run_timestamp": "12"}, "acceptance.run_timestamp: expected a whole number, got '12'"),
        ({"tag": "Bad Tag"}, "acceptance.tag: 'Bad Tag' must match [a-z0-9_]+"),
        ({"accepted_by": ["me"]}, "acceptance.accepted_by: expected an object of strings"),
        ({"run_id": None}, "acceptance.run_id: expected a non-empty string, got None"),
    ],
)
def test_a_bad_field_is_named(change: dict[str, Any], message: str) -> None:
    data = {**_accept(_record(1)).to_json(), **change}
    with pytest.raises(AcceptanceError) as raised:
        Acceptance.from_json(data)
    assert str(raised.value).startswith(message)


def test_missing_fields_and_bytes_that_are_not_json_are_named() -> None:
    with pytest.raises(AcceptanceError, match="acceptance: missing reason, accepted_by"):
        Acceptance.from_json(
            {k: v for k, v in _accept(_record(1)).to_json().items() if k not in ("reason", "accepted_by")}
        )
    with pytest.raises(AcceptanceError, match="not JSON"):
        Acceptance.from_bytes(b"{half")


def test_reasons_are_trimmed_and_must_say_something() -> None:
    assert check_reason("  a  new\n level ") == "a new level"
    for empty in ("", "   ", "\n\t"):
        with pytest.raises(AcceptanceError, match="must not be empty"):
            check_reason(empty)
    with pytest.raises(AcceptanceError, match="at most 2000"):
        check_reason("x" * 2001)


def test_who_comes_from_the_environment() -> None:
    environ = {"GITHUB_ACTOR": "octocat", "USER": "runner", "BFD_LAMBDA_REQUEST_ID": "req-1", "HOME": "/h"}
    assert accepted_by(environ) == {"GITHUB_ACTOR": "octocat", "USER": "runner", "lambda_request_id": "req-1"}
    assert accepted_by({}) == {}
    lambda_only = replace(_accept(_record(1)), accepted_by={"lambda_request_id": "req-1"})
    assert lambda_only.who() == "Lambda request req-1"
    assert replace(lambda_only, accepted_by={}).who() == "unknown"


def test_runs_that_cannot_be_accepted_are_refused() -> None:
    with pytest.raises(
        AcceptanceError, match="run run1 is not stored under tag 'nightly' \\(its tags: default\\)"
    ):
        _accept(_record(1), tag="nightly")
    broken = replace(_record(1), metadata=replace(_record(1).metadata, validation_result=ResultStatus.FAILED))
    with pytest.raises(AcceptanceError, match="run run1 failed validation"):
        _accept(broken)
    future = replace(_record(1), metadata=replace(_record(1).metadata, timestamp=NOW + 86_400))
    with pytest.raises(AcceptanceError, match="run1 can never be a baseline: metadata.timestamp .* future"):
        _accept(future)
    with pytest.raises(AcceptanceError, match="seed record"):
        _accept(replace(_record(1), run_id=None))
    with pytest.raises(AcceptanceError, match="must not be empty"):
        _accept(_record(1), reason=" ")


def test_an_acceptance_from_the_future_is_implausible() -> None:
    acceptance = _accept(_record(1), at=NOW + 3600)
    assert implausible_acceptance(acceptance, now=NOW) == (
        "accepted_at 2026-09-21T15:13:20Z is in the future (now 2026-09-21T14:13:20Z)"
    )
    assert implausible_acceptance(acceptance, now=NOW + 3600) is None


# --- what it does to baselines --------------------------------------------------------------------------


def _history() -> list[Record]:
    """Three runs at 100 ms, a run at 150 ms that failed its comparison, then two more that failed too."""
    return [
        _record(0),
        _record(1),
        _record(2),
        _record(3, 150, result=ResultStatus.FAILED),
        _record(4, 150, result=ResultStatus.FAILED),
        _record(5, 150, result=ResultStatus.FAILED),
    ]


def test_without_acceptance_failed_runs_are_never_baselines() -> None:
    eligible = select_eligible(_history(), _query())
    assert [r.run_id for r in eligible] == ["run2", "run1", "run0"]


def test_the_accepted_run_is_the_previous_baseline_and_earlier_runs_are_gone() -> None:
    acceptance = _accept(_history()[3])
    eligible = select_eligible(_history(), _query(), [acceptance])
    assert [r.run_id for r in eligible] == ["run3"]
    baseline = build_baseline(BaselineKind.PREVIOUS, eligible, acceptance)
    assert baseline is not None and baseline.totals["median_response_time"] == 150
    assert baseline.describe().endswith("(run run3, accepted as the new level)")


def test_average_reads_only_runs_from_the_accepted_level_on() -> None:
    history = [*_history(), _record(6, 152), _record(7, 148)]
    acceptance = _accept(history[3])
    eligible = select_eligible(history, _query(), [acceptance])
    assert [r.run_id for r in eligible] == ["run7", "run6", "run3"]
    baseline = build_baseline(BaselineKind.AVERAGE, eligible, acceptance)
    assert baseline is not None and baseline.totals["median_response_time"] == pytest.approx(150.0)
    assert baseline.describe() == "average of 3 runs since the accepted run run3"


@pytest.mark.parametrize(
    ("query", "applies"),
    [
        (_query(), True),
        (_query(tag="nightly"), False),
        (_query(suite="other"), False),
        (_query(suite=None), True),
        (BaselineQuery(hash="b" * 64, tag="default", total_runtime=30.0, limit=5), False),
    ],
)
def test_a_run_is_accepted_only_into_its_own_suite_hash_and_tag(query: BaselineQuery, applies: bool) -> None:
    acceptance = _accept(_history()[3])
    assert (current_acceptance([acceptance], query) is acceptance) is applies


def test_the_newest_accepted_level_counts_even_when_an_older_run_is_accepted_later() -> None:
    history = _history()
    newer = _accept(history[5], at=NOW - 10)
    older_later = _accept(history[3], at=NOW)
    assert current_acceptance([older_later, newer], _query()) is newer
    assert [r.run_id for r in select_eligible(history, _query(), [older_later, newer])] == ["run5"]


# --- settings and the Lambda payload -----------------------------------------------------------------------


def test_bfd_accept_resolves_from_the_environment_and_records_who(tmp_path: Any) -> None:
    settings = resolve(
        {},
        {"BFD_LOCUST_ACCEPT": " new level ", "GITHUB_ACTOR": "octocat"},
        lambda key: None,
        rootdir=tmp_path,
    )
    assert settings.accept == "new level"
    assert dict(settings.accepted_by) == {"GITHUB_ACTOR": "octocat"}
    with pytest.raises(SettingsError, match="--bfd-accept stores the run as accepted and --bfd-no-store"):
        resolve({"bfd_accept": "x", "bfd_no_store": True}, {}, lambda key: None, rootdir=tmp_path)
    # A blank variable is no option at all (as for every option); a blank command-line value is refused.
    assert resolve({}, {"BFD_LOCUST_ACCEPT": "  "}, lambda key: None, rootdir=tmp_path).accept is None
    with pytest.raises(argparse.ArgumentTypeError, match="the reason must not be empty"):
        accept_reason("  ")


def test_the_lambda_payload_carries_the_reason(tmp_path: Any) -> None:
    (tmp_path / "s.py").write_text("# locustfile\n")
    base = {
        "suite": "s.py",
        "host": "https://h.example",
        "users": 1,
        "spawn_rate": 1,
        "spawned_runtime": "2s",
    }
    payload = parse_payload(
        {**base, "store": {"tags": ["nightly"], "accept": " new level "}}, suites_root=tmp_path
    )
    assert payload.store is not None and payload.store.accept == "new level"
    for bad, message in (
        (" ", "store.accept: the reason must not be empty"),
        (3, "store.accept: expected the reason"),
    ):
        with pytest.raises(PayloadError, match=message):
            parse_payload({**base, "store": {"tags": ["nightly"], "accept": bad}}, suites_root=tmp_path)


# --- what a person sees ------------------------------------------------------------------------------------


def test_history_marks_the_accepted_run_with_its_reason() -> None:
    history = _history()
    acceptance = _accept(history[3])
    rows = history_rows(history_runs(history, current=None, acceptances=[acceptance]))
    assert [row.marks for row in rows] == [
        "",
        "",
        "",
        "accepted (tag default, 2026-09-21T14:13:20Z by octocat): new cache layer",
        "",
        "",
    ]


def test_a_stored_accepted_run_reports_as_passed_with_its_acceptance() -> None:
    record = _history()[3]
    acceptance = _accept(record)
    plain = report_from_records(record, baseline=None, comparison=None)
    accepted = report_from_records(record, baseline=None, comparison=None, acceptances=[acceptance])
    assert plain.outcome is Outcome.FAILED
    assert accepted.outcome is Outcome.PASSED and accepted.acceptances == (acceptance,)


def test_the_markdown_summary_says_what_was_accepted_and_why() -> None:
    record = _history()[3]
    acceptance = _accept(record)
    suite = SuiteReport(suite="api", outcome=Outcome.PASSED, record=record, acceptances=(acceptance,))
    text = render_markdown([suite], report_path=None)
    assert "- **api**: accepted as the new level under tag default: new cache layer" in text
    later = SuiteReport(
        suite="api",
        outcome=Outcome.PASSED,
        record=_record(6, 150),
        history=history_runs(
            _history()[3:4], current=_record(6, 150), baseline_records=[record], acceptances=[acceptance]
        ),
    )
    assert (
        "- **api**: compared against run run3, accepted (tag default, 2026-09-21T14:13:20Z by octocat): "
        "new cache layer"
    ) in render_markdown([later], report_path=None)


def test_the_html_report_shows_the_acceptance_its_reason_and_marks_the_chart() -> None:
    history = _history()
    acceptance = _accept(history[3])
    current = _record(6, 150)
    runs = history_runs(history, current=current, baseline_records=[history[3]], acceptances=[acceptance])
    later = SuiteReport(suite="api", outcome=Outcome.PASSED, record=current, history=runs)
    page = render_report([later])
    assert (
        "<li>run <code>run3</code> of 2026-09-20T13:26:40Z accepted (tag default, 2026-09-21T14:13:20Z by "
        "octocat): new cache layer</li>"
    ) in page
    assert "accepted as new level" in page  # the history chart's series
    accepted_now = SuiteReport(
        suite="api", outcome=Outcome.PASSED, record=history[3], acceptances=(acceptance,), history=runs
    )
    assert (
        '<li class="accepted">accepted as the new level under tag default: new cache layer; '
        "later runs are compared against it</li>"
    ) in render_report([accepted_now])
    assert "accepted as new level" not in render_report(
        [
            SuiteReport(
                suite="api",
                outcome=Outcome.PASSED,
                record=current,
                history=history_runs(history, current=current),
            )
        ]
    )
