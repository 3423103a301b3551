"""The timeout guard: refuse a run that cannot finish in the time the Lambda has left.

A run killed by the Lambda timeout loses its record and leaves the target under load with nobody
watching; refusing up front costs nothing.
"""

from __future__ import annotations

from typing import Any

from lambda_entry.payload import RunPayload


class TimeBudgetError(ValueError):
    """The run needs more time than is left; the message gives both figures."""


def check_time_budget(payload: RunPayload, margin_s: float, context: Any) -> float | None:
    """Raise TimeBudgetError when spawn time + spawned runtime + margin exceeds the remaining time.

    Returns the seconds left over (None without a Lambda context, a local call with no deadline):
    the run's timeout grace must fit in them, or a run that overruns is killed with the Lambda
    instead of being stopped by the runner with its statistics kept.
    """
    remaining_ms = getattr(context, "get_remaining_time_in_millis", None)
    if remaining_ms is None:
        return None
    remaining_s = float(remaining_ms()) / 1000
    needed_s = payload.spawn_time_s + payload.spawned_runtime_s + margin_s
    if needed_s > remaining_s:
        raise TimeBudgetError(
            f"refused before starting any load: the run needs about {needed_s:.0f} s "
            f"(spawn {payload.spawn_time_s:.0f} s + spawned_runtime {payload.spawned_runtime_s} s "
            f"+ margin {margin_s:.0f} s) but the Lambda has {remaining_s:.0f} s left; "
            "raise the function timeout or shorten the run"
        )
    return remaining_s - needed_s


def attempts_that_fit(payload: RunPayload, margin_s: float, spare_s: float | None) -> int | None:
    """How many more runs of the suite (confirmation attempts) fit in the time left over after the
    first; None without a deadline. Each needs what the first did: spawn + runtime + margin."""
    if spare_s is None:
        return None
    per_run_s = payload.spawn_time_s + payload.spawned_runtime_s + margin_s
    return max(0, int(spare_s // per_run_s))
