"""What a newcomer reads (issue 19): the JUnit properties name statistics as every other output
does (`totals p90`, `median`), not by their internal keys (`totals 0.9`, `median_response_time`),
and a suite's JUnit classname is a dotted name, not `load.suites.yaml`."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree

import pytest

from pytest_bfd_locust import property_names as prop
from pytest_bfd_locust.judge.compare import compare
from pytest_bfd_locust.judge.comparison import Evidence
from pytest_bfd_locust.judge.thresholds import default_thresholds_path, read_threshold_file
from pytest_bfd_locust.plugin import user_properties
from pytest_bfd_locust.suite_run import SuiteResult
from pytest_bfd_locust.suites import Suite
from tests.locustfiles import PLAIN_LOCUSTFILE
from tests.report_factory import run_record


def test_the_compare_failures_property_uses_the_labels_people_read(tmp_path: Path) -> None:
    history = [run_record(i, 10) for i in range(8)]
    current = run_record(8, 60)
    rules = read_threshold_file(default_thresholds_path())
    comparison = compare(current, history[-1], rules, Evidence(current, (history[-1],), history[::-1]))
    assert comparison.failed
    suite = Suite(name="api", catalog=tmp_path / "suites.yaml", locustfile=tmp_path / "api.py", host=None)
    result = SuiteResult(suite=suite, run=None, record=current, comparison=comparison)
    failures = dict(user_properties(result))[prop.COMPARE_FAILURES]
    assert isinstance(failures, str)
    names = failures.split(", ")
    assert "totals p90" in names and "totals p99" in names
    assert not any(internal in failures for internal in ("0.9", "median_response_time", "0.95"))


@pytest.mark.parametrize(
    ("prefix", "expected"), [((), "load.suites"), (("--junit-prefix", "ci"), "ci.load.suites")]
)
def test_a_suites_junit_classname_is_its_catalogs_dotted_path(
    pytester: pytest.Pytester, prefix: tuple[str, ...], expected: str
) -> None:
    """Issue 19: pytest's own classname for a YAML item, `load.suites.yaml`, reads in CI tools as
    class `yaml` of package `load.suites`; a suite's is its catalog's path as pytest names a test
    module (`tests/test_api.py` -> `tests.test_api`). The suite is refused before any load (more
    users than allowed), so no Locust starts."""
    load = pytester.mkdir("load")
    (load / "api.py").write_text(PLAIN_LOCUSTFILE)
    (load / "suites.yaml").write_text(
        "suites:\n  - name: api\n    locustfile: api.py\n    host: http://127.0.0.1:9\n    users: 5\n"
    )
    result = pytester.runpytest(
        "--bfd-suite", "load/suites.yaml", "--bfd-max-users", "4", "--bfd-no-store",
        "--junitxml", "out.xml", *prefix, "-p", "no:cacheprovider",
    )  # fmt: skip
    result.assert_outcomes(failed=1)
    [case] = ElementTree.parse(pytester.path / "out.xml").getroot().iter("testcase")
    assert (case.get("classname"), case.get("name")) == (expected, "api")
