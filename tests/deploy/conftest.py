"""Parameters of the stack under test (the seed's names for the environment `test`) and the
template's values for them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from deploy.cfn import TemplateValues, load_template

ENVIRONMENT = "test"
REGION = "us-east-1"
ACCOUNT = "123456789012"
KMS_KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"

STACK_PARAMETERS = {
    "Environment": ENVIRONMENT,
    "CodeS3Bucket": "bfd-test-artifacts",
    "CodeS3Key": "run-locust.zip",
    "StatsBucketName": "bfd-test-locust-stats",
    "StatsDatabaseName": "bfd_test_locust_stats",
    "ReaderEndpoint": "reader.db.example",
}
"""The seed's names: bucket and workgroup bfd-<env>-locust-stats, database bfd_<env>_locust_stats,
table `data` (the template's default)."""

WITH_KMS_AND_VPC = {
    **STACK_PARAMETERS,
    "KmsKeyArn": KMS_KEY_ARN,
    "SubnetIds": "subnet-0a1b2c3d,subnet-4e5f6a7b",
    "SecurityGroupIds": "sg-0123abcd",
}


@pytest.fixture(scope="session")
def template() -> dict[str, Any]:
    return load_template()


def template_values(template: Mapping[str, Any], parameters: Mapping[str, str]) -> TemplateValues:
    return TemplateValues(template, parameters, region=REGION, account=ACCOUNT)
