"""Sharing the suite's level (judge/multiplicity.py): Hochberg's step-up and Bonferroni against
reference implementations written from their definitions, and Holm's as the yardstick."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import special

from pytest_bfd_locust.judge.multiplicity import (
    bonferroni_adjusted,
    endpoint_families_adjusted,
    hochberg_adjusted,
    holm_adjusted,
    simes_adjusted,
)


def hochberg_rejects(pvalues: list[float], alpha: float) -> set[int]:
    """Hochberg (1988) as stated: the largest j with p_(j) <= alpha / (m - j + 1); reject 1..j."""
    m = len(pvalues)
    order = sorted(range(m), key=lambda index: pvalues[index])
    for j in range(m, 0, -1):
        if pvalues[order[j - 1]] <= alpha / (m - j + 1):
            return set(order[:j])
    return set()


def holm_rejects(pvalues: list[float], alpha: float) -> set[int]:
    """Holm (1979) as stated: step down while p_(j) <= alpha / (m - j + 1)."""
    m = len(pvalues)
    order = sorted(range(m), key=lambda index: pvalues[index])
    rejected: set[int] = set()
    for j in range(1, m + 1):
        if pvalues[order[j - 1]] > alpha / (m - j + 1):
            break
        rejected.add(order[j - 1])
    return rejected


def test_hochberg_adjusted_p_values_reject_what_the_definition_rejects() -> None:
    rng = np.random.default_rng(1)
    for _ in range(300):
        m = int(rng.integers(1, 25))
        pvalues = [float(p) for p in rng.uniform(0, 0.02, size=m) ** rng.uniform(0.5, 2)]
        adjusted = hochberg_adjusted(pvalues)
        for alpha in (0.001, 0.01, 0.05):
            assert {i for i, p in enumerate(adjusted) if p <= alpha} == hochberg_rejects(pvalues, alpha)
            # Hochberg rejects everything Holm rejects (and so everything Bonferroni rejects).
            assert holm_rejects(pvalues, alpha) <= hochberg_rejects(pvalues, alpha)


def test_hochberg_gains_when_several_statistics_move_together() -> None:
    """A slowed endpoint: five statistics at p = 0.0007 each among 18: Bonferroni needs each below
    0.01 / 18 = 0.00056, Hochberg the fifth smallest below 0.01 / 14 = 0.00071."""
    pvalues = [0.0007] * 5 + [0.5] * 13
    assert all(p > 0.01 for p in bonferroni_adjusted(pvalues)[:5])
    assert all(p <= 0.01 for p in hochberg_adjusted(pvalues)[:5])
    assert all(p > 0.01 for p in hochberg_adjusted(pvalues)[5:])


def test_alone_every_correction_is_m_times_p() -> None:
    pvalues = [0.0004] + [0.9] * 17
    assert hochberg_adjusted(pvalues)[0] == pytest.approx(18 * 0.0004)
    assert bonferroni_adjusted(pvalues)[0] == pytest.approx(18 * 0.0004)


def test_adjusted_p_values_keep_the_order_and_stay_at_most_one() -> None:
    for pvalues in itertools.permutations([0.2, 0.01, 0.9, 0.03]):
        adjusted = hochberg_adjusted(list(pvalues))
        assert all(0 <= p <= 1 for p in adjusted)
        ranked = sorted(range(4), key=lambda index: pvalues[index])
        assert [adjusted[i] for i in ranked] == sorted(adjusted)
    assert hochberg_adjusted([]) == []


def simes(pvalues: list[float]) -> float:
    ranked = sorted(pvalues)
    return min(len(ranked) * p / (j + 1) for j, p in enumerate(ranked))


def step_up_rejects(pvalues: list[float], alpha: float) -> set[int]:
    """Benjamini-Hochberg as stated: the largest j with p_(j) <= j alpha / m; reject 1..j."""
    m = len(pvalues)
    order = sorted(range(m), key=lambda index: pvalues[index])
    for j in range(m, 0, -1):
        if pvalues[order[j - 1]] <= j * alpha / m:
            return set(order[:j])
    return set()


def test_simes_step_up_rejects_what_the_definition_rejects_and_fails_the_suite_with_simes() -> None:
    rng = np.random.default_rng(2)
    for _ in range(300):
        m = int(rng.integers(1, 25))
        pvalues = [float(p) for p in rng.uniform(0, 0.05, size=m) ** rng.uniform(0.5, 3)]
        adjusted = simes_adjusted(pvalues)
        for alpha in (0.001, 0.01, 0.05):
            assert {i for i, p in enumerate(adjusted) if p <= alpha} == step_up_rejects(pvalues, alpha)
            # The suite fails exactly when Simes' global test rejects.
            assert (min(adjusted) <= alpha) == (simes(pvalues) <= alpha)
            # Everything Hochberg rejects, and more.
            assert hochberg_rejects(pvalues, alpha) <= step_up_rejects(pvalues, alpha)


def test_simes_fails_a_suite_whose_statistics_move_together() -> None:
    """Eight statistics of a slowed endpoint at p = 0.002 among 18: 18 * 0.002 / 8 = 0.0045."""
    pvalues = [0.002] * 8 + [0.5] * 10
    assert all(p > 0.01 for p in hochberg_adjusted(pvalues)[:8])
    assert all(p <= 0.01 for p in simes_adjusted(pvalues)[:8])
    assert all(p > 0.01 for p in simes_adjusted(pvalues)[8:])


def test_simes_holds_the_suites_false_alarms_under_positive_dependence() -> None:
    """A/A by simulation: 18 one-sided tests of equicorrelated normal statistics (rho 0 to 0.9),
    the suite failing when any adjusted p <= 0.01: at most 1 % of suites (and Bonferroni's less)."""
    rng = np.random.default_rng(3)
    for rho in (0.0, 0.5, 0.9):
        shared = rng.normal(size=(20_000, 1))
        z = math.sqrt(rho) * shared + math.sqrt(1 - rho) * rng.normal(size=(20_000, 18))
        pvalues = 0.5 * special.erfc(z / math.sqrt(2))
        failed = np.mean([min(simes_adjusted(list(row))) <= 0.01 for row in pvalues])
        assert failed <= 0.01 * 1.15, (rho, failed)


def families_reject(pvalues: list[float], families: list[str], alpha: float) -> set[int]:
    """The two levels as stated, independently of the module: Simes' p of each family; Holm over
    the families' p; in a family it lets through, Benjamini-Hochberg's step-up at alpha."""
    names = sorted(set(families))
    members = {name: [i for i, f in enumerate(families) if f == name] for name in names}
    family_p = [simes([pvalues[i] for i in members[name]]) for name in names]
    passed = {names[j] for j in holm_rejects(family_p, alpha)}
    rejected: set[int] = set()
    for name in passed:
        inside = step_up_rejects([pvalues[i] for i in members[name]], alpha)
        rejected |= {members[name][j] for j in inside}
    return rejected


def test_holm_adjusted_p_values_reject_what_the_definition_rejects() -> None:
    rng = np.random.default_rng(6)
    for _ in range(300):
        pvalues = [float(p) for p in rng.uniform(0, 0.02, size=int(rng.integers(1, 25)))]
        adjusted = holm_adjusted(pvalues)
        for alpha in (0.001, 0.01, 0.05):
            assert {i for i, p in enumerate(adjusted) if p <= alpha} == holm_rejects(pvalues, alpha)


def test_endpoint_families_reject_what_the_definition_rejects() -> None:
    rng = np.random.default_rng(4)
    for _ in range(300):
        f = int(rng.integers(1, 9))
        families = [str(int(x)) for x in rng.integers(0, f, size=int(rng.integers(1, 40)))]
        pvalues = [float(p) for p in rng.uniform(0, 0.05, size=len(families)) ** rng.uniform(0.5, 3)]
        adjusted = endpoint_families_adjusted(pvalues, families)
        for alpha in (0.001, 0.01, 0.05):
            expected = families_reject(pvalues, families, alpha)
            assert {i for i, p in enumerate(adjusted) if p <= alpha} == expected
            # The suite's verdict: some family's Simes p below alpha / (number of families).
            count = len(set(families))
            strongest = min(
                simes([p for p, g in zip(pvalues, families, strict=True) if g == name])
                for name in set(families)
            )
            assert (min(adjusted) <= alpha) == (count * strongest <= alpha)


def test_endpoint_families_keep_a_slowed_endpoints_sensitivity_as_endpoints_are_added() -> None:
    """One endpoint's six statistics at p = 0.0005 in a suite of 9 scopes x 6 statistics: Hochberg
    over the 54 needs the sixth below 0.01 / 49; the families need Simes' 0.0005 below 0.01 / 9.
    One endpoint more (10 scopes) moves the families' bar to 0.01 / 10."""
    slowed = [0.0005] * 6
    pvalues = slowed + [0.5] * 48
    families = [f"endpoint {i // 6}" for i in range(54)]
    assert min(hochberg_adjusted(pvalues)) > 0.01
    assert all(p <= 0.01 for p in endpoint_families_adjusted(pvalues, families)[:6])
    assert all(p > 0.01 for p in endpoint_families_adjusted(pvalues, families)[6:])
    assert endpoint_families_adjusted(pvalues, families)[0] == pytest.approx(9 * 0.0005)
    wider = endpoint_families_adjusted(pvalues + [0.5] * 6, families + ["endpoint 9"] * 6)
    assert wider[0] == pytest.approx(10 * 0.0005)
    # Alone in its family, a statistic is held to what Bonferroni over the suite asks.
    alone = [0.0004] + [0.9] * 53
    assert endpoint_families_adjusted(alone, families)[0] == pytest.approx(54 * 0.0004)


def test_endpoint_families_hold_the_suites_false_alarms_under_positive_dependence() -> None:
    """A/A by simulation: 9 endpoints of 6 statistics, correlated within an endpoint (rho_in) and
    across (rho_all, a loaded machine): at most 1 % of suites fail at alpha 0.01."""
    rng = np.random.default_rng(5)
    families = [i // 6 for i in range(54)]
    for rho_all, rho_in in ((0.0, 0.0), (0.0, 0.9), (0.5, 0.9), (0.9, 0.95)):
        draws = 10_000
        machine = rng.normal(size=(draws, 1))
        endpoint = np.repeat(rng.normal(size=(draws, 9)), 6, axis=1)
        own = rng.normal(size=(draws, 54))
        z = (
            math.sqrt(rho_all) * machine
            + math.sqrt(rho_in - rho_all) * endpoint
            + math.sqrt(1 - rho_in) * own
        )
        pvalues = 0.5 * special.erfc(z / math.sqrt(2))
        failed = np.mean([min(endpoint_families_adjusted(list(row), families)) <= 0.01 for row in pvalues])
        assert failed <= 0.01 * 1.15, (rho_all, rho_in, failed)
