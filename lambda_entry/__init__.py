"""The AWS Lambda entry points: `lambda_entry.handler` (the seed's run-locust payload) and
`lambda_entry.partition_handler` (S3 ObjectCreated -> Glue partition).

The handler parses, checks and delegates: payload -> configuration -> timeout guard -> run_id
marker -> secrets + `pytest.main` -> response. A bad payload, missing configuration or a refused
run is a `failed` response naming the problem (no traceback, SPEC §11); anything unexpected raises.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from lambda_entry.budget import TimeBudgetError, check_time_budget
from lambda_entry.config import ConfigError, load_config
from lambda_entry.dedup import MarkerError, RunMarkers, running_message
from lambda_entry.partition_handler import partition_handler
from lambda_entry.payload import PayloadError, parse_payload
from lambda_entry.response import failed_response
from lambda_entry.run import run_payload
from pytest_bfd_locust.aws_clients import AwsClients

logger = logging.getLogger(__name__)


def handler(event: Any, context: Any, *, clients: AwsClients | None = None) -> dict[str, Any]:
    """Run the suite the payload names and answer `success` or `failed` (SPEC §10)."""
    try:
        config = load_config(os.environ)
        payload = parse_payload(
            event,
            suites_root=config.suites_root,
            max_users=config.max_users,
            max_spawn_rate=config.max_spawn_rate,
        )
        config.require_for(payload)
        spare_s = check_time_budget(payload, config.timeout_margin_s, context)
    except (ConfigError, PayloadError, TimeBudgetError) as exc:
        logger.error("not running: %s", exc)
        return failed_response(str(exc), context)
    aws = clients if clients is not None else AwsClients.create(config.region)
    if payload.run_id is None:
        return run_payload(payload, config, context, ssm=aws.ssm, environ=os.environ, spare_s=spare_s)
    markers = RunMarkers(aws.s3, config.stats_bucket)
    try:
        earlier = markers.claim(payload.run_id)
    except MarkerError as exc:
        return failed_response(f"not running: {exc}", context, run_id=payload.run_id)
    if earlier is not None:
        return earlier.response or failed_response(running_message(payload.run_id, earlier), context)
    response = failed_response("the run ended with an unexpected error; see the log", context)
    try:
        response = run_payload(payload, config, context, ssm=aws.ssm, environ=os.environ, spare_s=spare_s)
    finally:
        markers.finish_quietly(payload.run_id, response)
    return response


__all__ = ["handler", "partition_handler"]
