"""pytest-bfd-locust: Locust load-test suites as pytest tests, compared against stored baselines."""

from __future__ import annotations

__version__ = "0.1.0"


class BfdLocustWarning(UserWarning):
    """A suite passed, but something deserves a look: a WARNING comparison, no baseline, an endpoint
    new or gone since the baseline. `-W error::pytest_bfd_locust.BfdLocustWarning` makes these fail."""
