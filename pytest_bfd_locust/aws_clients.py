"""The boto3 clients this package uses, created in one place so tests can inject their own.

Credentials and region come from boto3's standard chain (environment, shared config, container or
instance role), so the same code runs on a laptop, in CI and in the Lambda. Retries use botocore's
adaptive mode: Athena and Glue throttle aggressively when several suites run at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from mypy_boto3_athena.client import AthenaClient
    from mypy_boto3_glue.client import GlueClient
    from mypy_boto3_s3.client import S3Client
    from mypy_boto3_ssm.client import SSMClient

DEFAULT_MAX_ATTEMPTS = 8
"""Attempts per API call (first try included) before botocore gives up and the caller sees the error."""


@dataclass(frozen=True)
class AwsClients:
    """One client per service; build with `AwsClients.create(region)` or pass test (moto) clients."""

    s3: S3Client
    glue: GlueClient
    athena: AthenaClient
    ssm: SSMClient

    @classmethod
    def create(cls, region: str | None = None, *, max_attempts: int = DEFAULT_MAX_ATTEMPTS) -> AwsClients:
        """Clients for `region` (None: the standard chain's region, e.g. AWS_REGION or ~/.aws/config).

        Creating a client makes no network call, so this is cheap and never fails on credentials;
        a missing credential or region surfaces on the first call.
        """
        # One session: the credential chain is resolved once for all four clients.
        session = boto3.session.Session(region_name=region)
        config = Config(retries={"mode": "adaptive", "max_attempts": max_attempts})
        return cls(
            s3=session.client("s3", config=config),
            glue=session.client("glue", config=config),
            athena=session.client("athena", config=config),
            ssm=session.client("ssm", config=config),
        )


def aws_error_code(error: BaseException) -> str:
    """The error code of a botocore `ClientError` (e.g. "NoSuchBucket"); "" for any other error."""
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code", ""))
    return ""


def describe_aws_error(error: BaseException) -> str:
    """How every message of this project names an AWS failure: "Code: Message" for a `ClientError`
    (the service's own words), the text of anything else (a `BotoCoreError`: no credentials,
    endpoint unreachable)."""
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        code = details.get("Code") or "ClientError"
        message = details.get("Message") or ""
        return f"{code}: {message}" if message else str(code)
    return str(error)
