"""ExplanationOfBenefit searches that page through every result by following the Bundle's `next` link.

A plain Locust suite using FastHttpUser: the first page and the following pages are reported under
two request names, as the seed's paginated tasks do.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

from locust import FastHttpUser, constant, tag, task

BENE_IDS: tuple[str, ...] = tuple(f"-{10_000_000_000_000 + n}" for n in range(200))
"""Synthetic beneficiary ids; each has 5 to 40 claims in the demo target, so 1 to 4 pages of 10."""

MAX_PAGES = 20
"""A guard against a target whose `next` links never end."""


class EobPagingUser(FastHttpUser):
    """Fetches all claims of one patient after another, ten per page."""

    wait_time = constant(0)

    def on_start(self) -> None:
        self.bene_ids: Iterator[str] = itertools.cycle(BENE_IDS)

    @tag("eob")
    @task
    def all_pages(self) -> None:
        url: str | None = f"/v2/fhir/ExplanationOfBenefit?patient={next(self.bene_ids)}&_count=10"
        name = "/v2/fhir/ExplanationOfBenefit search by id / count=10"
        for _ in range(MAX_PAGES):
            if url is None:
                return
            with self.client.get(url, name=name, catch_response=True) as response:
                if not response.ok:
                    return  # Locust has counted the failure; a page without links ends the walk
                url = next_link(response.json())
            name = "/v2/fhir/ExplanationOfBenefit next page"


def next_link(bundle: dict[str, object]) -> str | None:
    """The `next` URL of a FHIR Bundle, or None on the last page."""
    links = bundle.get("link")
    if not isinstance(links, list):
        return None
    for link in links:
        if isinstance(link, dict) and link.get("relation") == "next":
            url = link.get("url")
            return url if isinstance(url, str) else None
    return None
