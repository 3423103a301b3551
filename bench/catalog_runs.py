"""Running the benchmark catalog (bench/catalog/) through the real plugin, for the bench scripts.

`write_catalog` fills in the catalog template (absolute paths, the claims endpoint's delay);
`run_catalog` runs `pytest --bfd-suite` on it in a child process with a file store and returns
the outcome per suite. Only 127.0.0.1 is ever loaded: each suite starts its own demo target.
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CATALOG_TEMPLATE = ROOT / "bench" / "catalog" / "suites.yaml"
SUITES = ("patient-lookup", "eob-paging", "coverage-sla", "claims")
CLAIMS_DELAY_MS = 40
"""The slow endpoint's latency in the recorded runs (the issue's 40 -> 50 ms case)."""

_OUTCOME = re.compile(r"::(?P<suite>[\w-]+) (?P<outcome>PASSED|FAILED|ERROR)")


@dataclass(frozen=True)
class CatalogRun:
    """One `pytest --bfd-suite` run of the catalog: exit code, verdict per suite, full output."""

    returncode: int
    outcomes: dict[str, str]
    output: str


def write_catalog(directory: Path, claims_delay_ms: int = CLAIMS_DELAY_MS) -> Path:
    """Write the catalog into `directory` with absolute paths; return its path."""
    text = (
        CATALOG_TEMPLATE.read_text(encoding="utf-8")
        .replace("{examples}", str(ROOT / "examples"))
        .replace("{bench}", str(ROOT / "bench" / "catalog"))
        .replace("{claims_delay}", str(claims_delay_ms))
    )
    directory.mkdir(parents=True, exist_ok=True)
    catalog = directory / "suites.yaml"
    catalog.write_text(text, encoding="utf-8")
    return catalog


def run_catalog(
    catalog: Path,
    store: Path,
    *,
    compare: str | None = None,
    extra_args: tuple[str, ...] = (),
    timeout: float = 600,
) -> CatalogRun:
    """Run every suite of `catalog` once, storing records in the file store `store`."""
    command = [
        sys.executable,
        "-m",
        "pytest",
        "--bfd-suite",
        str(catalog),
        "--bfd-store",
        f"file://{store}",
        "--bfd-artifacts",
        str(catalog.parent / "artifacts"),
        "-p",
        "no:cacheprovider",
        "-rA",
        "-v",
        *extra_args,
    ]
    if compare is not None:
        command += ["--compare", compare]
    done = subprocess.run(
        command, cwd=catalog.parent, capture_output=True, text=True, timeout=timeout, check=False
    )
    output = done.stdout + done.stderr
    outcomes = {match["suite"]: match["outcome"] for match in _OUTCOME.finditer(output)}
    return CatalogRun(done.returncode, outcomes, output)
