"""The offline evaluation protocols by name, and the temporal one's cut-off, apart from `evaluation`
so that the `allstore evaluate` command can check its options without loading the models (which
takes most of a second)."""

from __future__ import annotations

import datetime as dt
from typing import Literal, get_args

Protocol = Literal["personalize", "leave-one-out", "temporal"]
PROTOCOLS: tuple[str, ...] = get_args(Protocol)

DEFAULT_CUTOFF = "0.9"
MAX_K = 500  # --k: numResults' maximum, no list the service returns is longer
# --max-users: test users ranked per model at most, a seeded sample of the split's (all of Sports
# 2014's 35,598 and more), so that a 1.25M-user, 300k-item store ranks 50k rows of 300k scores per
# model rather than 1.25M.
MAX_TEST_USERS = 50_000


def parse_cutoff(text: str) -> float | int:
    """`--cutoff`: a fraction in (0, 1) of the interactions (in time order) that train, or an ISO
    date or date-time (UTC when it names no zone) where the test period starts, as unix seconds."""
    try:
        fraction = float(text)
    except ValueError:
        fraction = None
    if fraction is not None:
        if not 0.0 < fraction < 1.0:
            raise ValueError(f"cut-off {text!r}: a fraction must be between 0 and 1 (exclusive)")
        return fraction
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"cut-off {text!r} is neither a fraction (0.9) nor an ISO date (2014-01-01)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return int(moment.timestamp())
