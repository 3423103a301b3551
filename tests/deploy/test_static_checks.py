"""Every check checkov is told to skip on deploy/ says why, where it is skipped.

checkov itself runs in CI from a venv of its own (.ci/run, `tox -e checkov`): its pins clash with
the test extra. Its skips live beside what they excuse: `Metadata: checkov: skip:` entries with a
`comment` in the template, `#checkov:skip=ID:reason` lines in the OpenTofu module and the
Dockerfile, `checkov.io/skipN: ID=reason` annotations on a Kubernetes object (checkov ignores
comments there); no configuration file skips anything wholesale.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from deploy.hcl import TOFU_DIR
from deploy.lambda_image import DOCKERFILE

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
K8S_SKIP = re.compile(r"(?P<id>CKV2?_K8S_\d+)=(?P<reason>.*)", re.S)
INLINE_SKIP = re.compile(r"#\s*checkov:skip=(?P<id>CKV2?_[A-Z0-9]+_\d+)(?::(?P<reason>.*))?$")
MINIMUM_REASON = 40
"""Characters: a sentence that names the cause, not a placeholder like "not needed"."""


def inline_skips(path: Path) -> list[tuple[str, str, str]]:
    """(place, check id, reason) of every `checkov:skip` comment in a file."""
    skips = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if "checkov:skip" not in line:
            continue
        match = INLINE_SKIP.search(line.strip())
        assert match is not None, f"{path}:{number}: not #checkov:skip=CKV_..._N:reason: {line.strip()}"
        skips.append((f"{path.name}:{number}", match.group("id"), (match.group("reason") or "").strip()))
    return skips


def template_skips(template: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [
        (logical_id, skip["id"], str(skip.get("comment", "")).strip())
        for logical_id, resource in template["Resources"].items()
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
    ]


def kubernetes_skips(path: Path) -> list[tuple[str, str, str]]:
    """(place, check id, reason) of every `checkov.io/skipN` annotation of a manifest."""
    skips = []
    annotations = (yaml.safe_load(path.read_text()).get("metadata") or {}).get("annotations") or {}
    for key, value in annotations.items():
        if not key.startswith("checkov.io/skip"):
            continue
        match = K8S_SKIP.fullmatch(str(value))
        assert match is not None, f"{path.name}: {key}: not CKV_K8S_N=reason: {value}"
        skips.append((f"{path.name}:{key}", match.group("id"), match.group("reason").strip()))
    return skips


def all_skips(template: dict[str, Any]) -> list[tuple[str, str, str]]:
    files = [DOCKERFILE, *sorted(TOFU_DIR.glob("*.tf"))]
    manifests = sorted(K8S.glob("*.yaml"))
    return (
        [skip for path in files for skip in inline_skips(path)]
        + template_skips(template)
        + [skip for path in manifests for skip in kubernetes_skips(path)]
    )


def test_every_skip_gives_its_reason(template: dict[str, Any]) -> None:
    skips = all_skips(template)
    assert {place.split(":")[0] for place, _, _ in skips} >= {
        "Dockerfile",
        "RunLocustFunction",
        "run_locust.tf",
        "worker-deployment.yaml",
        "master-job.yaml",
    }
    short = [(place, check, reason) for place, check, reason in skips if len(reason) < MINIMUM_REASON]
    assert short == []


def test_a_skip_without_a_reason_is_caught(tmp_path: Path) -> None:
    bare = tmp_path / "main.tf"
    bare.write_text('resource "x" "y" {\n  #checkov:skip=CKV_AWS_18\n}\n')
    [(place, check, reason)] = inline_skips(bare)
    assert (place, check, reason) == ("main.tf:2", "CKV_AWS_18", "")
    (tmp_path / "typo.tf").write_text("# checkov:skip=AWS_18: a reason that names no check id\n")
    with pytest.raises(AssertionError, match="typo.tf:1: not #checkov:skip"):
        inline_skips(tmp_path / "typo.tf")


def test_a_kubernetes_skip_without_a_reason_is_caught(tmp_path: Path) -> None:
    manifest = tmp_path / "job.yaml"
    manifest.write_text("kind: Job\nmetadata:\n  annotations:\n    checkov.io/skip1: CKV_K8S_43=\n")
    [(place, check, reason)] = kubernetes_skips(manifest)
    assert (place, check, reason) == ("job.yaml:checkov.io/skip1", "CKV_K8S_43", "")
    manifest.write_text("kind: Job\nmetadata:\n  annotations:\n    checkov.io/skip1: K8S_43 no id\n")
    with pytest.raises(AssertionError, match="not CKV_K8S_N=reason"):
        kubernetes_skips(manifest)


def test_ci_runs_checkov_on_every_framework_of_deploy() -> None:
    for path in (ROOT / ".ci" / "run", ROOT / "tox.ini"):
        [line] = [line for line in path.read_text().splitlines() if "--framework" in line]
        assert set(line.split("--framework")[1].split()) >= {
            "cloudformation",
            "terraform",
            "dockerfile",
            "kubernetes",
        }, path


def test_no_configuration_file_skips_checks_wholesale() -> None:
    configurations = [path for folder in (ROOT, ROOT / "deploy") for path in folder.glob(".checkov.y*ml")]
    assert all("skip" not in path.read_text() for path in configurations)
