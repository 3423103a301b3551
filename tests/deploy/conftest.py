"""Parameters of the stack under test (the seed's names for the environment `test`) and the
template's values for them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from deploy.cfn import TemplateValues, load_template
from deploy.package import RUNTIME_GLIBC

LAMBDA_PYTHONS = tuple(sorted(RUNTIME_GLIBC))
"""The Lambda Pythons the package command builds for (one import of the package command for the
image and template checks)."""

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

VPC_ID = "vpc-0a1b2c3d4e5f60718"
DATABASE_SECURITY_GROUP_ID = "sg-0db0db0db0db0db0d"

WITH_KMS_AND_VPC = {
    **STACK_PARAMETERS,
    "KmsKeyArn": KMS_KEY_ARN,
    "VpcId": VPC_ID,
    "SubnetIds": "subnet-0a1b2c3d,subnet-4e5f6a7b",
    "DatabaseSecurityGroupId": DATABASE_SECURITY_GROUP_ID,
}
"""In the seed's VPC: run-locust's security group is created, and the database cluster's group
(DatabaseSecurityGroupId) gets the ingress rule."""

IMAGE_URI = "123456789012.dkr.ecr.us-east-1.amazonaws.com/bfd-platform-run-locust:1.0.0"
AS_IMAGE = {
    **{key: value for key, value in STACK_PARAMETERS.items() if not key.startswith("CodeS3")},
    "PackageType": "Image",
    "ImageUri": IMAGE_URI,
}
"""The container image variant: the seed's repository (bfd-platform-run-locust) and a version tag."""


@pytest.fixture(scope="session")
def template() -> dict[str, Any]:
    return load_template()


def template_values(template: Mapping[str, Any], parameters: Mapping[str, str]) -> TemplateValues:
    return TemplateValues(template, parameters, region=REGION, account=ACCOUNT)
