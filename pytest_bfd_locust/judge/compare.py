"""`compare()`: a run against its baseline, by the threshold file's kind (fixed ratios or the judge).

It takes two `StatsView`s, so a `Record` (through `record_view`) and an averaged `Baseline`
compare alike; the judge also reads the runs themselves (`Evidence`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pytest_bfd_locust.judge.comparison import (
    TOTALS_SCOPE,
    Comparison,
    Evidence,
    StatsView,
    TaskKey,
    record_view,
    task_scope,
)
from pytest_bfd_locust.judge.fixed_ratios import _fixed, compare_stat
from pytest_bfd_locust.judge.rule import judge_pairs
from pytest_bfd_locust.judge.thresholds import Rule, ThresholdSet
from pytest_bfd_locust.record import Record


def compare(
    current: StatsView | Record,
    baseline: StatsView | Record,
    thresholds: ThresholdSet,
    evidence: Evidence | None = None,
) -> Comparison:
    """Compare the totals with the `totals` rules and every task present on both sides with the `tasks` rules.

    A statistic missing on either side (an older record without some percentile) is not compared.
    Under the judge, `evidence` gives it the runs; without it, records passed as `current` and
    `baseline` are the evidence, and a baseline record is the one earlier run of the history (the
    noise then rests on the prior, and says so).
    """
    current_view = record_view(current) if isinstance(current, Record) else current
    baseline_view = record_view(baseline) if isinstance(baseline, Record) else baseline
    current_keys = set(current_view.tasks)
    baseline_keys = set(baseline_view.tasks)
    scopes: list[tuple[str, TaskKey | None, Mapping[str, float], Mapping[str, float], Sequence[Rule]]] = [
        (TOTALS_SCOPE, None, baseline_view.totals, current_view.totals, thresholds.totals)
    ]
    scopes += [
        (task_scope(key), key, baseline_view.tasks[key], current_view.tasks[key], thresholds.tasks)
        for key in sorted(current_keys & baseline_keys)
    ]
    pairs = [
        (scope, key, rule, before[rule.name], now[rule.name])
        for scope, key, before, now, rules in scopes
        for rule in rules
        if rule.name in before and rule.name in now
    ]
    if thresholds.judge is None:
        rows = [
            compare_stat(_fixed(rule), before, now, scope=scope, task=key)
            for scope, key, rule, before, now in pairs
        ]
    else:
        if evidence is None:
            earlier = (baseline,) if isinstance(baseline, Record) else ()
            evidence = Evidence(
                current=current if isinstance(current, Record) else None,
                baseline_records=earlier,
                history=earlier,
            )
        rows = judge_pairs(pairs, evidence, thresholds.judge)
    return Comparison(
        stats=tuple(rows),
        new_tasks=tuple(sorted(current_keys - baseline_keys)),
        missing_tasks=tuple(sorted(baseline_keys - current_keys)),
    )

