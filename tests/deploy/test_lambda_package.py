"""The package command's pure parts: which files go into the zip, the size limit, the arguments.

Building a real zip (pip, the network) is tests/deploy/test_package_build.py.
"""

from __future__ import annotations

import zipfile
from pathlib import Path, PurePosixPath

import pytest

from deploy.package import (
    LAMBDA_UNZIPPED_LIMIT,
    SUITES_DIRECTORY,
    PackagedFile,
    PackageError,
    check_size,
    copy_project,
    default_project,
    is_packaged,
    is_suite_file,
    largest_parts,
    parse_args,
    pip_platforms,
    suite_files,
    validate,
    write_zip,
)
from lambda_entry.config import load_config


@pytest.mark.parametrize(
    ("name", "python", "packaged"),
    [
        ("pytest_bfd_locust/plugin.py", "3.12", True),
        ("locust/main.py", "3.12", True),
        ("gevent/_gevent_c_hub_local.cpython-312-x86_64-linux-gnu.so", "3.12", True),
        ("pytest_bfd_locust-0.1.0.dist-info/entry_points.txt", "3.12", True),
        ("pytest_bfd_locust-0.1.0.dist-info/RECORD", "3.12", True),
        ("botocore/data/s3/2006-03-01/service-2.json.gz", "3.12", True),
        ("gevent/testing/util.py", "3.12", True),  # a module gevent imports, not a tests folder
        # byte code: only the target Python's
        ("locust/__pycache__/main.cpython-312.pyc", "3.12", True),
        ("locust/__pycache__/main.cpython-311.pyc", "3.12", False),
        ("locust/__pycache__/main.cpython-311.pyc", "3.11", True),
        ("locust/__pycache__/main.cpython-312.opt-1.pyc", "3.12", False),
        ("locust/main.pyc", "3.12", False),
        ("locust/main.pyo", "3.12", False),
        ("locust/__pycache__/notes.txt", "3.12", False),
        # tests, caches, console scripts
        ("gevent/tests/test__socket.py", "3.12", False),
        ("zope/interface/tests/__init__.py", "3.12", False),
        ("greenlet/tests/__pycache__/test_greenlet.cpython-312.pyc", "3.12", False),
        (".pytest_cache/v/cache/lastfailed", "3.12", False),
        ("pkg/.mypy_cache/3.12/x.json", "3.12", False),
        ("bin/locust", "3.12", False),
    ],
)
def test_file_selection(name: str, python: str, packaged: bool) -> None:
    assert is_packaged(PurePosixPath(name), python) is packaged


@pytest.mark.parametrize(
    ("name", "packaged"),
    [
        ("v2/regression_suite.py", True),
        ("config/regression_suites_compare_meta.json", True),
        ("tests/suite_checks.py", True),  # the user's suites are kept whole, whatever the folder name
        ("v2/__pycache__/regression_suite.cpython-311.pyc", False),
        (".pytest_cache/README.md", False),
        (".git/HEAD", False),
    ],
)
def test_suite_file_selection(name: str, packaged: bool) -> None:
    assert is_suite_file(PurePosixPath(name)) is packaged


def test_suites_go_where_the_handler_looks(tmp_path: Path) -> None:
    (tmp_path / "v2").mkdir()
    (tmp_path / "v2" / "suite.py").write_text("# a locustfile\n")
    (tmp_path / "v2" / "__pycache__").mkdir()
    (tmp_path / "v2" / "__pycache__" / "suite.cpython-311.pyc").write_bytes(b"\0")
    [packaged] = suite_files(tmp_path)
    assert packaged.name == "app/v2/suite.py" and packaged.size == len("# a locustfile\n")
    task_root = Path("/var/task")
    # lambda_entry.config's default suites root is the zip's app/ folder under LAMBDA_TASK_ROOT.
    assert load_config({"LAMBDA_TASK_ROOT": str(task_root)}).suites_root == task_root / SUITES_DIRECTORY


@pytest.mark.parametrize(
    ("platform", "python", "first", "newest", "count"),
    [
        ("manylinux2014_x86_64", "3.11", "manylinux2014_x86_64", "manylinux_2_26_x86_64", 1 + 10),
        ("manylinux2014_x86_64", "3.12", "manylinux2014_x86_64", "manylinux_2_34_x86_64", 1 + 18),
        ("manylinux2014_aarch64", "3.12", "manylinux2014_aarch64", "manylinux_2_34_aarch64", 1 + 18),
    ],
)
def test_pip_platforms_up_to_the_runtimes_glibc(
    platform: str, python: str, first: str, newest: str, count: int
) -> None:
    platforms = pip_platforms(platform, python)
    assert platforms[0] == first and platforms[1] == newest and len(platforms) == count
    assert platforms[-1].startswith("manylinux_2_17_")


def test_size_within_the_limit_passes() -> None:
    check_size(LAMBDA_UNZIPPED_LIMIT)


def test_size_over_the_limit_names_the_largest_parts() -> None:
    files = [
        PackagedFile(Path("/x"), "botocore/data/a.json", 200 * 2**20),
        PackagedFile(Path("/x"), "botocore/data/b.json", 40 * 2**20),
        PackagedFile(Path("/x"), "locust/main.py", 11 * 2**20),
    ]
    total = sum(f.size for f in files)
    with pytest.raises(PackageError) as raised:
        check_size(total, largest_parts(files))
    assert str(raised.value) == (
        "the package would be 251.0 MB unzipped, over Lambda's limit of 250.0 MB; "
        "largest: botocore 240.0 MB, locust 11.0 MB"
    )


def test_arguments_resolved(tmp_path: Path) -> None:
    (tmp_path / "suites").mkdir()
    request = parse_args(["--suites", str(tmp_path / "suites"), "--output", str(tmp_path / "run-locust.zip")])
    assert (request.platform, request.python) == ("manylinux2014_x86_64", "3.12")
    assert request.suites == (tmp_path / "suites").resolve() and request.output.name == "run-locust.zip"
    assert request.project == default_project() and (request.project / "setup.cfg").is_file()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"suites": "missing"}, "--suites {tmp}/missing: does not exist"),
        ({"suites": "file.txt"}, "--suites {tmp}/file.txt: is not a folder"),
        ({"output": "out.tar"}, "--output {tmp}/out.tar: must end in .zip"),
        (
            {"output": "nowhere/out.zip"},
            "--output {tmp}/nowhere/out.zip: folder {tmp}/nowhere does not exist",
        ),
        (
            {"output": "suites/out.zip"},
            "--output {tmp}/suites/out.zip: must not be inside --suites {tmp}/suites",
        ),
        ({"project": "suites"}, "--project {tmp}/suites: not a checkout of pytest-bfd-locust (no setup.cfg)"),
    ],
)
def test_bad_arguments_are_named(tmp_path: Path, change: dict[str, str], message: str) -> None:
    (tmp_path / "suites").mkdir()
    (tmp_path / "file.txt").write_text("x")
    paths = {"suites": "suites", "output": "out.zip", **change}
    project = tmp_path / paths["project"] if "project" in paths else default_project()
    with pytest.raises(PackageError) as raised:
        validate(
            tmp_path / paths["suites"], tmp_path / paths["output"], "manylinux2014_x86_64", "3.12", project
        )
    assert str(raised.value) == message.format(tmp=tmp_path)


def test_unwritable_output_fails_without_leaving_a_partial_zip(tmp_path: Path) -> None:
    # A path under a regular file cannot be created, not even by root (CI runs as root).
    (tmp_path / "blocker").write_text("x")
    source = tmp_path / "a.py"
    source.write_text("x = 1\n")
    with pytest.raises(PackageError, match=r"--output .*/blocker/out.zip: cannot write the zip"):
        write_zip([PackagedFile(source, "a.py", 6)], tmp_path / "blocker" / "out.zip")


def test_usage_error_exits_2_naming_the_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        parse_args(["--suites", str(tmp_path / "none"), "--output", str(tmp_path / "x.zip")])
    assert exited.value.code == 2
    assert capsys.readouterr().err.strip().endswith(f"error: --suites {tmp_path}/none: does not exist")


def test_unknown_platform_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parse_args(["--suites", str(tmp_path), "--output", "x.zip", "--platform", "win_amd64"])
    assert "--platform: invalid choice: 'win_amd64'" in capsys.readouterr().err


def test_zip_entries_readable_by_all_and_dated_alike(tmp_path: Path) -> None:
    script = tmp_path / "run.sh"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o700)
    module = tmp_path / "m.py"
    module.write_text("x = 1\n")
    module.chmod(0o600)
    output = tmp_path / "out.zip"
    write_zip([PackagedFile(module, "pkg/m.py", 6), PackagedFile(script, "bin/run.sh", 10)], output)
    with zipfile.ZipFile(output) as archive:
        modes = {info.filename: (info.external_attr >> 16) & 0o777 for info in archive.infolist()}
        dates = {info.date_time for info in archive.infolist()}
        assert archive.read("pkg/m.py") == b"x = 1\n"
    assert modes == {"pkg/m.py": 0o644, "bin/run.sh": 0o755}
    assert dates == {(2020, 1, 1, 0, 0, 0)}
    assert not list(tmp_path.glob(".*.partial"))


def test_two_files_for_one_place_are_refused(tmp_path: Path) -> None:
    source = tmp_path / "a.py"
    source.write_text("")
    with pytest.raises(PackageError, match="two files for the same place in the zip: app/a.py"):
        write_zip(
            [PackagedFile(source, "app/a.py", 0), PackagedFile(source, "app/a.py", 0)], tmp_path / "o.zip"
        )


def test_project_copy_has_the_packages_and_no_caches(tmp_path: Path) -> None:
    copy = copy_project(default_project(), tmp_path / "source")
    assert (copy / "setup.cfg").is_file() and (copy / "LICENSE").is_file()
    assert (copy / "lambda_entry" / "__init__.py").is_file()
    assert not (copy / "deploy").exists()  # the build tool builds the zip; it is not in it
    assert (copy / "pytest_bfd_locust" / "plugin.py").is_file()
    assert not list(copy.rglob("__pycache__")) and not (copy / "tests").exists()
