"""Patient lookups against the demo target: search by `_id` and read by id.

A plain Locust suite (no options of its own): the runner gives it the spawned-runtime behaviour.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

from locust import HttpUser, constant, tag, task

BENE_IDS: tuple[str, ...] = tuple(f"-{10_000_000_000_000 + n}" for n in range(200))
"""Synthetic beneficiary ids; the demo target derives a patient from any id it is given."""


class PatientLookupUser(HttpUser):
    """Looks patients up one after another, cycling through `BENE_IDS`."""

    wait_time = constant(0)

    def on_start(self) -> None:
        self.bene_ids: Iterator[str] = itertools.cycle(BENE_IDS)

    @tag("patient")
    @task(3)
    def search_by_id(self) -> None:
        bene_id = next(self.bene_ids)
        with self.client.get(
            "/v2/fhir/Patient",
            params={"_id": bene_id, "_format": "application/fhir+json"},
            name="/v2/fhir/Patient search by id",
            catch_response=True,
        ) as response:
            if response.ok and response.json().get("total") != 1:
                response.failure(f"expected exactly one Patient for _id={bene_id}")

    @tag("patient")
    @task(1)
    def read_by_id(self) -> None:
        self.client.get(f"/v2/fhir/Patient/{next(self.bene_ids)}", name="/v2/fhir/Patient read")
