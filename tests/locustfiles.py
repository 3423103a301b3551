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

BOTH_EVERY_ITERATION_LOCUSTFILE = (
    "from locust import HttpUser, constant, task\n\n\n"
    "class Api(HttpUser):\n"
    "    wait_time = constant(0.01)\n\n"
    "    @task\n"
    "    def patient_then_coverage(self):\n"
    '        self.client.get("/v2/fhir/Patient?_id=1", name="/v2/fhir/Patient")\n'
    '        self.client.get("/v2/fhir/Coverage?beneficiary=1", name="/v2/fhir/Coverage")\n'
)
"""Users asking for a patient and then its coverage in every iteration: a slow run of a dozen
requests still names both endpoints, so its hash (which names them) is its baseline's. With the
3:1 weighted tasks of `PLAIN_LOCUSTFILE`, 14 requests at 240 ms missed Coverage about 1 time in 50:
a new hash, no baseline, a pass."""


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


COUNTS_ENV = "BFD_TEST_WORKER_COUNTS"
"""Set in a test's worker processes: the directory where each worker says what it did."""

COUNTING_LOCUSTFILE = f"""
import os
from pathlib import Path

from locust import HttpUser, constant, events, task
from locust.runners import WorkerRunner

requests_made = 0


def counts_dir():
    return Path(os.environ[{COUNTS_ENV!r}]) if {COUNTS_ENV!r} in os.environ else None


@events.request.add_listener
def count(**kwargs):
    global requests_made
    requests_made += 1
    if requests_made == 1 and counts_dir() is not None:
        (counts_dir() / f"started-{{os.getpid()}}").touch()


@events.quitting.add_listener
def report(environment, **kwargs):
    if isinstance(environment.runner, WorkerRunner) and counts_dir() is not None:
        (counts_dir() / f"requests-{{os.getpid()}}").write_text(str(requests_made))


class Api(HttpUser):
    wait_time = constant(0.01)

    @task
    def patient(self):
        self.client.get("/v2/fhir/Patient?_id=1", name="/v2/fhir/Patient")
"""
"""Users asking for a patient; a worker running it (with COUNTS_ENV set) writes `started-<pid>` at
its first request and `requests-<pid>` (how many it made, counted by itself) when it quits."""
