"""Locustfiles the end-to-end tests write next to their catalogs."""

from __future__ import annotations


def patient_and_coverage_locustfile(
    *, user_class: str = "HttpUser", wait: float = 0.01, patient_id: int = 1
) -> str:
    """Users asking the demo target for a patient three times as often as for its coverage."""
    return (
        f"from locust import {user_class}, constant, task\n\n\n"
        f"class Api({user_class}):\n"
        f"    wait_time = constant({wait})\n\n"
        "    @task(3)\n"
        "    def patient(self):\n"
        f'        self.client.get("/v2/fhir/Patient?_id={patient_id}", name="/v2/fhir/Patient")\n\n'
        "    @task(1)\n"
        "    def coverage(self):\n"
        f'        self.client.get("/v2/fhir/Coverage?beneficiary={patient_id}", name="/v2/fhir/Coverage")\n'
    )


PLAIN_LOCUSTFILE = patient_and_coverage_locustfile()


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
