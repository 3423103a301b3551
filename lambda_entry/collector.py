"""The outcome collector: a pytest plugin object that gathers, per suite, what the response needs.

Passed to `pytest.main(plugins=[...])` by `lambda_entry.run`; created per run, so nothing
survives into the next invocation of a warm Lambda.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from lambda_entry.response import SuiteOutcome
from pytest_bfd_locust import BfdLocustWarning
from pytest_bfd_locust import property_names as prop

MAX_FAILURE_CHARS = 8000
"""A failure text longer than this is cut from the front: the table and the stderr tail end it."""


@dataclass(eq=False)
class OutcomeCollector:
    """A pytest plugin object passed to `pytest.main(plugins=[...])`: gathers what the response needs.

    Mutable on purpose, but created per run, so nothing survives into the next invocation.
    `eq=False` keeps it hashable by identity: pluggy keeps plugins in sets.
    """

    outcomes: dict[str, SuiteOutcome] = field(default_factory=dict)
    collection_errors: list[str] = field(default_factory=list)
    warnings: dict[str, list[str]] = field(default_factory=dict)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.collection_errors.append(f"{report.nodeid or 'collection'}: {report.longreprtext.strip()}")

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        earlier = self.outcomes.get(report.nodeid)
        properties = {str(name): _json_value(value) for name, value in report.user_properties}
        outcome: str
        failure: str | None
        if report.when == "call":
            outcome, failure = report.outcome, (report.longreprtext if report.failed else None)
        elif report.failed:
            outcome, failure = "error", report.longreprtext
        elif report.skipped:
            outcome, failure = "skipped", report.longreprtext
        elif earlier is not None:
            outcome, failure = earlier.outcome, earlier.failure
        else:
            outcome, failure = "passed", None
        if earlier is not None and earlier.outcome in ("failed", "error") and outcome == "passed":
            outcome, failure = earlier.outcome, earlier.failure
        self.outcomes[report.nodeid] = SuiteOutcome(
            nodeid=report.nodeid,
            outcome=outcome,
            failure=None if failure is None else tail(failure, MAX_FAILURE_CHARS),
            properties={**(earlier.properties if earlier else {}), **properties},
            warnings=tuple(self.warnings.get(report.nodeid, ())),
        )

    def pytest_warning_recorded(self, warning_message: Any, when: str, nodeid: str, location: Any) -> None:
        # isinstance, not the class name: a StoreWarning is a BfdLocustWarning too.
        if isinstance(warning_message.message, BfdLocustWarning):
            self.warnings.setdefault(nodeid, []).append(str(warning_message.message))

    def suites(self) -> tuple[SuiteOutcome, ...]:
        return tuple(
            SuiteOutcome(o.nodeid, o.outcome, o.failure, o.properties, tuple(self.warnings.get(o.nodeid, ())))
            for o in self.outcomes.values()
        )

    def records(self) -> tuple[str, ...]:
        return self._values_of(prop.RECORD_LOCATION)

    def reports(self) -> tuple[str, ...]:
        return self._values_of(prop.REPORT_LOCATION)

    def _values_of(self, name: str) -> tuple[str, ...]:
        """The non-empty values of the `user_properties` entry `name`, one per suite that has one."""
        return tuple(
            str(outcome.properties[name])
            for outcome in self.outcomes.values()
            if outcome.properties.get(name)
        )


def _json_value(value: Any) -> Any:
    return value if isinstance(value, str | int | float | bool) or value is None else str(value)


def tail(text: str, limit: int) -> str:
    """`text`, cut from the front to `limit` characters (marked with "...")."""
    return text if len(text) <= limit else "..." + text[-limit:]
