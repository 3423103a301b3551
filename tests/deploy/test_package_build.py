"""The package command builds a real zip, and the zip alone runs the handler.

`python -m deploy.package` builds for this machine's architecture and Python (pip downloads
the wheels; pip's own cache under ~/.cache/pip keeps them between runs). The zip is unpacked into
an empty folder and a fresh interpreter, from a venv with nothing installed, started with `-I -S`
(no site-packages, no PYTHON* variables), puts that folder on `sys.path` the way Lambda's
bootstrap does and invokes `lambda_entry.handler`: pytest, the plugin and boto3 all come from the
zip, and so does the Locust child (its locustfile fails every request otherwise). AWS is moto's
server in this process (AWS_ENDPOINT_URL); the target is the demo server on 127.0.0.1.

The container image is checked the same way: deploy/lambda-image/Dockerfile is carried out on
folders (deploy/lambda_image.py) with that zip as its build context, and the handler its CMD
names runs from the resulting `$LAMBDA_TASK_ROOT`.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import textwrap
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from deploy.lambda_image import lay_out
from deploy.package import default_project
from examples.demo_target import DemoServer
from lambda_entry.secrets import parameter_names
from pytest_bfd_locust.record import Record
from tests.deploy.conftest import ENVIRONMENT, REGION, STACK_PARAMETERS, template_values
from tests.deploy.hive_types import mismatches, parse_type
from tests.store.conftest import queue_results

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"
BUCKET = STACK_PARAMETERS["StatsBucketName"]
DATABASE = STACK_PARAMETERS["StatsDatabaseName"]
TABLE = "data"

ZIP_CHECKING_LOCUSTFILE = """
import os

import gevent
import locust
import pytest_bfd_locust
from locust import HttpUser, constant, task

TASK_ROOT = os.path.realpath(os.environ["LAMBDA_TASK_ROOT"])
FROM_THE_ZIP = all(
    os.path.realpath(module.__file__).startswith(TASK_ROOT + os.sep)
    for module in (gevent, locust, pytest_bfd_locust)
)


class Api(HttpUser):
    wait_time = constant(0.01)

    @task
    def patient(self):
        self.client.get("/v2/fhir/Patient?_id=1", name="/v2/fhir/Patient")
        self.client.get("/status/200" if FROM_THE_ZIP else "/status/599", name="/imports-from-the-zip")
"""

DRIVER = """
import json
import os
import sys

# What Lambda's bootstrap does with the function's code folder.
sys.path.insert(0, os.environ["LAMBDA_TASK_ROOT"])

import importlib


class Context:
    log_group_name = "/aws/lambda/bfd-test-locust-run-locust"
    log_stream_name = "2024/05/01/[$LATEST]0123abcd"
    aws_request_id = "request-1"

    def get_remaining_time_in_millis(self):
        return 600_000


module_name, _, function_name = sys.argv[3].rpartition(".")
handler = getattr(importlib.import_module(module_name), function_name)
response = handler(json.loads(sys.argv[1]), Context())
names = ("lambda_entry", "pytest_bfd_locust", "pytest", "boto3", "botocore", "yaml")
with open(sys.argv[2], "w", encoding="utf-8") as out:
    json.dump(
        {
            "response": response,
            "modules": {name: sys.modules[name].__file__ for name in names},
            "sys_path": sys.path,
            "flags": {"isolated": sys.flags.isolated, "no_site": sys.flags.no_site},
        },
        out,
    )
"""


def lambda_platform() -> str:
    machine = platform.machine()
    platforms = {"x86_64": "manylinux2014_x86_64", "aarch64": "manylinux2014_aarch64"}
    if machine not in platforms:
        pytest.skip(f"Lambda has no {machine} platform to build for")
    return platforms[machine]


def require_pypi() -> None:
    try:
        with urllib.request.urlopen("https://pypi.org/simple/locust/", timeout=15):
            pass
    except (urllib.error.URLError, OSError) as error:
        pytest.skip(f"PyPI cannot be reached ({error}); the zip's wheels come from there")


@dataclass(frozen=True)
class BuiltZip:
    path: Path
    output: str


@pytest.fixture(scope="module")
def built_zip(tmp_path_factory: pytest.TempPathFactory) -> BuiltZip:
    if PYTHON not in ("3.11", "3.12"):
        pytest.skip(f"Lambda's zip runtimes are Python 3.11 and 3.12, this is {PYTHON}")
    target_platform = lambda_platform()
    require_pypi()
    root = tmp_path_factory.mktemp("package")
    suites = root / "suites"
    (suites / "v2").mkdir(parents=True)
    (suites / "v2" / "api.py").write_text(ZIP_CHECKING_LOCUSTFILE)
    output = root / "run-locust.zip"
    command = [
        sys.executable, "-m", "deploy.package", "--suites", str(suites), "--output", str(output),
        "--platform", target_platform, "--python", PYTHON,
    ]  # fmt: skip
    # deploy/ is not installed: the command runs from the checkout's root.
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=800, check=False, cwd=default_project()
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return BuiltZip(output, result.stdout)


def test_zip_holds_the_packages_and_suites_and_nothing_else(built_zip: BuiltZip) -> None:
    with zipfile.ZipFile(built_zip.path) as archive:
        names = archive.namelist()
        unzipped = sum(info.file_size for info in archive.infolist())
        entry_points = next(
            n for n in names if n.startswith("pytest_bfd_locust-") and n.endswith("entry_points.txt")
        )
        assert "bfd_locust = pytest_bfd_locust.plugin" in archive.read(entry_points).decode()
    tag = f"cpython-{PYTHON.replace('.', '')}"
    assert "app/v2/api.py" in names and "lambda_entry/__init__.py" in names and "locust/main.py" in names
    assert "pytest_bfd_locust/run/runner.py" in names and "pytest_bfd_locust/stores/s3/store.py" in names
    assert "botocore/__init__.py" in names
    assert f"lambda_entry/__pycache__/handler.{tag}.pyc" not in names  # lambda_entry has no such module
    assert f"lambda_entry/__pycache__/__init__.{tag}.pyc" in names  # byte code for this Python
    assert not [n for n in names if n.endswith(".pyc") and f".{tag}." not in n]
    assert not [n for n in names if "/tests/" in n or n.startswith(("bin/", "tests/"))]
    assert not [n for n in names if "__pycache__" in n and not n.endswith(".pyc")]
    assert f"{unzipped / 2**20:.1f} MB unzipped" in built_zip.output
    assert f"{built_zip.path.stat().st_size / 2**20:.1f} MB zipped" in built_zip.output


@pytest.fixture
def moto_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """moto as a server in this process: the fresh interpreter reaches it through AWS_ENDPOINT_URL."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST"), timeout=10).close()
    try:
        yield url
    finally:
        urllib.request.urlopen(
            urllib.request.Request(f"{url}/moto-api/reset", method="POST"), timeout=10
        ).close()
        server.stop()


def client(service: str, endpoint: str) -> Any:
    return boto3.client(service, region_name=REGION, endpoint_url=endpoint)


def create_stats_store(endpoint: str, template: dict[str, Any]) -> None:
    """The bucket, Glue database and table and the workgroup as the template defines them."""
    values = template_values(template, STACK_PARAMETERS)
    client("s3", endpoint).create_bucket(Bucket=BUCKET)
    glue = client("glue", endpoint)
    glue.create_database(DatabaseInput=values.properties("StatsDatabase")["DatabaseInput"])
    glue.create_table(DatabaseName=DATABASE, TableInput=values.properties("StatsTable")["TableInput"])
    workgroup = values.properties("StatsWorkGroup")
    client("athena", endpoint).create_work_group(
        Name=workgroup["Name"], Configuration=workgroup["WorkGroupConfiguration"]
    )
    ssm = client("ssm", endpoint)
    # Distinct values: the response redacts every secret value wherever it appears.
    secrets = {
        "username": "reader_7f3a",
        "password": "s3cr3t-9c1e",
        "cert_key": "KEY-44b2\n",
        "cert_pem": "PEM-0d5e\n",
    }
    for role, name in parameter_names(ENVIRONMENT).items():
        ssm.put_parameter(Name=name, Value=secrets[role], Type="SecureString")


def bare_python(folder: Path) -> Path:
    """An interpreter with nothing installed: a venv without pip, no system site-packages."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True, timeout=120)
    return folder / "bin" / "python"


def test_the_zip_alone_runs_the_handler(
    built_zip: BuiltZip,
    tmp_path: Path,
    moto_server: str,
    demo_server: DemoServer,
    template: dict[str, Any],
) -> None:
    task_root = tmp_path / "task"
    with zipfile.ZipFile(built_zip.path) as archive:
        archive.extractall(task_root)
    run_the_handler_from(task_root, "lambda_entry.handler", tmp_path, moto_server, demo_server, template)


def test_the_image_alone_runs_the_handler(
    built_zip: BuiltZip,
    tmp_path: Path,
    moto_server: str,
    demo_server: DemoServer,
    template: dict[str, Any],
) -> None:
    context = tmp_path / "context"
    context.mkdir()
    shutil.copy(built_zip.path, context / "run-locust.zip")
    image = lay_out(context, tmp_path / "image", {"PYTHON_VERSION": PYTHON})
    with zipfile.ZipFile(built_zip.path) as archive:
        shipped = {name for name in archive.namelist() if not name.endswith("/")}
    laid_out = {p.relative_to(image.task_root).as_posix() for p in image.task_root.rglob("*") if p.is_file()}
    assert laid_out == shipped  # the zip's selection, nothing added or left out
    [handler] = image.cmd
    run_the_handler_from(image.task_root, handler, tmp_path, moto_server, demo_server, template)


def run_the_handler_from(
    task_root: Path,
    handler: str,
    tmp_path: Path,
    moto_server: str,
    demo_server: DemoServer,
    template: dict[str, Any],
) -> None:
    """`handler` run from `task_root` in a bare interpreter: a stored, compared, partitioned run."""
    python = bare_python(tmp_path / "bare")
    create_stats_store(moto_server, template)
    queue_results([])  # Athena has no baseline yet
    (tmp_path / "driver.py").write_text(textwrap.dedent(DRIVER))
    event = {
        "suite": "v2/api.py",
        "host": demo_server.url,
        "users": 2,
        "spawn_rate": 2,
        "spawned_runtime": "2s",
        "only_summary": True,
        "compare": {"type": "previous", "tag": "deploy"},
        "store": {"tags": ["deploy"]},
        "run_id": "deploy-test-1",
    }
    environment = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),  # no ~/.aws of whoever runs the tests
        "LANG": "C.UTF-8",
        "PYTHONNOUSERSITE": "1",
        "LAMBDA_TASK_ROOT": str(task_root),
        "BFD_ENVIRONMENT": ENVIRONMENT,
        "READER_ENDPOINT": "reader.db.example",
        "STATS_BUCKET_ID": BUCKET,
        "STATS_ATHENA_DATABASE": DATABASE,
        "STATS_ATHENA_TABLE": TABLE,
        "STATS_ATHENA_WORKGROUP": BUCKET,
        "AWS_CURRENT_REGION": REGION,
        "AWS_ENDPOINT_URL": moto_server,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "BFD_LAMBDA_TMP": str(tmp_path / "lambda_tmp"),
    }
    result_path = tmp_path / "result.json"
    run = subprocess.run(
        [str(python), "-I", "-S", str(tmp_path / "driver.py"), json.dumps(event), str(result_path), handler],
        env=environment,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0 and result_path.exists(), run.stdout[-3000:] + run.stderr[-3000:]
    result = json.loads(result_path.read_text())

    assert result["flags"] == {"isolated": 1, "no_site": 1}
    assert result["sys_path"][0] == str(task_root)
    assert not [entry for entry in result["sys_path"] if "site-packages" in entry or "dist-packages" in entry]
    assert all(Path(path).is_relative_to(task_root) for path in result["modules"].values()), result["modules"]

    response = result["response"]
    assert (response["result"], response["exit_code"]) == ("success", 0), (
        response["message"] + run.stderr[-3000:]
    )
    [suite] = response["suites"]
    assert suite["nodeid"] == "v2/api.py::api" and suite["outcome"] == "passed"
    [location] = response["records"]
    prefix = f"s3://{BUCKET}/databases/{DATABASE}/{TABLE}/hash="
    assert location.startswith(prefix) and location.endswith(".stats.json")

    s3 = client("s3", moto_server)
    key = location.removeprefix(f"s3://{BUCKET}/")
    data = json.loads(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())
    record = Record.from_json(data)
    checked = record.task(("/imports-from-the-zip", "GET"))
    assert checked is not None and checked.num_requests > 0 and checked.num_failures == 0  # the child too
    assert record.metadata.tags == ("deploy",) and record.run_id is not None

    # The record the zip's boto3 wrote fits the template's table, and its partition is registered.
    columns = client("glue", moto_server).get_table(DatabaseName=DATABASE, Name=TABLE)["Table"]
    problems = [
        problem
        for column in columns["StorageDescriptor"]["Columns"]
        if column["Name"] in data
        for problem in mismatches(data[column["Name"]], parse_type(column["Type"]), column["Name"])
    ]
    assert problems == []
    partition = client("glue", moto_server).get_partition(
        DatabaseName=DATABASE, TableName=TABLE, PartitionValues=[record.metadata.hash]
    )["Partition"]
    assert partition["StorageDescriptor"]["Location"] == location.rsplit("/", 1)[0] + "/"
    marker = json.loads(s3.get_object(Bucket=BUCKET, Key="lambda-runs/deploy-test-1.json")["Body"].read())
    assert marker["status"] == "finished" and marker["response"]["result"] == "success"
