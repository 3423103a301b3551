"""The run-locust payload: every field's defaults and bad values, and suite paths that escape the root."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from lambda_entry.payload import DEFAULT_LOAD_LIMIT, PayloadError, parse_payload
from pytest_bfd_locust.judge.baseline import BaselineKind


@pytest.fixture
def suites_root(tmp_path: Path) -> Path:
    root = tmp_path / "app"
    (root / "v2").mkdir(parents=True)
    (root / "v2" / "regression_suite.py").write_text("# locustfile\n")
    (root / "suites.yaml").write_text("suites: []\n")
    (root / "suites.yml").write_text("suites: []\n")
    (root / "notes.txt").write_text("not a suite\n")
    return root


def valid(**changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "suite": "v2/regression_suite.py",
        "host": "https://test.bfd.example:443",
        "spawn_rate": 10,
        "users": 10,
        "spawned_runtime": "30s",
    }
    payload.update(changes)
    return {key: value for key, value in payload.items() if value is not _ABSENT}


_ABSENT = object()


def test_minimal_payload_takes_the_defaults(suites_root: Path) -> None:
    payload = parse_payload(valid(), suites_root=suites_root)
    assert payload.suite_path == (suites_root / "v2" / "regression_suite.py").resolve()
    assert payload.host == "https://test.bfd.example:443"
    assert (payload.users, payload.spawn_rate, payload.spawned_runtime_s) == (10, 10.0, 30)
    assert payload.only_summary is False
    assert payload.abort_on_breach is False
    assert payload.compare is None and payload.store is None and payload.run_id is None


def test_full_payload(suites_root: Path) -> None:
    payload = parse_payload(
        valid(
            suite="suites.yaml",
            spawn_rate=0.5,
            spawned_runtime="1h2m3s",
            only_summary=True,
            abort_on_breach=True,
            compare={"type": "average", "tag": "release_1", "load_limit": None},
            store={"tags": ["release_1", "nightly", "release_1"]},
            run_id="build-123.4",
        ),
        suites_root=suites_root,
    )
    assert payload.spawned_runtime_s == 3723 and payload.spawn_rate == 0.5 and payload.spawn_time_s == 20
    assert payload.compare is not None and payload.compare.type is BaselineKind.AVERAGE
    assert payload.compare.load_limit is None and payload.compare.effective_load_limit == DEFAULT_LOAD_LIMIT
    assert payload.store is not None and payload.store.tags == ("release_1", "nightly")
    assert payload.run_id == "build-123.4"
    assert payload.abort_on_breach is True


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"suite": _ABSENT}, "suite: required"),
        ({"suite": 3}, "suite: expected a string"),
        ({"suite": ""}, "suite: must not be empty"),
        ({"suite": "notes.txt"}, "suite: 'notes.txt' must be a locustfile (.py) or a suite catalog"),
        ({"suite": "v2/missing.py"}, "suite: 'v2/missing.py' does not exist"),
        ({"suite": "v2"}, "suite: 'v2' must be a locustfile"),
        ({"host": _ABSENT}, "host: required"),
        ({"host": "test.bfd.example"}, "host: 'test.bfd.example' must be a URL with scheme"),
        ({"host": "ftp://test.bfd.example"}, "host: 'ftp://test.bfd.example' must be a URL"),
        ({"host": "https://"}, "host: 'https://' must be a URL"),
        ({"host": ["https://a"]}, "host: expected a string"),
        ({"users": _ABSENT}, "users: required"),
        ({"users": 0}, "users: 0 must be an integer >= 1"),
        ({"users": -3}, "users: -3 must be an integer >= 1"),
        ({"users": 2.5}, "users: 2.5 must be an integer >= 1"),
        ({"users": "10"}, "users: '10' must be an integer >= 1"),
        ({"users": True}, "users: True must be an integer >= 1"),
        ({"spawn_rate": _ABSENT}, "spawn_rate: required"),
        ({"spawn_rate": 0}, "spawn_rate: 0 must be a number > 0"),
        ({"spawn_rate": -1.5}, "spawn_rate: -1.5 must be a number > 0"),
        ({"spawn_rate": "10"}, "spawn_rate: '10' must be a number > 0"),
        ({"spawn_rate": False}, "spawn_rate: False must be a number > 0"),
        ({"spawn_rate": float("nan")}, "spawn_rate: nan must be a number > 0"),
        ({"spawned_runtime": _ABSENT}, "spawned_runtime: required"),
        ({"spawned_runtime": 30}, "spawned_runtime: expected a string"),
        ({"spawned_runtime": "30x"}, "spawned_runtime: invalid timespan '30x'"),
        ({"spawned_runtime": "3m30"}, "spawned_runtime: invalid timespan '3m30'"),
        ({"spawned_runtime": "0s"}, "spawned_runtime: '0s' must be at least 1 second"),
        ({"only_summary": "true"}, "only_summary: expected true or false, got 'true'"),
        ({"only_summary": 1}, "only_summary: expected true or false, got 1"),
        ({"abort_on_breach": "yes"}, "abort_on_breach: expected true or false, got 'yes'"),
        ({"abort_on_breach": None}, "abort_on_breach: expected true or false, got None"),
        ({"compare": "previous"}, "compare: expected an object"),
        ({"compare": {"tag": "a"}}, "compare.type: required"),
        ({"compare": {"type": "median", "tag": "a"}}, "compare.type: 'median' must be 'average' or"),
        ({"compare": {"type": "AVERAGE", "tag": "a"}}, "compare.type: 'AVERAGE' must be"),
        ({"compare": {"type": "average"}}, "compare.tag: required"),
        ({"compare": {"type": "average", "tag": "Rel-1"}}, "compare.tag: 'Rel-1' must match [a-z0-9_]+"),
        ({"compare": {"type": "average", "tag": ""}}, "compare.tag: '' must match"),
        ({"compare": {"type": "average", "tag": "a", "load_limit": 0}}, "compare.load_limit: 0 must be null"),
        ({"compare": {"type": "average", "tag": "a", "load_limit": "5"}}, "compare.load_limit: '5' must be"),
        ({"compare": {"type": "average", "tag": "a", "load_limit": True}}, "compare.load_limit: True must"),
        ({"compare": {"type": "average", "tag": "a", "limit": 3}}, "compare: unknown key(s) limit"),
        ({"store": ["a"]}, "store: expected an object with tags"),
        ({"store": {}}, "store.tags: expected a non-empty list of tags, got None"),
        ({"store": {"tags": []}}, "store.tags: expected a non-empty list of tags, got []"),
        ({"store": {"tags": "nightly"}}, "store.tags: expected a non-empty list"),
        ({"store": {"tags": ["ok", "not ok"]}}, "store.tags[1]: 'not ok' must match [a-z0-9_]+"),
        ({"store": {"tags": ["x'; drop"]}}, 'store.tags[0]: "x\'; drop" must match'),
        ({"store": {"tags": [1]}}, "store.tags[0]: 1 must match"),
        ({"store": {"tags": ["a"], "bucket": "b"}}, "store: unknown key(s) bucket"),
        ({"run_id": ""}, "run_id: '' must be 1-128 characters"),
        ({"run_id": "a/b"}, "run_id: 'a/b' must be 1-128 characters"),
        ({"run_id": "x" * 129}, "run_id: 'xxxx"),
        ({"run_id": 7}, "run_id: 7 must be"),
        ({"extra_args": ["--foo"]}, "payload: unknown key(s) extra_args"),
        ({"suite_version": "v2"}, "payload: unknown key(s) suite_version"),
    ],
)
def test_bad_field_is_named(suites_root: Path, changes: dict[str, Any], expected: str) -> None:
    with pytest.raises(PayloadError) as raised:
        parse_payload(valid(**changes), suites_root=suites_root)
    assert expected in str(raised.value)


@pytest.mark.parametrize("event", [None, "{}", ["suite"], 3])
def test_payload_must_be_an_object(suites_root: Path, event: Any) -> None:
    with pytest.raises(PayloadError, match="payload: expected a JSON object"):
        parse_payload(event, suites_root=suites_root)


@pytest.mark.parametrize(
    ("suite", "expected"),
    [
        ("../outside.py", "must not contain '..'"),
        ("v2/../../outside.py", "must not contain '..'"),
        ("v2/../v2/regression_suite.py", "must not contain '..'"),
        ("/etc/outside.py", "must be a path relative to the suites root, not absolute"),
        ("//etc/outside.py", "not absolute"),
        ("\\outside.py", "not absolute"),
        ("C:/outside.py", "not absolute"),
    ],
)
def test_suite_path_escapes_are_refused(suites_root: Path, suite: str, expected: str) -> None:
    (suites_root.parent / "outside.py").write_text("# outside\n")
    with pytest.raises(PayloadError) as raised:
        parse_payload(valid(suite=suite), suites_root=suites_root)
    assert str(raised.value).startswith("suite: ") and expected in str(raised.value)


def test_symlink_out_of_the_root_is_refused(suites_root: Path) -> None:
    outside = suites_root.parent / "outside"
    outside.mkdir()
    (outside / "evil.py").write_text("# outside\n")
    os.symlink(outside / "evil.py", suites_root / "evil.py")
    os.symlink(outside, suites_root / "linked_dir")
    for suite in ("evil.py", "linked_dir/evil.py"):
        with pytest.raises(PayloadError, match=f"suite: '{suite}' leads outside the suites root"):
            parse_payload(valid(suite=suite), suites_root=suites_root)


def test_symlink_inside_the_root_is_followed(suites_root: Path) -> None:
    os.symlink(suites_root / "v2" / "regression_suite.py", suites_root / "alias.py")
    payload = parse_payload(valid(suite="alias.py"), suites_root=suites_root)
    assert payload.suite_path == (suites_root / "v2" / "regression_suite.py").resolve()


def test_suites_root_given_through_a_symlink(suites_root: Path, tmp_path: Path) -> None:
    # /var/task may itself be a link; resolving the root first keeps real suites inside it.
    link = tmp_path / "task_root_link"
    os.symlink(suites_root, link)
    payload = parse_payload(valid(suite="suites.yml"), suites_root=link)
    assert payload.suite_path == (suites_root / "suites.yml").resolve()
