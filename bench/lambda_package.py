"""The Lambda zip: build time, sizes, and what its byte code saves at every cold start.

Builds the zip for this machine and this Python with `python -m deploy.package` (so with
byte code), unpacks it twice, removes the byte code from the second copy, and times a fresh
interpreter (`-I -S -B`: only the unpacked folder and the stdlib, nothing written, as in Lambda's
read-only code folder) importing what a cold start and a Locust child import. Prints medians of
the rounds and the ratio. Run by hand: `python bench/lambda_package.py [--rounds 7]`.
"""

from __future__ import annotations

import argparse
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IMPORTS = {
    "handler (cold start)": "import lambda_entry",
    "Locust child": (
        "import gevent.monkey; gevent.monkey.patch_all(); "
        "import locust.main, pytest_bfd_locust.run.locust_child"
    ),
}


def timed_import(folder: Path, statement: str) -> float:
    code = f"import sys; sys.path.insert(0, {str(folder)!r}); {statement}"
    started = time.perf_counter()
    subprocess.run([sys.executable, "-I", "-S", "-B", "-c", code], check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    machine = {"x86_64": "manylinux2014_x86_64", "aarch64": "manylinux2014_aarch64"}[platform.machine()]
    with tempfile.TemporaryDirectory() as work:
        suites = Path(work) / "suites"
        suites.mkdir()
        (suites / "api.py").write_text("from locust import HttpUser\n")
        output = Path(work) / "run-locust.zip"
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "deploy.package", "--suites", str(suites), "--output", str(output),
             "--platform", machine, "--python", python],
            check=True, cwd=ROOT,
        )  # fmt: skip
        build_s = time.perf_counter() - started
        with zipfile.ZipFile(output) as archive:
            unzipped = sum(info.file_size for info in archive.infolist())
            with_byte_code, without = Path(work) / "with", Path(work) / "without"
            archive.extractall(with_byte_code)
            archive.extractall(without)
        for cache in list(without.rglob("__pycache__")):
            shutil.rmtree(cache)
        zipped = output.stat().st_size
        print(f"\nPython {python}, {machine}: build {build_s:.1f} s, zip {zipped / 2**20:.1f} MB, "
              f"unzipped {unzipped / 2**20:.1f} MB")  # fmt: skip
        for label, statement in IMPORTS.items():
            timed_import(with_byte_code, statement)  # warm the file system cache for both
            timed_import(without, statement)
            shipped = [timed_import(with_byte_code, statement) for _ in range(args.rounds)]
            compiled = [timed_import(without, statement) for _ in range(args.rounds)]
            a, b = statistics.median(shipped), statistics.median(compiled)
            print(f"{label}: {a:.2f} s with byte code, {b:.2f} s without (ratio {b / a:.2f}), "
                  f"median of {args.rounds}")  # fmt: skip


if __name__ == "__main__":
    main()
