"""Coverage searches by beneficiary with a small think time; the catalog gives this suite an SLA.

A plain Locust suite: each user pauses a little between requests, so the response times measured
are the target's own rather than those of a saturated machine.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

from locust import FastHttpUser, between, tag, task

BENE_IDS: tuple[str, ...] = tuple(f"-{10_000_000_000_000 + n}" for n in range(200))
"""Synthetic beneficiary ids; every one has Coverage parts A to D in the demo target."""


class CoverageUser(FastHttpUser):
    """Searches the Coverage of one beneficiary after another."""

    wait_time = between(0.005, 0.02)

    def on_start(self) -> None:
        self.bene_ids: Iterator[str] = itertools.cycle(BENE_IDS)

    @tag("coverage")
    @task(2)
    def search_by_beneficiary(self) -> None:
        with self.client.get(
            f"/v2/fhir/Coverage?beneficiary={next(self.bene_ids)}",
            name="/v2/fhir/Coverage search by id",
            catch_response=True,
        ) as response:
            if response.ok and response.json().get("total") != 4:
                response.failure("expected Coverage parts A to D")

    @tag("coverage")
    @task(1)
    def search_by_beneficiary_count(self) -> None:
        self.client.get(
            f"/v2/fhir/Coverage?beneficiary={next(self.bene_ids)}&_count=10",
            name="/v2/fhir/Coverage search by id / count=10",
        )
