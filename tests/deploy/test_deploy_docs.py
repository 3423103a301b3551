"""The deploy commands shown in README.md and docs/lambda.md fit the template, the package command,
the Dockerfile and the OpenTofu module as they are: every parameter override is a template
parameter, matches its pattern, every required one is given and the template's Rules hold; every
package option exists; every build argument is an ARG; every imported address is in the module;
the SSM names are the handler's."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest

from deploy.cfn import TemplateValues
from deploy.hcl import TofuModule
from deploy.lambda_image import DOCKERFILE, build_arguments, parse
from deploy.package import PLATFORMS, RUNTIME_GLIBC
from lambda_entry.secrets import parameter_names

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = ("README.md", "docs/lambda.md")


def shell_commands(document: str) -> list[list[str]]:
    """Each line of the document's ```sh blocks, continuation lines joined, split like a shell.

    Lines a shell would continue past their end (an open quote, a here-document) are left out:
    the commands checked here are single lines.
    """
    text = (ROOT / document).read_text()
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        for line in block.replace("\\\n", " ").splitlines():
            try:
                words = shlex.split(line, comments=True)
            except ValueError:
                continue
            if words:
                commands.append(words)
    return commands


def commands_of(program: list[str]) -> list[tuple[str, list[str]]]:
    # `.venv/bin/python` is `python`; `KEY=... aws ...` is `aws ...`.
    found = [
        (document, command)
        for document in DOCUMENTS
        for command in shell_commands(document)
        if [Path(word).name if index == 0 else word for index, word in enumerate(command)][: len(program)]
        == program
    ]
    assert found, f"no {' '.join(program)} command in {DOCUMENTS}"
    return found


@pytest.mark.parametrize("document", DOCUMENTS)
def test_stack_deploy_commands_fit_the_template(document: str, template: dict[str, Any]) -> None:
    declared = template["Parameters"]
    required = {name for name, spec in declared.items() if "Default" not in spec}
    deploys = [
        command for doc, command in commands_of(["aws", "cloudformation", "deploy"]) if doc == document
    ]
    assert deploys
    for command in deploys:
        overrides = command[command.index("--parameter-overrides") + 1 :]
        names = {
            override.split("=", 1)[0]
            for override in overrides
            if "=" in override and not override.startswith("-")
        }
        assert names <= set(declared), names - set(declared)
        assert required <= names, required - names
        assert "CAPABILITY_NAMED_IAM" in command and "deploy/cloudformation.yaml" in command
        given = dict(override.split("=", 1) for override in overrides if "=" in override)
        for name, value in given.items():
            pattern = declared[name].get("AllowedPattern")
            if pattern and not value.startswith("$"):
                assert re.fullmatch(pattern, value), (name, value, pattern)
        assert TemplateValues(template, given).broken_rules() == []


def test_image_builds_use_the_dockerfile_and_its_arguments() -> None:
    builds = commands_of(["docker", "build"])
    arguments = build_arguments(parse())
    for _, command in builds:
        assert command[command.index("-f") + 1] == str(DOCKERFILE.relative_to(ROOT))
        given = [command[i + 1].split("=", 1)[0] for i, word in enumerate(command) if word == "--build-arg"]
        assert given and set(given) <= set(arguments), set(given) - set(arguments)


def test_tofu_imports_name_the_modules_resources() -> None:
    module = TofuModule.load()
    imports = commands_of(["tofu", "import"])
    assert len(imports) >= 5
    for _, command in imports:
        words = [word for word in command[2:] if not word.startswith("-")]
        address = words[0].replace("[0]", "")
        assert address in module.resources, address


def test_package_commands_use_existing_options() -> None:
    packages = commands_of(["python", "-m", "deploy.package"])
    assert {document for document, _ in packages} == set(DOCUMENTS)
    for _, command in packages:
        options = dict(zip(command, command[1:], strict=False))
        assert {word for word in command if word.startswith("--")} <= {
            "--suites",
            "--output",
            "--platform",
            "--python",
        }
        assert options.get("--platform", "manylinux2014_x86_64") in PLATFORMS
        assert options.get("--python", "3.12") in RUNTIME_GLIBC


def test_secrets_put_where_the_handler_reads_them() -> None:
    text = (ROOT / "docs/lambda.md").read_text()
    prefix = re.search(r"^P=(\S+)$", text, re.M)
    assert prefix is not None
    shown = {f"{prefix.group(1)}/{name}" for name in re.findall(r"--name \$P/(\S+)", text)}
    assert shown == set(parameter_names("test").values())


def test_invocations_wait_long_enough() -> None:
    for _, command in commands_of(["aws", "lambda", "invoke"]):
        assert command[command.index("--cli-read-timeout") + 1] == "0"
