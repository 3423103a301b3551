"""pytest-bfd-locust: Locust load-test suites as pytest tests, compared against stored baselines."""

from __future__ import annotations

__version__ = "0.1.0"
