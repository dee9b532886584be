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


def check_documented(
    hyperparameters: Mapping[str, str], documented: Mapping[str, tuple[str, float, float]]
) -> None:
    """The values of documented hyperparameters within the service's ranges (ValueError otherwise)."""
    for name, (kind, low, high) in documented.items():
        if name not in hyperparameters:
            continue
        if kind == "integer":
            read_int(hyperparameters, name, int(low), int(high))
        elif kind == "continuous":
            read_float(hyperparameters, name, low, high)
        else:
            read_bool(hyperparameters, name)


def check_hpo_ranges(
    ranges: Mapping[str, object],
    known: Mapping[str, str],
    documented: Mapping[str, tuple[str, float, float]],
) -> None:
    """hpoConfig.algorithmHyperParameterRanges: each name a hyperparameter of the recipe, of the
    documented kind, inside the documented range (ValueError otherwise)."""
    for kind in ("integer", "continuous", "categorical"):
        for entry in ranges.get(f"{kind}HyperParameterRanges") or []:  # type: ignore[union-attr]
            name = entry.get("name")
            if name not in known:
                raise ValueError(f"hpoConfig names {name!r}, which is not a hyperparameter of this recipe")
            if name not in documented:
                continue
            expected, low, high = documented[name]
            if kind != expected:
                raise ValueError(f"hpoConfig: {name} takes {expected}HyperParameterRanges")
            if kind == "categorical":
                for value in entry.get("values") or []:
                    check_documented({name: value}, {name: documented[name]})
            elif not low <= entry.get("minValue", low) <= entry.get("maxValue", high) <= high:
                raise ValueError(f"hpoConfig: {name} must range within [{low:g}, {high:g}]")
