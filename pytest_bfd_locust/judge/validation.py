"""Validation of one run against its own rules (SPEC §9): no baseline needed. Pure.

Each failure says which rule, the limit and the measured value.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from pytest_bfd_locust.judge.sla import (
    SLA_PERCENTILES as SLA_PERCENTILES,
)
from pytest_bfd_locust.judge.sla import (
    SlaRules,
    format_ms,
    is_breach_abort,
    missing_endpoints,
    task_by_endpoint,
    window_breaches,
    window_unevaluated,
)
from pytest_bfd_locust.record import Record, ResultStatus
from pytest_bfd_locust.suites import DEFAULT_FAILSAFE_AVG_MS, DEFAULT_MAX_FAIL_RATIO


@dataclass(frozen=True)
class ValidationRules:
    """A suite's own limits, as plain values (by default, the catalog's defaults)."""

    max_fail_ratio: float = DEFAULT_MAX_FAIL_RATIO
    sla: SlaRules = field(default_factory=SlaRules)
    """The totals' percentiles, per endpoint, per window, the throughput floor (judge/sla.py)."""
    failsafe_avg_ms: float = DEFAULT_FAILSAFE_AVG_MS
    allow_worker_loss: bool = False
    """A distributed run that lost a worker mid-run still passes (the record says how many finished)."""


@dataclass(frozen=True)
class ValidationFailure:
    """One broken rule."""

    rule: str
    limit: str
    measured: str
    statement: str | None = None
    """The whole failure in words, where "measured X, limit Y" does not read well (a window's
    breach, a run aborted on one)."""
    windows: tuple[tuple[float, float], ...] = ()
    """The breached windows (seconds since the run started), which the report's chart marks."""

    def __str__(self) -> str:
        if self.statement is not None:
            return self.statement
        return f"{self.rule}: measured {self.measured}, limit {self.limit}"


def validate(
    record: Record, rules: ValidationRules, *, abort_reason: str | None = None
) -> tuple[ValidationFailure, ...]:
    """Every rule the run broke, in a stable order (empty when it passed)."""
    totals = record.totals
    failures: list[ValidationFailure] = []
    aborted_on_breach = is_breach_abort(abort_reason)
    if aborted_on_breach:
        # The run was cut short: its whole-run figures are not a whole run's, so this one line is
        # the SLA's verdict (the other limits below still apply).
        windows = tuple(w for breach in window_breaches(record.timeline, rules.sla) for w in breach.windows)
        failures.append(
            ValidationFailure(
                "abort_on_breach", "no SLA breach", str(abort_reason), statement=abort_reason, windows=windows
            )
        )
    elif abort_reason:
        failures.append(
            ValidationFailure(
                "failsafe",
                f"average response time <= {rules.failsafe_avg_ms:g} ms",
                f"run aborted ({abort_reason})",
            )
        )
    workers = record.workers
    if workers is not None and workers.lost and not rules.allow_worker_loss:
        failures.append(
            ValidationFailure(
                "workers",
                "every worker to finish (--bfd-allow-worker-loss or workers.allow_loss accepts a loss)",
                workers.describe_lost(),
            )
        )
    if totals.num_requests == 0:
        failures.append(ValidationFailure("requests", "at least 1 request", "0 requests"))
        return tuple(failures)
    if totals.fail_ratio > rules.max_fail_ratio:
        failures.append(
            ValidationFailure(
                "fail ratio",
                f"max_fail_ratio {rules.max_fail_ratio:g}",
                f"{totals.fail_ratio:.4g} ({totals.num_failures} of {totals.num_requests} requests failed)",
            )
        )
    if not aborted_on_breach:
        failures.extend(sla_failures(record, rules.sla))
    return tuple(failures)


def sla_failures(record: Record, sla: SlaRules) -> list[ValidationFailure]:
    """The SLA's limits on a run with requests: the totals' and each endpoint's percentiles over the
    whole run, every window (`sla.window`), the throughput floor, and endpoints that recorded none."""
    failures: list[ValidationFailure] = []
    totals = record.totals
    for name, limit in sla.totals.items():
        measured = totals.response_time_percentiles.get(SLA_PERCENTILES[name], 0)
        if measured > limit:
            failures.append(ValidationFailure(f"SLA {name}", f"{limit} ms", f"{measured} ms"))
    tasks = task_by_endpoint(record)
    missing = missing_endpoints(record, sla)
    for endpoint in missing:
        close = difflib.get_close_matches(endpoint, list(tasks), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        recorded = ", ".join(sorted(tasks)) or "none"
        failures.append(
            ValidationFailure(
                f"SLA {endpoint}",
                "requests to check the endpoint's limits",
                "no request",
                statement=f"SLA {endpoint}: the run recorded no request to it (the run's endpoints: "
                f"{recorded}){hint}",
            )
        )
    for endpoint, limits in sla.endpoints.items():
        if endpoint in missing:
            continue
        percentiles = tasks[endpoint].response_time_percentiles
        for name, limit in limits.items():
            measured = percentiles.get(SLA_PERCENTILES[name], 0)
            if measured > limit:
                failures.append(ValidationFailure(f"SLA {endpoint} {name}", f"{limit} ms", f"{measured} ms"))
    if sla.window is not None:
        failures.extend(
            ValidationFailure(
                f"{breach.rule} per {sla.window:g} s window",
                f"{breach.limit_ms} ms",
                format_ms(breach.measured_ms),
                statement=f"{breach.rule} per {sla.window:g} s window: {breach.describe()} "
                f"({len(breach.windows)} of {breach.evaluated} windows)",
                windows=breach.windows,
            )
            for breach in window_breaches(record.timeline, sla)
        )
        if window_unevaluated(record.timeline, sla):
            failures.append(
                ValidationFailure(
                    f"SLA per {sla.window:g} s window",
                    "per-sample histograms in the record's timeline",
                    "none",
                    statement=f"SLA per {sla.window:g} s window: not evaluated, the record's timeline "
                    "holds no per-sample histograms (the run ended before its first sample?)",
                )
            )
    if sla.min_rps is not None and totals.total_reqs_per_second < sla.min_rps:
        failures.append(
            ValidationFailure(
                "SLA min_rps",
                f"{sla.min_rps:g} requests/s",
                f"{totals.total_reqs_per_second:.1f} requests/s",
            )
        )
    return failures


def validation_status(failures: tuple[ValidationFailure, ...]) -> ResultStatus:
    return ResultStatus.FAILED if failures else ResultStatus.PASSED
