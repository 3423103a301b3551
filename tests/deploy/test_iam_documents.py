"""deploy/iam/*.json are the template's role policies with placeholders, and stay so."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from deploy.iam_documents import IAM_DIR, ROLE_DOCUMENTS, TRUST_DOCUMENT, main, render, stale_files, text


def test_documents_are_current() -> None:
    assert stale_files() == [], "run: python -m deploy.iam_documents"
    assert sorted(path.name for path in IAM_DIR.glob("*.json")) == sorted(
        [*ROLE_DOCUMENTS.values(), TRUST_DOCUMENT]
    )


def test_a_changed_document_is_named(tmp_path: Path) -> None:
    copy = tmp_path / "iam"
    shutil.copytree(IAM_DIR, copy)
    policy = json.loads((copy / "partition-policy.json").read_text())
    policy["Statement"][1]["Action"].append("glue:DeleteTable")
    (copy / "partition-policy.json").write_text(text(policy))
    (copy / TRUST_DOCUMENT).unlink()
    assert stale_files(copy) == ["partition-policy.json", TRUST_DOCUMENT]


def test_placeholders_only_no_unresolved_expression() -> None:
    documents = json.dumps(render())
    assert "${" not in documents and "Fn::" not in documents and '"Ref"' not in documents
    for placeholder in ("REGION", "ACCOUNT", "ENV", "BUCKET", "DB", "TABLE", "KEY_ARN"):
        assert placeholder in documents, placeholder
    run_locust = render()["run-locust-policy.json"]
    resources = json.dumps([statement["Resource"] for statement in run_locust["Statement"]])
    assert "arn:aws:s3:::BUCKET/databases/DB/TABLE/*" in resources
    assert "arn:aws:athena:REGION:ACCOUNT:workgroup/BUCKET" in resources
    assert "arn:aws:ssm:REGION:ACCOUNT:parameter/bfd/ENV/locust/sensitive/cert/pem_data" in resources


def test_check_command_exit_code(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--check"]) == 0
    assert capsys.readouterr().out == ""
