"""How often to ask AWS whether something finished.

Personalize takes minutes to hours on AWS and seconds locally, so intervals start short and grow:
the same loop is quick against the local store and polite to the AWS API (and its rate limits).
"""

from __future__ import annotations

from collections.abc import Iterator

FIRST_INTERVAL = 0.5
MAX_INTERVAL = 30.0


def intervals(first: float = FIRST_INTERVAL, longest: float = MAX_INTERVAL) -> Iterator[float]:
    """Seconds to sleep between polls: `first`, growing by half each time, up to `longest`."""
    interval = first
    while True:
        yield interval
        interval = min(interval * 1.5, longest)
