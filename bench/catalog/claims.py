"""Claims by patient: one endpoint the catalog's target slows to ~40 ms, one that answers at once.

The detection benchmark (bench/detection.py) and the real-runs check (bench/real_runs.py) need an
endpoint whose median is tens of milliseconds (the issue's "40 -> 50 ms" case) next to fast ones;
the target's `--path-delay-ms /v2/fhir/ExplanationOfBenefit=40` gives it that latency.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

from locust import FastHttpUser, constant, tag, task

BENE_IDS: tuple[str, ...] = tuple(f"-{10_000_000_000_000 + n}" for n in range(200))


class ClaimsUser(FastHttpUser):
    """Searches a patient's claims (slow endpoint), then reads the patient (fast endpoint)."""

    wait_time = constant(0)

    def on_start(self) -> None:
        self.bene_ids: Iterator[str] = itertools.cycle(BENE_IDS)

    @tag("claims")
    @task
    def claims_search(self) -> None:
        self.client.get(
            f"/v2/fhir/ExplanationOfBenefit?patient={next(self.bene_ids)}&_count=5",
            name="/v2/fhir/ExplanationOfBenefit search",
        )

    @tag("claims")
    @task
    def patient_read(self) -> None:
        self.client.get(f"/v2/fhir/Patient/{next(self.bene_ids)}", name="/v2/fhir/Patient read")
