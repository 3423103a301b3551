"""bandit runs in CI (.ci/run, tox -e lint) with every exception explained (issue 19): each
`# nosec BXXX` has a comment naming `bandit BXXX` and the reason next to it, and each skip in
bandit.yaml a comment above it."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("pytest_bfd_locust", "lambda_entry", "deploy", "examples")
NOSEC = re.compile(r"#\s*nosec\b(.*)$")


def unexplained_nosecs(path: Path) -> list[str]:
    """`file:line` of each nosec without an id, or without a `# bandit <id> (...)` comment within
    four lines of it."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found = []
    for number, line in enumerate(lines):
        match = NOSEC.search(line)
        if match is None:
            continue
        ids = re.findall(r"B\d{3}", match.group(1))
        nearby = "\n".join(lines[max(number - 4, 0) : number + 5])
        if not ids or not all(re.search(rf"#.*bandit {test_id} \(", nearby) for test_id in ids):
            found.append(f"{path.relative_to(path.parents[1])}:{number + 1}")
    return found


def test_every_nosec_names_its_test_and_says_why() -> None:
    files = [path for folder in SCANNED for path in (ROOT / folder).rglob("*.py")]
    nosecs = [path for path in files if "nosec" in path.read_text(encoding="utf-8")]
    assert len(nosecs) >= 5  # the check looks at the files that hold them
    assert [place for path in files for place in unexplained_nosecs(path)] == []


def test_a_nosec_without_a_reason_is_caught(tmp_path: Path) -> None:
    module = tmp_path / "pkg" / "m.py"
    module.parent.mkdir()
    module.write_text('PASS = "PASS"  # nosec B105\nHOST = "0.0.0.0"  # nosec\n')
    assert unexplained_nosecs(module) == ["pkg/m.py:1", "pkg/m.py:2"]
    module.write_text('# bandit B105 (a password): a verdict.\nPASS = "PASS"  # nosec B105\n')
    assert unexplained_nosecs(module) == []


def test_every_skip_in_the_configuration_says_why() -> None:
    lines = (ROOT / "bandit.yaml").read_text(encoding="utf-8").splitlines()
    skips = [number for number, line in enumerate(lines) if re.fullmatch(r"\s*- B\d{3}", line)]
    assert skips
    for number in skips:
        above = number - 1
        while re.fullmatch(r"\s*- B\d{3}", lines[above]):
            above -= 1  # skips sharing one reason
        assert lines[above].strip().startswith("#"), lines[number]
    assert "bandit -c bandit.yaml" in (ROOT / ".ci" / "run").read_text()
    assert "bandit -c bandit.yaml" in (ROOT / "tox.ini").read_text()
