"""Locust timespans (`30`, `30s`, `3m`, `1h30m`, `1h2m3s`) to whole seconds and back.

Pure. Accepts what `locust.util.timespan.parse_timespan` accepts, but the whole text must match:
Locust silently ignores trailing garbage (`3mx` is 180 s there), which hides typos in a catalog.
"""

from __future__ import annotations

import re

# ASCII only: `\d` would otherwise accept other scripts' digits.
_SECONDS = re.compile(r"\d+", re.ASCII)
_TIMESPAN = re.compile(r"(?:(?P<hours>\d+)h)?(?:(?P<minutes>\d+)m)?(?:(?P<seconds>\d+)s)?", re.ASCII)
_EXPECTED = "expected a number of seconds or a Locust timespan such as 30s, 3m, 1h30m or 1h2m3s"


class TimespanError(ValueError):
    """A timespan could not be parsed; the message names where it came from and the bad value.

    `reason` is the message without `where`, for callers that name the origin their own way.
    """

    def __init__(self, where: str, value: object, reason: str) -> None:
        super().__init__(f"{where}: {reason}")
        self.where = where
        self.value = value
        self.reason = reason


def parse_timespan(text: str | int, where: str) -> int:
    """Return the number of seconds `text` stands for.

    `where` names the origin of the value (a file and key, an option) for the error message.
    An int is taken as seconds; bools are rejected (YAML `yes` must not become 1 s).
    """
    if isinstance(text, bool) or not isinstance(text, (str, int)):
        raise TimespanError(where, text, f"invalid timespan {text!r}; {_EXPECTED}")
    if isinstance(text, int):
        if text < 0:
            raise TimespanError(where, text, f"a timespan cannot be negative, got {text!r}")
        return text
    stripped = text.strip()
    if _SECONDS.fullmatch(stripped):
        return int(stripped)
    match = _TIMESPAN.fullmatch(stripped)
    if match is None or not any(match.groupdict().values()):
        raise TimespanError(where, text, f"invalid timespan {text!r}; {_EXPECTED}")
    parts = {name: int(value) for name, value in match.groupdict().items() if value is not None}
    return parts.get("hours", 0) * 3600 + parts.get("minutes", 0) * 60 + parts.get("seconds", 0)
