"""The run-locust image's file tree laid out as a folder, without a container engine.

No image can be pulled or built here, so the tests check deploy/lambda-image/Dockerfile by
carrying out its steps on folders: each stage gets a folder standing for its file system, COPY
copies from the build context or an earlier stage's folder, and RUN runs its command with this
interpreter for `python3` and every absolute path moved into the stage's folder. What comes out is
the final stage's tree, its environment and its CMD; the tests then run the handler from
`$LAMBDA_TASK_ROOT` in a bare interpreter, as Lambda's bootstrap would inside the image.

Only the instructions the Dockerfile uses are carried out (ARG, FROM, COPY, RUN, CMD); any other
raises ImageLayoutError naming it and its line, so a change to the Dockerfile cannot be silently
left out of the layout.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

DOCKERFILE = Path(__file__).with_name("lambda-image") / "Dockerfile"

BASE_IMAGE = "public.ecr.aws/lambda/python"

BASE_IMAGE_ENV = {"LAMBDA_TASK_ROOT": "/var/task", "LAMBDA_RUNTIME_DIR": "/var/runtime"}
"""What AWS's Lambda base images set (their documented environment): the code folder the
bootstrap puts first on sys.path, and the runtime's own folder."""

_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")


class ImageLayoutError(ValueError):
    """The Dockerfile does something the layout does not carry out; the message names the line."""


@dataclass(frozen=True)
class Instruction:
    line: int
    keyword: str
    arguments: str


@dataclass
class _Stage:
    name: str | None
    root: Path
    base: str
    env: dict[str, str] = field(default_factory=dict)
    cmd: list[str] | None = None


@dataclass(frozen=True)
class ImageLayout:
    root: Path
    """The final stage's file system."""
    base: str
    """Its base image, build arguments filled in (`public.ecr.aws/lambda/python:3.12`)."""
    env: dict[str, str]
    cmd: list[str]

    @property
    def task_root(self) -> Path:
        """`$LAMBDA_TASK_ROOT` inside `root`: the function's code folder."""
        return self.root / self.env["LAMBDA_TASK_ROOT"].lstrip("/")


def parse(path: Path = DOCKERFILE) -> list[Instruction]:
    """The Dockerfile's instructions: comments dropped, continuation lines joined."""
    instructions: list[Instruction] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if not pending:
            start = number
        if line.endswith("\\"):
            pending.append(line[:-1].strip())
            continue
        pending.append(line)
        text = " ".join(part for part in pending if part)
        pending = []
        keyword, _, arguments = text.partition(" ")
        instructions.append(Instruction(start, keyword.upper(), arguments.strip()))
    return instructions


def build_arguments(instructions: Sequence[Instruction]) -> dict[str, str]:
    """Every ARG's default (`ARG NAME=value`; an ARG without one maps to "")."""
    defaults: dict[str, str] = {}
    for instruction in instructions:
        if instruction.keyword == "ARG":
            name, _, value = instruction.arguments.partition("=")
            defaults.setdefault(name, value)
    return defaults


def lay_out(
    context: Path,
    root: Path,
    build_args: Mapping[str, str] | None = None,
    dockerfile: Path = DOCKERFILE,
) -> ImageLayout:
    """Carry out the Dockerfile's stages on folders under `root`; the last stage is the image."""
    instructions = parse(dockerfile)
    unknown = sorted(set(build_args or {}) - set(build_arguments(instructions)))
    if unknown:
        raise ImageLayoutError(f"{dockerfile}: no ARG {', '.join(unknown)} to give a value to")
    arguments = {**build_arguments(instructions), **(build_args or {})}
    stages: list[_Stage] = []
    for instruction in instructions:
        where = f"{dockerfile}:{instruction.line}"
        if instruction.keyword == "ARG":
            name, _, default = instruction.arguments.partition("=")
            arguments.setdefault(name, default)
            continue
        if instruction.keyword == "FROM":
            stages.append(_from(instruction, arguments, root / f"stage{len(stages)}", where))
            continue
        if not stages:
            raise ImageLayoutError(f"{where}: {instruction.keyword} before any FROM")
        stage = stages[-1]
        variables = {**arguments, **stage.env}
        if instruction.keyword == "COPY":
            _copy(instruction.arguments, variables, context, stage, stages, where)
        elif instruction.keyword == "RUN":
            _run(_substitute(instruction.arguments, variables), stage, where)
        elif instruction.keyword == "CMD":
            stage.cmd = _exec_form(instruction.arguments, where)
        else:
            raise ImageLayoutError(f"{where}: {instruction.keyword} is not carried out by the layout")
    if not stages:
        raise ImageLayoutError(f"{dockerfile}: no FROM")
    final = stages[-1]
    if final.cmd is None:
        raise ImageLayoutError(f"{dockerfile}: the final stage has no CMD (the function's handler)")
    return ImageLayout(final.root, final.base, final.env, final.cmd)


def _from(instruction: Instruction, arguments: Mapping[str, str], root: Path, where: str) -> _Stage:
    words = instruction.arguments.split()
    image = _substitute(words[0], arguments)
    name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
    if len(words) not in (1, 3) or (len(words) == 3 and name is None):
        raise ImageLayoutError(f"{where}: FROM {instruction.arguments!r} is not IMAGE [AS NAME]")
    repository, _, tag = image.partition(":")
    if repository != BASE_IMAGE or not tag:
        raise ImageLayoutError(f"{where}: FROM {image}: only {BASE_IMAGE}:<version> is laid out")
    root.mkdir(parents=True)
    for folder in BASE_IMAGE_ENV.values():
        (root / folder.lstrip("/")).mkdir(parents=True)
    return _Stage(name, root, image, dict(BASE_IMAGE_ENV))


def _copy(
    text: str,
    variables: Mapping[str, str],
    context: Path,
    stage: _Stage,
    stages: Sequence[_Stage],
    where: str,
) -> None:
    words = [_substitute(word, variables) for word in shlex.split(text)]
    options = [word for word in words if word.startswith("--")]
    paths = [word for word in words if not word.startswith("--")]
    source_root = context
    for option in options:
        key, _, value = option[2:].partition("=")
        if key != "from":
            raise ImageLayoutError(f"{where}: COPY option {option} is not carried out by the layout")
        named = [earlier for earlier in stages[:-1] if earlier.name == value]
        if not named:
            raise ImageLayoutError(f"{where}: COPY --from={value}: no earlier stage of that name")
        source_root = named[0].root
    if len(paths) != 2:
        raise ImageLayoutError(f"{where}: COPY with {len(paths)} paths; the layout copies one source")
    source_text, destination_text = paths
    source = source_root / source_text.lstrip("/")
    destination = stage.root / destination_text.lstrip("/")
    if not source.exists():
        raise ImageLayoutError(f"{where}: COPY {source_text}: {source} does not exist")
    if source.is_dir():
        shutil.copytree(source, destination, dirs_exist_ok=True)
    else:
        if destination_text.endswith("/"):
            destination = destination / source.name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, destination)


def _run(command: str, stage: _Stage, where: str) -> None:
    """The command with this interpreter for python3, absolute paths inside the stage's folder."""
    words = shlex.split(command)
    if not words or words[0] not in ("python3", "python"):
        raise ImageLayoutError(f"{where}: RUN {command!r}: only python3 commands are carried out")
    mapped = [sys.executable, *(str(stage.root / word.lstrip("/")) if word.startswith("/") else word
                                for word in words[1:])]  # fmt: skip
    result = subprocess.run(mapped, capture_output=True, text=True, check=False, timeout=300)
    if result.returncode != 0:
        tail = result.stderr[-2000:]
        raise ImageLayoutError(f"{where}: RUN {command!r} failed (exit code {result.returncode}): {tail}")


def _exec_form(text: str, where: str) -> list[str]:
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ImageLayoutError(f'{where}: CMD {text}: not the exec form ["..."] Lambda reads')
    return [str(item) for item in value]


def _substitute(text: str, variables: Mapping[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        if name not in variables:
            raise ImageLayoutError(f"${{{name}}} is neither a build argument nor set by the base image")
        return variables[name]

    return _VARIABLE.sub(replace, text)
