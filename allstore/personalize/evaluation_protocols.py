"""The offline evaluation protocols by name, apart from `evaluation` so that the `allstore evaluate`
command can list them without loading the models (which takes most of a second)."""

from __future__ import annotations

from typing import Literal, get_args

Protocol = Literal["personalize", "leave-one-out"]
PROTOCOLS: tuple[str, ...] = get_args(Protocol)
