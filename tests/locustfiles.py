"""Locustfiles the end-to-end tests write next to their catalogs."""

from __future__ import annotations

PLAIN_LOCUSTFILE = """
from locust import HttpUser, constant, task


class Api(HttpUser):
    wait_time = constant(0.01)

    @task(3)
    def patient(self):
        self.client.get("/v2/fhir/Patient?_id=1", name="/v2/fhir/Patient")

    @task(1)
    def coverage(self):
        self.client.get("/v2/fhir/Coverage?beneficiary=1", name="/v2/fhir/Coverage")
"""


def one_request_locustfile(path: str, *, wait: float = 0.01) -> str:
    """A locustfile whose users request `path` (reported under its path) over and over."""
    name = path.split("?", 1)[0]
    return (
        "from locust import HttpUser, constant, task\n\n\n"
        "class OneRequest(HttpUser):\n"
        f"    wait_time = constant({wait})\n\n"
        "    @task\n"
        "    def request(self):\n"
        f"        self.client.get({path!r}, name={name!r})\n"
    )
