"""Confirm before failing: when further attempts run, what they decide, how it reads, and the
`confirm` setting everywhere it is given (command line, environment, ini, catalog, Lambda payload)."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lambda_entry.budget import attempts_that_fit
from lambda_entry.config import load_config
from lambda_entry.payload import PayloadError, parse_payload
from lambda_entry.run import confirm_attempts, pytest_args
from pytest_bfd_locust.judge.comparison import Comparison, StatComparison
from pytest_bfd_locust.judge.confirmation import (
    DEFAULT_CONFIRM,
    confirm,
    default_confirm,
    settled,
    votes_needed,
)
from pytest_bfd_locust.judge.thresholds import (
    BetterIf,
    Threshold,
    default_thresholds_path,
    read_threshold_file,
)
from pytest_bfd_locust.judge.verdict import Verdict, decide_suite
from pytest_bfd_locust.reports.terminal import AttemptFigures, format_attempts, format_headline
from pytest_bfd_locust.settings import BfdSettings, SettingsError, resolve
from pytest_bfd_locust.suite_run import confirm_count
from pytest_bfd_locust.suites import CatalogError, Suite, load_catalog
from tests.record_factory import make_record
from tests.unit.test_report import judged_row

RULE = Threshold("median_response_time", BetterIf.SMALLER, warn_percent=120.0, fail_percent=150.0)
RATIO = {"P": 100.0, "W": 130.0, "F": 200.0}
VERDICT = {"P": Verdict.PASS, "W": Verdict.WARNING, "F": Verdict.FAILURE}


def attempt(**verdicts: str) -> Comparison:
    """One attempt's comparison under fixed ratios: statistic name -> "P", "W" or "F" (ratio 100,
    130, 200 %)."""
    return Comparison(
        stats=tuple(
            StatComparison("totals", None, stat, 10.0, RATIO[v] / 10, RATIO[v], RULE, VERDICT[v])
            for stat, v in verdicts.items()
        )
    )


def judged(**verdicts: str) -> Comparison:
    """One attempt's comparison under the judge: statistic name -> "P", "W" or "F"."""
    return Comparison(
        stats=tuple(
            judged_row(stat, 10.0, RATIO[v] / 10, verdict=VERDICT[v], scope="totals", reason=f"judged {v}")
            for stat, v in verdicts.items()
        )
    )


@pytest.mark.parametrize(("allowed", "needed"), [(1, 1), (2, 2), (3, 2), (4, 3), (5, 3)])
def test_a_majority_of_the_attempts_allowed(allowed: int, needed: int) -> None:
    assert votes_needed(allowed) == needed


@pytest.mark.parametrize(
    ("attempts", "allowed", "is_settled"),
    [
        (["P"], 3, True),  # a first attempt that passes costs nothing
        (["W"], 3, True),
        (["F"], 1, True),  # confirm 0: fail at once
        (["F"], 3, False),
        (["F", "F"], 3, True),  # confirmed in two: no third run
        (["F", "P"], 3, False),  # attempt 3 decides
        (["F", "P", "P"], 3, True),  # none left
        (["F", "P"], 2, True),
        (["F", "P", "P"], 5, False),  # 1 failure + 2 left can still make 3 of 5
        (["F", "P", "P", "P"], 5, True),  # out of reach
    ],
)
def test_when_the_attempts_settle_the_verdict(attempts: list[str], allowed: int, is_settled: bool) -> None:
    assert settled([attempt(median=v) for v in attempts], allowed) is is_settled


def test_a_different_statistic_failing_is_not_a_confirmation() -> None:
    first, second = attempt(median="F", p95="P"), attempt(median="P", p95="F")
    assert not settled([first, second], 3)
    decided = confirm([first, second, attempt(median="P", p95="P")], 3)
    assert not decided.confirmed
    decided = confirm([first, second, attempt(median="P", p95="F")], 3)
    assert decided.confirmed and [row.stat for row in decided.decided.failures] == ["p95"]
    assert decided.failed_in(decided.decided.failures[0]) == (2, 3)


@pytest.mark.parametrize(
    ("attempts", "allowed", "verdict"),
    [
        (["F", "F"], 3, Verdict.FAILURE),
        (["F", "P", "F"], 3, Verdict.FAILURE),
        (["F", "P", "P"], 3, Verdict.PASS),
        (["F", "W", "P"], 3, Verdict.WARNING),
        (["F", "W", "W"], 3, Verdict.WARNING),
        (["F", "P"], 2, Verdict.PASS),  # two attempts: both must fail
        (["F", "F"], 2, Verdict.FAILURE),
        (["F", "P", "F", "P", "F"], 5, Verdict.FAILURE),
        (["F", "P", "F", "P", "P"], 5, Verdict.PASS),
    ],
)
def test_each_statistic_takes_its_median_attempt(attempts: list[str], allowed: int, verdict: Verdict) -> None:
    confirmation = confirm([attempt(median=v) for v in attempts], allowed)
    [row] = confirmation.decided.stats
    assert row.verdict is verdict
    # The row shown is the attempt's own row, with that attempt's figures.
    taken = confirmation.taken_from[("totals", "median")]
    assert row is confirmation.comparisons[taken - 1].stats[0]


@given(st.lists(st.sampled_from("PWF"), min_size=1, max_size=7))
def test_the_median_attempt_is_the_majority_vote(verdicts: list[str]) -> None:
    """Against a count written out independently: FAILURE when a majority failed, WARNING when a
    majority at least warned, else PASS (every allowed attempt run)."""
    allowed = len(verdicts)
    decided = confirm([attempt(median=v) for v in verdicts], allowed).decided.stats[0].verdict
    majority = allowed // 2 + 1
    if verdicts.count("F") >= majority:
        expected = Verdict.FAILURE
    elif verdicts.count("F") + verdicts.count("W") >= majority:
        expected = Verdict.WARNING
    else:
        expected = Verdict.PASS
    assert decided is expected


def test_a_statistic_missing_from_attempts_counts_as_passed_there() -> None:
    confirmation = confirm([attempt(median="F", p95="F"), attempt(median="F"), attempt(median="P")], 3)
    verdicts = {row.stat: row.verdict for row in confirmation.decided.stats}
    assert verdicts == {"median": Verdict.FAILURE, "p95": Verdict.PASS}


def test_one_attempt_decides_alone() -> None:
    only = attempt(median="F")
    assert confirm([only], 3).decided is only
    with pytest.raises(ValueError, match="at least one attempt"):
        confirm([], 3)


# --- the judge's warnings vote ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attempts", "allowed", "is_settled"),
    [
        (["P"], 3, True),  # a first attempt that passes without a warning costs nothing
        (["W"], 3, False),  # the judge's warning is confirmed too
        (["W"], 1, True),  # confirm 0
        (["W", "W"], 3, False),  # a majority at warning, no failure yet: attempt 3 decides
        (["W", "W", "W"], 3, True),  # every attempt warned: confirmed
        (["W", "W", "W"], 5, False),  # 3 of 5 warned, no failure: two attempts left could fail or warn
        (["W", "F"], 3, True),  # confirmed
        (["F", "W"], 3, True),
        (["W", "P"], 3, False),
        (["W", "P", "P"], 3, True),
        (["W", "W"], 2, True),  # no attempt left
    ],
)
def test_the_judges_warnings_settle_like_failures_once_one_failed(
    attempts: list[str], allowed: int, is_settled: bool
) -> None:
    assert settled([judged(median=v) for v in attempts], allowed) is is_settled


@given(st.lists(st.sampled_from("PWF"), min_size=1, max_size=7))
def test_under_the_judge_a_warning_counts_towards_the_majority_once_one_attempt_failed(
    verdicts: list[str],
) -> None:
    """Against a count written out independently: FAILURE when a majority failed or warned and one
    failed, or when every one of three or more attempts warned; WARNING when a majority at least
    warned otherwise, else PASS."""
    allowed = len(verdicts)
    confirmation = confirm([judged(median=v) for v in verdicts], allowed)
    [row] = confirmation.decided.stats
    majority = allowed // 2 + 1
    regressed = verdicts.count("F") + verdicts.count("W")
    if regressed >= majority and "F" in verdicts:
        expected = Verdict.FAILURE
    elif allowed >= 3 and regressed == allowed:
        expected = Verdict.FAILURE
    elif regressed >= majority:
        expected = Verdict.WARNING
    else:
        expected = Verdict.PASS
    assert row.verdict is expected
    taken = confirmation.taken_from[("totals", "median")]
    assert row.current == confirmation.comparisons[taken - 1].stats[0].current  # the median attempt's figures


def test_a_warning_confirmed_by_a_failure_says_so() -> None:
    comparisons = [judged(median="F", p95="W"), judged(median="W", p95="P")]
    confirmation = confirm(comparisons, 3)
    assert confirmation.confirmed
    rows = {row.stat: row for row in confirmation.decided.stats}
    assert rows["median"].verdict is Verdict.FAILURE and rows["p95"].verdict is Verdict.PASS
    assert confirmation.taken_from[("totals", "median")] == 2  # the median attempt: the warning
    assert rows["median"].judgement is not None
    assert rows["median"].judgement.reason == "judged W; a warning here, a failure in attempt 1"
    assert confirmation.failed_in(rows["median"]) == (1,)
    assert confirmation.warned_in(rows["median"]) == (2,)
    assert confirmation.regressed_in(rows["median"]) == (1, 2)
    lines = format_attempts(_figures(comparisons), confirmation, 3)
    assert lines[1].endswith(
        "comparison PASSED with 1 statistic warned, worst `totals` median +30 %; "
        "record at /stats/run2.stats.json"
    )
    assert lines[2] == (
        "confirmed, decided by attempt 2: 1 statistic regressed in a majority of the attempts (a majority "
        "of 3 attempts is 2; the judge's warning counts where the statistic failed in another attempt or "
        "warned in all 3); worst `totals` median +30 % failed in attempt 1, warned in attempt 2; each "
        "statistic is shown at its median attempt"
    )
    verdict = decide_suite(statistics=True, comparison=confirmation.decided)
    assert format_headline(verdict, confirmation) == (
        "1 statistic regressed in 2 of 2 attempts, worst totals median +30 %"
    )


def test_warnings_in_every_attempt_of_three_fail_and_say_so() -> None:
    confirmation = confirm([judged(median="W"), judged(median="W"), judged(median="W")], 3)
    [row] = confirmation.decided.stats
    assert row.verdict is Verdict.FAILURE and confirmation.confirmed
    assert row.judgement is not None
    assert row.judgement.reason == "judged W; a warning here, warned in all 3 attempts"
    # Two attempts are not three: two warnings stay a warning.
    assert confirm([judged(median="W"), judged(median="W")], 2).decided.stats[0].verdict is Verdict.WARNING


def test_a_first_attempts_warnings_that_do_not_repeat_pass() -> None:
    comparisons = [judged(median="W"), judged(median="P"), judged(median="P")]
    confirmation = confirm(comparisons, 3)
    assert not confirmation.confirmed
    assert format_attempts(_figures(comparisons), confirmation, 3)[-1] == (
        "not confirmed, decided by attempt 2: attempt 1's warnings did not repeat in a majority of the "
        "attempts (a majority of 3 attempts is 2); its worst, `totals` median +30 %, warned in attempt 1"
    )


def test_the_seeds_warn_ratio_does_not_vote() -> None:
    """Under fixed ratios a warning is the user's band, not evidence: no further attempt, no vote."""
    assert settled([attempt(median="W")], 3)
    assert not confirm([attempt(median="F"), attempt(median="W"), attempt(median="P")], 3).confirmed


def _figures(comparisons: list[Comparison]) -> list[AttemptFigures]:
    return [
        AttemptFigures(
            record=make_record(timestamp=1_790_000_000 + 10 * number, run_id=f"run{number}"),
            comparison=comparison,
            location=f"/stats/run{number}.stats.json",
        )
        for number, comparison in enumerate(comparisons, start=1)
    ]


def test_each_attempt_has_a_line_and_the_last_says_what_decided() -> None:
    comparisons = [attempt(median="F"), attempt(median="P"), attempt(median="P")]
    lines = format_attempts(_figures(comparisons), confirm(comparisons, 3), 3)
    assert len(lines) == 4
    assert lines[0].startswith("attempt 1 of up to 3 (run run1, 2026-09-21T")
    assert "reqs, p50 100 ms, p95 100 ms, " in lines[0]
    assert "comparison FAILED, 1 statistic, worst `totals` median +100 %; record at /stats/run1" in lines[0]
    assert lines[1].endswith("comparison PASSED; record at /stats/run2.stats.json")
    assert lines[3] == (
        "not confirmed, decided by attempt 2: attempt 1's failures did not repeat in a majority of the "
        "attempts (a majority of 3 attempts is 2); its worst, `totals` median +100 %, failed in attempt 1"
    )


def test_a_confirmed_failure_names_its_attempts() -> None:
    comparisons = [attempt(median="F"), attempt(median="F")]
    confirmation = confirm(comparisons, 3)
    lines = format_attempts(_figures(comparisons), confirmation, 3)
    assert lines[-1].startswith("confirmed, decided by attempt ")
    assert "worst `totals` median +100 % failed in attempts 1, 2" in lines[-1]
    verdict = decide_suite(statistics=True, comparison=confirmation.decided)
    assert format_headline(verdict, confirmation) == (
        "1 statistic regressed in 2 of 2 attempts, worst totals median +100 %"
    )


def test_a_single_attempt_has_no_attempt_lines() -> None:
    assert format_attempts(_figures([attempt(median="F")]), None, 3) == []


# --- the setting ----------------------------------------------------------------------------------


def test_default_confirm_follows_the_threshold_file(tmp_path: Path) -> None:
    assert default_confirm(judge=True) == DEFAULT_CONFIRM == 2
    assert default_confirm(judge=False) == 0
    suite = Suite(name="s", catalog=tmp_path / "c.yaml", locustfile=tmp_path / "l.py", host=None)
    judge = read_threshold_file(default_thresholds_path())
    seed_file = tmp_path / "seed.json"
    seed_file.write_text(
        '{"totals": [{"name": "0.5", "better_if": "SMALLER", "warn_percent": 150, "fail_percent": 200}],'
        ' "tasks": []}'
    )
    seed = read_threshold_file(seed_file)
    assert seed.judge is None and judge.judge is not None
    assert confirm_count(suite, BfdSettings(), judge) == 2
    assert confirm_count(suite, BfdSettings(), seed) == 0  # the seed's behaviour unless asked
    asked = Suite(name="s", catalog=suite.catalog, locustfile=suite.locustfile, host=None, confirm=1)
    assert confirm_count(asked, BfdSettings(), seed) == 1
    assert confirm_count(asked, BfdSettings(confirm=0), judge) == 0  # the command line over the catalog
    assert confirm_count(suite, BfdSettings(confirm=4), seed) == 4


def _settings(
    cli: dict[str, Any] | None = None,
    environ: dict[str, str] | None = None,
    ini: dict[str, Any] | None = None,
) -> BfdSettings:
    return resolve(cli or {}, environ or {}, (ini or {}).get, rootdir=Path("/root"))


def test_confirm_from_the_command_line_environment_and_ini() -> None:
    assert _settings().confirm is None
    assert _settings(cli={"bfd_confirm": 0}).confirm == 0
    assert _settings(environ={"BFD_LOCUST_CONFIRM": "3"}, ini={"bfd_confirm": "1"}).confirm == 3
    assert _settings(ini={"bfd_confirm": "1"}).confirm == 1


@pytest.mark.parametrize("text", ["-1", "x", "1.5", ""])
def test_a_bad_confirm_names_the_option(text: str) -> None:
    if not text:
        assert _settings(environ={"BFD_LOCUST_CONFIRM": text}).confirm is None  # blank: not given
        return
    with pytest.raises(SettingsError) as info:
        _settings(environ={"BFD_LOCUST_CONFIRM": text})
    assert str(info.value) == (
        "environment variable BFD_LOCUST_CONFIRM (for --bfd-confirm): "
        f"expected a whole number >= 0, got {text!r}"
    )


def _catalog(tmp_path: Path, confirm_line: str) -> Path:
    (tmp_path / "api.py").write_text("from locust import HttpUser\n")
    path = tmp_path / "suites.yaml"
    path.write_text(
        textwrap.dedent(
            f"""\
            suites:
              - name: api
                locustfile: api.py
                {confirm_line}
            """
        )
    )
    return path


def test_the_catalog_confirm_key(tmp_path: Path) -> None:
    assert load_catalog(_catalog(tmp_path, "confirm: 0")).suites[0].confirm == 0
    assert load_catalog(_catalog(tmp_path, "confirm: 4")).suites[0].confirm == 4
    assert load_catalog(_catalog(tmp_path, "users: 1")).suites[0].confirm is None


@pytest.mark.parametrize("value", ["-1", '"x"', "true", "1.5", "[2]"])
def test_a_bad_catalog_confirm_names_file_suite_and_key(tmp_path: Path, value: str) -> None:
    path = _catalog(tmp_path, f"confirm: {value}")
    with pytest.raises(CatalogError) as info:
        load_catalog(path)
    assert str(info.value).startswith(f"{path}: suite 'api': key 'confirm': expected a whole number >= 0")


@pytest.fixture
def suites_root(tmp_path: Path) -> Path:
    (tmp_path / "api.py").write_text("# locustfile\n")
    return tmp_path


def _payload(**compare: Any) -> dict[str, Any]:
    return {
        "suite": "api.py",
        "host": "https://test.bfd.example:443",
        "spawn_rate": 10,
        "users": 10,
        "spawned_runtime": "30s",
        "compare": {"type": "previous", "tag": "default", **compare},
    }


def test_the_payload_confirm_key(suites_root: Path) -> None:
    payload = parse_payload(_payload(confirm=3), suites_root=suites_root)
    assert payload.compare is not None and payload.compare.confirm == 3
    payload = parse_payload(_payload(), suites_root=suites_root)
    assert payload.compare is not None and payload.compare.confirm is None


@pytest.mark.parametrize("value", [-1, "2", True, 1.5])
def test_a_bad_payload_confirm_is_named(suites_root: Path, value: Any) -> None:
    with pytest.raises(PayloadError) as info:
        parse_payload(_payload(confirm=value), suites_root=suites_root)
    assert str(info.value) == f"compare.confirm: {value!r} must be null or an integer >= 0"


@pytest.mark.parametrize(
    ("asked", "fit", "expected"),
    [
        (None, None, None),  # no deadline: the plugin's default
        (None, 5, None),
        (None, 1, 0),  # the default does not fit: off, never switched on for the seed's file
        (3, None, 3),
        (3, 1, 1),
        (0, 5, 0),
    ],
)
def test_the_lambda_cuts_confirmation_to_its_time(
    asked: int | None, fit: int | None, expected: int | None
) -> None:
    assert confirm_attempts(asked, fit) == expected


def test_attempts_that_fit_in_the_time_left(suites_root: Path) -> None:
    payload = parse_payload(_payload(), suites_root=suites_root)  # 1 s spawn + 30 s
    assert attempts_that_fit(payload, 10.0, None) is None
    assert attempts_that_fit(payload, 10.0, 40.0) == 0
    assert attempts_that_fit(payload, 10.0, 82.0) == 2


@pytest.mark.parametrize(
    ("confirm", "spare_s", "expected"),
    [
        (None, None, None),  # no deadline, nothing asked: the plugin's default
        (3, None, "3"),
        (3, 1000.0, "3"),
        (3, 200.0, "2"),  # 1 s spawn + 30 s + the 60 s margin each: two more runs fit in 200 s
        (None, 200.0, None),  # the default's two fit
        (None, 100.0, "0"),  # they do not: off
    ],
)
def test_the_lambda_passes_confirm_on(
    suites_root: Path, tmp_path: Path, confirm: int | None, spare_s: float | None, expected: str | None
) -> None:
    config = load_config(
        {
            "BFD_ENVIRONMENT": "test",
            "STATS_BUCKET_ID": "bucket",
            "STATS_ATHENA_WORKGROUP": "wg",
            "STATS_ATHENA_DATABASE": "db",
            "STATS_ATHENA_TABLE": "tbl",
            "READER_ENDPOINT": "reader.db.example",
            "AWS_CURRENT_REGION": "us-west-2",
            "BFD_SUITES_ROOT": str(suites_root),
        }
    )
    compare = {} if confirm is None else {"confirm": confirm}
    payload = parse_payload(_payload(**compare), suites_root=suites_root)
    args = pytest_args(payload, config, tmp_path / "run", spare_s=spare_s)
    given = args[args.index("--bfd-confirm") + 1] if "--bfd-confirm" in args else None
    assert given == expected
