"""The names of the figures a suite reports through `item.user_properties` (`--junitxml`, the
Lambda's response): written by `plugin.user_properties`, read by `lambda_entry`. Defined once here
so that both sides spell them alike."""

from __future__ import annotations

SUITE = "bfd_suite"
HOST = "bfd_host"
USERS = "bfd_users"
SPAWN_RATE = "bfd_spawn_rate"
SPAWNED_RUNTIME = "bfd_spawned_runtime"
RUN_ID = "bfd_run_id"
HASH = "bfd_hash"
NUM_REQUESTS = "bfd_num_requests"
NUM_FAILURES = "bfd_num_failures"
FAIL_RATIO = "bfd_fail_ratio"
AVG_RESPONSE_TIME = "bfd_avg_response_time"
P50 = "bfd_p50"
P95 = "bfd_p95"
P99 = "bfd_p99"
REQS_PER_SECOND = "bfd_reqs_per_second"
TOTAL_RUNTIME = "bfd_total_runtime"
VALIDATION_RESULT = "bfd_validation_result"
COMPARE_RESULT = "bfd_compare_result"
WORKERS_EXPECTED = "bfd_workers_expected"
WORKERS_STARTED = "bfd_workers_started"
WORKERS_FINISHED = "bfd_workers_finished"
BASELINE = "bfd_baseline"
COMPARE_FAILURES = "bfd_compare_failures"
COMPARE_WARNINGS = "bfd_compare_warnings"
VALIDATION_FAILURES = "bfd_validation_failures"
RECORD_LOCATION = "bfd_record_location"
"""Where the store keeps the suite's record (a path or an s3:// URI)."""
RECORD_ARTIFACT = "bfd_record_artifact"
"""The record file kept beside the run's artifacts (also when nothing was stored)."""
INCONCLUSIVE = "bfd_inconclusive"
"""Why the run is inconclusive (its load generator saturated); absent for a conclusive run."""
ATTEMPTS = "bfd_attempts"
"""How many attempts ran (more than one when a judged failure was confirmed)."""
CONFIRMATION = "bfd_confirmation"
"""What the attempts decided, in one line."""


def attempt(number: int) -> str:
    """One attempt's line (figures, its own verdict, where its record is), numbered from 1."""
    return f"bfd_attempt_{number}"


ACCEPTED = "bfd_accepted"
"""The reason the run was accepted as the new level (`--bfd-accept`)."""
REPORT_LOCATION = "bfd_report_location"
"""Where the store keeps the record's HTML report."""

IDENTIFIERS: frozenset[str] = frozenset({SUITE, RUN_ID, HASH, RECORD_LOCATION, RECORD_ARTIFACT})
"""Properties that hold identifiers (ours, or AWS's): never rewritten by redaction."""
