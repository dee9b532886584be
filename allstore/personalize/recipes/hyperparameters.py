"""Reading algorithmHyperParameters, which the API carries as strings.

Recipes read from their defaults merged with the solution's values, so every name is present.
Bad values raise `ValueError` with a message naming the hyperparameter, so the service can answer
with an InvalidInputException instead of failing the training job later.
"""

from __future__ import annotations

from collections.abc import Mapping


def read_float(hyperparameters: Mapping[str, str], name: str, low: float, high: float) -> float:
    """A float in [low, high]."""
    raw = hyperparameters[name]
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"Hyperparameter {name} must be a number, got {raw!r}") from None
    if not low <= value <= high:
        raise ValueError(f"Hyperparameter {name} must be between {low:g} and {high:g}, got {raw!r}")
    return value


def read_int(hyperparameters: Mapping[str, str], name: str, low: int, high: int) -> int:
    """An integer in [low, high]."""
    raw = hyperparameters[name]
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"Hyperparameter {name} must be an integer, got {raw!r}") from None
    if not low <= value <= high:
        raise ValueError(f"Hyperparameter {name} must be between {low} and {high}, got {raw!r}")
    return value


def read_bool(hyperparameters: Mapping[str, str], name: str) -> bool:
    """`true` / `false` (any case)."""
    raw = hyperparameters[name]
    if raw.strip().lower() in {"true", "false"}:
        return raw.strip().lower() == "true"
    raise ValueError(f"Hyperparameter {name} must be true or false, got {raw!r}")
