"""The threshold file (`compare_meta.json`): its rules, the judge's settings, and their parsing.

Two kinds of file (SPEC §8): one with only the seed's keys (`totals` and `tasks` lists of
`{name, better_if, warn_percent, fail_percent}`, plus our optional `min_delta`) keeps the seed's
fixed ratios; one with a top-level `judge` object selects the judge (rules take `min_percent` and
`min_delta`). Errors name the file, list, entry, field and value.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from enum import StrEnum
from pathlib import Path
from typing import Any

from pytest_bfd_locust.histogram import PERCENTILE_KEYS
from pytest_bfd_locust.judge.verdict import Verdict
from pytest_bfd_locust.record import COMPARABLE_STATS

RESPONSE_TIME_STATS: frozenset[str] = frozenset(
    {"median_response_time", "average_response_time", "min_response_time", "max_response_time"}
) | frozenset(PERCENTILE_KEYS)
"""Statistics in whole milliseconds at Locust's resolution."""


RESPONSE_TIME_MIN_DELTA = 1.0
"""The `min_delta` (ms) of a response-time rule without one: a 0 -> 1 ms change is not a regression."""


_THRESHOLD_KEYS = ("name", "better_if", "warn_percent", "fail_percent", "min_delta")


_JUDGE_RULE_KEYS = ("name", "better_if", "min_percent", "min_delta")


class ThresholdError(ValueError):
    """A threshold file is malformed; the message names the file, list, entry, field and value."""


def effective_min_delta(name: str, min_delta: float | None) -> float | None:
    """A rule's `min_delta`, or 1 ms for a response-time statistic, or None: no absolute tolerance."""
    if min_delta is not None:
        return min_delta
    return RESPONSE_TIME_MIN_DELTA if name in RESPONSE_TIME_STATS else None


class BetterIf(StrEnum):
    """Which direction of change is an improvement."""

    SMALLER = "SMALLER"
    LARGER = "LARGER"


@dataclass(frozen=True)
class Threshold:
    """How one statistic is compared: a ratio at or above `fail_percent` fails, above `warn_percent` warns."""

    name: str
    better_if: BetterIf
    warn_percent: float
    fail_percent: float
    min_delta: float | None = None
    """A change no larger than this (in the statistic's unit) always passes; None: the default."""

    @property
    def effective_min_delta(self) -> float | None:
        """`min_delta`, or 1 ms for response-time statistics, or None: no absolute tolerance."""
        return effective_min_delta(self.name, self.min_delta)

    def ratio(self, baseline: float, current: float) -> float:
        """How much worse `current` is than `baseline`, in percent (100: unchanged; may be inf)."""
        if self.better_if is BetterIf.SMALLER:
            dividend, divisor = current, baseline
        else:
            dividend, divisor = baseline, current
        if divisor == 0:
            # The seed returned 0 here, so a stat rising from zero always passed; SPEC §8 says inf.
            return 100.0 if dividend == 0 else math.inf
        return dividend / divisor * 100.0

    def verdict(self, baseline: float, current: float) -> Verdict:
        """PASS within `min_delta`; else FAILURE at or above `fail_percent`, WARNING at `warn_percent`."""
        min_delta = self.effective_min_delta
        if min_delta is not None and abs(current - baseline) <= min_delta:
            return Verdict.PASS
        ratio = self.ratio(baseline, current)
        if ratio >= self.fail_percent:
            return Verdict.FAILURE
        if ratio >= self.warn_percent:
            return Verdict.WARNING
        return Verdict.PASS


class Multiplicity(StrEnum):
    """How the suite's false-alarm level is shared among its statistics."""

    SIMES = "simes"
    """The step-up with Simes' critical values (multiplicity.simes_adjusted): the suite's false
    alarms held like Bonferroni's when nothing changed; statistics that move together need less
    evidence each."""
    HOCHBERG = "hochberg"
    """Hochberg's step-up: valid when the statistics' tests are positively dependent (they are: a
    run's statistics move together with the machine's load); it lets more statistics of a slowed
    endpoint fail with the strongest, whose bar (and so the suite's verdict) is Bonferroni's."""
    ENDPOINTS = "endpoints"
    """Each endpoint's statistics (and the totals') one family: Simes' test within a family,
    Holm's step-down across families (multiplicity.endpoint_families_adjusted). The level is split
    among endpoints, not statistics, so an endpoint added costs the others less."""
    BONFERRONI = "bonferroni"
    """Each statistic at (1 - confidence) / m: the flat split, kept to measure against."""


@dataclass(frozen=True)
class JudgeSettings:
    """The `judge` object of a threshold file: how sure the judge must be and how much history it reads.

    Every key is optional; the defaults were chosen on real runs by bench/detection.py (README).
    """

    confidence: float = 0.99
    """FAILURE needs this confidence per suite comparison (shared among its statistics)."""
    warn_confidence: float = 0.95
    """WARNING needs this one (at most `confidence`)."""
    history: int = 20
    """How many eligible runs of the hash the noise model reads (one store query with the baseline)."""
    min_percent: float = 10.0
    """The practical floor: less than this many percent worse always passes (a rule may override it)."""
    prior_degrees_of_freedom: float = 4.0
    """nu0: how many measured degrees of freedom the prior noise is worth (noise.py). The band rests
    mostly on the prior until the history's own degrees of freedom exceed it."""
    prior_scale: float = 1.0
    """Multiplies the prior noise sigma0 measured per kind of statistic (noise.py's PRIOR_SCALES):
    above 1 for a setup known to be noisier than the recorded runs."""
    multiplicity: Multiplicity = Multiplicity.ENDPOINTS
    """How the suite's level is shared among its statistics."""
    within_levels: bool = True
    """Measure the noise inside the history's levels (between its change points); False: around one
    level over the whole history (the judge before issue 17, kept for bench/detection.py)."""
    prior_from_store: bool = False
    """Measure the prior noise's scale per kind of statistic on the store's other hashes (other
    suites, earlier hashes of this one: their newest runs, one listing) instead of the packaged
    values (noise.py `measured_scales`); the packaged values when the store holds too few or cannot
    list. Off by default: bench/detection.py --store-prior measured it (README)."""
    credit_averaged_baseline: bool = False
    """Whether an average of k runs earns the narrower band sqrt(1 + 1/k); measured, it does not
    (judge/rule.py). Kept so bench/detection.py can measure the alternative."""


JUDGE_KEYS: tuple[str, ...] = tuple(field.name for field in fields(JudgeSettings))
"""The keys of the threshold file's `judge` object."""


_RETIRED_JUDGE_KEYS: Mapping[str, str] = {
    "min_history": "no longer used: the measured runs refine the prior noise from the first one on;"
    " give prior_degrees_of_freedom (how many runs' worth the prior is) instead",
    "prior_noise_percent": "no longer used: the prior noise is measured per endpoint from its"
    " dispersion (ln of its p90 / median); give prior_scale (a multiplier of the measured prior) instead",
}
"""Keys of the judge before issue 17, and what replaced them (an error names the replacement)."""


@dataclass(frozen=True)
class JudgeRule:
    """How the judge compares one statistic: worse than the floors, significant, outside the noise."""

    name: str
    better_if: BetterIf
    min_percent: float | None = None
    """The relative floor in percent; None: the judge's `min_percent`."""
    min_delta: float | None = None
    """A change no larger than this (in the statistic's unit) always passes; None: the default."""

    @property
    def effective_min_delta(self) -> float | None:
        """`min_delta`, or 1 ms for response-time statistics, or None: no absolute tolerance."""
        return effective_min_delta(self.name, self.min_delta)

    def ratio(self, baseline: float, current: float) -> float:
        """The seed's ratio (100: unchanged, larger: worse), kept on every row for dashboards."""
        return Threshold(self.name, self.better_if, 0.0, 0.0).ratio(baseline, current)


Rule = Threshold | JudgeRule
"""One statistic's rule in a threshold file: the seed's fixed ratios, or the judge's."""


@dataclass(frozen=True)
class ThresholdSet:
    """The rules of one threshold file: `totals` apply to the totals, `tasks` to each task."""

    totals: tuple[Rule, ...]
    tasks: tuple[Rule, ...]
    source: str = "<thresholds>"
    """Where the rules came from (a path), for messages."""
    judge: JudgeSettings | None = None
    """The judge's settings; None: the seed's fixed ratios (every rule is then a `Threshold`)."""

    @property
    def history_limit(self) -> int:
        """How many eligible runs the judge's noise model asks the store for (0: none)."""
        return self.judge.history if self.judge is not None else 0


def default_thresholds_path() -> Path:
    """The packaged threshold file: the judge, with the rules and settings bench/detection.py chose."""
    return Path(__file__).with_name("default_compare_meta.json")


def read_threshold_file(path: Path) -> ThresholdSet:
    """Read and validate a threshold file; ThresholdError names the file and what is wrong."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ThresholdError(f"{path}: cannot read the threshold file: {error.strerror or error}") from None
    except UnicodeDecodeError as error:
        raise ThresholdError(f"{path}: not UTF-8 text: {error.reason} at byte {error.start}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ThresholdError(
            f"{path}: not JSON: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None
    return load_thresholds(data, str(path))


def load_thresholds(data: object, source: str) -> ThresholdSet:
    """Validate an already-loaded threshold file; `source` (its path) starts every error message.

    A top-level `judge` object selects the judge (its rules take `min_percent` and `min_delta`);
    without it the rules are the seed's fixed ratios, applied exactly as the seed did.
    """
    if not isinstance(data, Mapping):
        raise ThresholdError(
            f"{source}: expected an object with 'totals' and 'tasks' lists, got {_kind(data)}"
        )
    unknown = sorted(str(k) for k in data if k not in ("totals", "tasks", "judge"))
    if unknown:
        raise ThresholdError(
            f"{source}: unknown key {unknown[0]!r}; expected 'totals' and 'tasks' (and optionally 'judge')"
        )
    judge = _load_judge(data["judge"], source) if "judge" in data else None
    totals = _load_rules(data, "totals", source, judged=judge is not None)
    tasks = _load_rules(data, "tasks", source, judged=judge is not None)
    if judge is not None:
        _check_larger_rules(totals, judge, "totals", source)
        _check_larger_rules(tasks, judge, "tasks", source)
    return ThresholdSet(
        totals=totals,
        tasks=tasks,
        source=source,
        judge=judge,
    )


def _load_judge(value: object, source: str) -> JudgeSettings:
    where = f"{source}: judge"
    if not isinstance(value, Mapping):
        raise ThresholdError(f"{where}: expected an object of settings, got {_kind(value)}")
    retired = sorted(str(k) for k in value if k in _RETIRED_JUDGE_KEYS)
    if retired:
        raise ThresholdError(f"{where}: {retired[0]}: {_RETIRED_JUDGE_KEYS[retired[0]]}")
    unknown = sorted(str(k) for k in value if k not in JUDGE_KEYS)
    if unknown:
        raise ThresholdError(f"{where}: unknown key {unknown[0]!r}; expected {', '.join(JUDGE_KEYS)}")
    defaults = JudgeSettings()
    settings: dict[str, Any] = {}
    for key in ("confidence", "warn_confidence"):
        number = _number(value.get(key, getattr(defaults, key)))
        if number is None or not 0.5 <= number < 1.0:
            raise ThresholdError(
                f"{where}: {key}: expected a number from 0.5 to below 1, got {value.get(key)!r}"
            )
        settings[key] = number
    if settings["warn_confidence"] > settings["confidence"]:
        raise ThresholdError(
            f"{where}: warn_confidence: {settings['warn_confidence']:g} is above confidence"
            f" {settings['confidence']:g} (a warning must need less evidence than a failure)"
        )
    raw = value.get("history", defaults.history)
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= 1000:
        raise ThresholdError(f"{where}: history: expected a whole number from 1 to 1000, got {raw!r}")
    settings["history"] = raw
    for key in ("min_percent", "prior_scale"):
        number = _number(value.get(key, getattr(defaults, key)))
        if number is None or number < 0:
            raise ThresholdError(f"{where}: {key}: expected a number >= 0, got {value.get(key)!r}")
        settings[key] = number
    _check_min_percent(settings["min_percent"], f"{where}: min_percent")
    number = _number(value.get("prior_degrees_of_freedom", defaults.prior_degrees_of_freedom))
    if number is None or not 0 < number <= 1000:
        raise ThresholdError(
            f"{where}: prior_degrees_of_freedom: expected a number above 0 and at most 1000,"
            f" got {value.get('prior_degrees_of_freedom')!r}"
        )
    settings["prior_degrees_of_freedom"] = number
    raw = value.get("multiplicity", defaults.multiplicity.value)
    if raw not in [choice.value for choice in Multiplicity]:
        choices = " or ".join(choice.value for choice in Multiplicity)
        raise ThresholdError(f"{where}: multiplicity: expected {choices}, got {raw!r}")
    settings["multiplicity"] = Multiplicity(raw)
    for key in ("within_levels", "prior_from_store", "credit_averaged_baseline"):
        raw = value.get(key, getattr(defaults, key))
        if not isinstance(raw, bool):
            raise ThresholdError(f"{where}: {key}: expected true or false, got {raw!r}")
        settings[key] = raw
    return JudgeSettings(**settings)


MAX_MIN_PERCENT = 1000.0
"""The highest `min_percent` accepted: above it only a statistic more than 11 times worse could fail,
which is no regression test at all (100000 let a 2 -> 63 ms change pass)."""


def _check_min_percent(value: float, where: str) -> None:
    if value > MAX_MIN_PERCENT:
        raise ThresholdError(
            f"{where}: {value:g} % means only a statistic more than {value / 100 + 1:g} times worse could"
            f" fail; expected at most {MAX_MIN_PERCENT:g}"
        )


def _check_larger_rules(rules: tuple[Rule, ...], judge: JudgeSettings, list_name: str, source: str) -> None:
    """A LARGER-is-better statistic is at most 100 % worse (it falls to 0): a floor of 100 % or more
    would make its rule one that can never fail."""
    for index, rule in enumerate(rules):
        if not isinstance(rule, JudgeRule) or rule.better_if is not BetterIf.LARGER:
            continue
        floor = rule.min_percent if rule.min_percent is not None else judge.min_percent
        if floor >= 100:
            key = "min_percent" if rule.min_percent is not None else "min_percent (the judge's)"
            raise ThresholdError(
                f"{source}: {list_name}[{index}] ({rule.name!r}): {key} {floor:g} % can never be reached:"
                " a statistic better if LARGER is at most 100 % worse (it falls to 0); expected below 100"
            )


def _load_rules(data: Mapping[str, Any], list_name: str, source: str, *, judged: bool) -> tuple[Rule, ...]:
    entries = data.get(list_name)
    if not isinstance(entries, list):
        raise ThresholdError(f"{source}: {list_name}: expected a list of thresholds, got {_kind(entries)}")
    rules: list[Rule] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        where = f"{source}: {list_name}[{index}]"
        rule = _load_judge_rule(entry, where) if judged else _load_rule(entry, where)
        if rule.name in seen:
            raise ThresholdError(
                f"{source}: {list_name}[{index}] ({rule.name!r}): name: {rule.name!r} is listed twice"
            )
        seen.add(rule.name)
        rules.append(rule)
    return tuple(rules)


def _load_rule(entry: object, where: str) -> Threshold:
    rule, name, better_if, where = _rule_head(entry, where, _THRESHOLD_KEYS)
    warn_percent = _percent(rule, "warn_percent", where)
    fail_percent = _percent(rule, "fail_percent", where)
    if warn_percent > fail_percent:
        raise ThresholdError(
            f"{where}: warn_percent: {rule['warn_percent']!r} is above fail_percent {rule['fail_percent']!r}"
        )
    return Threshold(
        name=name,
        better_if=better_if,
        warn_percent=warn_percent,
        fail_percent=fail_percent,
        min_delta=_optional_non_negative(rule, "min_delta", where),
    )


def _load_judge_rule(entry: object, where: str) -> JudgeRule:
    rule, name, better_if, where = _rule_head(entry, where, _JUDGE_RULE_KEYS)
    min_percent = _optional_non_negative(rule, "min_percent", where)
    if min_percent is not None:
        _check_min_percent(min_percent, f"{where}: min_percent")
    return JudgeRule(
        name=name,
        better_if=better_if,
        min_percent=min_percent,
        min_delta=_optional_non_negative(rule, "min_delta", where),
    )


def _rule_head(
    entry: object, where: str, keys: Sequence[str]
) -> tuple[Mapping[str, Any], str, BetterIf, str]:
    """A rule (checked to be an object), its name and better_if; and `where` with the name."""
    if not isinstance(entry, Mapping):
        raise ThresholdError(f"{where}: expected an object, got {_kind(entry)}")
    name = entry.get("name")
    if not isinstance(name, str):
        raise ThresholdError(f"{where}: name: expected a string, got {name!r}")
    if name not in COMPARABLE_STATS:
        allowed = ", ".join(sorted(COMPARABLE_STATS))
        raise ThresholdError(f"{where}: name: {name!r} is not a statistic; expected one of {allowed}")
    where = f"{where} ({name!r})"
    unknown = sorted(str(k) for k in entry if k not in keys)
    if unknown:
        if keys is _JUDGE_RULE_KEYS and unknown[0] in ("warn_percent", "fail_percent"):
            raise ThresholdError(
                f"{where}: {unknown[0]}: fixed ratios are not used by the judge (this file has a"
                " 'judge' section); give min_percent instead, or remove 'judge' for the seed's ratios"
            )
        if keys is _THRESHOLD_KEYS and unknown[0] == "min_percent":
            raise ThresholdError(
                f"{where}: min_percent: only the judge uses it; add a top-level 'judge' object"
                ' (e.g. "judge": {}) or remove it'
            )
        raise ThresholdError(f"{where}: unknown field {unknown[0]!r}; expected {', '.join(keys)}")
    better_if = entry.get("better_if")
    if better_if not in (BetterIf.SMALLER.value, BetterIf.LARGER.value):
        raise ThresholdError(f"{where}: better_if: expected SMALLER or LARGER, got {better_if!r}")
    return entry, name, BetterIf(better_if), where


def _optional_non_negative(entry: Mapping[str, Any], key: str, where: str) -> float | None:
    raw = entry.get(key)
    number = _number(raw)
    if raw is not None and (number is None or number < 0):
        raise ThresholdError(f"{where}: {key}: expected a number >= 0 or null, got {raw!r}")
    return number


def _percent(entry: Mapping[str, Any], key: str, where: str) -> float:
    value = _number(entry.get(key))
    if value is None or value <= 0:
        raise ThresholdError(f"{where}: {key}: expected a number of percent > 0, got {entry.get(key)!r}")
    return value


def _number(value: object) -> float | None:
    """The value as a float when it is a finite JSON number (not a boolean), else None."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def _kind(value: object) -> str:
    return "null" if value is None else type(value).__name__
