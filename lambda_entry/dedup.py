"""No duplicate runs: a marker object per `run_id` in the stats bucket.

A client whose read timeout is shorter than the run retries the invocation, and the seed then
started a second load test against the same target (its README's IMPORTANT note). With a
`run_id`, the first invocation creates `lambda-runs/<run_id>.json` with a conditional put
(If-None-Match: *, so exactly one invocation wins), marks it `running`, and replaces it with the
response when done; a repeated invocation gets that response, or `failed` "already running".
The prefix is outside `databases/`, so the Glue crawler and the partition trigger ignore it.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from pytest_bfd_locust.aws_clients import aws_error_code, describe_aws_error

logger = logging.getLogger(__name__)

MARKER_PREFIX = "lambda-runs/"
MAX_LAMBDA_DURATION_S = 900
"""Lambda's hard limit: a `running` marker older than this belongs to an invocation that died."""

_LOST_RACE_CODES = frozenset({"PreconditionFailed", "ConditionalRequestConflict", "412", "409"})


class MarkerError(RuntimeError):
    """The marker could not be read or written; the message names the object."""


@dataclass(frozen=True)
class EarlierRun:
    """What an earlier invocation with the same run_id left: its response, or that it is running."""

    response: dict[str, Any] | None
    """The finished run's response; None while it is still running (or died)."""
    started_at: float
    location: str


@dataclass(frozen=True)
class RunMarkers:
    s3: Any
    bucket: str

    def location(self, run_id: str) -> str:
        return f"s3://{self.bucket}/{self._key(run_id)}"

    def claim(self, run_id: str, *, now: float | None = None) -> EarlierRun | None:
        """Create the `running` marker; None when this invocation owns the run, else the earlier run."""
        started_at = time.time() if now is None else now
        body = json.dumps({"status": "running", "run_id": run_id, "started_at": started_at})
        try:
            self.s3.put_object(
                Bucket=self.bucket,
                Key=self._key(run_id),
                Body=body.encode(),
                ContentType="application/json",
                IfNoneMatch="*",
            )
            return None
        except ClientError as exc:
            if aws_error_code(exc) not in _LOST_RACE_CODES:
                raise MarkerError(
                    f"creating run marker {self.location(run_id)}: {describe_aws_error(exc)}"
                ) from None
        return self._read(run_id)

    def finish(self, run_id: str, response: dict[str, Any]) -> None:
        """Replace the marker with the finished run's response."""
        marker = {"status": "finished", "run_id": run_id, "finished_at": time.time(), "response": response}
        body = json.dumps(marker)
        try:
            self.s3.put_object(
                Bucket=self.bucket, Key=self._key(run_id), Body=body.encode(), ContentType="application/json"
            )
        except ClientError as exc:
            raise MarkerError(
                f"writing run marker {self.location(run_id)}: {describe_aws_error(exc)}"
            ) from None

    def finish_quietly(self, run_id: str, response: dict[str, Any]) -> None:
        """`finish`, logging a failure instead of raising: the caller still gets the run's response."""
        try:
            self.finish(run_id, response)
        except MarkerError as exc:
            logger.error("%s; a repeated invocation with this run_id will answer 'already running'", exc)

    def _read(self, run_id: str) -> EarlierRun:
        try:
            marker = json.loads(self.s3.get_object(Bucket=self.bucket, Key=self._key(run_id))["Body"].read())
        except (ClientError, ValueError) as exc:
            raise MarkerError(
                f"reading run marker {self.location(run_id)}: {describe_aws_error(exc)}"
            ) from None
        response = marker.get("response") if marker.get("status") == "finished" else None
        return EarlierRun(
            response=response, started_at=float(marker.get("started_at", 0)), location=self.location(run_id)
        )

    @staticmethod
    def _key(run_id: str) -> str:
        return f"{MARKER_PREFIX}{run_id}.json"


def running_message(run_id: str, earlier: EarlierRun, *, now: float | None = None) -> str:
    """Why a repeated invocation does not start a run while the marker says `running`."""
    age_s = (time.time() if now is None else now) - earlier.started_at
    if age_s > MAX_LAMBDA_DURATION_S:
        return (
            f"run_id {run_id!r}: an invocation started {age_s:.0f} s ago and never finished (it probably hit "
            f"the Lambda timeout); not starting another run with this run_id; use a new run_id "
            f"(marker {earlier.location})"
        )
    return (
        f"run_id {run_id!r} is already running (started {age_s:.0f} s ago); not starting a second run; "
        f"invoke again later for its result (marker {earlier.location})"
    )
