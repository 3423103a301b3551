"""Tags: the labels a record is stored and looked up under."""

from __future__ import annotations

import re

TAG_PATTERN = re.compile(r"[a-z0-9_]+")
"""What a tag may hold: a tag becomes an S3 partition folder, an Athena literal and a pytest marker
(a lower-case identifier-like word)."""
