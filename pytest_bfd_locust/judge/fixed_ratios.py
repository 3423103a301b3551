"""The seed's rule: fixed warn/fail ratios, applied exactly as the seed applied them (SPEC §8)."""

from __future__ import annotations

from pytest_bfd_locust.judge.comparison import TOTALS_SCOPE, StatComparison, TaskKey
from pytest_bfd_locust.judge.thresholds import Rule, Threshold


def compare_stat(
    rule: Threshold,
    baseline: float,
    current: float,
    *,
    scope: str = TOTALS_SCOPE,
    task: TaskKey | None = None,
) -> StatComparison:
    """One statistic judged by its rule: the row of the failure table."""
    return StatComparison.by_rule(
        rule, baseline, current, rule.verdict(baseline, current), scope=scope, task=task
    )


def _fixed(rule: Rule) -> Threshold:
    if not isinstance(rule, Threshold):
        raise TypeError(f"{rule.name}: a judge's rule in a threshold set without a 'judge' section")
    return rule

