"""The IAM documents of deploy/iam/, rendered from the template's roles so they cannot drift.

`python -m deploy.iam_documents` rewrites them; `--check` fails naming each file that differs
from the template (the tests run the same check). Names a person replaces are in capitals:
ENV, REGION, ACCOUNT, BUCKET (also the Athena workgroup's name, as in the seed), DB, TABLE and
KEY_ARN (the statement using it exists only when the stack is given a KMS key).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from deploy.cfn import TEMPLATE_PATH, TemplateValues, load_template

IAM_DIR = Path(__file__).with_name("iam")

PLACEHOLDER_PARAMETERS = {
    "Environment": "ENV",
    "StatsBucketName": "BUCKET",
    "StatsDatabaseName": "DB",
    "StatsTableName": "TABLE",
    "KmsKeyArn": "KEY_ARN",
    "CodeS3Bucket": "CODE_BUCKET",
    "CodeS3Key": "CODE_KEY",
    "ReaderEndpoint": "READER_ENDPOINT",
}

ROLE_DOCUMENTS = {
    "RunLocustRole": "run-locust-policy.json",
    "PartitionRole": "partition-policy.json",
}
"""Each role's inline policy, by the role's logical id in the template."""

TRUST_DOCUMENT = "lambda-trust-policy.json"
"""The trust policy, the same for both roles."""


def placeholder_values() -> TemplateValues:
    return TemplateValues(
        load_template(), PLACEHOLDER_PARAMETERS, region="REGION", account="ACCOUNT", partition="aws"
    )


def render() -> dict[str, dict[str, Any]]:
    """File name -> document, from the template's role definitions."""
    values = placeholder_values()
    documents: dict[str, dict[str, Any]] = {}
    trust: list[dict[str, Any]] = []
    for logical_id, file_name in ROLE_DOCUMENTS.items():
        role = values.properties(logical_id)
        [policy] = role["Policies"]
        documents[file_name] = policy["PolicyDocument"]
        trust.append(role["AssumeRolePolicyDocument"])
    if any(document != trust[0] for document in trust):
        raise ValueError(f"the roles' trust policies differ; {TRUST_DOCUMENT} holds one for both")
    documents[TRUST_DOCUMENT] = trust[0]
    return documents


def text(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2) + "\n"


def stale_files(directory: Path = IAM_DIR) -> list[str]:
    """The files in `directory` that are missing or differ from the template's documents."""
    return [
        name
        for name, document in render().items()
        if not (directory / name).is_file()
        or (directory / name).read_text(encoding="utf-8") != text(document)
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.iam_documents", description=__doc__)
    parser.add_argument("--check", action="store_true", help="only check that the files are current")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_files()
        for name in stale:
            print(f"{IAM_DIR / name}: differs from {TEMPLATE_PATH.name}; run python -m deploy.iam_documents")
        return 1 if stale else 0
    IAM_DIR.mkdir(exist_ok=True)
    for name, document in render().items():
        (IAM_DIR / name).write_text(text(document), encoding="utf-8")
        print(f"wrote {IAM_DIR / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
