"""Secrets kept out of everything the Lambda writes: stdout, stderr, log lines, files, the response.

The Lambda forwards stdout, stderr and log records to CloudWatch; a suite that prints its DSN on
failure (the text reaches pytest's output through the tail of Locust's log) would otherwise leak
it there and into `junit.xml`. While a run lasts, `redacted_output` puts a line-buffered
redacting stream in front of `sys.stdout` and `sys.stderr` (a secret split over two `write`
calls is still whole in the buffered line) and a redacting filter on every logging handler.
`redact_files` rewrites the run directory's text files after the run. `redact_response` rewrites
only free text: structured identifiers (log group and stream, S3 keys, node ids, run ids) are
never touched, so a secret that happens to be a common word cannot mangle them.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Callable, Iterator
from typing import Any, TextIO

from pytest_bfd_locust import property_names as prop

Redact = Callable[[str], str]

STRUCTURED_KEYS = frozenset(
    {
        "log_group_name",
        "log_stream_name",
        "records",
        "unsaved_records",
        "run_id",
        "nodeid",
        *prop.IDENTIFIERS,
    }
)
"""Response keys holding identifiers: never rewritten (their values come from AWS or from us)."""


class RedactingStream:
    """A text stream that redacts each complete line before passing it on; `flush` passes the rest."""

    def __init__(self, target: TextIO, redact: Redact) -> None:
        self._target = target
        self._redact = redact
        self._pending = ""

    def write(self, text: str) -> int:
        self._pending += text
        complete, newline, rest = self._pending.rpartition("\n")
        if newline:
            self._target.write(self._redact(complete + newline))
            self._pending = rest
        return len(text)

    def flush(self) -> None:
        if self._pending:
            self._target.write(self._redact(self._pending))
            self._pending = ""
        self._target.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._target, name)


class RedactingFilter(logging.Filter):
    """Rewrites a log record's message with the secrets replaced (arguments merged in first)."""

    def __init__(self, redact: Redact) -> None:
        super().__init__()
        self._redact = redact

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = self._redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and record.exc_text is None and record.exc_info[0] is not None:
            record.exc_text = self._redact(logging.Formatter().formatException(record.exc_info))
        return True


@contextlib.contextmanager
def redacted_output(redact: Redact) -> Iterator[None]:
    """While active, stdout, stderr and every logging handler (root and ours) redact secrets."""
    filter_ = RedactingFilter(redact)
    handlers = {*logging.getLogger().handlers, *logging.getLogger("lambda_entry").handlers}
    streams = (sys.stdout, sys.stderr)
    sys.stdout, sys.stderr = RedactingStream(sys.stdout, redact), RedactingStream(sys.stderr, redact)
    for handler in handlers:
        handler.addFilter(filter_)
    try:
        yield
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        sys.stdout, sys.stderr = streams
        for handler in handlers:
            handler.removeFilter(filter_)


def redact_response(value: Any, redact: Redact, key: str | None = None) -> Any:
    """`value` with free text redacted; values under `STRUCTURED_KEYS` are returned unchanged."""
    if key in STRUCTURED_KEYS:
        return value
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {name: redact_response(item, redact, name) for name, item in value.items()}
    if isinstance(value, list):
        return [redact_response(item, redact) for item in value]
    return value
