"""A suite whose failures quote its database DSN: the secret reaches no record, text or report."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pytest_bfd_locust.run_dirs import MAX_REDACTED_FILE_BYTES, redact_files
from pytest_bfd_locust.secret_values import redact_text, secret_forms

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
    # Every file the run leaves (records, reports, Locust's log the locustfile prints the DSN into,
    # the progress and control files, JUnit XML), not only the JSON and HTML ones.
    written = [path for path in pytester.path.rglob("*") if path.is_file() and not path.is_symlink()]
    names = {path.name for path in written}
    assert {"locust.log", "junit.xml", "report.html"} <= names
    assert any(name.endswith(".stats.json") for name in names)
    for text, where in [(output, "terminal"), *((p.read_text(errors="replace"), str(p)) for p in written)]:
        for secret in (DSN, PASSWORD, "Hunter2%21Secret"):
            assert secret not in text, f"{secret!r} leaked into {where}"


def test_a_log_over_the_size_read_whole_is_redacted_too(tmp_path: Path) -> None:
    """Issue 19: files over 50 MB were skipped, secret and all; now redacted a line at a time."""
    log = tmp_path / "locust.log"
    filler = b"x" * 1023 + b"\n"
    with open(log, "wb") as out:
        out.write(f"connecting with {DSN}\n".encode())
        for _ in range(MAX_REDACTED_FILE_BYTES // len(filler) + 1):
            out.write(filler)
        out.write(f"at the end: {DSN}\n".encode())
    log.chmod(0o644)
    size = log.stat().st_size
    assert size > MAX_REDACTED_FILE_BYTES
    redact_files(tmp_path, lambda text: redact_text(text, secret_forms([DSN])))
    with open(log, "rb") as redacted:
        first = redacted.readline()
        redacted.seek(-200, os.SEEK_END)
        last = redacted.read().splitlines()[-1]
    assert first == b"connecting with ***\n" and last == b"at the end: ***"
    assert DSN.encode() not in log.read_bytes() and PASSWORD.encode() not in log.read_bytes()
    assert log.stat().st_mode & 0o777 == 0o644
    assert [path.name for path in tmp_path.iterdir()] == ["locust.log"]  # no temporary left
