"""A suite whose failures quote its database DSN: the secret reaches no record, text or report."""

from __future__ import annotations

import json

import pytest

DSN = "postgres://locust:Hunter2%21Secret@reader.example:5432/fhirdb"
PASSWORD = "Hunter2!Secret"

LEAKY_LOCUSTFILE = """
import os

from locust import HttpUser, constant, task


class Leaky(HttpUser):
    wait_time = constant(0.05)

    @task
    def query(self):
        dsn = os.environ["LOCUST_BFD_DATABASE_CONNECTION_STRING"]
        with self.client.get("/v2/fhir/Patient?_id=1", name="/db", catch_response=True) as response:
            response.failure(f"cannot connect to {dsn} (password {dsn.split(':')[2].split('@')[0]})")
        print(f"connecting with {dsn}", flush=True)
"""


@pytest.mark.parametrize("secret_env", [None, "MY_DSN"])
def test_a_dsn_quoted_by_a_failing_suite_is_redacted_everywhere(
    pytester: pytest.Pytester, write_catalog, monkeypatch: pytest.MonkeyPatch, secret_env: str | None
) -> None:
    variable = secret_env or "LOCUST_BFD_DATABASE_CONNECTION_STRING"
    monkeypatch.setenv(variable, DSN)
    if secret_env is not None:
        # The locustfile reads the seed's variable; a team naming its own variable says so.
        monkeypatch.setenv("LOCUST_BFD_DATABASE_CONNECTION_STRING", DSN)
    write_catalog("- name: leaky\n  locustfile: leaky.py\n", locustfiles={"leaky.py": LEAKY_LOCUSTFILE})
    args = ["--bfd-suite", "suites.yaml", "-p", "no:cacheprovider", "--junitxml", "junit.xml"]
    if secret_env is not None:
        args += ["--bfd-secret-env", secret_env]
    result = pytester.runpytest(*args)
    result.assert_outcomes(failed=1)

    output = result.stdout.str() + result.stderr.str()
    (stored,) = pytester.path.glob(".bfd-stats/hash=*/*.stats.json")
    errors = json.loads(stored.read_text())["errors"]
    assert [e["error"] for e in errors] == ["cannot connect to *** (password ***)"]
    written = [
        path
        for pattern in (".bfd-stats/**/*.json", ".bfd-artifacts/**/*.json", ".bfd-artifacts/**/*.html")
        for path in pytester.path.glob(pattern)
        if path.is_file()
    ]
    written.append(pytester.path / "junit.xml")
    assert any(path.name.endswith(".stats.json") for path in written)
    for text, where in [(output, "terminal"), *((p.read_text(errors="replace"), str(p)) for p in written)]:
        for secret in (DSN, PASSWORD, "Hunter2%21Secret"):
            assert secret not in text, f"{secret!r} leaked into {where}"
