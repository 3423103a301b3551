# Locust's event hooks and LoadTestShape methods carry no annotations.
# mypy: disable-error-code="no-untyped-call,untyped-decorator"
"""A suite written the way the seed's suites are: its own options and its own load shape.

The seed's locustfiles (BFD's `locust_tests/v2/regression_suite.py` and friends) register
`--spawned-runtime`, `--client-cert-path` and `--database-connection-string` themselves in an
`init_command_line_parser` listener and define a `LoadTestShape` that waits until every user has
spawned and then runs `--spawned-runtime` more. The plugin must run such a suite unchanged: it must
not register the same options again, and it must pass the spawned runtime in a way this suite's own
option (or its environment variable, `LOCUST_USERS_SPAWNED_RUNTIME`) understands.

Against the demo target the certificate and the database are optional: the seed read beneficiary
ids from the database; this suite uses synthetic ids and only reports whether the two settings
arrived (never their values: the seed passed secrets through them).

    locust -f seed_style_suite.py --headless -H http://127.0.0.1:PORT -u 5 -r 5 --spawned-runtime 5s
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterator
from typing import Any

from locust import HttpUser, LoadTestShape, constant, events, tag, task
from locust.argument_parser import LocustArgumentParser
from locust.env import Environment
from locust.util.timespan import parse_timespan

BENE_IDS: tuple[str, ...] = tuple(f"-{20_000_000_000_000 + n}" for n in range(100))
"""Synthetic beneficiary ids; the seed loaded real ones from the database at test start."""

logger = logging.getLogger(__name__)


@events.init_command_line_parser.add_listener
def register_seed_options(parser: LocustArgumentParser, **_kwargs: Any) -> None:
    parser.add_argument(
        "--spawned-runtime",
        type=parse_timespan,
        dest="spawned_runtime",
        env_var="LOCUST_USERS_SPAWNED_RUNTIME",
        help=(
            "How long the test runs once all users have spawned (a Locust timespan such as 30s or"
            " 1m). Unset: it runs until stopped; 0: it stops as soon as all users have spawned."
        ),
    )
    parser.add_argument(
        "--client-cert-path",
        type=str,
        dest="client_cert_path",
        env_var="LOCUST_BFD_CLIENT_CERT_PATH",
        default="",
        help="Path to the client certificate (PEM) presented to an HTTPS target.",
    )
    parser.add_argument(
        "--database-connection-string",
        type=str,
        dest="database_connection_string",
        env_var="LOCUST_BFD_DATABASE_CONNECTION_STRING",
        default="",
        help="Connection string of the database test data is read from.",
    )


@events.test_start.add_listener
def report_settings(environment: Environment, **_kwargs: Any) -> None:
    options = environment.parsed_options
    if options is None:
        return
    logger.info(
        "seed-style suite: spawned runtime %s s, client certificate %s, database connection %s",
        options.spawned_runtime,
        "given" if options.client_cert_path else "not given",
        "given" if options.database_connection_string else "not given",
    )


class AllUsersSpawnedShape(LoadTestShape):
    """Spawns `-u` users at `-r` per second, then runs `--spawned-runtime` seconds more.

    Time spent spawning (and a slow user start-up) does not eat into the measured runtime: the
    clock is reset once the user count reaches its target.
    """

    def __init__(self) -> None:
        super().__init__()
        self._all_spawned = False

    def tick(self) -> tuple[int, float] | None:
        if self.runner is None or self.runner.environment.parsed_options is None:
            return None
        options = self.runner.environment.parsed_options
        users = int(options.num_users or 1)
        spawn_rate = float(options.spawn_rate or 1)
        runtime: int | None = options.spawned_runtime
        if not self._all_spawned:
            if self.get_current_user_count() >= users:
                self._all_spawned = True
                self.reset_time()
                logger.info("all %d users have spawned; running %s s more", users, runtime)
        elif runtime is not None and self.get_run_time() >= runtime:
            return None
        return users, spawn_rate


class SeedStyleUser(HttpUser):
    """Patient, Coverage and ExplanationOfBenefit searches, as the seed's v2 regression suite makes."""

    wait_time = constant(0)

    def on_start(self) -> None:
        self.bene_ids: Iterator[str] = itertools.cycle(BENE_IDS)
        options = self.environment.parsed_options
        # A client certificate means something to an HTTPS target only (requests would refuse a
        # missing file even for plain HTTP).
        if options is not None and options.client_cert_path and (self.host or "").startswith("https:"):
            self.client.cert = options.client_cert_path

    @tag("patient")
    @task
    def patient_by_id(self) -> None:
        self.client.get(
            "/v2/fhir/Patient",
            params={"_id": next(self.bene_ids), "_format": "application/fhir+json"},
            name="/v2/fhir/Patient search by id",
        )

    @tag("coverage")
    @task
    def coverage_by_id(self) -> None:
        self.client.get(
            "/v2/fhir/Coverage",
            params={"beneficiary": next(self.bene_ids)},
            name="/v2/fhir/Coverage search by id",
        )

    @tag("eob")
    @task
    def eob_by_id_count(self) -> None:
        self.client.get(
            "/v2/fhir/ExplanationOfBenefit",
            params={"patient": next(self.bene_ids), "_count": "10", "_format": "application/fhir+json"},
            name="/v2/fhir/ExplanationOfBenefit search by id / count=10",
        )
