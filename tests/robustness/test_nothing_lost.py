"""Nothing lost: parallel sessions, two catalogs with one suite name, a report that cannot be
written, a full disk, a target that never answers, warnings made errors. Real Locust, real files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from examples.demo_target import DemoServer
from tests.locustfiles import one_request_locustfile
from tests.on_disk import small_tmpfs, stored_records


def test_three_parallel_sessions_store_three_distinct_records(
    pytester: pytest.Pytester, write_catalog
) -> None:
    write_catalog("- name: api\n  locustfile: api.py\n")
    command = [sys.executable, "-m", "pytest", "--bfd-suite", "suites.yaml", "-p", "no:cacheprovider", "-q"]
    sessions = [
        subprocess.Popen(command, cwd=pytester.path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        for _ in range(3)
    ]
    outputs = [session.communicate(timeout=120)[0].decode() for session in sessions]
    assert [session.returncode for session in sessions] == [0, 0, 0], "\n".join(outputs)

    records = stored_records(pytester.path)
    assert len(records) == 3
    assert len({record["run_id"] for record in records}) == 3
    # Each record holds its own run's figures, not one run's statistics stored three times.
    kept = sorted((pytester.path / ".bfd-artifacts" / "api").glob("2*/*.stats.json"))
    assert len(kept) == 3 and len({path.parent for path in kept}) == 3
    assert sorted(path.read_text() for path in kept) == sorted(
        p.read_text() for p in (pytester.path / ".bfd-stats").glob("hash=*/*.stats.json")
    )
    for path in kept:
        result = json.loads((path.parent / "result.json").read_text())
        assert result["record"]["run_id"] == json.loads(path.read_text())["run_id"]


def test_two_catalogs_with_one_suite_name_keep_their_own_artifacts(
    pytester: pytest.Pytester, write_catalog, demo_server: DemoServer
) -> None:
    write_catalog("- name: api\n  locustfile: api.py\n  spawned_runtime: 1s\n")
    other = pytester.mkdir("other")
    (other / "errors.py").write_text(one_request_locustfile("/status/500"))
    (other / "suites.yaml").write_text(
        f"suites:\n  - name: api\n    locustfile: errors.py\n    host: {demo_server.url}\n"
        "    spawned_runtime: 1s\n    users: 2\n    spawn_rate: 2\n"
    )
    result = pytester.runpytest(
        "--bfd-suite",
        "suites.yaml",
        "--bfd-suite",
        "other/suites.yaml",
        "--bfd-no-store",
        "-p",
        "no:cacheprovider",
    )
    result.assert_outcomes(passed=1, failed=1)
    run_dirs = sorted(p for p in (pytester.path / ".bfd-artifacts" / "api").iterdir() if p.name != "latest")
    assert len(run_dirs) == 2
    logs = [(run_dir / "locust.log").read_text() for run_dir in run_dirs]
    assert sum("/status/500" in log for log in logs) == 1, "each run's log is its own"
    # The failure text points at the failing run's own log, which shows the failing requests.
    failing_log = next(line for line in result.stdout.lines if line.startswith("Locust's log: "))
    assert "/status/500" in Path(failing_log.removeprefix("Locust's log: ")).read_text()


def test_old_run_directories_are_pruned_by_count(pytester: pytest.Pytester, write_catalog) -> None:
    write_catalog("- name: api\n  locustfile: api.py\n  spawned_runtime: 1s\n")
    suite_dir = pytester.path / ".bfd-artifacts" / "api"
    old = [suite_dir / f"2020010{day}T000000Z-abc{day}" for day in range(1, 4)]
    for path in old:
        path.mkdir(parents=True)
    unrelated = suite_dir / "notes-of-the-user"
    unrelated.mkdir()
    result = pytester.runpytest(
        "--bfd-suite", "suites.yaml", "--bfd-keep-runs", "2", "--bfd-no-store", "-p", "no:cacheprovider"
    )
    result.assert_outcomes(passed=1)
    remaining = sorted(p.name for p in suite_dir.iterdir())
    current = os.readlink(suite_dir / "latest")
    assert remaining == sorted([old[-1].name, current, "latest", unrelated.name])


def test_report_that_cannot_be_written_is_a_warning_and_the_record_is_stored(
    pytester: pytest.Pytester, write_catalog
) -> None:
    # /dev/full answers every write with ENOSPC: a real "disk full" for Locust's HTML report.
    write_catalog("- name: api\n  locustfile: api.py\n  locust_args: [--html, /dev/full]\n")
    result = pytester.runpytest("--bfd-suite", "suites.yaml", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        ["*Locust's HTML report /dev/full could not be written: [[]Errno 28[]] No space left on device*"]
    )
    assert len(stored_records(pytester.path)) == 1


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    """A 256 KiB tmpfs filled to the last byte (mounting needs root, as in this project's CI image)."""
    with small_tmpfs(tmp_path / "full", "256k") as mount_point:
        (mount_point / "artifacts").mkdir()
        filler = os.open(mount_point / "filler", os.O_WRONLY | os.O_CREAT)
        try:
            while os.write(filler, b"\0" * 4096):
                pass
        except OSError:
            pass  # ENOSPC: full
        finally:
            os.close(filler)
        yield mount_point / "artifacts"


def test_full_disk_under_the_artifacts_is_one_line_and_no_load(
    pytester: pytest.Pytester, write_catalog, demo_server: DemoServer, full_disk: Path
) -> None:
    write_catalog("- name: api\n  locustfile: api.py\n")
    result = pytester.runpytest(
        "--bfd-suite", "suites.yaml", "--bfd-artifacts", str(full_disk), "-p", "no:cacheprovider"
    )
    result.assert_outcomes(failed=1)
    # Said before Locust starts (no load): the run's own files could not be created.
    result.stdout.fnmatch_lines(["*cannot * the run's *: [[]Errno 28[]] No space left on device*"])
    assert "Traceback" not in result.stdout.str()
    assert stored_records(pytester.path) == []


def test_host_credentials_appear_in_no_artifact_and_no_output(
    pytester: pytest.Pytester, write_catalog, demo_server: DemoServer
) -> None:
    write_catalog("- name: creds\n  locustfile: api.py\n  spawned_runtime: 1s\n")
    host = demo_server.url.replace("http://", "http://bob:HostPw777@")
    result = pytester.runpytest(
        "--bfd-suite", "suites.yaml", "--bfd-host", host, "--junitxml", "out.xml", "-v"
    )
    result.assert_outcomes(passed=1)
    run_dir = pytester.path / ".bfd-artifacts" / "creds" / "latest"
    report = (run_dir / "report.html").read_text()
    assert demo_server.url in report, "the report still names the host"
    written = [report, result.stdout.str(), result.stderr.str(), (pytester.path / "out.xml").read_text()]
    written += [path.read_text() for path in run_dir.iterdir() if path.suffix in (".json", ".log", ".jsonl")]
    written += [p.read_text() for p in (pytester.path / ".bfd-stats").glob("hash=*/*.stats.json")]
    assert not [text for text in written if "HostPw777" in text]


def test_target_that_never_answers_is_named_with_its_waiting_requests(
    pytester: pytest.Pytester, write_catalog
) -> None:
    write_catalog(
        "- name: hang\n  locustfile: hang.py\n  spawned_runtime: 1s\n",
        locustfiles={"hang.py": one_request_locustfile("/hang", wait=0)},
    )
    result = pytester.runpytest("--bfd-suite", "suites.yaml", "--bfd-no-store", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*2 request(s) were still waiting for an answer when the run ended: http://127.0.0.1:* "
         "accepted connections but answered none*"]
    )  # fmt: skip


def test_warnings_made_errors_tell_one_story(pytester: pytest.Pytester, write_catalog) -> None:
    write_catalog("- name: api\n  locustfile: api.py\n  spawned_runtime: 1s\n")
    result = pytester.runpytest(
        "--bfd-suite",
        "suites.yaml",
        "--compare",
        "previous",
        "-W",
        "error::pytest_bfd_locust.BfdLocustWarning",
        "--junitxml",
        "out.xml",
        "-p",
        "no:cacheprovider",
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*warnings turned into errors by -W:*", "*no eligible baseline under tag 'default'*"]
    )
    result.stdout.fnmatch_lines(["*suites.yaml::api: FAILED: * reqs*"])
    assert "suites.yaml::api: passed" not in result.stdout.str()
    properties = {
        p.get("name"): p.get("value") for p in ET.parse(pytester.path / "out.xml").getroot().iter("property")
    }
    assert int(properties["bfd_num_requests"] or 0) > 0, "the figures survive the escalated warning"
    assert len(stored_records(pytester.path)) == 1
