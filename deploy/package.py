"""`python -m deploy.package`: the Lambda deployment zip, built by one command.

The zip holds this project and its dependencies as wheels for the Lambda platform (pip's
`--platform/--only-binary` install into a staging folder, never the build machine's own
packages), byte code for the Lambda's Python when the build runs that version, and the suites
under `app/` (the handler's default suites root, `$LAMBDA_TASK_ROOT/app`). Tests folders of
dependencies, caches and byte code of other Pythons are left out. The unzipped size is printed
and a zip over Lambda's 250 MB limit is refused.

The file selection, the size check and the arguments are pure functions (tests/deploy); pip,
compileall and zipfile do the rest.
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import os
import py_compile
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

LAMBDA_UNZIPPED_LIMIT = 262_144_000
"""Lambda's limit for a function's code and layers, unzipped: 250 MB (AWS counts 250 x 2**20 bytes)."""

SUITES_DIRECTORY = "app"
"""Where the suites go in the zip: lambda_entry.config's default suites root under LAMBDA_TASK_ROOT."""

PLATFORMS = {"manylinux2014_x86_64": "x86_64", "manylinux2014_aarch64": "aarch64"}
"""--platform choices -> machine name in the manylinux tags (Lambda's x86_64 and arm64)."""

RUNTIME_GLIBC = {"3.11": 26, "3.12": 34}
"""glibc minor version of the Lambda runtime of each Python: 3.11 runs on Amazon Linux 2 (2.26),
3.12 on Amazon Linux 2023 (2.34). Wheels built for any glibc up to it run there."""

LEFT_OUT_DIRECTORIES = frozenset(
    {"tests", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".git"}
)
"""Folders never packaged (`__pycache__` is handled file by file: the target Python's byte code stays)."""

PROJECT_FILES = ("setup.cfg", "pyproject.toml", "README.md", "LICENSE")
PROJECT_PACKAGES = ("pytest_bfd_locust", "lambda_entry")
"""What building the project's wheel reads; copied out first, so the checkout gets no build/ folder
(whose leftovers of deleted modules setuptools would package) and no egg-info."""

PIP_TAIL_LINES = 12
ZIP_DATE = (2020, 1, 1, 0, 0, 0)
"""One date for every zip entry: the same inputs give the same zip (byte code is hash-checked)."""


class PackageError(Exception):
    """The package cannot be built; the message says why in one line (pip's last lines may follow)."""


@dataclass(frozen=True)
class PackageRequest:
    suites: Path
    output: Path
    platform: str
    python: str
    project: Path


@dataclass(frozen=True)
class PackagedFile:
    source: Path
    name: str
    """The path inside the zip (posix)."""
    size: int


@dataclass(frozen=True)
class PackageReport:
    output: Path
    files: int
    unzipped_bytes: int
    zipped_bytes: int
    seconds: float
    byte_code: bool


# --- pure parts --------------------------------------------------------------------------------


def pip_platforms(platform: str, python: str) -> list[str]:
    """The manylinux tags pip may pick wheels for: every glibc from 2.17 up to the runtime's."""
    machine = PLATFORMS[platform]
    newest = RUNTIME_GLIBC[python]
    return [platform, *(f"manylinux_2_{minor}_{machine}" for minor in range(newest, 16, -1))]


def cache_tag(python: str) -> str:
    """The byte-code tag of a CPython version: `cpython-312` for "3.12"."""
    return "cpython-" + python.replace(".", "")


def is_packaged(name: PurePosixPath, python: str) -> bool:
    """Whether a file of the staging folder goes into the zip.

    Left out: anything under a tests folder or a cache, `bin/` (console scripts with the build
    machine's interpreter in their first line), byte code of any other Python.
    """
    parts = name.parts
    if parts and parts[0] == "bin":
        return False
    folders = parts[:-1]
    if any(folder in LEFT_OUT_DIRECTORIES for folder in folders if folder != "__pycache__"):
        return False
    if name.suffix in (".pyc", ".pyo"):
        return (
            bool(folders) and folders[-1] == "__pycache__" and name.name.endswith(f".{cache_tag(python)}.pyc")
        )
    return "__pycache__" not in folders


def is_suite_file(name: PurePosixPath) -> bool:
    """Whether a file of the suites folder goes into the zip: all of it but caches and byte code."""
    caches = LEFT_OUT_DIRECTORIES - {"tests"}
    return not any(part in caches for part in name.parts[:-1]) and name.suffix not in (".pyc", ".pyo")


def check_size(unzipped_bytes: int, largest: Sequence[tuple[str, int]] = ()) -> None:
    """Raise PackageError when the unzipped size is over Lambda's limit, naming the largest parts."""
    if unzipped_bytes <= LAMBDA_UNZIPPED_LIMIT:
        return
    biggest = ", ".join(f"{name} {megabytes(size)}" for name, size in largest[:5])
    raise PackageError(
        f"the package would be {megabytes(unzipped_bytes)} unzipped, over Lambda's limit of "
        f"{megabytes(LAMBDA_UNZIPPED_LIMIT)}" + (f"; largest: {biggest}" if biggest else "")
    )


def megabytes(size: int) -> str:
    return f"{size / 2**20:.1f} MB"


def largest_parts(files: Sequence[PackagedFile]) -> list[tuple[str, int]]:
    """Top-level entries of the zip by size, largest first."""
    sizes: dict[str, int] = {}
    for packaged in files:
        top = packaged.name.split("/", 1)[0]
        sizes[top] = sizes.get(top, 0) + packaged.size
    return sorted(sizes.items(), key=lambda item: (-item[1], item[0]))


def parse_args(argv: Sequence[str] | None = None) -> PackageRequest:
    """The command line; a bad value is a usage error (exit 2) naming the option."""
    parser = argparse.ArgumentParser(
        prog="python -m deploy.package",
        description="Build the Lambda deployment zip: this project, its dependencies for the Lambda "
        "platform, and the suites under app/.",
    )
    parser.add_argument("--suites", required=True, type=Path, help="folder of the suites (becomes app/)")
    parser.add_argument("--output", required=True, type=Path, help="the zip to write (FILE.zip)")
    parser.add_argument("--platform", choices=sorted(PLATFORMS), default="manylinux2014_x86_64",
                        help="x86_64 or arm64 (aarch64) Lambda; default manylinux2014_x86_64")  # fmt: skip
    parser.add_argument("--python", choices=sorted(RUNTIME_GLIBC), default="3.12",
                        help="the Lambda runtime's Python; default 3.12")  # fmt: skip
    parser.add_argument("--project", type=Path, default=default_project(),
                        help="checkout of pytest-bfd-locust to package (default: this one)")  # fmt: skip
    args = parser.parse_args(argv)
    try:
        return validate(args.suites, args.output, args.platform, args.python, args.project)
    except PackageError as error:
        parser.error(str(error))
    raise AssertionError("unreachable: parser.error exits")


def validate(suites: Path, output: Path, platform: str, python: str, project: Path) -> PackageRequest:
    """Check the paths before anything is downloaded; PackageError names the option."""
    if not suites.is_dir():
        reason = "is not a folder" if suites.exists() else "does not exist"
        raise PackageError(f"--suites {suites}: {reason}")
    if output.suffix != ".zip":
        raise PackageError(f"--output {output}: must end in .zip")
    if output.is_dir():
        raise PackageError(f"--output {output}: is a folder")
    folder = output.parent if str(output.parent) else Path(".")
    if not folder.is_dir():
        raise PackageError(f"--output {output}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK) or (output.exists() and not os.access(output, os.W_OK)):
        raise PackageError(f"--output {output}: not writable")
    if not (project / "setup.cfg").is_file() or not (project / "lambda_entry").is_dir():
        raise PackageError(f"--project {project}: not a checkout of pytest-bfd-locust (no setup.cfg)")
    suites_resolved, output_resolved = suites.resolve(), output.resolve()
    if output_resolved.is_relative_to(suites_resolved):
        raise PackageError(f"--output {output}: must not be inside --suites {suites}")
    return PackageRequest(suites_resolved, output_resolved, platform, python, project.resolve())


def default_project() -> Path:
    return Path(__file__).resolve().parent.parent


# --- building ----------------------------------------------------------------------------------


def build(request: PackageRequest, *, say: Callable[[str], None] = print) -> PackageReport:
    """Build the zip (written to a temporary name, then renamed: a failed build leaves no zip)."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bfd-lambda-package-") as work:
        wheels, staging = Path(work) / "wheels", Path(work) / "task"
        say(f"[1/4] building the pytest-bfd-locust wheel from {request.project}")
        source = copy_project(request.project, Path(work) / "source")
        run_pip(["wheel", "--no-deps", "--wheel-dir", str(wheels), str(source)], "building the wheel")
        [wheel] = wheels.glob("*.whl")
        platforms = pip_platforms(request.platform, request.python)
        say(f"[2/4] installing it with its dependencies for Python {request.python} on {request.platform} "
            f"(wheels for glibc 2.17 to 2.{RUNTIME_GLIBC[request.python]})")  # fmt: skip
        run_pip(
            [
                "install", "--target", str(staging), "--no-compile", "--no-warn-script-location",
                "--only-binary=:all:", "--implementation", "cp", "--python-version", request.python,
                *(option for platform in platforms for option in ("--platform", platform)),
                str(wheel),
            ],
            "installing the dependencies",
        )  # fmt: skip
        byte_code = compile_byte_code(staging, request.python, say)
        files = [*staged_files(staging, request.python), *suite_files(request.suites)]
        unzipped = sum(packaged.size for packaged in files)
        check_size(unzipped, largest_parts(files))
        say(f"[4/4] writing {request.output}: {len(files)} files, {megabytes(unzipped)} unzipped "
            f"(Lambda's limit {megabytes(LAMBDA_UNZIPPED_LIMIT)})")  # fmt: skip
        write_zip(files, request.output)
    zipped = request.output.stat().st_size
    report = PackageReport(
        request.output, len(files), unzipped, zipped, time.monotonic() - started, byte_code
    )
    say(f"done in {report.seconds:.0f} s: {request.output} is {megabytes(zipped)} zipped, "
        f"{megabytes(unzipped)} unzipped")  # fmt: skip
    return report


def copy_project(project: Path, target: Path) -> Path:
    """The files the project's wheel is built from, copied to `target` (caches left out)."""
    target.mkdir()
    for name in PROJECT_FILES:
        if (project / name).is_file():
            shutil.copy2(project / name, target / name)
    for package in PROJECT_PACKAGES:
        shutil.copytree(
            project / package, target / package, ignore=shutil.ignore_patterns(*LEFT_OUT_DIRECTORIES)
        )
    return target


def run_pip(arguments: Sequence[str], step: str) -> None:
    """pip in this interpreter; on failure PackageError with the step and pip's last lines."""
    command = [sys.executable, "-m", "pip", "--disable-pip-version-check", *arguments]
    result = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        lines = (result.stdout + result.stderr).strip().splitlines()[-PIP_TAIL_LINES:]
        tail = "\n".join(f"  {line}" for line in lines)
        raise PackageError(f"pip failed {step} (exit code {result.returncode}); its last lines:\n{tail}")


def compile_byte_code(staging: Path, python: str, say: Callable[[str], None]) -> bool:
    """Byte code for the Lambda's Python, when this is that Python; hash-checked, not by mtime.

    Lambda's code folder is read-only, so without shipped byte code every cold start (and every
    Locust child) compiles what it imports. A zip keeps modification times only to 2 s, so
    timestamp-checked byte code would be seen as stale.
    """
    running = f"{sys.version_info.major}.{sys.version_info.minor}"
    if running != python:
        say(f"[3/4] no byte code: this is Python {running}, the zip is for {python} "
            f"(build with python{python} to include it)")  # fmt: skip
        return False
    say(f"[3/4] compiling byte code for {cache_tag(python)}")
    compileall.compile_dir(
        staging,
        quiet=2,
        workers=0,
        invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
    )
    return True


def staged_files(staging: Path, python: str) -> Iterator[PackagedFile]:
    for path in sorted(_files(staging)):
        name = PurePosixPath(path.relative_to(staging).as_posix())
        if is_packaged(name, python):
            yield PackagedFile(path, str(name), path.stat().st_size)


def suite_files(suites: Path) -> Iterator[PackagedFile]:
    for path in sorted(_files(suites)):
        name = PurePosixPath(path.relative_to(suites).as_posix())
        if is_suite_file(name):
            yield PackagedFile(path, f"{SUITES_DIRECTORY}/{name}", path.stat().st_size)


def _files(root: Path) -> Iterator[Path]:
    for folder, _, names in os.walk(root):
        for name in names:
            path = Path(folder) / name
            if path.is_file():
                yield path


def write_zip(files: Sequence[PackagedFile], output: Path) -> None:
    """Write the zip; every entry readable by all (Lambda runs the code as another user)."""
    duplicates = sorted(name for name, count in Counter(p.name for p in files).items() if count > 1)
    if duplicates:
        raise PackageError(f"two files for the same place in the zip: {', '.join(duplicates[:5])}")
    temporary = output.with_name(f".{output.name}.partial")
    try:
        with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
            for packaged in files:
                info = zipfile.ZipInfo(packaged.name, date_time=ZIP_DATE)
                info.compress_type = zipfile.ZIP_DEFLATED
                executable = packaged.source.stat().st_mode & stat.S_IXUSR
                info.external_attr = (stat.S_IFREG | (0o755 if executable else 0o644)) << 16
                with open(packaged.source, "rb") as source, archive.open(info, "w") as target:
                    shutil.copyfileobj(source, target, 1 << 20)
        os.replace(temporary, output)
    except OSError as error:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
        raise PackageError(f"--output {output}: cannot write the zip: {error}") from error


def main(argv: Sequence[str] | None = None) -> int:
    request = parse_args(argv)
    try:
        build(request)
    except PackageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
