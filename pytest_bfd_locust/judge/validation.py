"""Validation of one run against its own rules (SPEC §9): no baseline needed. Pure.

Each failure says which rule, the limit and the measured value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from pytest_bfd_locust.record import Record, ResultStatus
from pytest_bfd_locust.suites import DEFAULT_FAILSAFE_AVG_MS, DEFAULT_MAX_FAIL_RATIO

SLA_PERCENTILES: Mapping[str, str] = {"p50": "0.5", "p95": "0.95", "p99": "0.99"}
"""SLA names in the catalog -> percentile keys of the record."""


@dataclass(frozen=True)
class ValidationRules:
    """A suite's own limits, as plain values (by default, the catalog's defaults)."""

    max_fail_ratio: float = DEFAULT_MAX_FAIL_RATIO
    sla_ms: Mapping[str, int] = field(default_factory=dict)
    """SLA name (p50, p95, p99) -> limit in ms on the totals."""
    failsafe_avg_ms: float = DEFAULT_FAILSAFE_AVG_MS
    allow_worker_loss: bool = False
    """A distributed run that lost a worker mid-run still passes (the record says how many finished)."""


@dataclass(frozen=True)
class ValidationFailure:
    """One broken rule."""

    rule: str
    limit: str
    measured: str

    def __str__(self) -> str:
        return f"{self.rule}: measured {self.measured}, limit {self.limit}"


def validate(
    record: Record, rules: ValidationRules, *, abort_reason: str | None = None
) -> tuple[ValidationFailure, ...]:
    """Every rule the run broke, in a stable order (empty when it passed)."""
    totals = record.totals
    failures: list[ValidationFailure] = []
    if abort_reason:
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
    for name, limit in rules.sla_ms.items():
        measured = totals.response_time_percentiles.get(SLA_PERCENTILES[name], 0)
        if measured > limit:
            failures.append(ValidationFailure(f"SLA {name}", f"{limit} ms", f"{measured} ms"))
    return tuple(failures)


def validation_status(failures: tuple[ValidationFailure, ...]) -> ResultStatus:
    return ResultStatus.FAILED if failures else ResultStatus.PASSED
